"""Dense retrieval: a FAISS inner-product index keyed by chunk id.

`IndexIDMap2` over an exact `IndexFlatIP` (vectors are normalised, so inner
product is cosine). IndexIDMap2 silently accepts duplicate ids, so `add` removes
an id before re-adding it. The narrow interface is add / remove / search / count /
save / load; only save and load touch the disk.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np


class VectorIndex:
    def __init__(self, dim: int) -> None:
        import faiss

        self.dim = dim
        self._index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))

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

    def remove(self, ids: Sequence[int] | np.ndarray) -> int:
        import faiss

        id_arr = np.asarray(ids, dtype=np.int64)
        if len(id_arr) == 0:
            return 0
        return int(self._index.remove_ids(faiss.IDSelectorBatch(id_arr)))

    def search(self, query: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
        """Top `limit` (chunk ids, cosine scores) for one query vector."""
        if len(self) == 0 or limit <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        scores, ids = self._index.search(q, min(limit, len(self)))
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]

    def vectors(self, ids: Sequence[int]) -> np.ndarray:
        """Stored vectors of the given chunk ids (for ranking and claim matching)."""
        return np.stack([self._index.reconstruct(int(i)) for i in ids]) if len(ids) else np.zeros((0, self.dim), np.float32)

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path, dim: int) -> VectorIndex:
        import faiss

        index = faiss.read_index(str(path))
        if index.d != dim:
            raise ValueError(f"vector index has {index.d} dims, expected {dim}")
        obj = cls.__new__(cls)
        obj.dim = dim
        obj._index = index
        return obj
