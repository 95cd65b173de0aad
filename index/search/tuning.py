"""One value holding every number the searcher uses: ranking weights and the decision's coefficients.

`Searcher` takes a `Tuning`; bench/tune.py and bench/fit_decision.py pass variants of it to the same
code path `ask` runs, so what is tuned is what ships.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Fitted by `python bench/fit_decision.py --work /tmp/bench9 --answer-weight 10` (weighted logistic regression
# over index.search.decide.FEATURES, in that order; data and held-out figures in bench/README.md).
DECISION_COEFS: tuple[float, ...] = (  # FEATURES, then SIZED times log_n (index.search.decide.design)
    9.7772, 0.3839, 4.2641, -4.2492, -8.8776, 2.5372, 7.1105, 4.277,
    2.2089, -3.4291, 1.0302, 3.8734, 4.8172, 8.2738, 4.1806, 21.8638,
    3.3782, -0.5384, -0.1786, 1.7876, 2.6209, -0.4109, -3.4925, -1.5689,
    1.2776, -0.4436, -0.6001, -1.316, -3.7389, 0.3785, -5.7904,
)
DECISION_BIAS: float = -17.2823


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
