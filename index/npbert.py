"""Questions without torch: index.bert's BERT forward in numpy.

A bot replica only ever encodes questions, yet importing torch costs ~180 MB of resident
memory and ~1.5 s. This module runs the same network (embeddings + LayerNorm, self-attention
and GELU feed-forward layers, mean pooling) on the model folder's own files with numpy and the
Rust `tokenizers`, so `verbatim ask`, the bot and PostgreSQL replicas never import torch;
passages (an add) still go through index.bert with torch.

The weights are memory-mapped straight from `model.safetensors` (its layout: an 8-byte
little-endian header length, a JSON header of dtype / shape / byte offsets, then the raw
tensors), never copied: only the pages a question touches become resident — all of the
encoder's matrices (~42 MB for MiniLM-L6), but of the 47 MB word-embedding table only the rows
of the question's tokens — and replicas on one machine share them through the page cache.
fp16 files are upcast per matmul. In float32 the vectors match the torch path to ~1e-6
(tests/test_real_model.py).

Thread counts: OpenBLAS's thread count is process-wide in numpy's build (even
`openblas_set_num_threads_local`), so nothing here sets one; instead each product of a question
is cut into blocks below OpenBLAS's own one-thread size (`_matmul_t`). bench/replica_memory.py
reports the time per question next to torch's int8 path. `encode(texts, threads=2)` shares each
product's blocks with one helper thread of this encoder (numpy leaves the GIL during a product),
each block through the same one-thread kernel, so the vectors are bit for bit those of one thread;
the helper sleeps between products (no spinning BLAS threads taking a core from a database) and
serves one encode at a time: an encode that finds it busy runs on one thread.
"""

from __future__ import annotations

import json
import math
import queue
import struct
import threading
from pathlib import Path

import numpy as np

from index import bert

_DTYPES = {"F32": np.float32, "F16": np.float16}


def _header(path: Path) -> tuple[int, dict]:
    with path.open("rb") as f:
        (size,) = struct.unpack("<Q", f.read(8))
        return 8 + size, json.loads(f.read(size))


def supports(folder: str | Path) -> bool:
    """index.bert's architecture, with float32 or float16 weights for every tensor the forward reads."""
    folder = Path(folder)
    if not bert.supports(folder):
        return False
    try:
        _, header = _header(folder / "model.safetensors")
        config = json.loads((folder / "config.json").read_text())
        names = _names(config)
        prefix = "bert." if any(k.startswith("bert.") for k in header) else ""
        return all(header.get(prefix + n, {}).get("dtype") in _DTYPES for n in names)
    except (OSError, ValueError, KeyError, TypeError, AttributeError, struct.error):
        return False


def _names(config: dict) -> list[str]:
    names = [f"embeddings.{e}_embeddings.weight" for e in ("word", "position", "token_type")]
    names += ["embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias"]
    for i in range(int(config["num_hidden_layers"])):
        p = f"encoder.layer.{i}"
        for lin in ("attention.self.query", "attention.self.key", "attention.self.value",
                    "attention.output.dense", "intermediate.dense", "output.dense"):
            names += [f"{p}.{lin}.weight", f"{p}.{lin}.bias"]
        for norm in ("attention.output.LayerNorm", "output.LayerNorm"):
            names += [f"{p}.{norm}.weight", f"{p}.{norm}.bias"]
    return names


def _load(path: Path, names: list[str]) -> dict[str, np.ndarray]:
    """Read-only views of the named tensors in the memory-mapped file (a copy only if misaligned)."""
    start, header = _header(path)
    data = np.memmap(path, dtype=np.uint8, mode="r")
    prefix = "bert." if any(k.startswith("bert.") for k in header) else ""
    out = {}
    for name in names:
        meta = header[prefix + name]
        lo, hi = (start + int(o) for o in meta["data_offsets"])
        dtype = np.dtype(_DTYPES[meta["dtype"]])
        raw = data[lo:hi]
        arr = raw.view(dtype) if lo % dtype.alignment == 0 else np.frombuffer(raw.tobytes(), dtype)
        out[name] = arr.reshape(meta["shape"])
    return out


