"""Ranking: fuse dense, lexical and sentence evidence, add article evidence, diversify,
and decide whether the corpus answers the question at all.

Pure functions over arrays. Each candidate passage carries
- `dense`: cosine of the question to the passage vector,
- `lexical`: BM25 score of the passage (title included),
- `sentence`: the best cosine of the question to one claim (sentence or clause) of the
  passage, pooled from the same encoding pass as the passage vector,
- `doc`: the article it belongs to.

Reciprocal-rank fusion throws the scores away (2-4 points of hit@1 worse here); instead
BM25 is normalised by the question's best BM25 score and mixed linearly with the two
cosines. An article that has a second strong passage for the question is more likely
to be *about* it, so each passage gets a share of its article's second-best score.
Results are then picked greedily: near-duplicates (wire copy) are skipped, and a
passage from an article already shown pays a small penalty, so k results are k
different things. Weights were fitted on even-indexed benchmark questions and checked
on odd-indexed ones (bench/tune.py, numbers in bench/README.md).

Whether to answer: `confidence` = best cosine + half the share of the question's idf
mass the passage matches. How high "high" is depends on the corpus (a broad news
corpus is close to almost any question), so the bar is calibrated per index from
probe questions that no news corpus answers (`calibrated_threshold`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Weights:
    dense: float = 0.0
    lexical: float = 0.45
    sentence: float = 0.55
    article: float = 0.10  # share of the article's second-best passage score
    repeat_penalty: float = 0.20  # per passage already shown from the same article
    duplicate_cosine: float = 0.97
    coverage: float = 0.5  # weight of lexical coverage in the answer confidence
    default_threshold: float = 0.60  # before an index is calibrated
    min_threshold: float = 0.50
    max_threshold: float = 0.90
    probe_quantile: float = 0.75
    probe_margin: float = 0.02


@dataclass(frozen=True)
class Candidates:
    ids: np.ndarray  # chunk ids
    dense: np.ndarray
    lexical: np.ndarray
    sentence: np.ndarray
    docs: np.ndarray  # article ids (str)


def fuse(c: Candidates, w: Weights) -> np.ndarray:
    """One score per candidate: linear fusion plus a share of its article's evidence."""
    top = float(c.lexical.max()) if len(c.lexical) else 0.0
    lex = c.lexical / top if top > 0 else np.zeros_like(c.lexical)
    base = w.dense * c.dense + w.lexical * lex + w.sentence * c.sentence
    return base + w.article * second_best_of_article(base, c.docs)


def second_best_of_article(scores: np.ndarray, docs: np.ndarray) -> np.ndarray:
    """For each candidate, the second-highest score among its article's candidates (0 if none)."""
    out = np.zeros_like(scores)
    for doc in np.unique(docs):
        members = np.flatnonzero(docs == doc)
        if len(members) > 1:
            out[members] = np.sort(scores[members])[-2]
    return out


def order(scores: np.ndarray) -> np.ndarray:
    return np.argsort(-scores, kind="stable")


def diversify(
    scores: np.ndarray, vectors: np.ndarray, docs: np.ndarray, k: int, w: Weights
) -> list[int]:
    """Greedy pick of k candidates: skip near-duplicates, penalise repeats of an article."""
    left = list(order(scores))
    shown: dict[str, int] = {}
    kept: list[int] = []
    while left and len(kept) < k:
        best = max(left, key=lambda i: scores[i] - w.repeat_penalty * shown.get(docs[i], 0))
        left.remove(best)
        if any(float(vectors[best] @ vectors[j]) >= w.duplicate_cosine for j in kept):
            continue
        kept.append(int(best))
        shown[docs[best]] = shown.get(docs[best], 0) + 1
    return kept


def confidence(similarity: float, coverage: float, w: Weights) -> float:
    """How well the best passage answers: its best cosine plus matched idf share."""
    return similarity + w.coverage * coverage


def calibrated_threshold(probe_confidences: list[float], w: Weights) -> float:
    """The bar for this corpus: above what most off-topic probe questions reach."""
    if not probe_confidences:
        return w.default_threshold
    level = float(np.quantile(probe_confidences, w.probe_quantile)) + w.probe_margin
    return float(np.clip(level, w.min_threshold, w.max_threshold))


# Questions no news corpus should answer: trivia, how-to, definitions, across domains.
# They calibrate the answer threshold (disjoint from the benchmark's out-of-corpus sets).
PROBES = (
    "How many strings does a standard violin have?",
    "What is the atomic number of carbon?",
    "How do I remove a red wine stain from a carpet?",
    "What is the plural of cactus?",
    "Who composed the Four Seasons?",
    "What is the formula for the area of a circle?",
    "How long should I boil an egg for a soft yolk?",
    "Which bone is the longest in the human body?",
    "What does a sommelier do?",
    "How many sides does a hexagon have?",
    "What is the difference between weather and climate?",
    "How do I tie a bowline knot?",
    "Who wrote the novel Moby-Dick?",
    "What gas do plants absorb from the air?",
    "How do you convert Celsius to Fahrenheit?",
    "What is the main ingredient of guacamole?",
    "Why is the sky blue?",
    "How many keys does a piano have?",
    "What is a haiku?",
    "Which instrument has pedals and pipes?",
    "How often should a cactus be watered?",
    "What is the capital of Mongolia?",
    "How do bees make honey?",
    "What is the hardest natural mineral?",
    "How do I reset a forgotten email password?",
    "What colour do you get by mixing blue and yellow?",
    "Who invented the telephone?",
    "What is the largest ocean on Earth?",
    "How many minutes are in a day?",
    "What is the function of the human liver?",
    "How do you play a C major chord on guitar?",
    "What language has the most native speakers?",
    "What is an isosceles triangle?",
    "How do I make my sourdough starter more active?",
    "Which animal is known as the ship of the desert?",
    "What does DNA stand for?",
    "How far is the Moon from the Earth?",
    "What is the national dish of Japan?",
    "How do solar panels produce electricity?",
    "What is the offside rule in football?",
)
