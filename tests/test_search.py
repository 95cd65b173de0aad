"""The searcher: filters in each form, the answer-or-decline decision, entity questions, newer-first ties,
and that an add no longer runs questions under the reader lock after its commit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.render_text import NEXT_STEPS, render_answer
from index.embed import HashEmbedder
from index.errors import InputError
from index.models import NO_ANSWER, Filters
from index.retriever import Retriever
from index.search.filters import describe, make_filters, parse_question
from tests.conftest import article
from tests.test_cli import run

OUTLETS = ["CNN", "USA Today", "The Week (UK)", "BBC News"]

NEWS = [
    article("cnn-oct", "Storm Milton flooded Tampa streets on Wednesday, officials said.", source="CNN",
            date="2024-10-09"),
    article("cnn-aug", "Storm Debby flooded Savannah streets on Monday, officials said.", source="CNN",
            date="2024-08-05"),
    article("usa-oct", "Storm Milton left Tampa without power for days, the utility said.", source="USA Today",
            date="2024-10-11"),
    article("kirby", "The talks went on late. \"We are watching this very closely,\" John Kirby said on Monday.",
            source="CNN", date="2024-10-24"),
    article("bees", "Honey bees communicate with a waggle dance. A colony can hold sixty thousand bees.",
            source="Nature Desk", date="2023-05-01"),
]


@pytest.fixture
def news(retriever: Retriever) -> Retriever:
    retriever.add_articles(NEWS)
    return retriever


# ---- filters: reading them -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("question", "sources", "since", "until", "searched"),
    [
        ("What did CNN report in October 2024 about the storm?", ("CNN",), "2024-10-01", "2024-10-31",
         "What did report about the storm?"),
        ("According to USA Today, what happened since 2024-10-05?", ("USA Today",), "2024-10-05", None,
         "what happened?"),
        ("What did the Week say in 2024 about Milton?", ("The Week (UK)",), "2024-01-01", "2024-12-31",
         "What did say about Milton?"),
        ("News on floods between March and May 2024?", (), "2024-03-01", "2024-05-31", "News on floods?"),
        ("How many interceptions did the Panthers make in 2015?", (), None, None,  # the year is asked about
         "How many interceptions did the Panthers make in 2015?"),
        ("Who owns CNN?", (), None, None, "Who owns CNN?"),  # the subject, not a source
        ("Who won the 2018 World Cup?", (), None, None, "Who won the 2018 World Cup?"),
    ],
)
def test_outlets_and_dates_in_a_question_become_filters(question, sources, since, until, searched) -> None:
    found, text = parse_question(question, OUTLETS)
    assert (found.sources, found.since, found.until) == (sources, since, until)
    assert text == searched


def test_explicit_filters_are_checked_against_the_index() -> None:
    f = make_filters(["usa today"], "2024-10", "2024-10", OUTLETS)
    assert f == Filters(sources=("USA Today",), since="2024-10-01", until="2024-10-31")
    assert describe(f) == "USA Today · October 2024"
    assert describe(Filters(sources=("CNN",), since="2024-10-05")) == "CNN · since 2024-10-05"
    with pytest.raises(InputError, match=r"^No article in the index is from 'Fox'; the outlets are: BBC News, CNN"):
        make_filters(["Fox"], None, None, OUTLETS)
    with pytest.raises(InputError, match="is not a date"):
        make_filters(None, "2024-13-01", None, OUTLETS)
    with pytest.raises(InputError, match="empty"):
        make_filters(None, "2024-10-05", "2024-10-01", OUTLETS)


# ---- filters: applied -----------------------------------------------------------------------
def test_filters_argument_narrows_and_is_reported(news: Retriever) -> None:
    f = news.filters(["cnn"], "2024-10-01", "2024-10-31")
    answer = news.ask("storm flooded streets", 3, filters=f, force=True)
    assert answer.filters == Filters(sources=("CNN",), since="2024-10-01", until="2024-10-31")
    assert answer.results and {h.doc_id for h in answer.results} <= {"cnn-oct", "kirby"}
    assert answer.results[0].doc_id == "cnn-oct"


def test_question_words_narrow_and_the_text_renderer_says_so(news: Retriever) -> None:
    answer = news.ask("What did CNN report in October 2024 about Storm Milton flooding Tampa?", 3, force=True)
    assert answer.filters == Filters(sources=("CNN",), since="2024-10-01", until="2024-10-31")
    assert all(h.source == "CNN" and h.date.startswith("2024-10") for h in answer.results)
    assert "within: CNN · October 2024" in render_answer(answer)


def test_filter_matching_nothing_is_one_sentence(news: Retriever) -> None:
    answer = news.ask("storm", filters=news.filters("USA Today", "2023-01-01", "2023-12-31"))
    assert not answer.answered and answer.message == "No article in the index matches USA Today · 2023."


def test_cli_flags_json_objects_and_bad_input(tmp_path: Path) -> None:
    feed = tmp_path / "news.jsonl"
    feed.write_text("".join(json.dumps({"id": a.id, "title": a.title, "source": a.source, "date": a.date,
                                         "text": a.text}) + "\n" for a in NEWS))
    assert run(tmp_path, "add", str(feed)).returncode == 0
    out = run(tmp_path, "ask", "--json", "--source", "USA Today", "--since", "2024-10-01", "storm flooded Tampa")
    data = json.loads(out.stdout)
    assert data["filters"] == {"sources": ["USA Today"], "since": "2024-10-01", "until": None}
    assert {h["doc_id"] for h in data["results"]} <= {"usa-oct"}
    lines = "\n".join([
        json.dumps({"question": "storm flooded streets", "source": "CNN", "until": "2024-08-31"}),
        "storm flooded Tampa",
        json.dumps({"question": "storm", "source": "Fox"}),
        json.dumps({"question": "storm", "since": "yesterday"}),
        json.dumps({"question": "storm", "colour": "red"}),
    ]) + "\n"
    out = run(tmp_path, "ask", "--json", "-", stdin=lines)
    rows = [json.loads(x) for x in out.stdout.splitlines()]
    assert rows[0]["filters"]["sources"] == ["CNN"] and rows[0]["filters"]["until"] == "2024-08-31"
    assert [h["doc_id"] for h in rows[0]["results"]][:1] == ["cnn-aug"]
    assert rows[1]["filters"] is None
    assert rows[2]["error"].startswith("No article in the index is from 'Fox'; the outlets are: CNN, Nature Desk")
    assert "is not a date" in rows[3]["error"] and "Unknown field 'colour'" in rows[4]["error"]
    bad = run(tmp_path, "ask", "--source", "Fox", "storm")
    assert bad.returncode != 0 and "Traceback" not in bad.stderr and "the outlets are: CNN" in bad.stderr
    bad = run(tmp_path, "ask", "--since", "2024-02-30", "storm")
    assert bad.returncode != 0 and "Traceback" not in bad.stderr and "is not a date" in bad.stderr


# ---- the decision ---------------------------------------------------------------------------
def test_off_topic_question_is_declined_with_fixed_next_steps(news: Retriever) -> None:
    answer = news.ask("What is the price of bitcoin today?")
    assert not answer.answered and answer.results == [] and answer.message == NO_ANSWER
    text = render_answer(answer)
    assert NO_ANSWER in text and all(step in text for step in NEXT_STEPS) and "verbatim sources" in text


def test_entity_question_finds_the_speaker(news: Retriever) -> None:
    for question in ("What did Kirby say?", "Kirby?", "John Kirby"):
        answer = news.ask(question, 1)
        assert answer.answered, question
        assert answer.results[0].doc_id == "kirby", question


def test_bare_key_term_question_is_answered(retriever: Retriever) -> None:
    retriever.add_articles([
        article("desert", "Eighteen soldiers had deserted their positions near the border, the broadcaster said."),
        article("bees", NEWS[4].text),
        article("storm", NEWS[0].text),
    ])
    answer = retriever.ask("Did anyone desert?", 1)
    assert answer.answered and answer.results[0].doc_id == "desert"


def test_equally_good_passages_newer_first(retriever: Retriever) -> None:
    text = "The harbour bridge reopened to traffic after repairs."
    retriever.add_articles([
        article("old", text, source="Wire", date="2022-03-01"),
        article("new", text + " ", source="Wire", date="2024-03-01"),
    ])
    assert retriever.ask("harbour bridge reopened", 1, force=True).results[0].doc_id == "new"


# ---- concurrency: no probe questions after a commit ------------------------------------------
def test_an_add_runs_no_questions_after_its_commit(make_retriever, tmp_path: Path) -> None:
    """calibrate() used to rank 40 probe questions under the reader lock after each commit, stalling
    questions; the decision needs no per-index calibration, so an add encodes no question at all."""

    class Counting(HashEmbedder):
        queries = 0

        def encode_query(self, text: str):
            Counting.queries += 1
            return super().encode_query(text)

    r = make_retriever(tmp_path / "c", embedder=Counting())
    r.add_articles(NEWS[:3])
    r.add_articles(NEWS[3:])
    r.remove(["bees"])
    assert Counting.queries == 0
    assert r.store.meta("answer_threshold") is None


def test_min_score_moves_the_bar(make_retriever, tmp_path: Path) -> None:
    from index.settings import Settings

    strict = Retriever.open(Settings(index=tmp_path / "s", min_score=0.6, _env_file=None), embedder=HashEmbedder(),
                            build_default=False)
    try:
        strict.add_articles(NEWS)
        assert strict.tuning.answer_at == pytest.approx(1.0)
        assert not strict.ask("What did Kirby say?").answered  # a bar of 1.0 is never reached
    finally:
        strict.close()


# ---- the decision's evidence ---------------------------------------------------------------------
def test_phrase_evidence_reads_the_questions_pairs_and_best_sentence() -> None:
    from index.search import decide

    idfs = {"prime": 1.0, "minist": 1.0, "canada": 2.0}
    asked = ["prime", "minist", "canada"]
    together = [[["the", "prime", "minist", "canada", "spoke"]]]
    apart = [[["prime", "minist", "franc"], ["canada", "snow"]]]
    assert decide.phrases(asked, idfs, together) == (1.0, 1.0)
    bigram, sent_cov = decide.phrases(asked, idfs, apart)
    assert bigram == pytest.approx(0.5)  # "prime minist" occurs, "minist canada" does not
    assert sent_cov == pytest.approx(0.5)  # canada is in another sentence than prime minister
    assert decide.phrases(asked, idfs, []) == (0.0, 0.0)


def test_decision_model_has_one_coefficient_per_input() -> None:
    import numpy as np

    from index.search import decide
    from index.search.tuning import Tuning

    x = np.ones(len(decide.FEATURES))
    assert len(Tuning().coefs) == len(decide.design(x)) == 2 * len(decide.FEATURES) - 1
    x[decide.FEATURES.index("cov_corpus")] = 0.0  # no word of the question anywhere in the corpus
    assert decide.probability(x, Tuning()) == 0.0


def test_speaker_bonus_only_when_the_question_asks_for_words(news: Retriever) -> None:
    s = news.searcher
    _, said, _ = s.features("What did Kirby say?")
    _, other, _ = s.features("When was Kirby in Tampa?")
    assert said.speaker is not None and said.speaker.max() == 1.0  # Kirby is the speaker of a claim
    assert other.entity is not None and other.speaker is None


def test_rows_holding_matches_a_set_intersection_per_candidate() -> None:
    """The searcher's one-isin term lookup against the per-candidate set intersection it replaced."""
    import numpy as np

    from index.search.searcher import rows_holding

    rng = np.random.default_rng(4)
    ids = [7, 3, 11, 5, 9, 2]
    terms = {cid: rng.integers(0, 40, rng.integers(0, 25)).astype(np.int32) for cid in ids[:-1]}  # 2: no row
    terms[5] = np.zeros(0, np.int32)
    wanted = [1, 4, 4, 17, 39, 99]
    want: dict[int, set[int]] = {}
    for row, cid in enumerate(ids):
        for tid in set(wanted).intersection(terms.get(cid, np.zeros(0, np.int32)).tolist()):
            want.setdefault(tid, set()).add(row)
    assert want and rows_holding(ids, terms, wanted) == want
    assert rows_holding(ids, terms, []) == {} and rows_holding([], terms, wanted) == {}
    assert rows_holding([2, 5], terms, wanted) == {}


def test_best_sentences_is_each_candidates_best_sentence_or_its_passage() -> None:
    import numpy as np

    from index.search.searcher import best_sentences

    rng = np.random.default_rng(5)
    q = rng.standard_normal(16).astype(np.float32)
    dense = rng.standard_normal(4).astype(np.float32)
    sentences = [list(rng.standard_normal((3, 16)).astype(np.float32)), [], list(rng.standard_normal((1, 16),
                 dtype=np.float32)), list(rng.standard_normal((5, 16)).astype(np.float32))]  # fmt: skip
    want = [max((float(c @ q) for c in s), default=float(d)) for s, d in zip(sentences, dense, strict=True)]
    got = best_sentences(sentences, q, dense)
    assert got.dtype == np.float32 and np.allclose(got, want, atol=1e-5)
    assert got[1] == dense[1]  # no sentence vectors: the passage's own cosine, exactly
    assert np.array_equal(best_sentences([[], []], q, dense[:2]), dense[:2])
