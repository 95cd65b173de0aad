"""The engine's one door: `Retriever.ask(question) -> Answer`, plus add/remove.

A thin front over one storage backend (index.storage.protocol.StorageBackend): the index
folder (index.storage.embedded over index.storage.folder.IndexFolder: manifest, store,
snapshots, change-log replay, writer lock), or PostgreSQL when VERBATIM_DATABASE_URL names
one (index.storage.backends opens it). Adding, removing and verdicts are
index.indexer.Indexer (one add path for paths, URLs and uploads, streamed in batches).
Before each question the retriever catches up with whatever another process committed
(the folder replays its change log; PostgreSQL reads live and learns of commits by
LISTEN/NOTIFY), so a running bot sees adds without a restart.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from index.embed import Embedder, make_embedder
from index.errors import InputError, NotFound
from index.indexer import AddProgress, AddReport, Indexer, json_files
from index.lexical import Analyzer, LexicalIndex
from index.load import Source
from index.models import Answer, Article, Filters, Hit
from index.search import Searcher, Tuning
from index.search.filters import make_filters
from index.search.searcher import lexical_question  # noqa: F401  (re-exported)
from index.settings import Settings
from index.storage.backends import open_backend, open_folder
from index.storage.folder import VERSION, IndexFolder
from index.storage.protocol import StorageBackend
from index.store import Store
from index.vectors import VectorIndex

__all__ = ["VERSION", "AddProgress", "AddReport", "Retriever", "Status"]

MAX_QUESTION_CHARS = 1000


@dataclass(frozen=True)
class Status:
    articles: int
    passages: int
    claims: int
    outlets: int
    verdicts: int
    model: str
    dim: int
    index_dir: str
    index_bytes: int
    updated_at: str | None
    generation: int
    backend: str = "embedded"  # or "postgresql"
    location: str = ""  # the index folder, or the database's URL without its password

    def describe(self) -> str:
        """Which backend and where, in one line (never a password)."""
        if self.backend == "postgresql":
            return "PostgreSQL at " + self.location.removeprefix("postgresql://").split("@", 1)[-1]
        return f"embedded (SQLite + FAISS + BM25) at {self.location}"


def clean_question(question: str) -> str:
    """Drop control, direction-mark and lone surrogate characters (undecodable bytes on the command
    line or stdin; they cannot be encoded for output); refuse empty or huge questions."""
    dropped = ("Cc", "Cf", "Cs", "Zl", "Zp")
    text = "".join(" " if unicodedata.category(ch) in dropped else ch for ch in question)
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        raise InputError("Please ask a question: the message has no text.")
    if len(text) > MAX_QUESTION_CHARS:
        raise InputError(
            f"The question is {len(text):,} characters long; please ask in at most {MAX_QUESTION_CHARS:,}."
        )
    return text


class Retriever:
    def __init__(
        self,
        folder: Path,
        embedder: Embedder,
        settings: Settings,
        *,
        repair: bool = False,
        backend: StorageBackend | None = None,
    ) -> None:
        """`folder` is the index folder (with PostgreSQL: the local folder the bot keeps its chat state in);
        without `backend`, the index folder there is opened."""
        self.folder = folder
        self.embedder = embedder
        self.settings = settings
        base = Tuning()  # VERBATIM_MIN_SCORE moves the decision's probability bar
        self.tuning = replace(base, answer_at=min(max(base.answer_at + settings.min_score, 0.0), 1.0))
        self.analyzer = Analyzer()
        self.backend: StorageBackend = backend or open_folder(
            folder, embedder.name, lambda: self.embedder.dim, repair=repair
        )
        self.searcher = Searcher(self, self.tuning)

    # the embedded backend's folder and its parts (None / AttributeError with PostgreSQL)
    storage: IndexFolder | None = property(lambda self: getattr(self.backend, "folder", None))  # type: ignore[assignment]
    store: Store = property(lambda self: self.backend.store)  # type: ignore[assignment]
    vectors: VectorIndex = property(lambda self: self.backend.index)  # type: ignore[assignment]
    lexical: LexicalIndex = property(lambda self: self.backend.lexical)  # type: ignore[assignment]

    @property
    def manifest(self) -> dict:
        return {"model": self.backend.model, "dim": self.backend.dim, "version": VERSION}

    @property
    def generation(self) -> int:
        return self.backend.seen

    @property
    def indexer(self) -> Indexer:
        """Built on use: tests and the bot swap `embedder` on a live retriever."""
        return Indexer(self.backend, self.embedder, self.analyzer, self.settings)

    # ---- opening --------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        settings: Settings | None = None,
        *,
        embedder: Embedder | None = None,
        build_default: bool = True,
        progress: Callable[[AddProgress], None] | None = None,
        repair: bool = False,
    ) -> Retriever:
        """Open the index (the folder, or the database VERBATIM_DATABASE_URL names). A new,
        never-written index is first filled from the bundled corpus (VERBATIM_CORPUS) unless
        `build_default` is False, as it is for the maintainer commands that decide the contents
        themselves (add, remove). `repair` (verbatim rebuild) writes a damaged manifest again
        from the store."""
        settings = settings or Settings()
        folder = settings.index_dir()
        embedder = embedder or make_embedder(
            settings.model, settings.batch_size, batch_tokens=settings.batch_tokens,
            int8_queries=settings.int8_queries, query_encoder=settings.query_encoder,
            query_threads=settings.query_threads,
        )
        backend = open_backend(settings, embedder.name, lambda: embedder.dim, repair=repair)
        if backend.kind != "sqlite":  # the folder keeps only local state then (the bot's chats)
            with contextlib.suppress(OSError):
                folder.mkdir(parents=True, exist_ok=True)
        retriever = cls(folder, embedder, settings, backend=backend)
        if build_default and retriever.backend.generation == 0 and settings.corpus.is_dir():
            retriever.add_paths([settings.corpus], progress=progress)  # first use: the bundled corpus
        return retriever

    def refresh(self) -> None:
        """Catch up with what other processes committed."""
        self.backend.refresh()

    # ---- writing (index.indexer) ----------------------------------------------------
    def add(self, sources: Iterable[Source], progress: Callable[[AddProgress], None] | None = None) -> AddReport:
        """The one add path: files, folders, URLs and index.load.Upload bytes."""
        return self.indexer.add(sources, progress=progress)

    def add_paths(
        self, paths: Iterable[str | Path], progress: Callable[[AddProgress], None] | None = None
    ) -> AddReport:
        return self.indexer.add(list(paths), progress=progress)

    def add_articles(
        self, articles: Iterable[Article], progress: Callable[[AddProgress], None] | None = None
    ) -> AddReport:
        return self.indexer.add_articles(articles, progress=progress)

    def add_verdicts(self, data: bytes | str, origin: str = "the file") -> list[tuple[dict, int]]:
        """Record ClaimReview verdicts; returns (record, claims matched) for each."""
        return self.indexer.add_verdicts(data, origin)

    def remove_verdict(self, verdict_id: str) -> bool:
        return self.indexer.remove_verdict(verdict_id)

    def verdicts(self) -> list[dict]:
        return self.backend.all_verdicts()

    def remove(self, doc_ids: Sequence[str]) -> list[str]:
        """Remove articles; returns the ids that were not in the index."""
        return self.indexer.remove(doc_ids)

    def save_snapshot(self) -> None:
        """Write FAISS and BM25 files for the current generation, then point to them (the index folder
        only: PostgreSQL keeps its indexes itself)."""
        if self.storage is not None:
            self.storage.save_snapshot()

    def rebuild(self) -> None:
        """Rebuild FAISS and BM25 from the stored passages (no re-embedding)."""
        if self.storage is None:
            raise InputError("The index is in PostgreSQL, which keeps its search indexes itself: nothing to rebuild.")
        self.storage.rebuild()

    # ---- asking ---------------------------------------------------------------------
    def ask(
        self,
        question: str,
        k: int | None = None,
        *,
        offset: int = 0,
        doc_ids: Sequence[str] | None = None,
        force: bool = False,
        filters: Filters | None = None,
    ) -> Answer:
        """The best passages for a question, or answered=False with a fixed sentence.

        `offset` pages through results; `doc_ids` limits the search to those articles; `filters` to
        outlets and a date range (outlet and date words in the question are read as filters too);
        `force` returns passages even when declining (for evaluation).
        """
        question = clean_question(question)
        k = self.settings.k if k is None else max(1, k)
        self.refresh()
        with self.backend.reading():
            return self.searcher.ask(question, k, offset=offset, doc_ids=doc_ids, force=force, filters_=filters)

    def outlets(self) -> list[str]:
        """The outlets of the stored articles (what --source accepts)."""
        self.refresh()
        with self.backend.reading():
            return sorted(self.backend.outlets())

    def filters(
        self, sources: Sequence[str] | str | None = None, since: str | None = None, until: str | None = None
    ) -> Filters:
        """Filters from user input (flags, JSON fields), checked against this index; InputError if not."""
        return make_filters(sources, since, until, self.outlets())

    def _hits(self, chunk_ids: list[int], scores: list[float], offset: int = 0) -> list[Hit]:
        return self.searcher.hits(chunk_ids, scores, offset)

    # ---- browsing -------------------------------------------------------------------
    def passage(self, chunk_id: int) -> Hit:
        """One stored passage (deep links, buttons)."""
        self.refresh()
        with self.backend.reading():
            hits = self._hits([chunk_id], [0.0])
        if not hits:
            raise NotFound("That passage is no longer in the corpus.")
        return hits[0]

    def neighbours(self, chunk_id: int) -> tuple[Hit | None, Hit | None]:
        """The passages before and after one passage in its article."""
        self.refresh()
        with self.backend.reading():
            row = self.backend.chunks([chunk_id]).get(chunk_id)
            if row is None:
                raise NotFound("That passage is no longer in the corpus.")
            out = []
            for ordinal in (row.ordinal - 1, row.ordinal + 1):
                near = self.backend.chunk_at(row.doc_id, ordinal)
                out.append(self._hits([near.id], [0.0])[0] if near else None)
        return out[0], out[1]

    def sources(self) -> list[dict]:
        self.refresh()
        with self.backend.reading():
            rows = self.backend.sources()
        return [{"id": d, "title": t, "source": s, "date": dt, "passages": n} for d, t, s, dt, n in rows]

    def status(self) -> Status:
        b = self.backend
        with b.reading():
            counts = b.counts()
            updated, generation = b.meta("updated_at"), b.generation
        return Status(
            **counts,
            model=b.model,
            dim=int(b.dim),
            index_dir=str(self.folder) if b.kind == "sqlite" else b.location,
            index_bytes=b.size_bytes(),
            updated_at=updated,
            generation=generation,
            backend="embedded" if b.kind == "sqlite" else b.kind,
            location=b.location,
        )

    def chunk_ids_of(self, doc_ids: Sequence[str]) -> list[int]:
        """The passage ids of these articles, in article order."""
        self.refresh()
        with self.backend.reading():
            return self.backend.chunk_ids_of(list(doc_ids))

    def close(self) -> None:
        self.backend.close()


_json_files = json_files  # older name, used by bot/cli.py
