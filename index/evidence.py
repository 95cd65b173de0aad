"""Corpus evidence: which claims in other articles corroborate or contradict a claim.

Pure functions. Two claims are about the same thing when their sentence vectors
are close *and* they share rare content words (the vectors alone are pooled from
contextual token embeddings and rate every pair of sentences on one topic alike).
Then:

- a denial against an assertion of the same thing is a conflict;
- two figures for the same kind of quantity (troops, people, dollars...) conflict
  when their ranges cannot both hold: "around 1,500" vs "3,000" do, "as many as
  3,000" vs "3,000" do not; forecasts, opinions and figures in a forecast
  context ("expected to reach 10,000") never conflict with counts;
- otherwise a close enough match corroborates.

Independence (different outlet, wire copy counted once) is applied when evidence
is shown (`independent_evidence`), so it stays right as articles come and go.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from index.models import Status

CORROBORATES = "corroborates"
CONFLICTS = "conflicts"

TOPIC_COSINE = 0.50  # below this two sentences are not about the same thing
SAME_SCORE = 0.48  # combined score for "states the same claim"
CONFLICT_SCORE = 0.42  # combined score for "gives another figure for the same quantity"

_NUM = re.compile(
    r"(?P<approx>\b(?:around|about|some|roughly|approximately|nearly|almost|over|more than|at least|"
    r"as many as|up to|fewer than|less than|at most|an estimated|estimated|close to)\s+)?"
    r"(?P<num>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?P<scale>\s*(?:million|billion|thousand|m|bn|k)\b)?"
    r"(?P<rest>(?:\s+[\w’'-]+){0,3})",
    re.IGNORECASE,
)
_MONTHS = re.compile(
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s*$|\bbetween\s+\w+\s*$", re.IGNORECASE
)
_FORECAST_CONTEXT = re.compile(
    r"\b(expected|expect|could|would|will|may|might|forecast|projected|likely|set to|plans? to|"
    r"aim(?:s|ed)? to)\b[^.]{0,40}$",
    re.IGNORECASE,
)
UNITS = {
    "troops": {
        "troop",
        "troops",
        "soldier",
        "soldiers",
        "forces",
        "personnel",
        "servicemen",
        "fighters",
        "officers",
        "men",
        "marines",
        "sailors",
        "military",
    },
    "people": {"people", "persons", "civilians", "residents", "refugees", "migrants", "victims"},
    "dead": {"dead", "killed", "deaths", "died", "fatalities", "lives"},
    "percent": {"percent", "%", "per", "cent"},
    "dollars": {"dollars", "usd"},
}
_SCALES = {"million": 1e6, "m": 1e6, "billion": 1e9, "bn": 1e9, "thousand": 1e3, "k": 1e3}


@dataclass(frozen=True)
class Figure:
    value: float
    raw: str  # the figure as written, e.g. "around 1,500"
    unit: str
    low: float
    high: float


@dataclass(frozen=True)
class ClaimInfo:
    key: object  # claim id, or a (doc_id, start) key for claims not stored yet
    doc_id: str
    text: str
    status: str | None
    stems: frozenset[str]


def figures(text: str) -> list[Figure]:
    """Counted quantities in a claim, with the range their wording allows."""
    out = []
    for m in _NUM.finditer(text):
        before = text[max(0, m.start() - 60) : m.start()]
        num = m.group("num")
        if _MONTHS.search(before) or (len(num) == 4 and num.isdigit() and 1800 <= int(num) <= 2100):
            continue  # dates and years are not quantities
        if _FORECAST_CONTEXT.search(before):
            continue
        value = float(num.replace(",", "")) * _SCALES.get((m.group("scale") or "").strip().lower(), 1.0)
        unit = _unit(m.group("rest"), text)
        if unit is None:
            continue
        approx = (m.group("approx") or "").strip().lower()
        low, high = _range(value, approx)
        raw = text[m.start() : m.end("scale") if m.group("scale") else m.end("num")].strip()
        out.append(Figure(value=value, raw=raw, unit=unit, low=low, high=high))
    return out


def _unit(rest: str, sentence: str) -> str | None:
    words = [w.strip("’'").lower() for w in rest.split()]
    for w in words:
        for unit, names in UNITS.items():
            if w in names:
                return unit
    if not words or not words[0].isalpha():  # "swelled to as many as 3,000, ..." - unit from context
        lowered = sentence.lower()
        for unit, names in UNITS.items():
            if unit != "percent" and any(re.search(rf"\b{n}\b", lowered) for n in names):
                return unit
    return None


def _range(value: float, approx: str) -> tuple[float, float]:
    if approx in ("as many as", "up to", "fewer than", "less than", "at most"):
        return 0.0, value
    if approx in ("over", "more than", "at least"):
        return value, float("inf")
    if approx:
        return value * 0.75, value * 1.25
    return value * 0.98, value * 1.02


def overlap(a: frozenset[str], b: frozenset[str]) -> float:
    """Set cosine of two claims' content stems (a short sentence cannot match by being short)."""
    if not a or not b:
        return 0.0
    return len(a & b) / float(np.sqrt(len(a) * len(b)))


