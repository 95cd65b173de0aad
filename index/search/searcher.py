"""The searcher: question -> candidates -> ranking -> answer or decline.

It reads the index through a view (the storage backend, index.storage.protocol, with the embedder and
analyzer; the Retriever is one) and never writes. Callers hold `backend.reading()` around `ask`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from index.embed import Embedder
from index.lexical import Analyzer
from index.models import NO_ANSWER, Answer, Claim, Evidence, Filters, Hit, Role, Verdict
from index.search import decide, filters, rank
from index.search.tuning import Tuning
from index.storage.protocol import EXACT_FILTER, StorageBackend

NO_MATCH = "No article in the index matches {filters}."
EXHAUSTIVE = EXACT_FILTER  # a filter leaving at most this many passages scores all of them by cosine

_QUESTION_OPERATORS = re.compile(r"\bhow\s+(?:many|much)\b", re.IGNORECASE)
# "What did X say?": the verb asks for X's words; passages have "said", which stems differently
# and "anyone"/"any" stand for whoever the passage names ("Did anyone desert?")
_SAYING = re.compile(r"\b(?:say|says|saying|tell|tells|anyone|anybody|someone|somebody|any)\b", re.IGNORECASE)
# a question that asks for someone's words: only then does a passage where the named entity speaks get the
# speaker bonus (on SQuAD, where questions name people without asking what they said, the bonus cost a point
# of hit@1: bench/README.md)
_WORDS_ASKED = re.compile(
    r"\b(?:say|says|said|saying|tell|tells|told|according|quoted?|comment(?:s|ed)?|react(?:s|ed)?|respond(?:s|ed)?"
    r"|think|thinks|thought|warn(?:s|ed)?|claim(?:s|ed)?|announce(?:s|d)?|statement|words?)\b",
    re.IGNORECASE,
)
# words that start a question or a request: capitalised there, but not names
_OPENERS = frozenset(
    {
        "what", "who", "whom", "whose", "when", "where", "why", "how", "which", "did", "does", "do", "is", "are",
        "was", "were", "can", "could", "should", "would", "will", "has", "have", "had", "tell", "give", "list",
        "show", "according", "any", "anyone", "anybody", "someone", "there", "here", "please",
    }
)
_WORD = re.compile(r"[\w'’-]+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


Scope = tuple[Sequence[str] | None, Filters | None]  # (article ids, filters) a search is limited to


class IndexView(Protocol):
    backend: StorageBackend
    embedder: Embedder
    analyzer: Analyzer


def lexical_question(question: str) -> str:
    """The words of a question BM25 should match: "how many"/"how much" ask for a
    number, they are not content ("how many soldiers deserted" is about desertion,
    not about passages that say "many"); "say"/"tell" ask for someone's words and "anyone" for a
    someone, they are not content."""
    return _SAYING.sub(" ", _QUESTION_OPERATORS.sub("how", question))


def entity_words(question: str) -> list[str]:
    """Names and numbers in a question: capitalised words (the first only when it is not a question
    word, so "Kirby?" counts and "What ..." does not) and words with digits."""
    out = []
    for i, m in enumerate(_WORD.finditer(question)):
        word = m.group().strip("'’-")
        if not word:
            continue
        if any(ch.isdigit() for ch in word) or (word[0].isupper() and not (i == 0 and word.lower() in _OPENERS)):
            out.append(word)
    return out


def rows_holding(ids: list[int], terms: dict[int, np.ndarray], wanted: Sequence[int]) -> dict[int, set[int]]:
    """{term id: the rows of `ids` whose passage holds it} for the wanted term ids, from each passage's term
    ids (`terms`, missing passages holding none): one isin over all the passages' terms at once (a set
    intersection a passage was ~1 ms of an ask's CPU at 40,000 passages; bench/README.md, issue 9q)."""
    if not wanted or not ids:
        return {}
    arrays = [terms.get(cid) for cid in ids]
    lengths = np.fromiter((0 if a is None else len(a) for a in arrays), np.int64, len(arrays))
    if not lengths.any():
        return {}
    flat = np.concatenate([a for a in arrays if a is not None and len(a)])
    rows = np.repeat(np.arange(len(ids)), lengths)
    hit = np.isin(flat, np.asarray(list(set(wanted)), flat.dtype))
    out: dict[int, set[int]] = {}
    for tid, row in zip(flat[hit].tolist(), rows[hit].tolist(), strict=True):
        out.setdefault(tid, set()).add(row)
    return out


