"""One value holding every number the searcher uses: ranking weights and the decision's coefficients.

`Searcher` takes a `Tuning`; bench/tune.py and bench/fit_decision.py pass variants of it to the same
code path `ask` runs, so what is tuned is what ships.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Fitted by `python bench/fit_decision.py --work /tmp/bench9 --answer-weight 6` (weighted logistic regression
# over index.search.decide.FEATURES, in that order; data and held-out figures in bench/README.md).
DECISION_COEFS: tuple[float, ...] = (  # FEATURES, then SIZED times log_n (index.search.decide.design)
    15.9672, -2.3323, 5.9081, -4.2231, -2.7925, 1.4659, 5.8175, 4.4796,
    0.4282, 5.7678, 0.7058, 7.6702, 0.2741, 2.3153, 4.7049, 5.3375,
    -0.5453, 0.5594, 0.4256, -0.9504, 2.0545, 0.7879, -0.1096, -1.2518,
    -1.7469, -1.3951, 0.6436, -0.8125, -0.1123, -1.8142, -0.2802, -1.9156,
    0.219,
)
DECISION_BIAS: float = -15.9952


@dataclass(frozen=True)
class Tuning:
    # ---- ranking ----------------------------------------------------------------------
    dense: float = 0.0
    lexical: float = 0.45
    lexical_saturation: float = 0.0  # BM25 s -> s / (s + this); 0: s / the question's best s
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
