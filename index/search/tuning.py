"""One value holding every number the searcher uses: ranking weights and the decision's coefficients.

`Searcher` takes a `Tuning`; bench/tune.py and bench/fit_decision.py pass variants of it to the same
code path `ask` runs, so what is tuned is what ships.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Fitted by `python bench/fit_decision.py --work /tmp/bench9 --answer-weight 10` (weighted logistic regression
# over index.search.decide.FEATURES, in that order; data and held-out figures in bench/README.md).
DECISION_COEFS: tuple[float, ...] = (  # FEATURES, then SIZED times log_n (index.search.decide.design)
    14.1205, -2.2205, 5.5077, -3.2685, -2.7634, 1.7007, 5.1058, 4.8659,
    0.5125, 5.2686, 0.7353, 6.9699, 0.5816, 1.8671, 4.3621, 4.9703,
    -0.269, 1.2419, 0.3663, -0.8483, 1.6522, 0.7621, -0.207, -1.0679,
    -1.865, -1.2291, 0.5741, -0.4773, -0.2328, -1.5517, -0.2067, -1.7656,
    0.1292,
)
DECISION_BIAS: float = -15.5257


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