def best_sentences(sentences: list[Sequence[np.ndarray]], qvec: np.ndarray, dense: np.ndarray) -> np.ndarray:
    """Each candidate's best cosine of a sentence (claim) vector with the question, or its passage cosine
    (`dense`) when it has none: one product over all the candidates' sentence vectors (was one dot a
    sentence, ~500 an ask on a corpus with claims; a matrix product rounds a score differently in the
    7th decimal at most)."""
    out = np.asarray(dense, np.float32).copy()
    counts = np.fromiter((len(x) for x in sentences), np.int64, len(sentences))
    if counts.any():
        sims = np.stack([c for x in sentences for c in x]) @ qvec
        has = counts > 0
        starts = (np.cumsum(counts) - counts)[has]
        out[has] = np.maximum.reduceat(sims, starts)
    return out


class Searcher:
    def __init__(self, view: IndexView, tuning: Tuning | None = None) -> None:
        self.view = view
        self.tuning = tuning or Tuning()
        self._outlets: tuple[int, list[str]] | None = None
        self._scopes: dict[tuple, np.ndarray | None] = {}  # (generation, article ids, filters) -> _allowed
        self._openers: frozenset[str] | None = None

    # ---- the question path ---------------------------------------------------------------
    def ask(
        self,
        question: str,
        k: int,
        *,
        offset: int = 0,
        doc_ids: Sequence[str] | None = None,
        force: bool = False,
        filters_: Filters | None = None,
    ) -> Answer:
        """The best passages for a cleaned question, or answered=False with the fixed sentence.
        Outlet and date words in the question become filters (merged with `filters_`)."""
        text, applied, allowed = self.narrow(question, doc_ids, filters_)
        shown = applied if applied else None
        if allowed is not None and len(allowed) == 0:
            message = NO_MATCH.format(filters=filters.describe(applied)) if applied else NO_ANSWER
            return Answer(question=question, answered=False, results=[], message=message, filters=shown)
        scope = (list(doc_ids) if doc_ids else None, applied)
        cand, scores, prob = self.rank(text, allowed, want=max(self.tuning.candidates, offset + k), scope=scope)
        answered = bool(len(cand)) and prob >= self.tuning.answer_at
        if (not answered and not force) or len(cand) == 0:
            return Answer(question=question, answered=False, results=[], message=NO_ANSWER, filters=shown)
        vecs = cand.vectors if cand.vectors is not None else self.view.backend.vectors(cand.ids)
        keep = rank.diversify(scores, vecs, cand.docs, offset + k, self.tuning, cand.dates)[offset:]
        hits = self.hits([int(cand.ids[i]) for i in keep], [float(scores[i]) for i in keep], offset)
        return Answer(
            question=question,
            answered=answered,
            results=hits,
            message=None if answered else NO_ANSWER,
            filters=shown,
        )

    def narrow(
        self, question: str, doc_ids: Sequence[str] | None = None, filters_: Filters | None = None
    ) -> tuple[str, Filters, np.ndarray | None]:
        """(text to search, filters applied, chunk ids allowed or None for all). Outlet and date words of
        the question that would match no article are searched as words instead."""
        spoken, text = filters.parse_question(question, self.outlets())
        applied = filters.merge(filters_, spoken)
        allowed = self._allowed(doc_ids, applied)
        if spoken and allowed is not None and len(allowed) == 0:
            text, applied = question, filters.merge(filters_, None)
            allowed = self._allowed(doc_ids, applied)
        return text, applied, allowed

    def outlets(self) -> list[str]:
        """The index's outlets, read again only when the generation seen moved."""
        gen = self.view.backend.seen
        if self._outlets is None or self._outlets[0] != gen:
            self._outlets = (gen, self.view.backend.outlets())
        return self._outlets[1]

    def _allowed(self, doc_ids: Sequence[str] | None, f: Filters) -> np.ndarray | None:
        """Chunk ids the search is limited to (None: the whole index), ascending; kept while the
        generation seen stays (a filter's passages are read once, not at every question)."""
        if not doc_ids and not f:
            return None
        key = (self.view.backend.seen, tuple(doc_ids or ()), f)
        hit = self._scopes.get(key)
        if hit is None:
            hit = self._scopes[key] = self._read_allowed(doc_ids, f)
            if hit is not None:
                hit.setflags(write=False)  # shared by the questions of this generation
            while len(self._scopes) > 8:
                self._scopes.pop(next(iter(self._scopes)), None)
        return hit

    def _read_allowed(self, doc_ids: Sequence[str] | None, f: Filters) -> np.ndarray | None:
        store = self.view.backend
        out = None
        if doc_ids:
            out = np.unique(np.asarray(store.chunk_ids_of(list(doc_ids)), np.int64))
        if f:
            where = np.asarray(store.chunk_ids_where(f.sources, f.since, f.until), np.int64)
            out = where if out is None else np.intersect1d(out, where)
        return out  # ascending

    def rank(
        self, question: str, allowed: np.ndarray | None, want: int, scope: Scope | None = None
    ) -> tuple[rank.Candidates, np.ndarray, float]:
        """Candidates, their fused scores, and the probability that the corpus answers. `scope` is what
        `allowed` was made of (article ids, filters), for a backend that searches within it itself."""
        x, cand, scores = self.features(question, allowed, want, scope)
        if x is None:
            return cand, scores, 0.0
        return cand, scores, decide.probability(x, self.tuning)

    def features(
        self, question: str, allowed: np.ndarray | None = None, want: int | None = None, scope: Scope | None = None
    ) -> tuple[np.ndarray | None, rank.Candidates, np.ndarray]:
        """The decision's features for a question (None when nothing is a candidate), the candidates and
        their fused scores. bench/fit_decision.py fits the decision on exactly these."""
        v = self.view
        want = want or self.tuning.candidates
        qvec = v.embedder.encode_query(question)
        stems = v.analyzer(lexical_question(question))
        known = v.backend.term_map(stems)
        ent_stems = {s for w in entity_words(question) for s in v.analyzer(w)}
        cand, rows_of = self._candidates(
            qvec, list(known.values()), allowed, want, ent_stems, known, bool(_WORDS_ASKED.search(question)), scope
        )
        if len(cand) == 0:
            return None, cand, np.zeros(0, np.float32)
        scores = rank.fuse(cand, self.tuning)
        best = int(np.argmax(scores))
        stats = v.backend.term_stats(list(known.values()))
        n = max(stats.passages, 1)
        # the decision reads the question's content: "did", "what", "how" are searched but say nothing of the subject
        openers = self._opener_stems()
        content = [s for s in stems if s not in openers] or stems
        terms = []
        for stem in dict.fromkeys(content):
            tid = known.get(stem)
            df = float(stats.df.get(tid, 0)) if tid is not None else 0.0
            where = frozenset(rows_of.get(tid, ())) if tid is not None else frozenset()
            terms.append(decide.Term(decide.idf(n, df), df > 0, stem in ent_stems, best in where, df, where))
        sim = np.maximum(cand.dense, cand.sentence)
        idfs = {stem: t.idf for stem, t in zip(dict.fromkeys(content), terms, strict=True)}
        phrase = decide.phrases(content, idfs, self._sentences([int(cand.ids[i]) for i in rank.order(scores)[:3]]))
        x = decide.features(sim, cand.lexical, scores, best, terms, stats.passages, phrase)
        return x, cand, scores

    def _opener_stems(self) -> frozenset[str]:
        if self._openers is None:
            self._openers = frozenset(self.view.analyzer(" ".join(_OPENERS)))
        return self._openers

    def _sentences(self, chunk_ids: list[int]) -> list[list[list[str]]]:
        """Each passage's sentences as stems (for decide.phrases)."""
        backend, analyzer = self.view.backend, self.view.analyzer
        rows = backend.chunks(chunk_ids)
        articles = backend.articles(list({r.doc_id for r in rows.values()}))
        out = []
        for cid in chunk_ids:
            row = rows.get(cid)
            if row is not None and row.doc_id in articles:
                text = articles[row.doc_id].text[row.start : row.end]
                out.append([analyzer(s) for s in _SENTENCE_END.split(text)])
        return out

    def _candidates(
        self,
        qvec: np.ndarray,
        term_ids: list[int],
        allowed: np.ndarray | None,
        want: int,
        ent_stems: set[str],
        known: dict[str, int],
        words_asked: bool = True,
        scope: Scope | None = None,
    ) -> tuple[rank.Candidates, dict[int, set[int]]]:
        """The candidates, and which of them hold each question term ({term id: candidate rows})."""
        v = self.view
        b = v.backend
        if allowed is not None:
            passages = b.term_stats(()).passages
            docs_in, filters_in = scope if scope is not None else (None, None)
            (dense_ids, _), (lex_ids, lex_scores) = b.hybrid_search(
                qvec, term_ids, want, lexical_k=passages, doc_ids=docs_in, chunk_ids=allowed, filters=filters_in
            )
            keep = np.isin(lex_ids, allowed)
            lex_ids, lex_scores = lex_ids[keep][: max(want, 1)], lex_scores[keep][: max(want, 1)]
        else:
            (dense_ids, _), (lex_ids, lex_scores) = b.hybrid_search(qvec, term_ids, want)
        if allowed is not None and len(allowed) <= EXHAUSTIVE:  # in the filter's (ascending) order
            ids = allowed[np.isin(allowed, dense_ids) | np.isin(allowed, lex_ids)]
        else:
            ids = np.asarray(list(dict.fromkeys([*dense_ids.tolist(), *lex_ids.tolist()])), np.int64)
        if len(ids) == 0:
            empty = np.zeros(0, np.float32)
            return rank.Candidates(ids, empty, empty, empty, np.zeros(0, dtype=object)), {}
        id_list = ids.tolist()
        ent_ids = {known[s] for s in ent_stems if s in known}
        rows = b.candidate_rows(id_list, term_ids, speakers=bool(ent_stems) and words_asked)
        dense = rows.vectors @ qvec
        lex_map = dict(zip(lex_ids.tolist(), lex_scores.tolist(), strict=True))
        lexical = np.asarray([lex_map.get(int(i), 0.0) for i in ids], np.float32)
        sentence = best_sentences([rows.sentences.get(i, ()) for i in id_list], qvec, dense)
        docs = rows.docs
        rows_of = rows_holding(id_list, rows.terms, term_ids)
        entity = speaker = None
        if ent_stems:
            held = np.zeros(len(id_list))  # the question's entity terms each candidate holds
            for tid in ent_ids:
                held[list(rows_of.get(tid, ()))] += 1
            entity = (held / len(ent_stems)).astype(np.float32)
            if words_asked:
                speaker = np.asarray(
                    [float(any(ent_stems & set(v.analyzer(s)) for s in rows.speakers.get(i, ()))) for i in id_list],
                    np.float32,
                )
        return rank.Candidates(
            ids,
            dense.astype(np.float32),
            lexical,
            sentence,
            np.asarray([docs.get(i, ("", ""))[0] for i in id_list], dtype=object),
            entity,
            speaker,
            np.asarray([docs.get(i, ("", ""))[1] for i in id_list], dtype=object),
            rows.vectors,
        ), rows_of

    # ---- results ---------------------------------------------------------------------------
    def hits(self, chunk_ids: list[int], scores: list[float], offset: int = 0) -> list[Hit]:
        store = self.view.backend
        rows = store.chunks(chunk_ids)
        articles = store.articles([r.doc_id for r in rows.values()])
        claims = store.claims(chunk_ids)
        out = []
        for rank_, (cid, score) in enumerate(zip(chunk_ids, scores, strict=True), start=offset + 1):
            row = rows.get(cid)
            if row is None:
                continue
            a = articles[row.doc_id]
            out.append(
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
        return out


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
