"""Moving an index to PostgreSQL and back: nothing re-encoded, the same answers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from index.embed import HashEmbedder
from index.errors import StorageError
from index.retriever import Retriever
from index.storage.embedded import EmbeddedBackend
from index.storage.migrate import to_postgres, to_sqlite
from index.storage.postgres import PostgresBackend
from tests.pg_writer import make_articles
from tests.test_storage_contract import QUESTIONS, same_ranking

VERDICT = b"""{"@context": "https://schema.org", "@type": "ClaimReview", "url": "https://checks.example/1",
 "claimReviewed": "The minister said 4000 soldiers were there", "reviewRating": {"@type": "Rating",
 "alternateName": "False"}, "author": {"@type": "Organization", "name": "Checks"}}"""


def everything(r: Retriever) -> list:
    """All a reader can see: every passage with its claims, links and verdicts, and the answers."""
    ids = r.store.all_chunk_ids()
    return [r.store.counts(), r.sources(), r.store.claims(ids), r.store.chunks(ids),
            [r.ask(q, 5, force=True).model_dump() for q in QUESTIONS]]  # fmt: skip


def tied(claims: dict[int, list[dict]]) -> dict[int, list[dict]]:
    """Claims with their links in a fixed order (links of equal score come in any order)."""
    order = lambda e: (-e["score"], e["claim_id"], e["kind"])  # noqa: E731
    return {k: [{**c, "links": sorted(c["links"], key=order)} for c in cs] for k, cs in claims.items()}


def test_round_trip_keeps_every_answer(tmp_path: Path, pg_url: str, make_retriever: Callable[..., Retriever]) -> None:
    original = make_retriever(tmp_path / "index")
    original.add_articles(make_articles(30, seed=6))
    original.add_verdicts(VERDICT)
    original.remove(["art0004"])
    before = everything(original)
    assert any(c["links"] for cs in before[2].values() for c in cs)  # the corpus has evidence links to carry

    counts = to_postgres(tmp_path / "index", pg_url)
    assert counts == original.store.counts()
    pg = PostgresBackend(pg_url)
    lite = EmbeddedBackend.open(tmp_path / "index", original.embedder.dim)
    assert pg.generation == lite.generation
    assert pg.meta("updated_at") == lite.meta("updated_at") is not None
    emb = HashEmbedder()
    for q in QUESTIONS:
        terms = list(lite.term_map(original.analyzer(q)).values())
        same_ranking(lite, lite.lexical_search(terms, 20), pg, pg.lexical_search(terms, 20))
        same_ranking(lite, lite.dense_search(emb.encode_query(q), 20), pg, pg.dense_search(emb.encode_query(q), 20))
    assert tied(pg.claims(pg.all_chunk_ids())) == tied(lite.claims(lite.all_chunk_ids()))
    lite.close()
    with pytest.raises(StorageError, match="already holds"):
        to_postgres(tmp_path / "index", pg_url)

    assert to_sqlite(pg_url, tmp_path / "back") == counts
    back = make_retriever(tmp_path / "back")
    assert everything(back) == before
    pg.close()
    with pytest.raises(StorageError, match="already holds"):
        to_sqlite(pg_url, tmp_path / "back")
