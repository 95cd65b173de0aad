"""Dense retrieval: a FAISS inner-product index keyed by chunk id.

Up to `IVF_THRESHOLD` vectors: `IndexIDMap2` over an exact `IndexFlatIP` (vectors
are normalised, so inner product is cosine). Past it, one exact scan per question
costs tens of milliseconds (300k x 384 floats is 460 MB of memory traffic), so the
index turns itself into an `IndexIVFFlat` (k-means cells, `nprobe` of them scanned)
with a hashtable direct map, which keeps ids, removal and reconstruction. HNSW
cannot remove ids, so it is not used. Both kinds silently accept duplicate ids, so
`add` removes an id before re-adding it.

FAISS searches run single-threaded: for one query its OpenMP threads only wait on each
other and, on a busy 2-core machine, made a 2 ms scan take 50 ms. The count is set in the
searching thread right before the search (`faiss.omp_set_num_threads` sets the calling
thread's OpenMP count, which torch shares: index.threads), never at import or load.

The narrow interface is add / remove / search / vectors / save / load; only save
and load touch the disk.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

IVF_THRESHOLD = 20_000
IVF_CELLS = 1024  # at most; about 200 vectors a cell
IVF_NPROBE = 32


def _faiss():
    import faiss

    return faiss


def _one_thread():
    faiss = _faiss()
    faiss.omp_set_num_threads(1)
    return faiss


def _train_ivf(ids: np.ndarray, vecs: np.ndarray, dim: int):
    faiss = _faiss()
    cells = int(min(IVF_CELLS, max(16, len(ids) // 200)))
    ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, cells, faiss.METRIC_INNER_PRODUCT)
    ivf.train(np.ascontiguousarray(vecs[:: max(1, len(vecs) // (cells * 64))]))  # deterministic sample
    ivf.set_direct_map_type(faiss.DirectMap.Hashtable)
    ivf.add_with_ids(np.ascontiguousarray(vecs), np.ascontiguousarray(ids))
    ivf.nprobe = min(IVF_NPROBE, cells)
    return ivf


class VectorIndex:
    converted = False  # set by load() when an exact snapshot was turned into IVF cells

    def __init__(self, dim: int) -> None:
        faiss = _faiss()
        self.dim = dim
        self._index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))

    @property
    def kind(self) -> str:
        return "ivf" if hasattr(self._index, "nprobe") else "flat"

    def _maybe_grow(self) -> None:
        """Past IVF_THRESHOLD vectors, move from the exact scan to IVF cells; when the
        corpus has grown to several times what the cells were trained for, train again."""
        n = len(self)
        if self.kind == "flat":
            if n <= IVF_THRESHOLD:
                return
            ids = _faiss().vector_to_array(self._index.id_map).astype(np.int64)
            vecs = self._index.index.reconstruct_n(0, len(ids))
        else:
            nlist = int(self._index.nlist)
            if nlist >= IVF_CELLS or n <= nlist * 800:
                return
            ids, vecs = self._ivf_contents()
        self._index = _train_ivf(ids, vecs, self.dim)

    def _ivf_contents(self) -> tuple[np.ndarray, np.ndarray]:
        """Every (id, vector) held in the IVF cells (IndexIVFFlat stores raw float32 codes)."""
        faiss = _faiss()
        lists = self._index.invlists
        ids, vecs = [], []
        for cell in range(self._index.nlist):
            size = lists.list_size(cell)
            if size:
                ids.append(faiss.rev_swig_ptr(lists.get_ids(cell), size).copy())
                codes = faiss.rev_swig_ptr(lists.get_codes(cell), size * self.dim * 4).copy()
                vecs.append(codes.view(np.float32).reshape(size, self.dim))
        return np.concatenate(ids).astype(np.int64), np.concatenate(vecs)

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def add(self, ids: Sequence[int], vectors: np.ndarray) -> None:
        if len(ids) == 0:
            return
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.shape != (len(ids), self.dim):
            raise ValueError(f"expected {len(ids)} vectors of {self.dim} dims, got {vectors.shape}")
        id_arr = np.asarray(ids, dtype=np.int64)
        self.remove(id_arr)
        self._index.add_with_ids(vectors, id_arr)
        self._maybe_grow()

    def remove(self, ids: Sequence[int] | np.ndarray) -> int:
        faiss = _faiss()
        id_arr = np.ascontiguousarray(ids, dtype=np.int64)
        if len(id_arr) == 0:
            return 0
        if self.kind == "ivf":  # the hashtable direct map only takes an explicit id array
            return int(self._index.remove_ids(faiss.IDSelectorArray(len(id_arr), faiss.swig_ptr(id_arr))))
        return int(self._index.remove_ids(faiss.IDSelectorBatch(id_arr)))

    def search(self, query: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
        """Top `limit` (chunk ids, cosine scores) for one query vector."""
        if len(self) == 0 or limit <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        _one_thread()
        scores, ids = self._index.search(q, min(limit, len(self)))
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]

    def search_many(self, queries: np.ndarray, limit: int) -> np.ndarray:
        """Chunk ids of the `limit` nearest passages of each query row (-1 pads). One thread: it
        links an add's claims beside the model's encoding, which has the other cores."""
        if len(self) == 0:
            return np.full((len(queries), 0), -1, dtype=np.int64)
        _one_thread()
        _, ids = self._index.search(np.ascontiguousarray(queries, dtype=np.float32), min(limit, len(self)))
        return ids

    def vectors(self, ids: Sequence[int]) -> np.ndarray:
        """Stored vectors of the given chunk ids (for ranking and claim matching)."""
        if not len(ids):
            return np.zeros((0, self.dim), np.float32)
        keys = np.ascontiguousarray(ids, dtype=np.int64)
        return self._index.reconstruct_batch(keys)  # one call into FAISS (exact: the stored floats)

    def save(self, path: Path) -> None:
        """Written through a Python file: faiss.write_index(index, filename) only prints a failed
        close (a full disk) and leaves a truncated file; here every write error raises OSError."""
        faiss = _faiss()
        with open(path, "wb") as fh:
            faiss.write_index(self._index, faiss.PyCallbackIOWriter(fh.write))
            fh.flush()
            os.fsync(fh.fileno())

    @classmethod
    def load(cls, path: Path, dim: int) -> VectorIndex:
        faiss = _faiss()
        index = faiss.read_index(str(path))
        if hasattr(index, "nprobe"):
            index.nprobe = min(IVF_NPROBE, index.nlist)
        if index.d != dim:
            raise ValueError(f"vector index has {index.d} dims, expected {dim}")
        obj = cls.__new__(cls)
        obj.dim = dim
        obj._index = index
        before = obj.kind
        obj._maybe_grow()  # a snapshot written before the index crossed IVF_THRESHOLD
        obj.converted = obj.kind != before
        return obj
