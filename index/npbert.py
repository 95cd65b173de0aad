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
`openblas_set_num_threads_local`), and for a question's dozen tokens its second thread only spins
(on a busy machine it made a question 3x slower and took the CPU from the database). So an encode
sets numpy's OpenBLAS to one thread while it runs and puts the count back after
(`index.openblas.one_thread`), and each product is one whole one-thread product; where that count
cannot be set (numpy on another BLAS), each product is cut into blocks below OpenBLAS's own
one-thread size instead (`_matmul_t`), ~1.1x slower over a question (bench/README.md, issue 9q).
bench/replica_memory.py reports the time per question next to torch's int8 path.
`encode(texts, threads=2)` shares each product with one helper thread of this encoder (numpy leaves
the GIL during a product): half of the weight rows each, or the blocks split between the two; the
helper sleeps between products (no spinning BLAS threads taking a core from a database) and serves
one encode at a time: an encode that finds it busy runs on one thread. The blocks give the same
bits on one thread or two; whole products agree to float32 rounding (~1e-7 in cosine).
"""

from __future__ import annotations

import contextlib
import json
import math
import queue
import struct
import threading
from pathlib import Path

import numpy as np

from index import bert, openblas

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


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact GELU, x * Phi(x) (torch.nn.functional.gelu's default), overwriting x (a new array).

    Phi(x) = 1 - erfc(|x| / sqrt 2) / 2 for x >= 0, erfc(|x| / sqrt 2) / 2 below, erfc to 1.5e-7
    (Abramowitz & Stegun 7.1.26; numpy has no erf and scipy.special is a heavy import), computed in
    place in two scratch arrays: a question's GELU of [tokens, 1536] was a dozen new arrays a layer."""
    z = np.abs(x)
    z *= np.float32(1 / math.sqrt(2))
    t = z * np.float32(0.3275911)
    t += 1
    np.reciprocal(t, out=t)
    half = t * np.float32(1.061405429 / 2)  # the polynomial, halved: erfc / 2 in the end
    for c in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):
        half += np.float32(c / 2)
        half *= t
    np.square(z, out=z)
    np.negative(z, out=z)
    np.exp(z, out=z)
    half *= z  # erfc(|x| / sqrt 2) / 2
    np.subtract(np.float32(0.5), half, out=half)
    np.copysign(half, x, out=half)  # Phi - 1/2 (a masked subtract is slower than the whole polynomial)
    half += np.float32(0.5)
    x *= half
    return x


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


def _matmul_t(x: np.ndarray, w: np.ndarray, helper: Helper | None = None, plain: bool = False) -> np.ndarray:
    """x @ w.T for x [m, k] and w [n, k].

    plain=True (numpy's OpenBLAS set to one thread for this question: openblas.one_thread): the one
    product, or with a helper the products of each half of w's rows, one on each thread (OpenBLAS rounds
    a half's product differently from the whole's in some shapes, so two threads agree with one to
    ~1e-7 in cosine, no longer bit for bit). Otherwise as blocks of w's
    rows small enough for OpenBLAS's one-thread path: a stacked matmul over views of w (no copy), looped
    in C. For a question's dozen tokens OpenBLAS would otherwise wake its threads for every product (its
    thread count is process-wide), and on a busy machine those spinning threads made a question 3x
    slower and took the CPU from the database (bench/replica_memory.py). The blocks are only the
    fallback where numpy's thread count cannot be set: a 24 x 1536 x 384 product cut into 64 blocks of 6
    columns runs at a third of the plain one-thread product's speed (bench/README.md, issue 9q). Rows
    past the size (a long text) take the plain product."""
    m, k = x.shape
    n = w.shape[0]
    if plain:
        if helper is None or n < 2:
            return x @ w.T
        out = np.empty((m, n), np.result_type(x, w))
        half = n // 2
        helper.both(lambda: np.matmul(x, w[:half].T, out=out[:, :half]),
                    lambda: np.matmul(x, w[half:].T, out=out[:, half:]))  # fmt: skip
        return out
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
        self.plain = openblas.numpy_threads_settable()  # whole products on one thread, else blocks (_matmul_t)

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
        out = _matmul_t(flat, self._p(f"{name}.weight"), helper, self.plain)  # a new array
        out += self._p(f"{name}.bias")
        return out.reshape(*x.shape[:-1], out.shape[-1])

    def _layer_norm(self, x: np.ndarray, name: str) -> np.ndarray:
        """LayerNorm over the last axis, overwriting x (a new array)."""
        x -= x.mean(-1, keepdims=True)
        var = np.square(x).mean(-1, keepdims=True)
        var += self.eps
        np.sqrt(var, out=var)
        x /= var
        x *= self._p(f"{name}.weight")
        x += self._p(f"{name}.bias")
        return x

    def encode(self, texts: list[str], threads: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(hidden states [batch, tokens, dim], attention mask [batch, tokens], offsets [batch, tokens, 2]).
        threads=2: the products shared with the helper thread when it is free (the same vectors)."""
        ids, types, mask, offsets = self._tokenize(texts)
        with openblas.one_thread() if self.plain else contextlib.nullcontext():
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
            attended = self._linear(ctx, f"{p}.attention.output.dense", helper)
            attended += x
            x = self._layer_norm(attended, f"{p}.attention.output.LayerNorm")
            inner = _gelu(self._linear(x, f"{p}.intermediate.dense", helper))
            out = self._linear(inner, f"{p}.output.dense", helper)
            out += x
            x = self._layer_norm(out, f"{p}.output.LayerNorm")
        return x.astype(np.float32, copy=False)
