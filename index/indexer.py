"""The indexer: add, remove, verdicts. One add path for paths, folders, URLs and uploads.

An add streams: articles are read one at a time (index.load.Reading), grouped into
batches of about `VERBATIM_ADD_BATCH` passages, and each batch is planned, encoded,
linked and committed as one transaction (index.ingest.stream overlaps the stages).

- Each article is all-or-nothing (it never spans two batches); replacing one is atomic
  (the old version is removed in the transaction that adds the new one).
- A committed batch is searchable at once; a killed add keeps every committed batch, and
  running the same add again skips those articles by content hash and adds the rest.
- An article that gives no passage is rejected with the reason, never "added" unfindable.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable, Iterator, Sequence, Sized
from dataclasses import dataclass, field
from pathlib import Path

from index import ingest, linking
from index.embed import Embedder, release_memory
from index.errors import InputError, StorageError
from index.lexical import Analyzer
from index.load import Item, Reading, Rejection, Source, Upload
from index.models import Article
from index.settings import Settings
from index.storage.protocol import StorageBackend

FIRST_BATCHES = (64, 500)  # passages in the first batches: the first passage is searchable soon


@dataclass
class AddReport:
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (origin, reason)
    passages: int = 0
    verdicts: int = 0


@dataclass
class AddProgress:
    """Where an add stands; handed to the progress callback after each model batch and commit."""

    read: int = 0  # articles read
    encoded: int = 0  # passages encoded
    committed: int = 0  # passages committed (searchable)
    batches: int = 0  # batches committed
    fraction: float | None = None  # share of the input read, when its size is known
    started: float = field(default_factory=time.monotonic)

    @property
    def rate(self) -> float:
        """Passages committed per second so far."""
        return self.committed / max(time.monotonic() - self.started, 1e-9)


Progress = Callable[[AddProgress], None]


class Indexer:
    def __init__(self, backend: StorageBackend, embedder: Embedder, analyzer: Analyzer, settings: Settings) -> None:
        self.backend = backend
        self.embedder = embedder
        self.analyzer = analyzer  # shared with questions and linking
        self.settings = settings

    # ---- adding ---------------------------------------------------------------------
    def add(self, sources: Iterable[Source], progress: Progress | None = None) -> AddReport:
        """The one add path: files, folders (recursive), http(s) URLs and `Upload`s; ClaimReview
        .json files among them are recorded as verdicts."""
        sources = list(sources)
        reading = Reading(sources)
        report = self._add(reading, progress, lambda: reading.fraction)
        reviews = [(str(p), p.read_bytes) for p in json_files(reading.files())]
        reviews += [
            (u.name, lambda u=u: u.data)
            for u in sources
            if isinstance(u, Upload) and Path(u.name).suffix.lower() in (".json", ".jsonld")
        ]
        for origin, data in reviews:
            try:
                report.verdicts += len(self.add_verdicts(data(), origin=origin))
            except (InputError, OSError) as err:
                report.rejected.append((origin, str(err)))
        return report

    def add_articles(self, articles: Iterable[Article], progress: Progress | None = None) -> AddReport:
        """Articles already in memory (or any iterable of them, read as it is consumed)."""
        total = len(articles) if isinstance(articles, Sized) else None
        counter = itertools.count()
        items = ((a.id, a) for a in articles)
        done = [0]

        def counted() -> Iterator[Item]:
            for item in items:
                done[0] = next(counter) + 1
                yield item

        return self._add(counted(), progress, lambda: done[0] / total if total else None)

    def _add(self, items: Iterable[Item], progress: Progress | None, fraction: Callable[[], float | None]) -> AddReport:
        report = AddReport()
        state = AddProgress()
        store = self.backend
        limit = max(1, self.settings.add_batch)
        limits = [min(n, limit) for n in FIRST_BATCHES] + [limit]
        planner = Analyzer()  # its own stemmer: PyStemmer objects are not shared across threads
        seen: dict[str, tuple[str, str]] = {}  # doc id -> (origin, how it was counted)
        lists = {"added": report.added, "replaced": report.replaced, "unchanged": report.unchanged}

        def tell() -> None:
            if progress is not None:
                state.fraction = fraction()
                progress(state)

        def classify(origin: str, article: Article) -> str:
            old = store.article_hashes([article.id]).get(article.id)
            how = "unchanged" if old == ingest.content_hash(article) else "replaced" if old else "added"
            if article.id in seen:  # a later copy in the same add wins
                first_origin, first_how = seen[article.id]
                lists[first_how].remove(article.id)
                reason = f"duplicate id '{article.id}' in this batch (the later one was kept)"
                report.rejected.append((first_origin, reason))
                if first_how in ("added", "replaced"):
                    how = first_how  # relative to the index before this add
            seen[article.id] = (origin, how)
            lists[how].append(article.id)
            return how

        with store.writer():
            vocab = store.vocabulary()
            source = iter(items)
            planned_batches = 0

            def next_batch() -> tuple[list[ingest.Planned], dict[str, int]] | None:
                nonlocal planned_batches
                articles: dict[str, tuple[Article, tuple]] = {}
                units = 0
                for item in source:
                    if isinstance(item, Rejection):
                        report.rejected.append((item.origin, item.reason))
                        continue
                    origin, article = item
                    state.read += 1
                    if classify(origin, article) == "unchanged":
                        articles.pop(article.id, None)
                        continue
                    cut = ingest.passages(article, self.settings.max_words)
                    if not cut[1]:
                        lists[seen.pop(article.id)[1]].remove(article.id)
                        report.rejected.append((origin, "no text that can be searched"))
                        continue
                    if article.id in articles:
                        units -= len(articles[article.id][1][1])
                    articles[article.id] = (article, cut)
                    units += len(cut[1])
                    if units >= limits[min(planned_batches, len(limits) - 1)]:
                        break
                if not articles:
                    return None
                planned_batches += 1
                before = len(vocab)
                planned = ingest.plan(
                    [a for a, _ in articles.values()],
                    planner,
                    vocab,
                    max_words=self.settings.max_words,
                    cut=[c for _, c in articles.values()],
                )
                new_terms = dict(itertools.islice(reversed(vocab.items()), len(vocab) - before))
                release_memory()  # the parses' freed buffers, before the next stage allocates
                return planned, new_terms

            def encode(batch: tuple[list[ingest.Planned], dict[str, int]]):
                planned, new_terms = batch

                def tick(n: int) -> None:
                    state.encoded += n
                    tell()

                return ingest.encode(planned, self.embedder, tick), new_terms

            def commit(batch) -> None:
                prepared, new_terms = batch
                links = linking.claim_links(prepared, store, self.analyzer)
                verdict_links = linking.new_claim_verdicts(prepared, store, self.analyzer)
                _, added, _ = store.commit_batch(prepared, [], new_terms, links, verdict_links)
                del links, verdict_links
                release_memory()  # what linking read (the neighbours' claims) goes back to the system
                report.passages += len(added)
                state.committed += len(added)
                state.batches += 1

            try:
                ingest.stream(next_batch, encode, commit)
            except StorageError as err:
                if not state.batches:
                    raise
                raise StorageError(
                    f"{str(err).removesuffix(' nothing was changed.').rstrip(';')}; the {state.committed:,} "
                    "passages committed before it are kept: run the same add again to add the rest."
                ) from err
        tell()
        return report

    # ---- removing -------------------------------------------------------------------
    def remove(self, doc_ids: Sequence[str]) -> list[str]:
        """Remove articles; returns the ids that were not in the index."""
        backend = self.backend
        with backend.writer():
            known = set(backend.article_hashes(list(doc_ids)))
            missing = [d for d in doc_ids if d not in known]
            if known:
                backend.commit_batch([], sorted(known), {})
        return missing

    # ---- verdicts -------------------------------------------------------------------
    def add_verdicts(self, data: bytes | str, origin: str = "the file") -> list[tuple[dict, int]]:
        """Record ClaimReview verdicts; returns (record, claims matched) for each."""
        from index.verdicts import parse_claim_reviews

        records = parse_claim_reviews(data, origin)
        backend = self.backend
        out = []
        with backend.writer():
            for record in records:
                vec = self.embedder.encode_query(record["claim_reviewed"])
                matches = linking.verdict_matches(vec, record["claim_reviewed"], backend, self.analyzer)
                backend.add_verdict(record["id"], record, vec, matches)
                out.append((record, len(matches)))
        return out

    def remove_verdict(self, verdict_id: str) -> bool:
        with self.backend.writer():
            return self.backend.remove_verdict(verdict_id)


def json_files(paths: Iterable[str | Path]) -> list[Path]:
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
