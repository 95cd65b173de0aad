"""The storage protocol's contract, run against the embedded backend and PostgreSQL alike."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from index.embed import HashEmbedder
from index.lexical import Analyzer
from index.models import Filters
from index.storage.embedded import EmbeddedBackend
from index.storage.protocol import StorageBackend, WriterBusy
from tests.conftest import ROOT
from tests.pg_writer import add, make_articles

DIM = 64
QUESTIONS = [
    "How many soldiers did the minister report at the border?",
    "ceasefire rebels pipeline",
    "flood village harbour drone",
    "tariff budget senator election court verdict",
]


def open_sqlite(folder: Path) -> EmbeddedBackend:
    folder.mkdir(exist_ok=True)
    return EmbeddedBackend.open(folder, DIM)


def open_pg(url: str):
    from index.storage.postgres import PostgresBackend

    return PostgresBackend(url, dim=DIM, model="hash-test")


@pytest.fixture(params=["sqlite", "postgresql"])
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], StorageBackend]]:
    """Opens another handle (connection) on one index of the parametrised backend."""
    opened: list = []
    if request.param == "sqlite":
        target = tmp_path / "index"

        def make():
            opened.append(open_sqlite(target))
            return opened[-1]
    else:
        url = request.getfixturevalue("pg_url")

        def make():
            opened.append(open_pg(url))
            return opened[-1]

    yield make
    for b in opened:
        b.close()


@pytest.fixture
def pair(tmp_path: Path, pg_url: str) -> Iterator[tuple[EmbeddedBackend, StorageBackend]]:
    """The same corpus added to both backends in the same order."""
    lite, pg = open_sqlite(tmp_path / "index"), open_pg(pg_url)
    articles = make_articles(40, seed=3)
    for b in (lite, pg):
        add(b, articles[:25])
        add(b, articles[25:], remove=["art0003", "art0010"])
    yield lite, pg
    lite.close()
    pg.close()


def key(backend: StorageBackend, ids: np.ndarray) -> list[tuple[str, int]]:
    """Backend-neutral names of passages: (doc_id, ordinal)."""
    rows = backend.chunks([int(i) for i in ids])
    return [(rows[int(i)].doc_id, rows[int(i)].ordinal) for i in ids]


def same_ranking(a: StorageBackend, a_hits: tuple, b: StorageBackend, b_hits: tuple) -> None:
    """Equal scores in the same order, the same passages for each score (ties may come in any
    order, and a tie at the cut-off may keep different members)."""
    (a_ids, a_scores), (b_ids, b_scores) = a_hits, b_hits
    np.testing.assert_allclose(b_scores, a_scores, rtol=1e-5, atol=1e-6)
    if len(a_scores) == 0:
        return

    def groups(backend, ids, scores) -> list[set]:
        cut = scores[-1] - 1e-5  # the last score's group may be cut short
        out: dict[float, set] = {}
        for k, s in zip(key(backend, ids), scores, strict=True):
            if s > cut:
                out.setdefault(round(float(s), 4), set()).add(k)
        return list(out.values())

    assert groups(a, a_ids, a_scores) == groups(b, b_ids, b_scores)


def consistent(backend: StorageBackend) -> None:
    """Every passage is searchable once; term statistics equal what the passages hold."""
    ids = backend.all_chunk_ids()
    terms = backend.passage_terms(ids)
    assert set(terms) == set(ids)
    df: dict[int, int] = {}
    for t, _ in terms.values():
        for x in t.tolist():
            df[x] = df.get(x, 0) + 1
    stats = backend.term_stats(list(df))
    assert stats.passages == len(ids) == backend.counts()["passages"]
    assert stats.df == df
    if ids:
        assert stats.avgdl == pytest.approx(np.mean([f.sum() for _, f in terms.values()]), rel=1e-5)
    assert set(backend.doc_ids(ids).values()) == {s[0] for s in backend.sources() if s[4]}


def test_backends_satisfy_the_protocol(pair) -> None:
    for backend in pair:
        assert isinstance(backend, StorageBackend)


def test_commit_then_every_read(opener) -> None:
    backend = opener()
    articles = make_articles(6, seed=1)
    prepared, (gen, added, removed) = add(backend, articles)
    assert gen == backend.generation == 1 and removed == []
    assert len(added) == sum(len(p.chunks) for p in prepared) == backend.counts()["passages"]
    assert backend.articles([a.id for a in articles]) == {a.id: a for a in articles}
    assert backend.article_hashes([a.id for a in articles]) == {p.article.id: p.hash for p in prepared}
    assert backend.counts() == {"articles": 6, "passages": len(added), "claims": sum(len(c) for p in prepared for c in p.claims),
                                "outlets": len({a.source for a in articles if a.source}), "verdicts": 0}
    assert backend.chunk_ids_of(["art0002", "art0000"]) == [
        c for c in added if backend.doc_ids([c])[c] == "art0000"] + [c for c in added if backend.doc_ids([c])[c] == "art0002"]
    vocab = backend.vocabulary()
    stems = Analyzer()("soldiers minister border nonsenseword")
    assert backend.term_map(stems) == {s: vocab[s] for s in stems if s in vocab}

    ids = iter(added)
    for prep in prepared:
        for chunk, vec, (terms, tfs), claims in zip(prep.chunks, prep.vectors, prep.terms, prep.claims, strict=True):
            cid = next(ids)
            row = backend.chunks([cid])[cid]
            assert (row.doc_id, row.ordinal, row.start, row.end, row.role) == (
                prep.article.id, chunk.ordinal, chunk.start, chunk.end, chunk.role.value)
            assert backend.chunk_at(prep.article.id, chunk.ordinal) == row
            np.testing.assert_array_equal(backend.vectors([cid])[0], vec)
            got_terms, got_tfs = backend.passage_terms([cid])[cid]
            assert dict(zip(got_terms.tolist(), got_tfs.tolist(), strict=True)) == dict(zip(terms.tolist(), tfs.tolist(), strict=True))
            spans = [(s, e) for s, e, _ in backend.claim_vectors([cid])[cid]]
            assert spans == [(c.start, c.end) for c in claims]
            for (_, _, v), c in zip(backend.claim_vectors([cid])[cid], claims, strict=True):
                np.testing.assert_array_equal(v, np.asarray(c.vector, np.float16).astype(np.float32))
            stored = backend.claims([cid])[cid]
            assert [(c["start"], c["end"], c["status"], c["speaker"]) for c in stored] == [
                (c.start, c.end, c.status, c.speaker) for c in claims]
            for info in backend.claim_infos([cid]):
                assert info[6] == prep.article.text[info[3] : info[4]]
    assert backend.size_bytes() > sum(len(a.text) for a in articles)
    sources = backend.sources()
    assert [s[0] for s in sources] == [a.id for a in sorted(articles, key=lambda a: (a.source or "", a.date or "", a.id))]


def test_claim_links_and_verdicts(opener) -> None:
    backend = opener()
    first, _ = add(backend, make_articles(2, seed=5))
    a, b = first[0], first[1]
    ca, cb = a.claims[0][0], b.claims[0][0]
    link = ((a.article.id, ca.start, ca.end), (b.article.id, cb.start, cb.end), "conflicts", 0.61234, "3 soldiers", "9 soldiers")
    add(backend, [a.article, b.article], links=[link])  # a re-add replaces both, with the link between their claims
    chunk_a = backend.chunk_ids_of([a.article.id])[0]
    claim = backend.claims([chunk_a])[chunk_a][0]
    assert [(e["doc_id"], e["kind"], e["score"], e["value"], e["text"]) for e in claim["links"]] == [
        (b.article.id, "conflicts", 0.6123, "9 soldiers", b.article.text[cb.start : cb.end])]
    backend.add_verdict("v1", {"claim_reviewed": "x", "rating": "False"}, HashEmbedder(DIM).encode_query("x"), [(claim["id"], 0.9)])
    assert backend.claims([chunk_a])[chunk_a][0]["verdicts"][0]["review"]["rating"] == "False"
    ids, mat = backend.verdict_vectors()
    assert ids == ["v1"] and mat.shape == (1, DIM)
    assert backend.all_verdicts() == [{"claim_reviewed": "x", "rating": "False"}]
    assert backend.remove_verdict("v1") and not backend.remove_verdict("v1")
    assert backend.claims([chunk_a])[chunk_a][0]["verdicts"] == []
    backend.commit_batch([], [b.article.id], {})
    assert backend.claims([chunk_a])[chunk_a][0]["links"] == []


def test_both_backends_find_the_same_passages(pair) -> None:
    lite, pg = pair
    assert lite.counts() == pg.counts()
    assert lite.sources() == pg.sources()
    emb, analyzer = HashEmbedder(DIM), Analyzer()
    docs = ["art0001", "art0007", "art0030", "art0003"]  # art0003 was removed
    for question in QUESTIONS:
        qvec = emb.encode_query(question)
        terms = list(lite.term_map(analyzer(question)).values())
        assert terms and pg.term_map(analyzer(question)) == lite.term_map(analyzer(question))
        assert pg.term_stats(terms).df == lite.term_stats(terms).df
        assert pg.term_stats(terms).avgdl == pytest.approx(lite.term_stats(terms).avgdl, rel=1e-6)
        for filt in (None, docs):
            lex = lite.lexical_search(terms, 15, filt)
            assert len(lex[0]) > 0
            same_ranking(lite, lex, pg, pg.lexical_search(terms, 15, filt))
            dense = pg.dense_search(qvec, 10, filt)
            same_ranking(lite, lite.dense_search(qvec, 10, filt), pg, dense)
            if filt:
                assert {d for d, _ in key(pg, dense[0])} <= set(docs) - {"art0003"}
    qvecs = np.stack([emb.encode_query(q) for q in QUESTIONS])
    for q, lite_row, pg_row in zip(qvecs, lite.dense_search_many(qvecs, 5), pg.dense_search_many(qvecs, 5), strict=True):
        scores = [lite.vectors(row) @ q for row in (lite_row, pg_row)]
        same_ranking(lite, (lite_row, scores[0]), pg, (pg_row, scores[1]))


def test_filtered_dense_search_uses_the_hnsw_index(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import index.storage.postgres as postgres

    pg = open_pg(pg_url)
    index_oid = "SELECT 'chunks_hnsw'::regclass::oid"
    first = pg._q(index_oid)[0][0]
    add(pg, make_articles(3, seed=4, prefix="few"))
    assert pg._q(index_oid)[0][0] == first  # a small add goes into the graph
    monkeypatch.setattr(postgres, "BULK_REBUILD", 10)  # the 30 articles below count as a bulk load
    add(pg, make_articles(30, seed=4))  # the index is dropped, filled and built again in the transaction
    assert pg._q(index_oid)[0][0] != first
    conn = pg._r()
    conn.execute("SET enable_seqscan = off")  # the small table would be scanned; ask for the index path
    conn.execute("SET enable_indexscan = on")
    qvec = HashEmbedder(DIM).encode_query(QUESTIONS[0])
    plan = "\n".join(r[0] for r in conn.execute(
        f"EXPLAIN SELECT id FROM chunks ORDER BY {pg._order_expr()} LIMIT 5",
        {"q": __import__("index.storage.postgres", fromlist=["Vector"]).Vector(qvec)}))
    assert "chunks_hnsw" in plan
    wanted = pg.chunk_ids_of(["art0011"])
    ids, scores = pg.dense_search(qvec, 50, ["art0011"])  # one article of 30: iterative scan finds all of it
    assert sorted(ids.tolist()) == sorted(wanted)
    assert list(scores) == sorted(scores, reverse=True)
    pg.close()


def test_removal_and_replacement_are_seen_by_a_second_handle(opener) -> None:
    writer, reader = opener(), opener()
    articles = make_articles(8, seed=2)
    add(writer, articles)
    reader.refresh()
    stems = Analyzer()(articles[4].text)
    terms = list(reader.term_map(stems).values())
    before = reader.term_stats(terms)
    gone = set(writer.chunk_ids_of(["art0004"]))
    _, (gen, _, removed) = add(writer, [], remove=["art0004"])
    assert set(removed) == gone
    assert reader.refresh(timeout=10) == gen  # PostgreSQL: the commit's NOTIFY arrives asynchronously
    assert reader.articles(["art0004"]) == {} and reader.chunk_ids_of(["art0004"]) == []
    ids, _ = reader.lexical_search(terms, 100)
    assert gone and not gone & set(ids.tolist())
    ids = reader.dense_search_many(writer.vectors(sorted(writer.all_chunk_ids())), 100)
    assert not gone & set(ids.ravel().tolist())
    assert reader.term_stats(terms).passages == before.passages - len(gone)
    consistent(reader)

    changed = articles[2].model_copy(update={"text": "Flood harbour drone.\n\nThe senator said 5 soldiers were there."})
    add(writer, [changed])
    reader.refresh()
    assert reader.articles(["art0002"])["art0002"].text == changed.text
    assert reader.counts()["articles"] == 7
    consistent(reader)
    consistent(writer)


def test_postgres_readers_see_a_commit_without_refresh(pg_url: str) -> None:
    writer, reader = open_pg(pg_url), open_pg(pg_url)
    add(writer, make_articles(3, seed=8))
    assert reader.counts()["articles"] == 3  # never refreshed: every read goes to the database
    writer.commit_batch([], ["art0001"], {})
    assert reader.articles(["art0001"]) == {} and reader.counts()["articles"] == 2
    writer.close()
    reader.close()


def test_writer_lock_excludes_a_second_writer(opener) -> None:
    first, second = opener(), opener()
    with first.writer(), pytest.raises(WriterBusy), second.writer(blocking=False):
        pass
    with second.writer(blocking=False), pytest.raises(WriterBusy), first.writer(blocking=False):
        pass


def test_notify_reaches_a_listener(pg_url: str) -> None:
    writer, replica = open_pg(pg_url), open_pg(pg_url)
    replica.listen()
    assert replica.wait_for_change(timeout=0) is None
    _, (gen, _, _) = add(writer, make_articles(2, seed=9))
    assert replica.wait_for_change(timeout=10) == gen

    seen: list[int] = []
    arrived = threading.Event()
    stop = replica.subscribe(lambda g: (seen.append(g), arrived.set()), poll=0.2)
    gen = writer.commit_batch([], ["art0000"], {})[0]
    assert arrived.wait(10) and seen == [gen]
    assert replica.counts()["articles"] == 1  # the callback fires after the commit is visible
    stop()
    writer.close()
    replica.close()


def test_migrations_are_versioned_and_idempotent(pg_url: str) -> None:
    import psycopg

    from index.storage.pgschema import MIGRATIONS

    first = open_pg(pg_url)
    assert first.schema_versions() == [v for v, _ in MIGRATIONS]
    add(first, make_articles(2, seed=1))
    again = open_pg(pg_url)
    assert again.migrate() == [] and again.schema_versions() == [v for v, _ in MIGRATIONS]
    assert again.counts()["articles"] == 2
    with psycopg.connect(pg_url, autocommit=True) as conn:  # a database left at version 1
        conn.execute("DROP INDEX chunks_hnsw")
        conn.execute("DELETE FROM schema_version WHERE version > 1")
    third = open_pg(pg_url)
    assert third.schema_versions() == [v for v, _ in MIGRATIONS]
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM pg_indexes WHERE indexname = 'chunks_hnsw'").fetchone()[0] == 1
    assert third.counts()["articles"] == 2
    from index.errors import ModelMismatch

    with pytest.raises(ModelMismatch):
        from index.storage.postgres import PostgresBackend

        PostgresBackend(pg_url, dim=DIM * 2, model="hash-test")
    for b in (first, again, third):
        b.close()


def _pg_consistent(url: str) -> None:
    """What a crash must never leave: orphans, or statistics that disagree with the postings."""
    import psycopg

    checks = {
        "df": "SELECT count(*) FROM vocab v LEFT JOIN (SELECT term_id, count(*) n FROM postings GROUP BY term_id) p"
              " ON p.term_id = v.id WHERE v.df <> coalesce(p.n, 0)",
        "corpus": "SELECT count(*) FROM corpus WHERE passages <> (SELECT count(*) FROM chunks)"
                  " OR abs(total_length - (SELECT coalesce(sum(length), 0) FROM chunks)) > 1e-3",
        "postings": "SELECT count(*) FROM postings p LEFT JOIN chunks c ON c.id = p.chunk_id WHERE c.id IS NULL",
        "chunks": "SELECT count(*) FROM chunks c LEFT JOIN articles a ON a.doc_id = c.doc_id WHERE a.doc_id IS NULL",
        "claims": "SELECT count(*) FROM claims c LEFT JOIN chunks k ON k.id = c.chunk_id WHERE k.id IS NULL",
        "empty": "SELECT count(*) FROM articles a WHERE NOT EXISTS (SELECT 1 FROM chunks c WHERE c.doc_id = a.doc_id)",
    }  # fmt: skip
    with psycopg.connect(url) as conn:
        bad = {name: n for name, q in checks.items() if (n := conn.execute(q).fetchone()[0])}
    assert bad == {}


def _writer_process(url: str, n: int, seed: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tests.pg_writer", url, str(n), str(seed)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env={**os.environ})  # fmt: skip


def _wait_until(condition: Callable[[], bool], what: str, deadline: float = 60.0) -> None:
    end = time.monotonic() + deadline
    while not condition():
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_kill_during_commit_leaves_before_or_after(pg_url: str) -> None:
    import psycopg

    from index.storage.postgres import WRITER_KEY

    backend = open_pg(pg_url)
    add(backend, make_articles(5, seed=1))
    before = (backend.counts(), backend.generation, {s[0] for s in backend.sources()})

    # 1. Killed inside the transaction: it blocks on the generation row we hold, with every row written.
    with psycopg.connect(pg_url) as holder:
        holder.execute("SELECT value FROM meta WHERE key = 'generation' FOR UPDATE")
        proc = _writer_process(pg_url, 60, seed=2)
        assert proc.stdout.readline().strip() == "committing"
        _wait_until(lambda: backend._q("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                                        " AND query LIKE 'UPDATE meta%%'")[0][0] == 1, "the writer to block")
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        holder.rollback()
    with psycopg.connect(pg_url, autocommit=True) as conn:  # the dead writer's session ends, and its lock with it
        conn.execute("SET statement_timeout = '30s'")
        conn.execute("SELECT pg_advisory_lock(%s)", (WRITER_KEY,))
    assert (backend.counts(), backend.generation, {s[0] for s in backend.sources()}) == before
    _pg_consistent(pg_url)

    # 2. Killed at random moments: before or after, never between.
    start = time.perf_counter()
    proc = _writer_process(pg_url, 60, seed=2)
    assert proc.wait(timeout=120) == 0
    proc.stdout.close()
    duration = time.perf_counter() - start
    after = {s[0] for s in backend.sources()}
    assert after > before[2]
    rng = random.Random(11)
    for _ in range(2):
        backend.commit_batch([], sorted(after - before[2]), {})
        proc = _writer_process(pg_url, 60, seed=2)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=rng.uniform(0.3, duration))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        with backend.writer():  # waits for a dead writer's session to end
            ids = {s[0] for s in backend.sources()}
        assert ids in (before[2], after)
        _pg_consistent(pg_url)
        if ids == before[2]:
            add(backend, make_articles(60, seed=2, prefix="big"))
        assert {s[0] for s in backend.sources()} == after
    consistent(backend)
    backend.close()


@pytest.mark.parametrize("pg_exact", [1000, 0])  # PostgreSQL: ids scored exactly, or the filter in the HNSW scan
def test_dense_search_within_a_filter_is_the_same_on_both_backends(
    pair, pg_exact: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    import index.storage.postgres as postgres

    monkeypatch.setattr(postgres, "EXACT_PASSAGES", pg_exact)
    lite, pg = pair
    emb = HashEmbedder(DIM)
    scopes = [(None, Filters(sources=("Wire",))), (None, Filters(since="2024-03-01", until="2024-06-30")),
              (["art0001", "art0007", "art0030", "art0012"], Filters(sources=("Daily", "Wire")))]  # fmt: skip
    for docs, f in scopes:
        allowed = [np.asarray(b.chunk_ids_where(f.sources, f.since, f.until), np.int64) for b in pair]
        if docs:
            allowed = [np.intersect1d(a, b.chunk_ids_of(docs)) for a, b in zip(allowed, pair, strict=True)]
        assert [key(b, a) for a, b in zip(allowed, pair, strict=True)] == [key(lite, allowed[0])] * 2
        assert 0 < len(allowed[0]) < lite.counts()["passages"]
        for question in QUESTIONS:
            q = emb.encode_query(question)
            got = [b.dense_search(q, 8, docs, chunk_ids=a, filters=f) for a, b in zip(allowed, pair, strict=True)]
            assert len(got[0][0]) == min(8, len(allowed[0]))
            for (ids, _), a in zip(got, allowed, strict=True):
                assert set(ids.tolist()) <= set(a.tolist())  # nothing from outside the filter
            same_ranking(lite, got[0], pg, got[1])
            exact = lite.vectors(allowed[0]) @ q  # and it is the exact top 8 of the filter's passages
            np.testing.assert_allclose(got[0][1], np.sort(exact)[::-1][:8], rtol=1e-5)


def test_candidate_rows_are_the_reads_they_replace(pair) -> None:
    """One call for ranking's reads, in the asked order; inside a question's snapshot after a dense search
    (whose vectors PostgreSQL keeps) as well as outside one; the same on both backends."""
    emb, analyzer = HashEmbedder(DIM), Analyzer()
    question = "What did the minister say about the soldiers at the border?"
    q = emb.encode_query(question)
    seen: list[dict] = []
    for b in pair:
        terms = list(b.term_map(analyzer(question)).values())
        with b.reading():
            near = b.dense_search(q, 6)[0].tolist()
            others = [i for i in b.all_chunk_ids() if i not in near][:8]
            ids = [*others[:4], *reversed(near), *others[4:]]  # searched and unsearched passages mixed
            inside = b.candidate_rows(ids, terms, speakers=True)
        with b.reading():  # both searches first (PostgreSQL: the terms held come from the postings read)
            b.hybrid_search(q, terms, 4)
            searched = b.candidate_rows(ids, terms, speakers=True)
        outside = b.candidate_rows(ids, terms)
        for rows in (inside, searched, outside):
            np.testing.assert_array_equal(rows.vectors, b.vectors(ids))
            assert rows.docs == b.chunk_docs(ids)
            held = b.chunk_terms(ids)
            assert {i: set(rows.terms.get(i, ()).tolist()) & set(terms) for i in ids} == {
                i: set(held.get(i, ()).tolist()) & set(terms) for i in ids}  # fmt: skip
            claims = b.claim_vectors(ids)
            assert {i: len(rows.sentences.get(i, [])) for i in ids} == {i: len(claims[i]) for i in ids}
            for i in ids:
                for got, (_, _, want) in zip(rows.sentences.get(i, []), claims[i], strict=True):
                    np.testing.assert_array_equal(got, want)
        assert outside.speakers == {}
        for rows in (inside, searched):
            assert {i: sorted(v) for i, v in rows.speakers.items()} == {
                i: sorted(v) for i, v in b.claim_speakers(ids).items()}  # fmt: skip
        assert any(inside.sentences.values()) and any(any(t.tolist()) for t in inside.terms.values())
        seen.append(dict(zip(key(b, np.asarray(ids)), inside.vectors, strict=True)))
    # passages both asked for hold the same vectors in both backends
    both = set(seen[0]) & set(seen[1])
    assert both
    for name in both:
        np.testing.assert_array_equal(seen[0][name], seen[1][name])


def test_claim_evidence_is_the_same_on_both_backends(pair) -> None:
    from index import linking
    from index.ingest import prepare

    analyzer = Analyzer()
    fresh = make_articles(6, seed=21, prefix="new")
    found = []
    for backend in pair:
        batch = prepare(fresh, HashEmbedder(DIM), analyzer, backend.vocabulary())
        links = linking.claim_links(batch, backend, analyzer)
        names = {cid: (doc, s, e) for cid, _, doc, s, e, *_ in backend.claim_infos(backend.all_chunk_ids())}
        found.append(sorted((names.get(a, a), names.get(b, b), kind, round(score, 4), va, vb)
                            for a, b, kind, score, va, vb in links))  # fmt: skip
        review = HashEmbedder(DIM).encode_query("The minister said 4000 soldiers were there")
        matches = linking.verdict_matches(review, "The minister said 4000 soldiers were there", backend, analyzer)
        found.append(sorted((names[c], round(s, 4)) for c, s in matches))
    assert found[0] and any(isinstance(a, tuple) and a[0].startswith("art") for _, a, *_ in found[0])
    assert found[0] == found[2] and found[1] == found[3]


def test_unreachable_or_empty_databases_get_one_clear_sentence(pg_url: str, tmp_path: Path) -> None:
    from index.errors import StorageError
    from index.storage.postgres import PostgresBackend

    with pytest.raises(StorageError, match=r"^The database postgresql://.* cannot be reached") as err:
        PostgresBackend(f"host={tmp_path} dbname=nothing user=nobody password=secret connect_timeout=2")
    assert "secret" not in str(err.value)
    with pytest.raises(StorageError, match="holds no Verbatim index yet"):
        PostgresBackend(pg_url)  # opening for reading only, before anything created it
