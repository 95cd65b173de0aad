"""The embedded backend: the index folder's SQLite store + FAISS + in-process BM25 behind the protocol.

A thin adapter over index.storage.folder.IndexFolder, which owns the manifest, the store,
the FAISS and BM25 snapshots, the change-log replay and the writer lock; `Store`,
`VectorIndex` and `LexicalIndex` are used as they are.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path

import numpy as np

from index.lexical import LexicalIndex
from index.models import Article, Filters
from index.storage.folder import IndexFolder
from index.storage.protocol import EXACT_FILTER, CandidateRows, TermStats
from index.store import ChunkRow, ClaimKey, Link, PreparedArticle, Store
from index.vectors import VectorIndex


class EmbeddedBackend:
    kind = "sqlite"

    def __init__(self, folder: IndexFolder | Store, dim: int | None = None) -> None:
        """Over an open IndexFolder; or, the older form, a Store and its vectors' dimension (the store is
        closed and its folder opened)."""
        if isinstance(folder, Store):
            path = folder.path.parent
            folder.close()
            folder = IndexFolder(path, _manifest_model(path), lambda: int(dim or 0))
        self.folder = folder

    @classmethod
    def open(cls, path: Path, dim: int, model: str | None = None) -> EmbeddedBackend:
        """Open (or create) the index folder at `path`; `model` defaults to the manifest's."""
        path.mkdir(parents=True, exist_ok=True)
        return cls(IndexFolder(path, model or _manifest_model(path), lambda: dim))

    # the folder's state
    store: Store = property(lambda self: self.folder.store)  # type: ignore[assignment]
    index: VectorIndex = property(lambda self: self.folder.vectors)  # type: ignore[assignment]
    lexical: LexicalIndex = property(lambda self: self.folder.lexical)  # type: ignore[assignment]

    @property
    def model(self) -> str:
        return str(self.folder.manifest["model"])

    @property
    def dim(self) -> int:
        return self.folder.dim

    @property
    def location(self) -> str:
        return str(self.folder.path)

    # ---- keeping FAISS and BM25 in step with the store ---------------------------------
    def refresh(self, timeout: float = 0.0) -> int:
        """Replay what other processes committed (at once: `timeout` is for the protocol's sake)."""
        self.folder.refresh()
        return self.folder.generation

    @property
    def seen(self) -> int:
        return self.folder.generation

    def reading(self) -> AbstractContextManager:
        return self.folder.lock

    # ---- writer lock and writes ----------------------------------------------------------
    def writer(self, *, blocking: bool = True) -> AbstractContextManager[None]:
        return self.folder.writer(blocking=blocking)

    def commit_batch(
        self,
        add: Sequence[PreparedArticle],
        remove: Sequence[str],
        new_terms: dict[str, int],
        links: Sequence[Link] = (),
        verdict_links: Sequence[tuple[ClaimKey, str, float]] = (),
    ) -> tuple[int, list[int], list[int]]:
        return self.folder.commit(add, remove, new_terms, links, verdict_links)

    def add_verdict(
        self, verdict_id: str, review: dict, vector: np.ndarray, links: Sequence[tuple[int, float]]
    ) -> None:
        with self.folder.lock:
            self.store.add_verdict(verdict_id, review, vector, links)
        self.folder.refresh()

    def remove_verdict(self, verdict_id: str) -> bool:
        with self.folder.lock:
            found = self.store.remove_verdict(verdict_id)
        self.folder.refresh()
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

    def chunk_docs(self, chunk_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
        return self.store.chunk_docs(chunk_ids)

    def chunk_terms(self, chunk_ids: Sequence[int]) -> dict[int, np.ndarray]:
        return self.store.chunk_terms(chunk_ids)

    def claim_speakers(self, chunk_ids: Sequence[int]) -> dict[int, list[str]]:
        return self.store.claim_speakers(chunk_ids)

    def outlets(self) -> list[str]:
        return self.store.outlets()

    def chunk_ids_where(
        self, sources: Sequence[str] = (), since: str | None = None, until: str | None = None
    ) -> list[int]:
        return self.store.chunk_ids_where(sources, since, until)

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
        return self.folder.size()

    # ---- search --------------------------------------------------------------------------
    def dense_search(
        self,
        qvec: np.ndarray,
        k: int,
        doc_ids: Sequence[str] | None = None,
        *,
        chunk_ids: np.ndarray | None = None,
        filters: Filters | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """FAISS; within a scope (`chunk_ids`, or those of `filters`), its passages scored exactly up to
        EXACT_FILTER of them, else the nearest of a search 40 times wider, filtered; within `doc_ids`
        alone, exactly."""
        if doc_ids is None and chunk_ids is None and not filters:
            return self.index.search(qvec, k)
        if chunk_ids is None and filters:
            chunk_ids = np.asarray(self.store.chunk_ids_where(filters.sources, filters.since, filters.until), np.int64)
            if doc_ids is not None:
                chunk_ids = np.intersect1d(chunk_ids, self.store.chunk_ids_of(list(doc_ids)))
        if chunk_ids is not None:
            ids = np.asarray(chunk_ids, np.int64)
            if len(ids) > EXACT_FILTER and k > 0:  # a broad filter
                wide, scores = self.index.search(qvec, min(len(self.lexical), k * 40))
                keep = np.isin(wide, ids)
                return wide[keep][:k], scores[keep][:k]
        else:
            ids = np.asarray(self.store.chunk_ids_of(list(doc_ids or [])), np.int64)
        if len(ids) == 0 or k <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        scores = self.index.vectors(ids) @ np.asarray(qvec, np.float32)
        order = np.lexsort((ids, -scores))[:k]
        return ids[order], scores[order].astype(np.float32)

    def hybrid_search(
        self,
        qvec: np.ndarray,
        term_ids: Sequence[int],
        k: int,
        *,
        lexical_k: int | None = None,
        doc_ids: Sequence[str] | None = None,
        chunk_ids: np.ndarray | None = None,
        filters: Filters | None = None,
    ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
        dense = self.dense_search(qvec, k, doc_ids, chunk_ids=chunk_ids, filters=filters)
        return dense, self.lexical_search(term_ids, k if lexical_k is None else lexical_k)

    def candidate_rows(
        self, chunk_ids: Sequence[int], term_ids: Sequence[int], *, speakers: bool = False
    ) -> CandidateRows:
        ids = [int(i) for i in chunk_ids]
        docs, terms = self.store.chunk_docs_terms(ids)
        sentences = {c: list(m) for c, m in self.store.claim_vector_rows(ids, self.dim).items()}
        return CandidateRows(self.vectors(ids), docs, terms, sentences,
                             self.store.claim_speakers(ids) if speakers else {})  # fmt: skip

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
        key = (id(lex), self.folder.generation, len(lex.ids), n)  # the mean moves only with a replayed commit
        if getattr(self, "_avgdl", (None, 0.0))[0] != key:
            self._avgdl = (key, float(lex.lengths[lex.alive].mean()) if n else 0.0)
        avg = self._avgdl[1]
        df = {int(t): int(lex.df[t]) for t in term_ids if 0 <= t < len(lex.df) and lex.df[t] > 0}
        return TermStats(passages=n, avgdl=avg, df=df)

    def close(self) -> None:
        self.folder.close()


def _manifest_model(path: Path) -> str:
    try:
        return str(json.loads((path / "manifest.json").read_text())["model"])
    except (OSError, ValueError, KeyError, TypeError):
        return "unnamed"
