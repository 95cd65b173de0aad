"""The FAISS wrapper: replacement, removal, and the move to IVF cells past a threshold."""

from __future__ import annotations

import numpy as np

import index.vectors as vectors_module
from index.vectors import VectorIndex


def unit(rng: np.random.Generator, n: int, dim: int = 16) -> np.ndarray:
    x = rng.standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_duplicate_ids_replace_instead_of_piling_up() -> None:
    rng = np.random.default_rng(0)
    v = VectorIndex(16)
    v.add([1, 2], unit(rng, 2))
    new = unit(rng, 1)
    v.add([1], new)
    assert len(v) == 2 and np.allclose(v.vectors([1])[0], new[0])
    assert v.remove([2, 99]) == 1 and len(v) == 1


def test_grows_into_ivf_and_keeps_ids_removal_and_search(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(vectors_module, "IVF_THRESHOLD", 500)
    monkeypatch.setattr(vectors_module, "IVF_CELLS", 8)
    monkeypatch.setattr(vectors_module, "IVF_NPROBE", 8)  # all cells: exact, so the test is deterministic
    rng = np.random.default_rng(1)
    data = unit(rng, 800)
    v = VectorIndex(16)
    v.add(list(range(1000, 1400)), data[:400])
    assert v.kind == "flat"
    v.add(list(range(1400, 1800)), data[400:])
    assert v.kind == "ivf" and len(v) == 800
    ids, scores = v.search(data[123], 3)
    assert ids[0] == 1123 and scores[0] > 0.99
    assert v.remove([1123, 1124]) == 2 and 1123 not in v.search(data[123], 5)[0]
    v.add([1123], data[123:124])
    assert v.search(data[123], 1)[0][0] == 1123
    assert np.allclose(v.vectors([1500])[0], data[500])
    monkeypatch.setattr(vectors_module, "IVF_CELLS", 64)  # room to grow: 8 cells hold 800 only up to 6,400
    more = unit(rng, 6000)
    v.add(list(range(10_000, 16_000)), more)
    assert v.kind == "ivf" and v._index.nlist > 8 and len(v) == 6799
    assert v.search(more[42], 1)[0][0] == 10_042 and np.allclose(v.vectors([1500])[0], data[500])
    v.remove(list(range(10_000, 16_000)))
    v.save(tmp_path / "v.faiss")
    again = VectorIndex.load(tmp_path / "v.faiss", 16)
    assert again.kind == "ivf" and len(again) == 799 and again.search(data[700], 1)[0][0] == 1700
