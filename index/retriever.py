"""The engine's one door: `Retriever.ask(question) -> Answer`, plus add/remove.

A thin front: the index folder (manifest, store, snapshots, change-log replay, writer
lock) is index.storage.folder.IndexFolder; adding, removing and verdicts are
index.indexer.Indexer (one add path for paths, URLs and uploads, streamed in batches).
Before each question the retriever replays whatever another process committed since, so
a running bot sees adds without a restart.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index import rank
from index.embed import Embedder, make_embedder
from index.errors import InputError, NotFound, StorageError
from index.indexer import AddProgress, AddReport, Indexer, json_files
from index.lexical import Analyzer, LexicalIndex
from index.load import Source
from index.models import NO_ANSWER, Answer, Article, Claim, Evidence, Hit, Role, Verdict
from index.settings import Settings
from index.storage.folder import VERSION, IndexFolder
from index.store import Store
from index.vectors import VectorIndex

__all__ = ["VERSION", "AddProgress", "AddReport", "Retriever", "Status"]

MAX_QUESTION_CHARS = 1000
CANDIDATES = 50


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


_QUESTION_OPERATORS = re.compile(r"\bhow\s+(?:many|much)\b", re.IGNORECASE)


def lexical_question(question: str) -> str:
    """The words of a question BM25 should match: "how many"/"how much" ask for a
    number, they are not content ("how many soldiers deserted" is about desertion,
    not about passages that say "many")."""
    return _QUESTION_OPERATORS.sub("how", question)


class Retriever:
    def __init__(self, folder: Path, embedder: Embedder, settings: Settings, *, repair: bool = False) -> None:
        self.folder = folder
        self.embedder = embedder
        self.settings = settings
        self.weights = rank.Weights()
        self.analyzer = Analyzer()
        self.storage = IndexFolder(folder, embedder.name, lambda: self.embedder.dim, repair=repair)
        self.storage.on_commit = self._after_commit

    # the folder's state, as the search half reads it
    store: Store = property(lambda self: self.storage.store)  # type: ignore[assignment]
    vectors: VectorIndex = property(lambda self: self.storage.vectors)  # type: ignore[assignment]
    lexical: LexicalIndex = property(lambda self: self.storage.lexical)  # type: ignore[assignment]
    manifest: dict = property(lambda self: self.storage.manifest)  # type: ignore[assignment]
    _lock = property(lambda self: self.storage.lock)

    @property
    def generation(self) -> int:
        return self.storage.generation

    @property
    def indexer(self) -> Indexer:
        """Built on use: tests and the bot swap `embedder` on a live retriever."""
        return Indexer(self.storage, self.embedder, self.analyzer, self.settings)

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
            retriever.add_paths([settings.corpus], progress=progress)  # first use: the bundled corpus
        return retriever

    def refresh(self) -> None:
        """Catch up with what other processes committed."""
        self.storage.refresh()

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
        return self.store.all_verdicts()

    def remove(self, doc_ids: Sequence[str]) -> list[str]:
        """Remove articles; returns the ids that were not in the index."""
        return self.indexer.remove(doc_ids)

    def _after_commit(self) -> None:
        """After each committed batch: calibrate the answer threshold when the corpus has grown."""
        calibrated = int(self.store.meta("calibrated_passages", "0") or 0)
        if abs(len(self.lexical) - calibrated) > max(0.1 * calibrated, 0):
            self.calibrate()

    def save_snapshot(self) -> None:
        """Write FAISS and BM25 files for the current generation, then point to them."""
        self.storage.save_snapshot()

    def rebuild(self) -> None:
        """Rebuild FAISS and BM25 from the stored passages (no re-embedding)."""
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
    ) -> Answer:
        """The best passages for a question, or answered=False with a fixed sentence.

        `offset` pages through results; `doc_ids` limits the search to those articles;
        `force` returns passages even when declining (for evaluation).
        """
        question = clean_question(question)
        k = self.settings.k if k is None else max(1, k)
        self.refresh()
        with self._lock:
            cand, scores, conf = self._rank(question, doc_ids, want=max(CANDIDATES, offset + k))
            answered = conf >= self.threshold() + self.settings.min_score
            if (not answered and not force) or len(cand.ids) == 0:
                return Answer(question=question, answered=False, results=[], message=NO_ANSWER)
            vecs = self.vectors.vectors(cand.ids)
            keep = rank.diversify(scores, vecs, cand.docs, offset + k, self.weights)[offset:]
            hits = self._hits([int(cand.ids[i]) for i in keep], [float(scores[i]) for i in keep], offset)
        return Answer(question=question, answered=answered, results=hits, message=None if answered else NO_ANSWER)

    def _rank(
        self, question: str, doc_ids: Sequence[str] | None, want: int
    ) -> tuple[rank.Candidates, np.ndarray, float]:
        """Candidates, their fused scores, and the confidence that the best one answers."""
        qvec = self.embedder.encode_query(question)
        stems = self.analyzer(lexical_question(question))
        term_ids = list(self.store.term_map(stems).values())
        cand = self._candidates(qvec, term_ids, doc_ids, want=want)
        if len(cand.ids) == 0:
            return cand, np.zeros(0, np.float32), 0.0
        scores = rank.fuse(cand, self.weights)
        best = int(np.argmax(scores))
        similarity = max(float(cand.dense[best]), float(cand.sentence[best]))
        coverage = self._coverage(stems, int(cand.ids[best]))
        return cand, scores, rank.confidence(similarity, coverage, self.weights)

    def threshold(self) -> float:
        """This index's bar for answering (calibrated on probe questions at each add)."""
        value = self.store.meta("answer_threshold")
        return float(value) if value else self.weights.default_threshold

    def calibrate(self) -> float:
        """Set the answer threshold from the probe questions' confidences on this corpus."""
        with self._lock:
            confs = [self._rank(q, None, CANDIDATES)[2] for q in rank.PROBES] if len(self.lexical) else []
            value = rank.calibrated_threshold(confs, self.weights)
            self.store.set_meta(answer_threshold=f"{value:.4f}", calibrated_passages=str(len(self.lexical)))
        return value

    def _candidates(
        self, qvec: np.ndarray, term_ids: list[int], doc_ids: Sequence[str] | None, want: int
    ) -> rank.Candidates:
        if doc_ids:
            dense_ids = np.asarray(self.store.chunk_ids_of(doc_ids), np.int64)
            lex_ids, lex_scores = self.lexical.search(term_ids, len(self.lexical))
            keep = np.isin(lex_ids, dense_ids)
            lex_ids, lex_scores = lex_ids[keep], lex_scores[keep]
        else:
            dense_ids, _ = self.vectors.search(qvec, want)
            lex_ids, lex_scores = self.lexical.search(term_ids, want)
        ids = np.asarray(list(dict.fromkeys([*dense_ids.tolist(), *lex_ids.tolist()])), np.int64)
        if len(ids) == 0:
            return rank.Candidates(ids, *(np.zeros(0, np.float32),) * 3, np.zeros(0, dtype=object))
        dense = self.vectors.vectors(ids) @ qvec
        lex_map = dict(zip(lex_ids.tolist(), lex_scores.tolist(), strict=True))
        lexical = np.asarray([lex_map.get(int(i), 0.0) for i in ids], np.float32)
        claim_vecs = self.store.claim_vectors(ids.tolist())
        sentence = np.asarray(
            [
                max((float(v @ qvec) for _, _, v in claim_vecs[int(i)]), default=float(d))
                for i, d in zip(ids, dense, strict=True)
            ],
            np.float32,
        )
        docs = self.store.doc_ids(ids.tolist())
        return rank.Candidates(
            ids,
            dense.astype(np.float32),
            lexical,
            sentence,
            np.asarray([docs.get(int(i), "") for i in ids], dtype=object),
        )

    def _coverage(self, stems: list[str], chunk_id: int) -> float:
        """Share of the question's idf mass (unknown words count fully) the passage matches."""
        known = self.store.term_map(stems)
        present: set[int] = set()
        for _, _, terms, _ in self.store.payload([chunk_id]):
            present = set(terms.tolist())
        n = max(len(self.lexical), 1)
        total = matched = 0.0
        for stem in dict.fromkeys(stems):
            tid = known.get(stem)
            df = float(self.lexical.df[tid]) if tid is not None and tid < len(self.lexical.df) else 0.0
            idf = float(np.log(1.0 + (n - df + 0.5) / (df + 0.5)))
            total += idf
            matched += idf if tid in present else 0.0
        return matched / total if total else 0.0

    def _hits(self, chunk_ids: list[int], scores: list[float], offset: int = 0) -> list[Hit]:
        rows = self.store.chunks(chunk_ids)
        articles = self.store.articles([r.doc_id for r in rows.values()])
        claims = self.store.claims(chunk_ids)
        hits = []
        for rank_, (cid, score) in enumerate(zip(chunk_ids, scores, strict=True), start=offset + 1):
            row = rows.get(cid)
            if row is None:
                continue
            a = articles[row.doc_id]
            hits.append(
                Hit(
                    rank=rank_,
                    score=round(score, 4),
                    doc_id=a.id,
                    title=a.title,
                    source=a.source,
                    date=a.date,
                    url=a.url,
                    passage=a.text[row.start : row.end],
                    start=row.start,
                    end=row.end,
                    paragraph=row.paragraph,
                    paragraphs=row.paragraphs,
                    claims=[_claim(a.text, c, a.source) for c in claims[cid]],
                    chunk_id=cid,
                    role=Role(row.role),
                )
            )
        return hits

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
        size = self.storage.size()
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
        self.storage.close()


def _claim(text: str, c: dict, source: str | None) -> Claim:
    from index.evidence import CONFLICTS, CORROBORATES, independent_evidence
    from index.verdicts import verdict_fields

    links = c.get("links", [])
    corroborating = independent_evidence(source, [e for e in links if e["kind"] == CORROBORATES])
    conflicting = list({(e["doc_id"], e["value"]): e for e in links if e["kind"] == CONFLICTS}.values())
    keys = ("doc_id", "source", "date", "title", "url", "text", "start", "end", "value", "score")
    verdicts = c.get("verdicts", [])
    return Claim(
        text=text[c["start"] : c["end"]],
        start=c["start"],
        end=c["end"],
        status=c["status"],
        speaker=c["speaker"],
        cue=c["cue"],
        corroborated_by=[Evidence(**{k: e[k] for k in keys}) for e in corroborating],
        conflicts_with=[Evidence(**{k: e[k] for k in keys}) for e in conflicting],
        verdict=Verdict(**verdict_fields(verdicts[0]["review"], verdicts[0]["score"])) if verdicts else None,
    )


_json_files = json_files  # older name, used by bot/cli.py
