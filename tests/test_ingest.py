"""Preparing articles: claims analysed with the whole article in view, kept inside passages."""

from __future__ import annotations

from index.chunk import chunk_paragraphs
from index.ingest import framings
from index.load import load_paths
from index.segment import paragraphs
from tests.conftest import SEED


def test_seed_claims_respect_section_headings_and_stay_inside_passages() -> None:
    a = load_paths([SEED]).articles[0]
    paras = paragraphs(a.text, title=a.title)
    chunks = chunk_paragraphs(a.id, a.text, paras, 180)
    claims = {a.text[c.start : c.end][:40]: c for c in framings(a, paras, chunks)}
    # "Although the reports could not be independently verified" reaches back only to the
    # reports of its own section ("Immediate desertions?"), not to NATO's conditional before it.
    assert claims["“If these troops are destined to fight i"].status == "forecast"
    assert claims["On October 15, barely a week after the f"].status == "unverified"
    assert claims["On October 15, barely a week after the f"].speaker == "Suspilne"
    # Headings, bylines and the headline are not passages, so they carry no claims.
    assert "Immediate desertions?" not in claims and "· France 24" not in claims
    inside = [(c.start, c.end) for c in chunks]
    assert all(any(s <= c.start and c.end <= e for s, e in inside) for c in claims.values())
