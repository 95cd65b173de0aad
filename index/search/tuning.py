"""One value holding every number the searcher uses: ranking weights and the decision's coefficients.

`Searcher` takes a `Tuning`; bench/tune.py and bench/fit_decision.py pass variants of it to the same
code path `ask` runs, so what is tuned is what ships.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Fitted by `python bench/fit_decision.py --work DIR --cross` (answer weight 6, L2 0.01; weighted logistic
# regression over index.search.decide.FEATURES, in that order) on the seed, mixed2, SQuAD and a 20.6k-passage
# news_rtqa corpus; data, cross-fitted and held-out figures in bench/README.md.
DECISION_COEFS: tuple[float, ...] = (  # FEATURES, then SIZED times log_n (index.search.decide.design)
    12.9547, -1.2518, -8.5018, -1.8891, -9.0049, -9.7148, 15.5175, 2.0499,
    -6.0132, 1.1454, -4.6979, 11.8873, -1.8388, 0.6494, -0.2458, 8.8329,
    -2.3057, 2.3414, -0.118, 3.3576, 1.5976, 1.8897, 2.5723, -5.113,
    -0.626, -0.0562, 2.1129, -2.1576, 0.5857, -0.8175, 1.1865, -2.3991,
    0.7125,
)
DECISION_BIAS: float = 6.1263


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
