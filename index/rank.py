"""Ranking: fuse dense and lexical evidence, diversify, decide whether to answer.

Pure functions over arrays. Each candidate passage carries
- `dense`: cosine of the question to the passage vector,
- `lexical`: BM25 score of the passage (title included),
- `sentence`: the best cosine of the question to one sentence of the passage
  (sentence vectors come from the same encoding pass as passage vectors).

Reciprocal-rank fusion throws the scores away; here BM25 is normalised per question
by its best score (so it is comparable across questions), and the three signals
are mixed linearly with weights fitted on held-apart benchmark questions
(bench/quality.py prints the sweep). Near-duplicate passages (wire copy, the same
paragraph in two articles) are dropped so k results are k different things.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Weights:
    dense: float = 0.45
    lexical: float = 0.30
    sentence: float = 0.25
    # Answer only when the best passage is at least this close to the question
    # (max of passage and sentence cosine), or when lexical evidence is strong.
    min_similarity: float = 0.42
    min_lexical_coverage: float = 0.75
    min_lexical_similarity: float = 0.30
    duplicate_cosine: float = 0.97


@dataclass(frozen=True)
class Candidates:
    ids: np.ndarray  # chunk ids
    dense: np.ndarray
    lexical: np.ndarray
    sentence: np.ndarray


def fuse(c: Candidates, w: Weights) -> np.ndarray:
    """One score per candidate."""
    top = float(c.lexical.max()) if len(c.lexical) else 0.0
    lex = c.lexical / top if top > 0 else np.zeros_like(c.lexical)
    return w.dense * c.dense + w.lexical * lex + w.sentence * c.sentence


def order(scores: np.ndarray) -> np.ndarray:
    return np.argsort(-scores, kind="stable")


def diversify(
    ranked: np.ndarray, vectors: np.ndarray, k: int, threshold: float
) -> list[int]:
    """Greedy: keep candidates in rank order unless almost identical to one kept."""
    kept: list[int] = []
    for i in ranked:
        if all(float(vectors[i] @ vectors[j]) < threshold for j in kept):
            kept.append(int(i))
        if len(kept) == k:
            break
    return kept


def answerable(best_similarity: float, coverage: float, w: Weights, offset: float = 0.0) -> bool:
    """Does the best passage answer the question, or is it only the least bad one?

    `coverage` is the share of the question's idf mass (over its known terms) that
    the best passage matches lexically.
    """
    if best_similarity >= w.min_similarity + offset:
        return True
    return coverage >= w.min_lexical_coverage and best_similarity >= w.min_lexical_similarity + offset
