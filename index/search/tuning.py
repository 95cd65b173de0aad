"""One value holding every number the searcher uses: ranking weights and the decision's coefficients.

`Searcher` takes a `Tuning`; bench/tune.py and bench/fit_decision.py pass variants of it to the same
code path `ask` runs, so what is tuned is what ships.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Fitted by `python bench/fit_decision.py --work /tmp/bench9 --answer-weight 10` (weighted logistic regression
# over index.search.decide.FEATURES, in that order; data and held-out figures in bench/README.md).
DECISION_COEFS: tuple[float, ...] = (  # FEATURES, then SIZED times log_n (index.search.decide.design)
    6.7335, -1.2692, 5.8368, -3.6678, -8.7915, 5.3838, 3.6481, 6.6838,
    4.2773, 1.1674, 0.5871, 8.0281, 4.0409, 8.8988, 0.8056, 13.0408,
    7.5475, 3.9229, 0.0194, -0.6857, 1.4754, 2.537, -1.2959, -2.8372,
    -2.3048, -0.1453, -0.3122, -1.4523, -1.1053, -3.7286, 1.3824, -3.1623,
    -2.2494,
)
DECISION_BIAS: float = -23.8174


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
