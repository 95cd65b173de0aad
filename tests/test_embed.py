"""Model batches bounded by tokens (index.embed.token_batches): every text once, in length order, and
the same vectors whatever the batching."""

from __future__ import annotations

import hashlib
import random
import re

import numpy as np
import pytest

from index.embed import SentenceTransformerEmbedder, token_batches


@pytest.mark.parametrize("max_texts,max_tokens", [(64, 4096), (8, 10_000), (64, 300), (1, 1), (3, 50)])
def test_token_batches_cover_every_text_once_shortest_first_within_both_caps(max_texts, max_tokens) -> None:
    rng = random.Random(max_texts * 7919 + max_tokens)
    lengths = [rng.randint(3, 256) for _ in range(500)] + [256] * 20 + [3] * 20
    batches = token_batches(lengths, max_texts, max_tokens)
    flat = [i for b in batches for i in b]
    assert sorted(flat) == list(range(len(lengths)))  # every text exactly once
    assert flat == sorted(range(len(lengths)), key=lambda i: lengths[i])  # shortest first, stable
    for batch, following in zip(batches, [*batches[1:], None], strict=True):
        padded = len(batch) * max(lengths[i] for i in batch)
        assert len(batch) <= max_texts and (padded <= max_tokens or len(batch) == 1)
        if following:  # greedy: the next text would have broken a cap
            longer = max(lengths[i] for i in [*batch, following[0]])
            assert len(batch) == max_texts or (len(batch) + 1) * longer > max_tokens


def test_token_batches_of_nothing() -> None:
    assert token_batches([], 64, 4096) == []


_WORD = re.compile(r"\S+")


def _fake_model(seen: list[tuple[int, int]]):
    """Token vectors that depend on the word only (as a real model's would on the text only), padded."""

    def vec(word: str) -> np.ndarray:
        seed = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "little")
        return np.random.default_rng(seed).standard_normal(8).astype(np.float32)

    def backend(texts: list[str], int8: bool = False):
        words = [list(_WORD.finditer(t)) for t in texts]
        n = max(len(w) for w in words)
        seen.append((len(texts), n))
        hidden = np.zeros((len(texts), n, 8), np.float32)
        mask = np.zeros((len(texts), n), np.int64)
        offsets = np.zeros((len(texts), n, 2), np.int64)
        for i, ws in enumerate(words):
            for j, m in enumerate(ws):
                hidden[i, j], mask[i, j], offsets[i, j] = vec(m.group()), 1, (m.start(), m.end())
        return hidden, mask, offsets

    return backend


def _embedder(batch_size: int, batch_tokens: int, seen: list[tuple[int, int]]) -> SentenceTransformerEmbedder:
    emb = SentenceTransformerEmbedder("fake", batch_size=batch_size, batch_tokens=batch_tokens)
    emb._backend, emb._dim = _fake_model(seen), 8
    emb._count = lambda texts: [len(_WORD.findall(t)) for t in texts]
    return emb


def test_passages_are_encoded_within_the_token_budget_with_the_same_vectors() -> None:
    rng = random.Random(3)
    vocab = [f"w{i}" for i in range(300)]
    texts = [" ".join(rng.choices(vocab, k=rng.randint(1, 120))) for _ in range(150)]
    spans = [[(0, len(t) // 2), (len(t) // 2, len(t))] for t in texts]
    seen: list[tuple[int, int]] = []
    vecs, span_vecs = _embedder(64, 400, seen).encode_spans(texts, spans)
    assert sum(b for b, _ in seen) == len(texts) and len(seen) > 150 * 60 // 400
    assert all(b * n <= 400 or b == 1 for b, n in seen)
    whole: list[tuple[int, int]] = []
    ref, ref_spans = _embedder(len(texts), 10**9, whole).encode_spans(texts, spans)  # one batch
    assert len(whole) == 1
    assert np.allclose(vecs, ref, atol=1e-6) and vecs.shape == (len(texts), 8)  # in the input's order
    assert all(np.allclose(a, b, atol=1e-6) for a, b in zip(span_vecs, ref_spans, strict=True))
    one = [_embedder(1, 1, []).encode_spans([t], [s]) for t, s in zip(texts[:10], spans[:10], strict=True)]
    assert np.allclose(np.concatenate([v for v, _ in one]), vecs[:10], atol=1e-6)
