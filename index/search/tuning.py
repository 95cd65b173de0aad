"""One value holding every number the searcher uses: ranking weights and the decision's coefficients.

`Searcher` takes a `Tuning`; bench/tune.py and bench/fit_decision.py pass variants of it to the same
code path `ask` runs, so what is tuned is what ships.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Fitted by bench/fit_decision.py (logistic regression over index.search.decide.FEATURES; see that
# script's output for the data and the held-out figures). Order matches decide.FEATURES.
DECISION_COEFS: tuple[float, ...] = (
    14.2379, -0.7638, 7.6461, 0.6616, -3.1518, 0.6413, 2.1285, 0.1699, -2.7286, 0.1342, -0.6838,
)
DECISION_BIAS: float = 0.1606


@dataclass(frozen=True)
class Tuning:
    # ---- ranking ----------------------------------------------------------------------
    dense: float = 0.0
    lexical: float = 0.45
    sentence: float = 0.55
    article: float = 0.10  # share of the article's second-best passage score
    repeat_penalty: float = 0.20  # per passage already shown from the same article
    duplicate_cosine: float = 0.97
    speaker: float = 0.10  # bonus when a claim of the passage is spoken by an entity the question names
    entity: float = 0.10  # bonus x share of the question's named entities the passage contains
    candidates: int = 50  # dense top-n and BM25 top-n, unioned
    # ---- answer or decline --------------------------------------------------------------
    coefs: tuple[float, ...] = field(default=DECISION_COEFS)
    bias: float = DECISION_BIAS
    answer_at: float = 0.5  # answer when the decision's probability reaches this
