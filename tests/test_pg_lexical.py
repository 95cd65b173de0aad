"""PostgreSQL's packed-postings lexical search (index.storage.pgblocks): the same BM25 as the rows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from index.lexical import Analyzer
from index.storage import pgblocks
from tests.pg_writer import WORDS, add, make_articles
from tests.test_storage_contract import open_pg, open_sqlite, same_ranking


def reference(postings: list[tuple[int, int, float, float]], idf: dict[int, float], avgdl: float, k: int,
              dead: set[int]) -> tuple[list[int], list[float]]:  # fmt: skip
    """BM25 summed per passage in plain Python, best first, ties by ascending id."""
    scores: dict[int, float] = {}
    for term, chunk, tf, dl in postings:
        if term in idf and chunk not in dead:
            scores[chunk] = scores.get(chunk, 0.0) + idf[term] * tf / (tf + 1.2 * (1 - 0.75 + 0.75 * dl / avgdl))
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:k]
    return [c for c, _ in ranked], [s for _, s in ranked]


def test_packed_blocks_score_like_the_formula() -> None:
    rng = np.random.default_rng(0)
    rows = {(int(t), int(c)): (float(rng.integers(1, 4)), 0.0) for t, c in rng.integers(0, [12, 300], (2500, 2))}
    dl = {c: float(rng.integers(5, 80)) for _, c in rows}
    postings = [(t, c, tf, dl[c]) for (t, c), (tf, _) in rows.items()]
    dup = [(t, 1000 + c, tf, d) for t, c, tf, d in postings if c in (7, 8)]  # identical passages: exact ties
    postings += dup
    terms, chunks, tfs, dls = (np.asarray(x) for x in zip(*postings, strict=True))
    half = len(postings) // 2  # two commits' blocks of the same terms, merged by concatenation
    packed: dict[int, bytes] = {}
    for lo, hi in ((0, half), (half, len(postings))):
        for term, data in pgblocks.pack(terms[lo:hi].astype(np.int32), chunks[lo:hi].astype(np.int64),
                                        tfs[lo:hi].astype(np.float32), dls[lo:hi].astype(np.float32)):  # fmt: skip
            packed[term] = packed.get(term, b"") + data
    idf = {t: float(np.log(1 + (300 - t * 10 + 0.5) / (t * 10 + 0.5))) for t in (1, 4, 9, 11)}
    dead = {3, 1007, 150}
    ids, scores = pgblocks.top_k([(idf[t], packed[t]) for t in idf], 40.0, 25,
                                 np.asarray(sorted(dead), ">i8").tobytes(), 1.2, 0.75)  # fmt: skip
    want_ids, want_scores = reference(postings, idf, 40.0, 25, dead)
    np.testing.assert_allclose(scores, want_scores, rtol=1e-6)
    assert ids.tolist() == want_ids
    everything = pgblocks.top_k([(idf[t], packed[t]) for t in idf], 40.0, 10_000, None, 1.2, 0.75)[0].tolist()
    assert everything == reference(postings, idf, 40.0, 10_000, set())[0]
    assert not set(dead) & set(ids.tolist())
    assert pgblocks.top_k([], 40.0, 5, None, 1.2, 0.75)[0].size == 0


def test_the_packed_format_refuses_what_it_cannot_hold_exactly() -> None:
    one = np.ones(1)
    for tfs, dls, chunks in ((one * 0.5, one, one), (one, one * 40_000, one), (one, one, one * 2**31)):
        with pytest.raises(ValueError, match="whole numbers"):
            pgblocks.pack(np.zeros(1, np.int32), chunks.astype(np.int64), tfs.astype(np.float32), dls.astype(np.float32))


def blocks_match_postings(pg) -> None:
    """The packed blocks, less the tombstoned passages, hold exactly the postings rows."""
    dead = {r[0] for r in pg._q("SELECT chunk_id FROM dead_chunks")}
    rows = pg._q("SELECT term_id, postings FROM term_blocks", binary=True)
    packed = sorted(
        (t, int(p["chunk"]), float(p["tf"]), float(p["dl"]))
        for t, data in rows for p in np.frombuffer(bytes(data), pgblocks.POSTING) if int(p["chunk"]) not in dead
    )  # fmt: skip
    table = sorted((t, c, float(tf), float(dl)) for t, c, tf, dl in pg._q("SELECT term_id, chunk_id, tf, dl FROM postings"))
    assert packed == table
    assert pg._q("SELECT dead FROM corpus")[0][0] == len(dead)
    per_term = dict(pg._q("SELECT term_id, count(*) FROM term_blocks GROUP BY term_id"))
    assert per_term == {i: n for i, n in pg._q("SELECT id, blocks FROM vocab WHERE blocks > 0")}


@pytest.fixture
def pair(tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple]:
    monkeypatch.setattr(pgblocks, "MAX_BLOCKS", 3)  # merges after a few commits
    monkeypatch.setattr(pgblocks, "DEAD_MIN", 12)  # and a rebuild after a few removals
    lite, pg = open_sqlite(tmp_path / "index"), open_pg(pg_url)
    yield lite, pg
    lite.close()
    pg.close()


def test_merges_removals_and_rebuilds_keep_the_scores(pair) -> None:
    lite, pg = pair
    articles = make_articles(30, seed=11)
    analyzer = Analyzer()
    questions = ["ceasefire rebels pipeline", " ".join(WORDS), "minister soldiers border report"]
    steps = [(articles[i : i + 3], []) for i in range(0, 18, 3)]  # six small commits: merges
    steps += [([], ["art0001", "art0004"]), (articles[18:24], ["art0007"]), ([articles[2]], [])]  # removal, replace
    steps += [([], [f"art{i:04d}" for i in range(8, 16)])]  # enough removed passages for a rebuild
    rebuilt = False
    for batch, remove in steps:
        for b in (lite, pg):
            add(b, batch, remove=remove)
        most = pg._q("SELECT max(n) FROM (SELECT count(*) AS n FROM term_blocks GROUP BY term_id) c")[0][0]
        assert most <= pgblocks.MAX_BLOCKS  # 'minist' is in every commit: without merges it would have more
        dead = pg._q("SELECT dead FROM corpus")[0][0]
        rebuilt |= bool(remove) and dead == 0
        blocks_match_postings(pg)
        docs = [s[0] for s in pg.sources()]
        for q in questions:
            terms = list(lite.term_map(analyzer(q)).values())
            got = pg.lexical_search(terms, 20)
            same_ranking(lite, lite.lexical_search(terms, 20), pg, got)
            rows = pg._lexical_within(terms, 20, docs)  # the same BM25 scored in SQL over the rows
            np.testing.assert_allclose(got[1], rows[1], rtol=1e-6)
    assert rebuilt


def test_an_existing_database_is_upgraded_to_packed_postings(pg_url: str) -> None:
    import psycopg

    from index.storage.pgschema import MIGRATIONS

    pg = open_pg(pg_url)
    add(pg, make_articles(12, seed=5))
    terms = list(pg.term_map(Analyzer()("troops border minister flood")).values())
    before = pg.lexical_search(terms, 30)
    pg.close()
    with psycopg.connect(pg_url, autocommit=True) as conn:  # what a database of version 2 holds
        for sql in ("DROP TABLE term_blocks", "DROP TABLE dead_chunks", "DROP SEQUENCE term_block_seq",
                    "ALTER TABLE vocab DROP COLUMN blocks", "ALTER TABLE corpus DROP COLUMN dead",
                    "DELETE FROM schema_version WHERE version > 2"):  # fmt: skip
            conn.execute(sql)
    pg = open_pg(pg_url)
    assert pg.schema_versions() == [v for v, _ in MIGRATIONS] and 3 in pg.schema_versions()
    blocks_match_postings(pg)
    after = pg.lexical_search(terms, 30)
    assert after[0].tolist() == before[0].tolist()
    np.testing.assert_allclose(after[1], before[1], rtol=1e-6)
    add(pg, make_articles(3, seed=6, prefix="new"))  # and it keeps being maintained
    blocks_match_postings(pg)
    pg.close()


def test_a_database_from_a_newer_verbatim_is_refused(pg_url: str) -> None:
    import psycopg

    from index.errors import StorageError
    from index.storage.pgschema import MIGRATIONS

    open_pg(pg_url).close()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("INSERT INTO schema_version(version) VALUES (%s)", (MIGRATIONS[-1][0] + 1,))
    with pytest.raises(StorageError, match="upgraded by a newer Verbatim"):
        open_pg(pg_url)
