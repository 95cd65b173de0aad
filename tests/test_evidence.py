"""Corpus evidence: figures, conflicts, corroboration by independent outlets, verdicts."""

from __future__ import annotations

import json

import numpy as np
import pytest

from index.errors import InputError
from index.evidence import (
    CONFLICTS,
    CORROBORATES,
    ClaimInfo,
    figures,
    independent_evidence,
    relate,
)
from index.lexical import Analyzer
from index.verdicts import export_claim_reviews, parse_claim_reviews
from tests.conftest import sql_value

AN = Analyzer()

SEED_AUSTIN = (
    '"There is evidence that there are DPRK troops in Russia," US Defense Minister Lloyd Austin said on '
    "Wednesday, for the first time confirming an October 18 report by South Korea’s intelligence agency "
    "(NIS) that Pyongyang was propping up Moscow with manpower, and had, as a first step, sent around "
    "1,500 soldiers to Russia’s Far East to train for the trenches."
)
USAT_KIRBY = (
    "Kirby said the U.S. believes North Korea sent at least 3,000 troops by boat to Vladivostok, a city on "
    "the far eastern coast of Russia."
)
SEED_LAWMAKERS = (
    "The news comes as South Korean lawmakers say the North Korean troop numbers have now swelled to as "
    "many as 3,000, and that the total is expected to land at around 10,000."
)
USAT_LAWMAKERS = (
    "South Korean lawmakers said Wednesday that 3,000 North Korean troops were believed to be in Russia, "
    "a number double the estimate the South Korean Intelligence Service said it identified last week."
)
USAT_UKRAINE = (
    "Ukraine pegged the number of North Korean soldiers in the country far higher – around 12,000 troops, "
    "including 500 officers and three generals, are already spread across five Russian military bases, "
    "according to its intelligence service."
)
SEED_PACT = "In June, Kim signed a mutual defence pact with Russian President Vladimir Putin."
USAT_PACT = (
    "In a rare trip to North Korea in June, Putin signed a diplomatic with defense pact with Kim, and Kim "
    "expressed his support for the invasion of Ukraine."
)


def info(doc: str, text: str, status: str = "reported") -> ClaimInfo:
    return ClaimInfo((doc, 0, len(text)), doc, text, status, frozenset(s for s in AN(text) if len(s) > 2))


def test_figures_read_ranges_and_skip_dates_and_forecasts() -> None:
    austin = figures(SEED_AUSTIN)
    assert [(f.raw, f.unit, f.low, f.high) for f in austin] == [("around 1,500", "troops", 1125.0, 1875.0)]
    lawmakers = figures(SEED_LAWMAKERS)
    assert [(f.raw, f.unit, f.high) for f in lawmakers] == [
        ("as many as 3,000", "troops", 3000.0)
    ]  # 10,000 is a forecast
    assert [f.raw for f in figures(USAT_UKRAINE)][:1] == ["around 12,000"]
    assert figures("The transfers had taken place between October 8-13, NIS reported.") == []
    assert figures("Kim came to power in 2011.") == []


@pytest.mark.parametrize(
    ("a", "b", "kind"),
    [
        (SEED_AUSTIN, USAT_KIRBY, CONFLICTS),  # around 1,500 vs at least 3,000 troops
        (SEED_LAWMAKERS, USAT_UKRAINE, CONFLICTS),  # as many as 3,000 vs around 12,000
        (SEED_LAWMAKERS, USAT_LAWMAKERS, CORROBORATES),  # as many as 3,000 admits 3,000
    ],
)
def test_relations_between_real_claims(a: str, b: str, kind: str) -> None:
    rel = relate(info("france24", a), info("usatoday", b), cosine=0.65)
    assert rel is not None and rel[0] == kind


def test_forecast_never_conflicts_with_a_count_and_opinions_never_corroborate() -> None:
    forecast = info("a", "The total is expected to land at around 10,000 North Korean troops.", "forecast")
    count = info("b", "South Korean lawmakers said 3,000 North Korean troops were in Russia.", "reported")
    assert relate(forecast, count, 0.7) is None
    opinion = info("a", SEED_PACT, "opinion")
    assert relate(opinion, info("b", USAT_PACT, "stated"), 0.8) is None


def test_same_article_and_unrelated_claims_are_not_evidence() -> None:
    assert relate(info("a", SEED_PACT), info("a", USAT_PACT), 0.9) is None
    assert relate(info("a", SEED_PACT), info("b", "Cats purr when content."), 0.3) is None


def test_a_denial_conflicts_with_the_claim() -> None:
    claim = info("a", "North Korea has sent troops to Russia, NATO said.", "reported")
    denial = info("b", "Moscow denied that North Korea has sent troops to Russia.", "denied")
    assert relate(claim, denial, 0.8)[0] == CONFLICTS


def test_independent_outlets_only_and_wire_copy_once() -> None:
    ev = [
        {"doc_id": "u1", "source": "USA Today", "text": "Putin signed a pact with Kim.", "score": 0.6},
        {"doc_id": "u2", "source": "USA TODAY", "text": "Putin and Kim signed a pact.", "score": 0.7},
        {"doc_id": "f2", "source": "France 24", "text": "Kim signed a pact.", "score": 0.9},
        {"doc_id": "c1", "source": "CNN", "text": "Putin signed a pact with Kim.", "score": 0.5},
        {"doc_id": "x1", "source": None, "text": "Unknown outlet says so.", "score": 0.9},
    ]
    kept = independent_evidence("France 24", ev)
    assert [e["doc_id"] for e in kept] == ["u2"]  # own outlet dropped, one per outlet, CNN's copy is wire copy


