"""The embedded backend: today's SQLite store + FAISS + in-process BM25 behind the protocol.

A thin adapter: `Store`, `VectorIndex` and `LexicalIndex` are used as they are. The
FAISS and BM25 indexes are built from the store when none are given (snapshots stay
with the index folder's own code) and kept current by replaying the store's change
log in `refresh()` and after each commit.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from index.errors import StorageError
from index.lexical import LexicalIndex
from index.models import Article
from index.storage.folder import apply_changes
from index.storage.protocol import TermStats, WriterBusy
from index.store import ChunkRow, ClaimKey, Link, PreparedArticle, Store
from index.vectors import VectorIndex


class EmbeddedBackend:
    kind = "sqlite"

    def __init__(
        self,
        store: Store,
        dim: int,
        *,
        vectors: VectorIndex | None = None,
        lexical: LexicalIndex | None = None,
        generation: int | None = None,
        lock_path: Path | None = None,
    ) -> None:
        self.store = store
        self.lock_path = lock_path or store.path.with_name("write.lock")
        if vectors is None or lexical is None or generation is None:
            vectors, lexical = VectorIndex(dim), LexicalIndex()
            generation = store.generation  # read first: a commit landing meanwhile is replayed later
            self._apply(vectors, lexical, [(0, c, "add") for c in store.all_chunk_ids()])
        self.index, self.lexical, self.seen = vectors, lexical, generation

    @classmethod
    def open(cls, folder: Path, dim: int) -> EmbeddedBackend:
        return cls(Store(folder / "store.sqlite"), dim)

    @property
    def location(self) -> str:
        return str(self.store.path.parent)

    # ---- keeping FAISS and BM25 in step with the store ---------------------------------
    def _apply(self, vectors: VectorIndex, lexical: LexicalIndex, changes: Sequence[tuple[int, int, str]]) -> None:
        apply_changes(self.store, vectors, lexical, changes)

    def refresh(self) -> int:
        if self.store.generation != self.seen:
            changes = self.store.changes_since(self.seen)
            self._apply(self.index, self.lexical, changes)
            self.seen = max([self.seen, self.store.generation] + [g for g, _, _ in changes])
        return self.seen

    # ---- writer lock and writes ----------------------------------------------------------
    @contextmanager
    def writer(self, *, blocking: bool = True) -> Iterator[None]:
        try:
            fh = open(self.lock_path, "a+")  # noqa: SIM115
        except OSError as err:
            raise StorageError(f"The index folder {self.lock_path.parent} is not writable ({err.strerror}).") from err
        with fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
            except BlockingIOError as err:
                raise WriterBusy("Another process is changing the index; try again when it has finished.") from err
            try:
                self.refresh()
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def commit_batch(
        self,
        add: Sequence[PreparedArticle],
        remove: Sequence[str],
        new_terms: dict[str, int],
        links: Sequence[Link] = (),
        verdict_links: Sequence[tuple[ClaimKey, str, float]] = (),
    ) -> tuple[int, list[int], list[int]]:
        out = self.store.commit_batch(add, remove, new_terms, links, verdict_links)
        self.refresh()
        return out

    def add_verdict(
        self, verdict_id: str, review: dict, vector: np.ndarray, links: Sequence[tuple[int, float]]
    ) -> None:
        self.store.add_verdict(verdict_id, review, vector, links)
        self.refresh()

    def remove_verdict(self, verdict_id: str) -> bool:
        found = self.store.remove_verdict(verdict_id)
        self.refresh()
        return found

    def set_meta(self, **values: str) -> None:
        self.store.set_meta(**values)

    # ---- reads ---------------------------------------------------------------------------
    @property
    def generation(self) -> int:
        return self.store.generation

    def meta(self, key: str, default: str | None = None) -> str | None:
        return self.store.meta(key, default)

    def vector_dim(self) -> int | None:
        return self.store.vector_dim()

    def article_hashes(self, doc_ids: Sequence[str]) -> dict[str, str]:
        return self.store.article_hashes(doc_ids)

    def vocabulary(self) -> dict[str, int]:
        return self.store.vocabulary()

    def term_map(self, stems: Sequence[str]) -> dict[str, int]:
        return self.store.term_map(stems)

    def articles(self, doc_ids: Sequence[str]) -> dict[str, Article]:
        return self.store.articles(doc_ids)

    def chunks(self, chunk_ids: Sequence[int]) -> dict[int, ChunkRow]:
        return self.store.chunks(chunk_ids)

    def chunk_ids_of(self, doc_ids: Sequence[str]) -> list[int]:
        return self.store.chunk_ids_of(doc_ids)

    def all_chunk_ids(self) -> list[int]:
        return self.store.all_chunk_ids()

    def doc_ids(self, chunk_ids: Sequence[int]) -> dict[int, str]:
        return self.store.doc_ids(chunk_ids)

    def chunk_at(self, doc_id: str, ordinal: int) -> ChunkRow | None:
        return self.store.chunk_at(doc_id, ordinal)

    def passage_terms(self, chunk_ids: Sequence[int]) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        return {cid: (terms, tfs) for cid, _, terms, tfs in self.store.payload(list(chunk_ids))}

    def vectors(self, chunk_ids: Sequence[int]) -> np.ndarray:
        return self.index.vectors(chunk_ids)

    def claims(self, chunk_ids: Sequence[int]) -> dict[int, list[dict]]:
        return self.store.claims(chunk_ids)

    def claim_vectors(self, chunk_ids: Sequence[int]) -> dict[int, list[tuple[int, int, np.ndarray]]]:
        return self.store.claim_vectors(chunk_ids)

    def claim_infos(
        self, chunk_ids: Sequence[int]
    ) -> list[tuple[int, int, str, int, int, str | None, str, np.ndarray]]:
        return self.store.claim_infos(chunk_ids)

    def links(self, claim_ids: Sequence[int]) -> dict[int, list[dict]]:
        return self.store._links(claim_ids)

    def verdicts(self, claim_ids: Sequence[int]) -> dict[int, list[dict]]:
        return self.store._verdicts(claim_ids)

    def verdict_vectors(self) -> tuple[list[str], np.ndarray | None]:
        return self.store.verdict_vectors()

    def all_verdicts(self) -> list[dict]:
        return self.store.all_verdicts()

    def sources(self) -> list[tuple[str, str, str | None, str | None, int]]:
        return self.store.sources()

    def counts(self) -> dict[str, int]:
        return self.store.counts()

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.store.path.parent.iterdir() if p.is_file())

    # ---- search --------------------------------------------------------------------------
    def dense_search(
        self, qvec: np.ndarray, k: int, doc_ids: Sequence[str] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        if doc_ids is None:
            return self.index.search(qvec, k)
        ids = np.asarray(self.store.chunk_ids_of(list(doc_ids)), np.int64)
        if len(ids) == 0 or k <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        scores = self.index.vectors(ids) @ np.asarray(qvec, np.float32)
        order = np.lexsort((ids, -scores))[:k]
        return ids[order], scores[order].astype(np.float32)

    def dense_search_many(self, qvecs: np.ndarray, k: int) -> np.ndarray:
        return self.index.search_many(qvecs, k)

    def lexical_search(
        self, term_ids: Sequence[int], k: int, doc_ids: Sequence[str] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        if doc_ids is None:
            return self.lexical.search(term_ids, k)
        ids, scores = self.lexical.search(term_ids, len(self.lexical))
        keep = np.isin(ids, np.asarray(self.store.chunk_ids_of(list(doc_ids)), np.int64))
        return ids[keep][:k], scores[keep][:k]

    def term_stats(self, term_ids: Sequence[int]) -> TermStats:
        lex = self.lexical
        n = len(lex)
        avg = float(lex.lengths[lex.alive].mean()) if n else 0.0
        df = {int(t): int(lex.df[t]) for t in term_ids if 0 <= t < len(lex.df) and lex.df[t] > 0}
        return TermStats(passages=n, avgdl=avg, df=df)

    def close(self) -> None:
        self.store.close()