def relate(a: ClaimInfo, b: ClaimInfo, cosine: float) -> tuple[str, str | None, float] | None:
    """(kind, value, score) when b corroborates or contradicts a; None otherwise."""
    if a.doc_id == b.doc_id or cosine < TOPIC_COSINE or a.status is None or b.status is None:
        return None
    score = 0.5 * cosine + 0.5 * overlap(a.stems, b.stems)
    if score < CONFLICT_SCORE:
        return None
    if (a.status == Status.DENIED) != (b.status == Status.DENIED) and score >= SAME_SCORE:
        return CONFLICTS, None, score
    counts = {Status.FORECAST, Status.OPINION}
    if a.status not in counts and b.status not in counts:
        fa, fb = figures(a.text), figures(b.text)
        for x in fa:
            for y in fb:
                if x.unit == y.unit and (x.high < y.low or y.high < x.low):
                    return CONFLICTS, y.raw, score
    # A forecast is corroborated only by another forecast; an opinion by nothing.
    same_kind = (a.status == Status.FORECAST) == (b.status == Status.FORECAST)
    if score >= SAME_SCORE and same_kind and Status.OPINION not in (a.status, b.status):
        return CORROBORATES, None, score
    return None


def pairs(
    left: Sequence[ClaimInfo], left_vecs: np.ndarray, right: Sequence[ClaimInfo], right_vecs: np.ndarray
) -> Iterable[tuple[ClaimInfo, ClaimInfo, str, str | None, float]]:
    """Every related (left, right) pair between two sets of claims."""
    if not len(left) or not len(right):
        return
    sims = left_vecs @ right_vecs.T
    for i, j in zip(*np.nonzero(sims >= TOPIC_COSINE), strict=True):
        rel = relate(left[i], right[j], float(sims[i, j]))
        if rel:
            yield left[i], right[j], *rel


def outlet(source: str | None) -> str | None:
    if not source:
        return None
    s = re.sub(r"[^\w ]", " ", source.lower())
    s = re.sub(r"\b(the|news|com|www|online)\b", " ", s)
    return " ".join(s.split()) or None


def independent_evidence(own_source: str | None, evidence: Sequence[dict]) -> list[dict]:
    """Keep one item per independent outlet: never the claim's own outlet, wire copy once.

    `evidence` items carry doc_id, source, text and score; the best-scoring item of each
    outlet is kept, and items whose text repeats one already kept (wire copy under
    another outlet's name) are dropped.
    """
    own = outlet(own_source)
    kept: dict[str, dict] = {}
    seen_texts: set[str] = set()
    for item in sorted(evidence, key=lambda e: -(e.get("score") or 0.0)):
        name = outlet(item.get("source"))
        norm = " ".join(re.findall(r"\w+", item["text"].lower()))
        duplicate = norm in seen_texts
        if name is not None:
            seen_texts.add(norm)  # any outlet's copy of a text makes later copies wire copy
        if name is None or name == own or name in kept or duplicate:
            continue
        kept[name] = item
    return list(kept.values())
