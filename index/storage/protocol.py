"""What the engine needs from storage and search, whichever backend holds the index.

Derived from how index.retriever, index.indexer, index.linking and index.search.searcher
used `Store`, `VectorIndex` and `LexicalIndex`. Two implementations: `index.storage.embedded`
(SQLite + FAISS + in-process BM25, the default that needs no server) and
`index.storage.postgres` (PostgreSQL + pgvector). The ranking, decision and claims
code talks to this protocol only: the Retriever holds one as `retriever.backend`.

Contract points both implementations honour (tests/test_storage_contract.py):
- `commit_batch` is one transaction: after a crash the index holds the state before
  it or the whole batch, never part of it.
- `lexical_search` scores with Lucene BM25 (k1=1.2, b=0.75; idf = ln(1 + (N - df + 0.5)
  / (df + 0.5)); tf / (tf + k1 (1 - b + b dl / avgdl))) over Verbatim's own analysed
  terms (index.lexical.Analyzer ids), so both backends rank alike.
- Vectors are normalised: dense scores are inner products (cosine).
- Reads reflect every commit made through this object at once; `refresh()` catches up
  with commits of other processes (PostgreSQL's reads go to the database and see them at
  once; its refresh only moves the generation seen, from LISTEN/NOTIFY).
- `writer()` excludes every other writer, in this process (any thread) or another; the
  commits under it may run in another thread of the same process (index.ingest.stream).

Wiring (what the engine called before the backends, and what it calls now):
    store.<read or write>(...)            -> backend.<same name>(...)  (Store's methods keep their names)
    store.payload([cid]) terms            -> backend.passage_terms([cid])[cid]
    vectors.search(q, k)                  -> backend.dense_search(q, k)
    store.chunk_ids_of(docs) as dense ids -> backend.dense_search(q, k, docs)  (or keep chunk_ids_of)
    vectors(allowed) @ q, a filter's passages -> backend.dense_search(q, k, docs, chunk_ids=allowed, filters=f)
    a candidate's vector, sentence vectors,
      article, date, terms, speakers          -> backend.candidate_rows(ids, term_ids)  (one call)
    vectors.search_many(m, k) (linking)   -> backend.dense_search_many(m, k)
    vectors.vectors(ids)                  -> backend.vectors(ids)
    lexical.search(t, k) [+ isin filter]  -> backend.lexical_search(t, k[, docs])
    both searches of a question            -> backend.hybrid_search(q, t, k, ...)  (one call)
    lexical.df[t], len(lexical)           -> backend.term_stats(ts).df / .idf(t) / .passages
    Retriever._writer() / refresh()       -> backend.writer() / backend.refresh()
    Retriever._lock around a question     -> backend.reading()
    Retriever.generation, outlets cache   -> backend.seen (no round trip)
    status: folder, bytes                 -> backend.kind, backend.location, backend.size_bytes()
Snapshots, change-log replay and rebuild stay with the embedded index folder
(index.storage.folder.IndexFolder, which index.storage.embedded wraps);
index.storage.backends opens the one the settings name.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from index.errors import StorageError
from index.models import Article, Filters
from index.store import ChunkRow, ClaimKey, Link, PreparedArticle

K1 = 1.2
B = 0.75
EXACT_FILTER = 20_000  # a filter leaving at most this many passages has them all scored (embedded index)


class WriterBusy(StorageError):
    """Another process holds the writer lock."""


class NoIndex(StorageError):
    """The database holds no Verbatim index yet (opened without a model and dimension to create one)."""


@dataclass(frozen=True)
class TermStats:
    """Corpus statistics BM25 and the coverage signal need."""

    passages: int  # N: passages in the index
    avgdl: float  # mean passage length in analysed terms (0.0 when empty)
    df: dict[int, int]  # passages containing each asked term id (absent: 0)

    def idf(self, term_id: int | None) -> float:
        df = float(self.df.get(term_id, 0)) if term_id is not None else 0.0
        n = max(self.passages, 1)
        return float(np.log(1.0 + (n - df + 0.5) / (df + 0.5)))


@dataclass(frozen=True)
class CandidateRows:
    """What ranking reads of its candidate passages (index.search.searcher), in one call."""

    vectors: np.ndarray  # the stored passage vectors, one row per asked id in the given order
    docs: dict[int, tuple[str, str]]  # (article id, article date or "")
    terms: dict[int, np.ndarray]  # term ids of each passage: at least those among the asked term ids
    sentences: dict[int, list[np.ndarray]]  # the vectors of its claims (sentences), in text order
    speakers: dict[int, list[str]]  # its claims' speakers (filled only when asked for)


@runtime_checkable
class StorageBackend(Protocol):
    kind: str  # "sqlite" or "postgresql"
    model: str  # the embedding model the index was built with (the manifest)
    dim: int  # its vectors' dimension

    @property
    def location(self) -> str:
        """Where the index lives, for `verbatim status` (a folder, or a URL without password)."""
        ...

    # ---- the writer lock and writes ----------------------------------------------------
    def writer(self, *, blocking: bool = True) -> AbstractContextManager[None]:
        """The index's one writer across processes and machines. With blocking=False a held
        lock raises WriterBusy at once."""
        ...

    def commit_batch(
        self,
        add: Sequence[PreparedArticle],
        remove: Sequence[str],
        new_terms: dict[str, int],
        links: Sequence[Link] = (),
        verdict_links: Sequence[tuple[ClaimKey, str, float]] = (),
    ) -> tuple[int, list[int], list[int]]:
        """Remove articles and add articles (an added id replaces the stored one) with their claim
        and verdict links, in one transaction. Returns (generation, added chunk ids, removed chunk ids)."""
        ...

    def add_verdict(
        self, verdict_id: str, review: dict, vector: np.ndarray, links: Sequence[tuple[int, float]]
    ) -> None:
        ...

    def remove_verdict(self, verdict_id: str) -> bool:
        ...

    def set_meta(self, **values: str) -> None:
        ...

    # ---- reads -------------------------------------------------------------------------
    @property
    def generation(self) -> int:
        """Bumped by every commit; what readers compare to know they are behind."""
        ...

    @property
    def seen(self) -> int:
        """The generation this object's reads reflect, as of the last `refresh()` or own commit
        (cheap: no database round trip)."""
        ...

    def reading(self) -> AbstractContextManager[None]:
        """One consistent view for the reads of one question (embedded: the lock a commit's replay
        takes; PostgreSQL: a read-only repeatable-read transaction). Re-entrant in one thread."""
        ...

    def meta(self, key: str, default: str | None = None) -> str | None: ...
    def vector_dim(self) -> int | None: ...
    def article_hashes(self, doc_ids: Sequence[str]) -> dict[str, str]: ...
    def vocabulary(self) -> dict[str, int]: ...
    def term_map(self, stems: Sequence[str]) -> dict[str, int]: ...
    def articles(self, doc_ids: Sequence[str]) -> dict[str, Article]: ...
    def chunks(self, chunk_ids: Sequence[int]) -> dict[int, ChunkRow]: ...
    def chunk_ids_of(self, doc_ids: Sequence[str]) -> list[int]: ...
    def all_chunk_ids(self) -> list[int]: ...
    def doc_ids(self, chunk_ids: Sequence[int]) -> dict[int, str]: ...
    def chunk_docs(self, chunk_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
        """(article id, article date or "") of each passage."""
        ...

    def chunk_terms(self, chunk_ids: Sequence[int]) -> dict[int, np.ndarray]:
        """Term ids of each passage (passages without terms may be left out)."""
        ...

    def claim_speakers(self, chunk_ids: Sequence[int]) -> dict[int, list[str]]: ...
    def outlets(self) -> list[str]: ...
    def chunk_ids_where(
        self, sources: Sequence[str] = (), since: str | None = None, until: str | None = None
    ) -> list[int]:
        """Passage ids of articles from these outlets (any, when empty) dated within [since, until]."""
        ...

    def chunk_at(self, doc_id: str, ordinal: int) -> ChunkRow | None: ...
    def passage_terms(self, chunk_ids: Sequence[int]) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """(term ids, counts) of each passage, as index.lexical.term_counts made them."""
        ...

    def vectors(self, chunk_ids: Sequence[int]) -> np.ndarray:
        """Stored passage vectors, one row per id in the given order (ids must exist)."""
        ...

    def claims(self, chunk_ids: Sequence[int]) -> dict[int, list[dict]]: ...
    def claim_vectors(self, chunk_ids: Sequence[int]) -> dict[int, list[tuple[int, int, np.ndarray]]]: ...
    def claim_infos(
        self, chunk_ids: Sequence[int]
    ) -> list[tuple[int, int, str, int, int, str | None, str, np.ndarray]]: ...
    def links(self, claim_ids: Sequence[int]) -> dict[int, list[dict]]: ...
    def verdicts(self, claim_ids: Sequence[int]) -> dict[int, list[dict]]: ...
    def verdict_vectors(self) -> tuple[list[str], np.ndarray | None]: ...
    def all_verdicts(self) -> list[dict]: ...
    def sources(self) -> list[tuple[str, str, str | None, str | None, int]]: ...
    def counts(self) -> dict[str, int]: ...
    def size_bytes(self) -> int:
        """What the index occupies (the folder's files, or the database)."""
        ...

    # ---- search ------------------------------------------------------------------------
    def dense_search(
        self,
        qvec: np.ndarray,
        k: int,
        doc_ids: Sequence[str] | None = None,
        *,
        chunk_ids: np.ndarray | None = None,
        filters: Filters | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top k (chunk ids, inner-product scores), best first; `doc_ids` limits to those articles.
        `chunk_ids` (ascending) are the passages of `doc_ids` and `filters` when the caller has them:
        at most EXACT_FILTER of them are scored exactly (ties by ascending id); past that, or wherever
        a backend's index serves the filter better, the index searches within the scope."""
        ...

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
        """(dense_search(qvec, k, doc_ids, chunk_ids=, filters=), lexical_search(term_ids, lexical_k or k)
        over the whole index) in one call: what a question searches."""
        ...

    def candidate_rows(
        self, chunk_ids: Sequence[int], term_ids: Sequence[int], *, speakers: bool = False
    ) -> CandidateRows:
        """Everything ranking reads of these passages (ids must exist): vectors, article and date, terms
        (those among `term_ids` at least), sentence vectors and, with `speakers`, claim speakers."""
        ...

    def dense_search_many(self, qvecs: np.ndarray, k: int) -> np.ndarray:
        """Chunk ids of the k nearest passages of each query row, -1 padded (index.linking)."""
        ...

    def lexical_search(
        self, term_ids: Sequence[int], k: int, doc_ids: Sequence[str] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top k (chunk ids, BM25 scores), best first; ties by ascending chunk id."""
        ...

    def term_stats(self, term_ids: Sequence[int]) -> TermStats: ...

    # ---- keeping up ----------------------------------------------------------------------
    def refresh(self, timeout: float = 0.0) -> int:
        """Catch up with other processes' commits; returns the generation now seen. The embedded index
        replays its change log; PostgreSQL reads live and re-reads the generation only when a NOTIFY
        (or its own commit) says it moved, waiting up to `timeout` seconds for one when none is pending
        (a NOTIFY arrives a moment after the other process's commit returns)."""
        ...

    def close(self) -> None: ...


def chunked(seq: Sequence, size: int = 500) -> Iterator[list]:
    for lo in range(0, len(seq), size):
        yield list(seq[lo : lo + size])