REVIEW = {
    "@context": "https://schema.org",
    "@type": "ClaimReview",
    "datePublished": "2024-10-26T10:00:00Z",
    "url": "https://factcheck.test/pact",
    "author": {"@type": "Organization", "name": "Fact Desk"},
    "claimReviewed": "Kim signed a mutual defence pact with Putin in June.",
    "reviewRating": {"@type": "Rating", "ratingValue": "5", "bestRating": 5, "worstRating": 1, "alternateName": "True"},
}


def test_claim_review_parse_and_round_trip() -> None:
    [rec] = parse_claim_reviews(json.dumps(REVIEW).encode())
    assert (rec["rating"], rec["author"], rec["date"], rec["rating_value"]) == ("True", "Fact Desk", "2024-10-26", 5.0)
    again = parse_claim_reviews(export_claim_reviews([rec]))
    assert again[0] == rec
    graph = parse_claim_reviews(json.dumps({"@graph": [REVIEW, {"@type": "WebPage"}]}))
    assert len(graph) == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff\xfe\x00garbage", "not valid JSON"),
        (b"{broken", "not valid JSON"),
        (json.dumps({"@type": "WebPage"}).encode(), "no ClaimReview"),
        (json.dumps({**REVIEW, "claimReviewed": ""}).encode(), "no claimReviewed"),
        (json.dumps({**REVIEW, "reviewRating": {}}).encode(), "alternateName"),
    ],
)
def test_bad_claim_reviews_are_one_sentence(data: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_claim_reviews(data, "f.json")


@pytest.fixture
def retriever(any_retriever):
    """The end-to-end evidence tests run on both backends (tests/conftest.py `backend_kind`)."""
    return any_retriever


def test_links_follow_adds_and_removes(retriever) -> None:
    """Corroboration is stored as links that appear with the other article and vanish with it."""
    from tests.conftest import article

    text_a = "North Korea sent 3,000 troops to Russia, officials said on Wednesday."
    text_b = "Officials said on Wednesday North Korea sent 3,000 troops to Russia."
    text_c = "Officials said on Wednesday that North Korea sent 12,000 troops to Russia."
    retriever.add_articles([article("a", text_a, source="Outlet A")])
    retriever.add_articles([article("b", text_b, source="Outlet B"), article("c", text_c, source="Outlet C")])
    claim = retriever.ask("North Korea troops Russia", 3, doc_ids=["a"], force=True).results[0].claims[0]
    assert [e.doc_id for e in claim.corroborated_by] == ["b"]
    assert [(e.doc_id, e.value) for e in claim.conflicts_with] == [("c", "12,000")]
    retriever.remove(["b"])
    claim = retriever.ask("North Korea troops Russia", 3, doc_ids=["a"], force=True).results[0].claims[0]
    assert claim.corroborated_by == [] and [e.doc_id for e in claim.conflicts_with] == ["c"]
    assert (
        sql_value(
            retriever,
            "SELECT count(*) FROM claim_links WHERE claim_id NOT IN (SELECT id FROM claims)"
            " OR other_id NOT IN (SELECT id FROM claims)",
        )
        == 0
    )


def test_verdict_matches_claims_and_new_articles(retriever) -> None:
    from tests.conftest import article

    retriever.add_articles([article("a", "Kim signed a mutual defence pact with Putin in June.", source="A")])
    [(rec, matched)] = retriever.add_verdicts(json.dumps(REVIEW))
    assert matched == 1
    retriever.add_articles([article("b", "In June Kim signed a mutual defence pact with Putin.", source="B")])
    for doc in ("a", "b"):
        claim = retriever.ask("defence pact", 1, doc_ids=[doc], force=True).results[0].claims[0]
        assert claim.verdict is not None and claim.verdict.rating == "True" and claim.verdict.author == "Fact Desk"
    assert retriever.remove_verdict(rec["id"])
    assert retriever.ask("defence pact", 1, doc_ids=["a"], force=True).results[0].claims[0].verdict is None
    assert np.isfinite(rec["rating_value"])


def test_linking_reads_neighbours_a_group_at_a_time_with_the_same_links(tmp_path, monkeypatch) -> None:
    """The stored neighbours' claims are read for GROUP new passages at a time and at most HELD of them
    are kept (bounded memory); the links are exactly those of reading them all at once."""
    from index import linking
    from index.embed import HashEmbedder
    from index.ingest import prepare
    from index.storage.embedded import EmbeddedBackend
    from tests.pg_writer import add, make_articles

    backend = EmbeddedBackend.open(tmp_path / "idx", 64, "hash-test")
    with backend.writer():
        for lo in range(0, 60, 20):
            add(backend, make_articles(20, seed=lo, prefix=f"old{lo}-"))
    analyzer = Analyzer()
    batch = prepare(make_articles(25, seed=99, prefix="new"), HashEmbedder(), analyzer, backend.vocabulary())
    reads: list[int] = []
    claim_infos = backend.claim_infos

    def counted(chunk_ids):
        reads.append(len(chunk_ids))
        return claim_infos(chunk_ids)

    monkeypatch.setattr(backend, "claim_infos", counted)
    whole = linking.claim_links(batch, backend, analyzer)
    assert len(reads) == 1 and whole
    unique = reads[0]  # every stored neighbour, read once
    reads.clear()
    monkeypatch.setattr(linking, "GROUP", 4)
    monkeypatch.setattr(linking, "HELD", 10)
    assert linking.claim_links(batch, backend, analyzer) == whole  # the same links, in the same order
    new = sum(len(p.chunks) for p in batch)
    assert len(reads) == -(-new // 4) and max(reads) <= 4 * linking.NEIGHBOURS
    assert sum(reads) > unique  # some were dropped and read again: the cap held
    backend.close()
