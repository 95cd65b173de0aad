"""The engine's one door: `Retriever.ask(question) -> Answer`, plus add/remove.

Layout of an index folder:
    manifest.json     model name, dimension, schema version (checked on open)
    store.sqlite      the source of truth (index.store)
    snapshot.json     which FAISS/BM25 snapshot files reflect which store generation
    vectors-G.faiss, lexical-G.npz
    write.lock        held by the one process adding or removing

On open, the newest snapshot is loaded and the store's change log since its
generation is replayed; before each question the retriever replays whatever another
process committed since, so a running bot sees adds without a restart.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from index import linking
from index.embed import Embedder, make_embedder
from index.errors import IndexDamaged, InputError, ModelMismatch, NotFound, StorageError
from index.lexical import Analyzer, LexicalIndex
from index.models import Answer, Article, Filters, Hit
from index.search import Searcher, Tuning
from index.search.filters import make_filters
from index.search.searcher import lexical_question  # noqa: F401  (re-exported)
from index.settings import Settings
from index.store import Store
from index.vectors import VectorIndex

VERSION = "1"
MAX_QUESTION_CHARS = 1000
SNAPSHOT_EVERY = 2000  # replayed changes before a new snapshot is written


@dataclass
class AddReport:
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (origin, reason)
    passages: int = 0
    verdicts: int = 0


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
    def __init__(self, folder: Path, embedder: Embedder, settings: Settings, *, repair: bool = False) -> None:
        self.folder = folder
        self.embedder = embedder
        self.settings = settings
        base = Tuning()  # VERBATIM_MIN_SCORE moves the decision's probability bar
        self.tuning = replace(base, answer_at=min(max(base.answer_at + settings.min_score, 0.0), 1.0))
        self.analyzer = Analyzer()
        self.searcher = Searcher(self, self.tuning)
        self._lock = threading.RLock()
        self.store = self._open_store(repair)
        self.vectors, self.lexical, self.generation = self._load_state()
        if self.vectors.converted:
            self.save_snapshot()  # keep the IVF form so the next open need not train again

    # ---- opening --------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        settings: Settings | None = None,
        *,
        embedder: Embedder | None = None,
        build_default: bool = True,
        progress: Callable[[int, int], None] | None = None,
        repair: bool = False,
    ) -> Retriever:
        """Open the index folder. A new, never-written index is first filled from the
        bundled corpus (VERBATIM_CORPUS) unless `build_default` is False, as it is for
        the maintainer commands that decide the contents themselves (add, remove).
        `repair` (verbatim rebuild) writes a damaged manifest again from the store."""
        settings = settings or Settings()
        folder = settings.index_dir()
        embedder = embedder or make_embedder(settings.model, settings.batch_size, int8_queries=settings.int8_queries)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise StorageError(f"The index folder {folder} cannot be created ({err.strerror}).") from err
        retriever = cls(folder, embedder, settings, repair=repair)
        if build_default and retriever.store.generation == 0 and settings.corpus.is_dir():
            retriever.add_paths([settings.corpus])  # first use: the bundled corpus
        return retriever

    def _write_manifest(self, dim: int) -> dict:
        path = self.folder / "manifest.json"
        manifest = {"model": self.embedder.name, "dim": dim, "version": VERSION}
        try:
            _atomic_write(path, json.dumps(manifest, indent=2).encode())
        except OSError as err:
            raise StorageError(
                f"The index manifest {path} cannot be written ({err.strerror or err}); "
                "check that the index folder is writable and the disk has space."
            ) from err
        return manifest

    def _manifest(self) -> dict:
        path = self.folder / "manifest.json"
        if not path.exists():
            return self._write_manifest(self.embedder.dim)
        try:
            manifest = json.loads(path.read_text())
            model, dim, version = manifest["model"], int(manifest["dim"]), str(manifest["version"])
            if dim <= 0 or not isinstance(model, str):
                raise ValueError(dim)
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise IndexDamaged(
                f"The index manifest {path} is damaged; run 'verbatim rebuild' to write it again from the store."
            ) from err
        if version != VERSION:
            raise IndexDamaged(
                f"The index in {self.folder} was made by another version of Verbatim ({version}); "
                "run 'verbatim rebuild'."
            )
        if model != self.embedder.name:
            raise ModelMismatch(
                f"The index in {self.folder} was built with the model '{model}', not "
                f"'{self.embedder.name}'; set VERBATIM_MODEL={model} or use another --index."
            )
        return {"model": model, "dim": dim, "version": version}

    def _open_store(self, repair: bool = False) -> Store:
        try:
            self.manifest: dict | None = self._manifest()
        except IndexDamaged:
            if not repair:
                raise
            self.manifest = None
        store = Store(self.folder / "store.sqlite")
        stored = store.vector_dim()  # None while no passage is stored
        if self.manifest is None or (stored is not None and stored != self.manifest["dim"]):
            if not repair:
                store.close()
                raise IndexDamaged(
                    f"The index manifest {self.folder / 'manifest.json'} says {self.manifest['dim']} "
                    f"dimensions but the stored passages have {stored}; run 'verbatim rebuild' to write "
                    "it again."
                )
            dim = stored or self.embedder.dim
            if dim != self.embedder.dim:
                store.close()
                raise ModelMismatch(
                    f"The passages in {self.folder} have {dim}-dimension vectors, but the model "
                    f"'{self.embedder.name}' makes {self.embedder.dim}; set VERBATIM_MODEL to the model "
                    "the index was built with or use another --index."
                )
            self.manifest = self._write_manifest(dim)
        return store

    def _load_state(self) -> tuple[VectorIndex, LexicalIndex, int]:
        if self.store.generation == 0 and self._snapshot_generation() > 0:
            # an empty store under a used index (truncated to 0 bytes, or deleted): never a fresh
            # index to be filled from the bundled corpus
            self.store.close()
            raise IndexDamaged(
                f"The index store {self.store.path} is empty although the index held articles; move the "
                f"folder {self.folder} away and add the articles again, or use another --index."
            )
        dim = int(self.manifest["dim"])
        snap = self.folder / "snapshot.json"
        vectors, lexical, gen = VectorIndex(dim), LexicalIndex(), 0
        if snap.exists():
            try:
                info = json.loads(snap.read_text())
                gen = int(info["generation"])
                vectors = VectorIndex.load(self.folder / info["vectors"], dim)
                lexical = LexicalIndex.load(self.folder / info["lexical"])
            except Exception:  # a damaged snapshot is only a cache: rebuild from the store
                vectors, lexical, gen = VectorIndex(dim), LexicalIndex(), 0
        if gen > self.store.generation:  # snapshot newer than the store: not ours
            vectors, lexical, gen = VectorIndex(dim), LexicalIndex(), 0
        if gen != 0:
            gen = self._replay(vectors, lexical, gen)
            passages = self.store.db.execute("SELECT count(*) FROM chunks").fetchone()[0]
            if not len(vectors) == len(lexical) == passages:  # snapshot files of another index
                vectors, lexical, gen = VectorIndex(dim), LexicalIndex(), 0
        if gen == 0:
            gen = self.store.generation  # read first: a commit landing meanwhile is replayed later
            self._apply(vectors, lexical, [(0, c, "add") for c in self.store.all_chunk_ids()])
        return vectors, lexical, gen

    def _replay(self, vectors: VectorIndex, lexical: LexicalIndex, since: int) -> int:
        changes = self.store.changes_since(since)
        self._apply(vectors, lexical, changes)
        return max([since] + [g for g, _, _ in changes]) if changes else max(since, self.store.generation)

    def _apply(self, vectors: VectorIndex, lexical: LexicalIndex, changes: Sequence[tuple[int, int, str]]) -> None:
        """Apply a change log in order: removals and additions of chunk ids."""
        pending: list[int] = []

        def flush() -> None:
            rows = list(self.store.payload(pending))
            if rows:
                vectors.add([r[0] for r in rows], np.stack([r[1] for r in rows]))
                lexical.add([r[0] for r in rows], [(r[2], r[3]) for r in rows])
            pending.clear()

        for _, chunk_id, op in changes:
            if op == "add":
                pending.append(chunk_id)
            else:
                flush()
                vectors.remove([chunk_id])
                lexical.remove([chunk_id])
        flush()

    def refresh(self) -> None:
        """Catch up with what other processes committed."""
        with self._lock:
            if self.store.generation != self.generation:
                self.generation = self._replay(self.vectors, self.lexical, self.generation)

    # ---- writing --------------------------------------------------------------------
    @contextmanager
    def _writer(self) -> Iterator[None]:
        """The index's one writer: an exclusive file lock across processes.

        The slow part of a write (encoding) runs under this lock only, so questions
        in this process keep being answered; the commit and the in-memory update take
        `self._lock` briefly (`_commit`).
        """
        try:
            fh = open(self.folder / "write.lock", "a+")  # noqa: SIM115
        except OSError as err:
            raise StorageError(f"The index folder {self.folder} is not writable ({err.strerror}).") from err
        with fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                self.refresh()
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def add_paths(self, paths: Iterable[str | Path], progress: Callable[[int, int], None] | None = None) -> AddReport:
        from index.load import load_paths

        paths = list(paths)
        loaded = load_paths(paths)
        report = self.add_articles(loaded.articles, progress=progress)
        report.rejected[:0] = [(r.origin, r.reason) for r in loaded.rejections]
        for path in _json_files(paths):
            try:
                report.verdicts += len(self.add_verdicts(path.read_bytes(), origin=str(path)))
            except (InputError, OSError) as err:
                report.rejected.append((str(path), str(err)))
        return report

    # ---- verdicts -------------------------------------------------------------------
    def add_verdicts(self, data: bytes | str, origin: str = "the file") -> list[tuple[dict, int]]:
        """Record ClaimReview verdicts; returns (record, claims matched) for each."""
        from index.verdicts import parse_claim_reviews

        records = parse_claim_reviews(data, origin)
        out = []
        with self._writer():
            for record in records:
                vec = self.embedder.encode_query(record["claim_reviewed"])
                matches = linking.verdict_matches(
                    vec, record["claim_reviewed"], self.store, self.vectors, self.analyzer
                )
                with self._lock:
                    self.store.add_verdict(record["id"], record, vec, matches)
                out.append((record, len(matches)))
            self.refresh()
        return out

    def remove_verdict(self, verdict_id: str) -> bool:
        with self._writer(), self._lock:
            found = self.store.remove_verdict(verdict_id)
        self.refresh()
        return found

    def verdicts(self) -> list[dict]:
        return self.store.all_verdicts()

    def add_articles(
        self, articles: Sequence[Article], progress: Callable[[int, int], None] | None = None
    ) -> AddReport:
        from index.ingest import content_hash, prepare

        report = AddReport()
        with self._writer():
            known = self.store.article_hashes([a.id for a in articles])
            todo = []
            for article in articles:
                old = known.get(article.id)
                if old == content_hash(article):
                    report.unchanged.append(article.id)
                    continue
                (report.replaced if old else report.added).append(article.id)
                todo.append(article)
            if not todo:
                return report
            vocab = self.store.vocabulary()
            size = len(vocab)
            prepared = prepare(
                todo, self.embedder, self.analyzer, vocab, max_words=self.settings.max_words, progress=progress
            )
            new_terms = {t: i for t, i in vocab.items() if i >= size}
            links = linking.claim_links(prepared, self.store, self.vectors, self.analyzer)
            verdict_links = linking.new_claim_verdicts(prepared, self.store, self.analyzer)
            with self._lock:
                _, added, _ = self.store.commit_batch(prepared, [], new_terms, links, verdict_links)
                self._after_commit()
            report.passages = len(added)
        return report

    def remove(self, doc_ids: Sequence[str]) -> list[str]:
        """Remove articles; returns the ids that were not in the index."""
        with self._writer():
            known = set(self.store.article_hashes(list(doc_ids)))
            missing = [d for d in doc_ids if d not in known]
            if known:
                with self._lock:
                    self.store.commit_batch([], sorted(known), {})
                    self._after_commit()
        return missing

    def _after_commit(self) -> None:
        self.generation = self._replay(self.vectors, self.lexical, self.generation)
        pending = len(self.store.changes_since(self._snapshot_generation()))
        if pending >= SNAPSHOT_EVERY or not (self.folder / "snapshot.json").exists():
            self.save_snapshot()

    def _snapshot_generation(self) -> int:
        try:
            return int(json.loads((self.folder / "snapshot.json").read_text())["generation"])
        except (OSError, ValueError, KeyError):
            return 0

    def save_snapshot(self) -> None:
        """Write FAISS and BM25 files for the current generation, then point to them."""
        gen = self.generation
        vec_name, lex_name = f"vectors-{gen}.faiss", f"lexical-{gen}.npz"
        try:
            self.vectors.save(self.folder / f"{vec_name}.tmp")
            os.replace(self.folder / f"{vec_name}.tmp", self.folder / vec_name)
            self.lexical.save(self.folder / f"{lex_name}.tmp")
            os.replace(self.folder / f"{lex_name}.tmp", self.folder / lex_name)
            info = {"generation": gen, "vectors": vec_name, "lexical": lex_name}
            _atomic_write(self.folder / "snapshot.json", json.dumps(info).encode())
        except (OSError, RuntimeError):  # disk full or read-only (faiss raises RuntimeError)
            for tmp in (f"{vec_name}.tmp", f"{lex_name}.tmp", "snapshot.json.tmp"):
                with contextlib.suppress(OSError):
                    (self.folder / tmp).unlink(missing_ok=True)
            return  # snapshots are a cache; the store already holds the committed state
        for old in [*self.folder.glob("vectors-*.faiss"), *self.folder.glob("lexical-*.npz")]:
            if old.name not in (vec_name, lex_name):
                old.unlink(missing_ok=True)

    def rebuild(self) -> None:
        """Rebuild FAISS and BM25 from the stored passages (no re-embedding)."""
        with self._writer(), self._lock:
            dim = int(self.manifest["dim"])
            self.vectors, self.lexical = VectorIndex(dim), LexicalIndex()
            self._apply(self.vectors, self.lexical, [(0, c, "add") for c in self.store.all_chunk_ids()])
            self.generation = self.store.generation
            self.save_snapshot()

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
        with self._lock:
            return self.searcher.ask(question, k, offset=offset, doc_ids=doc_ids, force=force, filters_=filters)

    def outlets(self) -> list[str]:
        """The outlets of the stored articles (what --source accepts)."""
        self.refresh()
        with self._lock:
            return sorted(self.store.outlets())

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
        with self._lock:
            hits = self._hits([chunk_id], [0.0])
        if not hits:
            raise NotFound("That passage is no longer in the corpus.")
        return hits[0]

    def neighbours(self, chunk_id: int) -> tuple[Hit | None, Hit | None]:
        """The passages before and after one passage in its article."""
        self.refresh()
        with self._lock:
            row = self.store.chunks([chunk_id]).get(chunk_id)
            if row is None:
                raise NotFound("That passage is no longer in the corpus.")
            out = []
            for ordinal in (row.ordinal - 1, row.ordinal + 1):
                near = self.store.chunk_at(row.doc_id, ordinal)
                out.append(self._hits([near.id], [0.0])[0] if near else None)
        return out[0], out[1]

    def sources(self) -> list[dict]:
        self.refresh()
        with self._lock:
            rows = self.store.sources()
        return [{"id": d, "title": t, "source": s, "date": dt, "passages": n} for d, t, s, dt, n in rows]

    def status(self) -> Status:
        with self._lock:
            counts = self.store.counts()
        size = sum(p.stat().st_size for p in self.folder.iterdir() if p.is_file())
        return Status(
            **counts,
            model=self.manifest["model"],
            dim=int(self.manifest["dim"]),
            index_dir=str(self.folder),
            index_bytes=size,
            updated_at=self.store.meta("updated_at"),
            generation=self.store.generation,
        )

    def close(self) -> None:
        self.store.close()


def _json_files(paths: Iterable[str | Path]) -> list[Path]:
    """ClaimReview files among the given paths (folders are searched recursively)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(
                f
                for f in sorted(p.rglob("*"))
                if f.suffix in (".json", ".jsonld") and not any(part.startswith(".") for part in f.relative_to(p).parts)
            )
        elif p.suffix in (".json", ".jsonld") and p.is_file():
            out.append(p)
    return out


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