def _erf(x: np.ndarray) -> np.ndarray:
    """erf to 1.5e-7 (Abramowitz & Stegun 7.1.26); numpy has none and scipy is a heavy import."""
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-a * a))


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact GELU, x * Phi(x) (torch.nn.functional.gelu's default)."""
    return x * (0.5 * (1.0 + _erf(x * np.float32(1 / math.sqrt(2))))).astype(np.float32)


# OpenBLAS runs a product of m x n x k multiply-adds on one thread up to this size (SMP_THRESHOLD_MIN
# x GEMM_MULTITHREAD_THRESHOLD in its interface/gemm.c) and splits larger ones over its threads.
ONE_THREAD_MNK = 65536 * 4


class Helper:
    """One more thread for a question's products: `both(a, b)` runs b there and a here, and returns when
    both are done (b's exception raised here). Daemon; it blocks on a queue between products."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._done = threading.Semaphore(0)
        self._error: BaseException | None = None
        self.lock = threading.Lock()  # held by the one encode using the helper
        threading.Thread(target=self._run, name="verbatim-npbert", daemon=True).start()

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                job()
            except BaseException as err:  # handed to the caller, which re-raises it
                self._error = err
            self._done.release()

    def both(self, here, there) -> None:
        self._jobs.put(there)
        try:
            here()
        finally:
            self._done.acquire()
        err, self._error = self._error, None
        if err is not None:
            raise err


def _matmul_t(x: np.ndarray, w: np.ndarray, helper: Helper | None = None) -> np.ndarray:
    """x @ w.T for x [m, k] and w [n, k], as blocks of w's rows small enough for OpenBLAS's one-thread
    path: a stacked matmul over views of w (no copy), looped in C. For a question's dozen tokens
    OpenBLAS would otherwise wake its threads for every product (its thread count is process-wide
    here, so it is not set), and on a busy machine those spinning threads made a question 3x
    slower and took the CPU from the database (bench/replica_memory.py); the small blocks are also
    no slower on one thread. Rows past the size (a long text) take the plain product."""
    m, k = x.shape
    n = w.shape[0]
    block = ONE_THREAD_MNK // max(1, m * k)
    if block >= n or block < 1:
        return x @ w.T  # (not shared: a product of other shapes could round differently)
    while n % block:
        block -= 1
    blocks = w.reshape(n // block, block, k).transpose(0, 2, 1)
    if helper is None or len(blocks) < 2:
        out = np.matmul(x[None], blocks)  # [n / block, m, block]
    else:
        out = np.empty((len(blocks), m, block), np.result_type(x, w))
        half = len(blocks) // 2
        helper.both(lambda: np.matmul(x[None], blocks[:half], out=out[:half]),
                    lambda: np.matmul(x[None], blocks[half:], out=out[half:]))  # fmt: skip
    return out.transpose(1, 0, 2).reshape(m, n)


class NumpyBert(bert.BertFiles):
    """Token vectors for a batch of texts, as index.bert.BertEncoder.encode returns them (float32)."""

    def __init__(self, folder: str | Path, max_length: int | None = None) -> None:
        folder = Path(folder)
        self._read_folder(folder, max_length)
        self.eps = np.float32(self.eps)
        self.w = _load(folder / "model.safetensors", _names(self.config))
        self._helper: Helper | None = None
        self._helper_lock = threading.Lock()

    def _p(self, name: str) -> np.ndarray:
        w = self.w[name]
        return w if w.dtype == np.float32 else w.astype(np.float32)

    def helper(self) -> Helper:
        """This encoder's helper thread, started on first use."""
        with self._helper_lock:
            if self._helper is None:
                self._helper = Helper()
            return self._helper

    def _linear(self, x: np.ndarray, name: str, helper: Helper | None = None) -> np.ndarray:
        flat = x.reshape(-1, x.shape[-1])
        out = _matmul_t(flat, self._p(f"{name}.weight"), helper) + self._p(f"{name}.bias")
        return out.reshape(*x.shape[:-1], out.shape[-1])

    def _layer_norm(self, x: np.ndarray, name: str) -> np.ndarray:
        mean = x.mean(-1, keepdims=True)
        centred = x - mean
        var = (centred * centred).mean(-1, keepdims=True)
        return centred / np.sqrt(var + self.eps) * self._p(f"{name}.weight") + self._p(f"{name}.bias")

    def encode(self, texts: list[str], threads: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(hidden states [batch, tokens, dim], attention mask [batch, tokens], offsets [batch, tokens, 2]).
        threads=2: the products shared with the helper thread when it is free (the same vectors)."""
        ids, types, mask, offsets = self._tokenize(texts)
        if threads < 2:
            return self._forward(ids, types, mask), mask, offsets
        helper = self.helper()
        if not helper.lock.acquire(blocking=False):  # another encode has it: this one stays on one thread
            return self._forward(ids, types, mask), mask, offsets
        try:
            return self._forward(ids, types, mask, helper), mask, offsets
        finally:
            helper.lock.release()

    def _forward(
        self, ids: np.ndarray, types: np.ndarray, mask: np.ndarray, helper: Helper | None = None
    ) -> np.ndarray:
        batch, n = ids.shape
        w = self.w
        x = (
            w["embeddings.word_embeddings.weight"][ids].astype(np.float32)
            + w["embeddings.position_embeddings.weight"][:n].astype(np.float32)[None]
            + w["embeddings.token_type_embeddings.weight"][types].astype(np.float32)
        )
        x = self._layer_norm(x, "embeddings.LayerNorm")
        head = self.dim // self.heads
        scale = np.float32(1 / math.sqrt(head))
        bias = ((1.0 - mask[:, None, None, :]) * np.finfo(np.float32).min).astype(np.float32)

        def split(t: np.ndarray) -> np.ndarray:
            return t.reshape(batch, n, self.heads, head).transpose(0, 2, 1, 3)

        for i in range(self.layers):
            p = f"encoder.layer.{i}"
            q = split(self._linear(x, f"{p}.attention.self.query", helper))
            k = split(self._linear(x, f"{p}.attention.self.key", helper))
            v = split(self._linear(x, f"{p}.attention.self.value", helper))
            scores = (q @ k.transpose(0, 1, 3, 2)) * scale + bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            ctx = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, n, self.dim)
            attended = self._linear(ctx, f"{p}.attention.output.dense", helper) + x
            x = self._layer_norm(attended, f"{p}.attention.output.LayerNorm")
            inner = _gelu(self._linear(x, f"{p}.intermediate.dense", helper))
            x = self._layer_norm(self._linear(inner, f"{p}.output.dense", helper) + x, f"{p}.output.LayerNorm")
        return x.astype(np.float32, copy=False)
