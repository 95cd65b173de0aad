"""Answer or decline: does the corpus say something about this question, or are there only nearest neighbours?

A nearest passage always exists, so its cosine alone cannot tell; how close "close" is depends on the corpus
(a broad news corpus is close to almost any question) and on the question. The decision therefore reads
features that compare the best passage with what this question could reach, in this corpus:

- `sim_top`     best cosine (passage or one of its sentences) of the top-ranked passage;
- `sim_z`       how far that cosine stands above the question's own candidate pool (z-score);
- `cov_top`     share of the question's idf mass the top passage contains;
- `cov_corpus`  share of the question's idf mass the corpus contains at all (a term with df 0 counts fully
                against: no passage can be about it);
- `ent_missing` share of the question's named entities (capitalised words, numbers) absent from the corpus;
- `ent_top`     share of them the top passage contains (1 when the question names none);
- `lex_ratio`   BM25 of the top passage over the question's total idf (the best a passage could score);
- `agree`       1 when the top passage is among the first five by both cosine and BM25;
- `log_n`       log10 of the number of passages;
- `rare_top`    share of the question's two most specific terms (highest idf, unknown ones included) that the
                top passage contains;
- `missing_idf` the largest idf of a question term the top passage lacks, over the largest idf possible.

A logistic regression over these (coefficients in index.search.tuning, fitted by bench/fit_decision.py on
question sets from several corpora; held-out figures in bench/README.md) gives the probability that the
corpus answers. Everything is O(candidates + question terms): no per-corpus calibration.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from index.search.tuning import Tuning

FEATURES = (
    "sim_top", "sim_z", "cov_top", "cov_corpus", "ent_missing", "ent_top", "lex_ratio", "agree", "log_n",
    "rare_top", "missing_idf",
)


@dataclass(frozen=True)
class Term:
    """One distinct question stem as the corpus sees it."""

    idf: float
    known: bool  # df > 0
    entity: bool
    in_best: bool  # the top passage contains it


def idf(n: int, df: float) -> float:
    """Lucene BM25 idf (as index.lexical); df 0 gives the largest value for this corpus size."""
    return float(np.log(1.0 + (n - df + 0.5) / (df + 0.5)))


def features(
    sim: np.ndarray, lexical: np.ndarray, fused: np.ndarray, best: int, terms: list[Term], n_passages: int
) -> np.ndarray:
    """The decision's inputs (order of FEATURES) for one question's candidate pool."""
    total = sum(t.idf for t in terms)
    cov_top = sum(t.idf for t in terms if t.in_best) / total if total else 0.0
    cov_corpus = sum(t.idf for t in terms if t.known) / total if total else 0.0
    ents = [t for t in terms if t.entity]
    ent_missing = sum(1 for t in ents if not t.known) / len(ents) if ents else 0.0
    ent_top = sum(1 for t in ents if t.in_best) / len(ents) if ents else 1.0
    lex_ratio = float(lexical[best]) / total if total else 0.0
    top = float(sim[best])
    spread = float(np.std(sim)) if len(sim) > 1 else 0.0
    sim_z = float(np.clip((top - float(np.mean(sim))) / max(spread, 0.01), -2.0, 8.0)) if len(sim) > 1 else 0.0
    first_dense = set(np.argsort(-sim, kind="stable")[:5].tolist())
    first_lex = set(np.argsort(-lexical, kind="stable")[:5].tolist()) if float(lexical.max(initial=0)) > 0 else set()
    agree = float(best in first_dense and best in first_lex)
    rare = sorted(terms, key=lambda t: -t.idf)[:2]
    rare_top = sum(1 for t in rare if t.in_best) / len(rare) if rare else 0.0
    ceiling = idf(n_passages, 0.0)
    missing_idf = max((t.idf for t in terms if not t.in_best), default=0.0) / ceiling if ceiling else 0.0
    return np.asarray(
        [top, sim_z, cov_top, cov_corpus, ent_missing, ent_top, lex_ratio, agree, math.log10(max(n_passages, 1)),
         rare_top, missing_idf],
        np.float64,
    )


def probability(x: np.ndarray, w: Tuning) -> float:
    """The fitted model's probability that the corpus answers the question; 0 when no word of the
    question occurs anywhere in the corpus (nothing in it can be about the question)."""
    if x[FEATURES.index("cov_corpus")] <= 0.0:
        return 0.0
    z = w.bias + float(np.dot(np.asarray(w.coefs, np.float64), x))
    return 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))  # below 1: a bar of 1.0 means never
