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
- `missing_idf` the largest idf of a question term the top passage lacks, over the largest idf possible;
- `cov_any`     the largest share of the question's idf mass any one candidate contains;
- `pair_any`    1 when the question's two most specific known terms occur together in some candidate (the
                subject exists here as the question combines it), or its one known term occurs;
- `rare_df`     how common the question's most specific known term is: log(1 + df) / log(1 + passages),
                so 0 for a term one passage holds in a large corpus and 1 when none is known;
- `bigram`      the largest share of the question's adjacent term pairs ("prime minister", "minister canada")
                that one of the three best passages has adjacent too: the question's phrases, not its words;
- `sent_cov`    the largest share of the question's idf mass one sentence of those passages contains;
- `named`       1 when the question names something (a capitalised word or a number): `ent_missing` and
                `ent_top` say nothing otherwise.

How much each counts depends on the corpus size (a cosine of 0.3 is far from a one-article corpus and near
to a 5,000-passage one), so the model also weighs each feature times `log_n`.

A logistic regression over these (coefficients in index.search.tuning, fitted by bench/fit_decision.py on
question sets from several corpora; held-out figures in bench/README.md) gives the probability that the
corpus answers. Everything is O(candidates + question terms), plus stemming the three best passages: no
per-corpus calibration.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from index.search.tuning import Tuning

FEATURES = (
    "sim_top", "sim_z", "cov_top", "cov_corpus", "ent_missing", "ent_top", "lex_ratio", "agree", "log_n",
    "rare_top", "missing_idf", "cov_any", "pair_any", "rare_df",
    "bigram", "sent_cov", "named",
)
SIZED = tuple(f for f in FEATURES if f != "log_n")  # also weighed times log_n


@dataclass(frozen=True)
class Term:
    """One distinct question stem as the corpus sees it."""

    idf: float
    known: bool  # df > 0
    entity: bool
    in_best: bool  # the top passage contains it
    df: float = 0.0
    where: frozenset[int] = frozenset()  # candidate rows that contain it


def idf(n: int, df: float) -> float:
    """Lucene BM25 idf (as index.lexical); df 0 gives the largest value for this corpus size."""
    return float(np.log(1.0 + (n - df + 0.5) / (df + 0.5)))


def phrases(question: list[str], idfs: dict[str, float], passages: list[list[list[str]]]) -> tuple[float, float]:
    """(`bigram`, `sent_cov`): the question's stems against the best passages, each a list of sentences,
    each a list of stems."""
    pairs = set(pairwise(question))
    total = sum(idfs.get(t, 0.0) for t in set(question))
    bigram = sent_cov = 0.0
    for sentences in passages:
        flat = [t for sentence in sentences for t in sentence]
        if pairs:
            bigram = max(bigram, len(pairs & set(pairwise(flat))) / len(pairs))
        if total:
            for sentence in sentences:
                sent_cov = max(sent_cov, sum(idfs.get(t, 0.0) for t in set(sentence) & set(question)) / total)
    return bigram, sent_cov


def features(
    sim: np.ndarray,
    lexical: np.ndarray,
    fused: np.ndarray,
    best: int,
    terms: list[Term],
    n_passages: int,
    phrase: tuple[float, float] = (0.0, 0.0),
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
    per_row = np.zeros(len(sim))
    for t in terms:
        for j in t.where:
            per_row[j] += t.idf
    cov_any = float(per_row.max(initial=0.0)) / total if total else 0.0
    known = sorted((t for t in terms if t.known), key=lambda t: -t.idf)[:2]
    if len(known) == 2:
        pair_any = float(bool(known[0].where & known[1].where))
    else:
        pair_any = float(bool(known and known[0].where))
    rare_df = math.log1p(known[0].df) / math.log1p(max(n_passages, 1)) if known else 1.0
    return np.asarray(
        [top, sim_z, cov_top, cov_corpus, ent_missing, ent_top, lex_ratio, agree, math.log10(max(n_passages, 1)),
         rare_top, missing_idf, cov_any, pair_any, rare_df, *phrase, float(bool(ents))],
        np.float64,
    )


def design(x: np.ndarray) -> np.ndarray:
    """The model's inputs: the features, then each of SIZED times log_n (bench/fit_decision.py fits on this)."""
    x = np.asarray(x, np.float64)
    log_n = x[..., FEATURES.index("log_n")]
    sized = x[..., [FEATURES.index(f) for f in SIZED]] * log_n[..., None]
    return np.concatenate([x, sized], axis=-1)


def probability(x: np.ndarray, w: Tuning) -> float:
    """The fitted model's probability that the corpus answers the question; 0 when no word of the
    question occurs anywhere in the corpus (nothing in it can be about the question)."""
    if x[FEATURES.index("cov_corpus")] <= 0.0:
        return 0.0
    z = w.bias + float(np.dot(np.asarray(w.coefs, np.float64), design(x)))
    return 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))  # below 1: a bar of 1.0 means never
