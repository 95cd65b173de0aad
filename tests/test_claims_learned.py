"""The learned framing correction (index.claims.learned): it moves claims only down the tiers, keeps a cue
for --explain, reads the parse, and its fitting code (bench/fit_claims.py) learns from labelled rows.

Every sentence here is written for these tests (none is taken from the labelled sets)."""

from __future__ import annotations

import itertools
import json
import random

import pytest

from bench import fit_claims
from index.claims import analyse, learned
from index.claims.framing import STATUSES
from index.models import Paragraph, Role, Sentence, Status


@pytest.fixture(autouse=True, scope="module")
def _parser(claims_parser: None) -> None:
    """The correction reads the parse, as `verbatim add` does."""


def article(*sentences: str) -> tuple[str, list[Paragraph], list[Sentence]]:
    """One body paragraph per sentence."""
    text, paras, sents, pos = "", [], [], 0
    for s in sentences:
        paras.append(Paragraph(start=pos, end=pos + len(s), role=Role.BODY))
        sents.append(Sentence(start=pos, end=pos + len(s)))
        text += s + "\n"
        pos = len(text)
    return text, paras, sents


def statuses(*sentences: str) -> list[tuple[str | None, str | None]]:
    return [(f.status, f.cue) for f in analyse(*article(*sentences))]


def synthetic(monkeypatch: pytest.MonkeyPatch, weights: dict, bias: dict | None = None,
              thresholds: dict | None = None) -> None:
    m = {"bias": {c: 0.0 for c in STATUSES} | (bias or {}), "weights": weights,
         "thresholds": thresholds if thresholds is not None else {c: {"p": 0.5, "margin": 0.1} for c in STATUSES}}
    monkeypatch.setattr(learned, "model", lambda: m)


def test_decide_never_raises_a_tier() -> None:
    rng = random.Random(8)
    permissive = {"thresholds": {c: {"p": 0.0, "margin": -1.0} for c in STATUSES}}
    for rule, _ in itertools.product(STATUSES, range(200)):
        raw = {c: rng.random() ** 3 for c in STATUSES}
        z = sum(raw.values())
        new = learned.decide(permissive, rule, {c: v / z for c, v in raw.items()})
        assert new is None or Status(new).tier <= Status(rule).tier, (rule, new)


def test_decide_needs_probability_and_margin() -> None:
    m = {"thresholds": {"opinion": {"p": 0.6, "margin": 0.3}}}
    assert learned.decide(m, "reported", {"opinion": 0.7, "reported": 0.2, "stated": 0.1}) == "opinion"
    assert learned.decide(m, "reported", {"opinion": 0.55, "reported": 0.05, "stated": 0.4}) is None  # p
    assert learned.decide(m, "reported", {"opinion": 0.6, "reported": 0.35, "stated": 0.05}) is None  # margin
    assert learned.decide(m, "reported", {"forecast": 0.9, "reported": 0.1}) is None  # no thresholds for it


def test_quoted_judgement_moves_down_with_a_cue(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "“We finished the new footbridge in April,” said Maria Lindqvist, the site manager."
    [(before, _)] = statuses(text)
    assert before == Status.REPORTED
    synthetic(monkeypatch, {"q:1p": {"opinion": 4.0}})
    [(after, cue)] = statuses(text)
    assert after == Status.OPINION
    assert cue == "learned: opinion (first person in a quotation)"


def test_a_confident_model_never_lifts_a_hedged_claim(monkeypatch: pytest.MonkeyPatch) -> None:
    hedged = ("The ferry company will probably cancel the winter timetable, a union official said.",
              "The mayor reportedly met the developers twice in March.")
    before = statuses(*hedged)
    assert all(Status(s).tier == 0 for s, _ in before), before
    synthetic(monkeypatch, {}, bias={"stated": 9.0, "confirmed": 9.0, "reported": 9.0})
    assert statuses(*hedged) == before


def test_stated_claim_can_become_reported_not_the_reverse(monkeypatch: pytest.MonkeyPatch) -> None:
    plain = "The bakery on Mill Street closed its doors after ninety years of trading."
    [(before, _)] = statuses(plain)
    assert before == Status.STATED
    synthetic(monkeypatch, {"prev=none": {"reported": 5.0}})
    [(after, cue)] = statuses(plain)
    assert after == Status.REPORTED and cue.startswith("learned: reported (")


def test_off_switch_and_no_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "“We moved the market stalls to the car park,” said Tomas Berg, a local councillor."
    synthetic(monkeypatch, {"q:1p": {"opinion": 6.0}})
    assert statuses(text)[0][0] == Status.OPINION
    monkeypatch.setenv("VERBATIM_CLAIMS_MODEL", "none")  # fitted on parsed text: without the parse it stays out
    assert statuses(text)[0][0] == Status.REPORTED


def test_shipped_weights_only_move_down() -> None:
    """With the fitted weights (if any target is enabled), no sentence ends up in a higher tier."""
    sentences = (
        "“Frankly, the whole scheme is a bridge too far for a town this size,” said Ida Moreau, a shopkeeper.",
        "Residents told the paper that the pumping station had been leaking for weeks.",
        "The regional council approved the budget on Tuesday.",
        "It is the third time this year that the vote has been delayed.",
        "Officials familiar with the talks said a deal could come as early as Friday.",
        "“We should have listened to the engineers,” the former minister admitted.",
    )
    text, paras, sents = article(*sentences)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VERBATIM_CLAIMS_LEARNED", "off")
        off = analyse(text, paras, sents)
    on = analyse(text, paras, sents)
    assert [(f.start, f.end) for f in on] == [(f.start, f.end) for f in off]
    for a, b in zip(off, on, strict=True):
        if a.status and b.status:
            assert Status(b.status).tier <= Status(a.status).tier, text[a.start:a.end]
        if a.status != b.status:
            assert b.cue and b.cue.startswith("learned: "), b


def test_weights_file_is_data() -> None:
    m = json.loads(learned.WEIGHTS.read_text(encoding="utf-8"))
    assert set(m["bias"]) == set(STATUSES)
    assert all(isinstance(f, str) and set(w) <= set(STATUSES) for f, w in m["weights"].items())
    assert all(set(t) == {"p", "margin"} for t in m["thresholds"].values())
    assert m["meta"]["fitted_by"] == "bench/fit_claims.py"
    assert not any("test" in f for f in m["meta"]["files"]) and "claims_pool_dev_8f_b" not in m["meta"]["files"]


def test_fit_learns_a_signal_and_cv_groups_by_article() -> None:
    rng = random.Random(3)
    rows = []
    for doc in range(12):
        for _k in range(10):
            judged = rng.random() < 0.4
            rows.append({"doc_id": f"d{doc}", "_file": "claims_pool", "status": "opinion" if judged else "reported",
                         "rule": "reported", "accept": [],
                         "feats": ["rule=reported", f"noise={rng.randrange(5)}"] + (["q:eval"] if judged else [])})
    m = fit_claims.fit(rows, c=1.0)
    p = learned.probabilities(m, ["rule=reported", "q:eval"])
    assert p["opinion"] > 0.8 > learned.probabilities(m, ["rule=reported"])["opinion"] + 0.5
    for test_docs in fit_claims.folds(rows, 4, 0):
        train = {r["doc_id"] for r in rows if r["doc_id"] not in test_docs}
        assert not train & test_docs and train | test_docs == {r["doc_id"] for r in rows}
    preds = fit_claims.nested_cv(rows, 1.0, k=4)
    assert fit_claims.metrics(rows, preds)["exact"] > 0.95
