"""Ranking: fuse dense, lexical, sentence and entity evidence, add article evidence, diversify.

Pure functions over arrays. Each candidate passage carries
- `dense`: cosine of the question to the passage vector,
- `lexical`: BM25 score of the passage (title included),
- `sentence`: the best cosine of the question to one claim (sentence or clause) of the
  passage, pooled from the same encoding pass as the passage vector,
- `entity`: the share of the question's named entities (capitalised words, numbers) the passage contains,
- `speaker`: 1 when one of the passage's claims is attributed to an entity the question names,
- `doc`: the article it belongs to, `date` its ISO date ("" when unknown).

Reciprocal-rank fusion throws the scores away (2-4 points of hit@1 worse here); instead
BM25 is normalised by the question's best BM25 score and mixed linearly with the two
cosines (`Tuning.lexical_saturation` > 0 squashes it to s / (s + c) instead; on SQuAD questions outside the
benchmark sample that was 1-3 points of hit@1 worse with the entity and article terms, bench/README.md).
An article that has a second strong passage for the question is more likely
to be *about* it, so each passage gets a share of its article's second-best score.
Results are then picked greedily: near-duplicates (wire copy) are skipped, and a
passage from an article already shown pays a small penalty, so k results are k
different things; among equally good passages the newer comes first. Weights were fitted on
even-indexed benchmark questions and checked on odd-indexed ones (bench/tune.py, bench/README.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from index.search.tuning import Tuning


@dataclass(frozen=True)
class Candidates:
    ids: np.ndarray  # chunk ids
    dense: np.ndarray
    lexical: np.ndarray
    sentence: np.ndarray
    docs: np.ndarray  # article ids (str)
    entity: np.ndarray | None = None
    speaker: np.ndarray | None = None
    dates: np.ndarray | None = None  # ISO date strings, "" when unknown
    vectors: np.ndarray | None = None  # their stored passage vectors, one row each (diversify reads them)

    def __len__(self) -> int:
        return len(self.ids)


def fuse(c: Candidates, w: Tuning) -> np.ndarray:
    """One score per candidate: linear fusion plus a share of its article's evidence."""
    if w.lexical_saturation > 0:  # s / (s + c): keeps how strong the best match is, not just its rank
        lex = c.lexical / (c.lexical + w.lexical_saturation)
    else:
        top = float(c.lexical.max()) if len(c.lexical) else 0.0
        lex = c.lexical / top if top > 0 else np.zeros_like(c.lexical)
    base = w.dense * c.dense + w.lexical * lex + w.sentence * c.sentence
    if c.entity is not None:
        base = base + w.entity * c.entity
    if c.speaker is not None:
        base = base + w.speaker * c.speaker
    return base + w.article * second_best_of_article(base, c.docs)


def second_best_of_article(scores: np.ndarray, docs: np.ndarray) -> np.ndarray:
    """For each candidate, the second-highest score among its article's candidates (0 if none)."""
    out = np.zeros_like(scores)
    if len(scores) < 2:
        return out
    _, group = np.unique(docs, return_inverse=True)
    by = np.lexsort((-scores, group))  # each article's candidates together, best first
    g = group[by]
    first = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])  # where each article's run starts
    size = np.diff(np.r_[first, len(g)])
    second = scores[by[np.minimum(first + 1, len(g) - 1)]]  # the run's second element (its own first if alone)
    out[by] = np.repeat(np.where(size > 1, second, 0), size)
    return out


def order(scores: np.ndarray) -> np.ndarray:
    return np.argsort(-scores, kind="stable")


TIE = 1e-3  # scores closer than this are equally good; the newer passage wins


def diversify(
    scores: np.ndarray, vectors: np.ndarray, docs: np.ndarray, k: int, w: Tuning, dates: np.ndarray | None = None
) -> list[int]:
    """Greedy pick of k candidates: skip near-duplicates, penalise repeats of an article,
    prefer the newer of equally good passages."""
    left = order(scores).tolist()
    shown: dict[str, int] = {}
    kept: list[int] = []
    day = [str(d) for d in dates] if dates is not None else [""] * len(scores)
    members: dict[str, list[int]] = {}
    for i in left:
        members.setdefault(docs[i], []).append(i)

    def key(i: int) -> tuple[float, str]:
        return (round(float(scores[i] - w.repeat_penalty * shown.get(docs[i], 0)) / TIE), day[i])

    keys = {i: key(i) for i in left}  # a candidate's key moves only when its article is shown
    while left and len(kept) < k:
        best = max(left, key=keys.__getitem__)
        left.remove(best)
        if any(float(vectors[best] @ vectors[j]) >= w.duplicate_cosine for j in kept):
            continue
        kept.append(best)
        shown[docs[best]] = shown.get(docs[best], 0) + 1
        keys.update((i, key(i)) for i in members[docs[best]])
    return kept
