"""Warm latency of `Retriever.ask(q)` on an existing index, plus a per-stage breakdown.

    python bench/latency.py --index DIR --questions FILE.jsonl [--n 200] [--k 3] [--profile]
    python bench/latency.py --database postgresql://... --questions FILE.jsonl [--profile]

The index is the folder --index, or the PostgreSQL database --database (or VERBATIM_DATABASE_URL;
bench/pg_server.py starts a server for it). The model is loaded and 10 warm-up questions are asked
first; then the median and p95 of `ask` over --n questions (cycled if the file has fewer): the whole
ask, question encode included, and the median CPU time of this process an ask (all its threads; on a
loaded machine a steadier figure than the wall time; the database server's work is not in it). --as-index-model hands the bundled model's question encoder to the
Retriever under the index's model name, to time an index of stand-in hash vectors (bench/pg_backend.py's
scale folders and databases) with the real encode. --filter-source / --since / --until ask every
question with those filters (what `verbatim ask --source ...` passes).

--profile re-runs the same questions with a timer around each stage (the query encode, every storage
backend method the question calls, ranking's fuse and diversify, the hits' assembly: the functions are
wrapped, not copied, so this follows ask() as it changes) and prints each stage's median exclusive time
(nested stages' time left out, so the stages add up to the total), and on PostgreSQL its SQL statements
a question (every statement sent, BEGIN and COMMIT included, counted at the psycopg cursor), the round
trips they take (a pipeline's statements travel together) and the time spent waiting for them.
Nothing in index/ is changed.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import index  # noqa: F401  # before numpy: its OpenBLAS kernels chosen as the product chooses them (index.openblas)

sys.path.insert(0, str(Path(__file__).resolve().parent))
import numpy as np
from _common import UNRELATED, UnderName, index_model, load_questions, median, open_retriever, pct, real_embedder, table

WARMUP = 10
OTHER = "other (ask's own Python)"
SQL_OUTSIDE = "transaction and refresh"  # BEGIN / the snapshot's generation / COMMIT: SQL in no named stage


class Profile:
    """Exclusive wall time and SQL statements per stage for one question."""

    def __init__(self) -> None:
        self.time: dict[str, float] = defaultdict(float)
        self.sql: dict[str, int] = defaultdict(int)
        self.trips: dict[str, int] = defaultdict(int)  # round trips: statements outside a pipeline, and pipelines
        self.sql_time: dict[str, float] = defaultdict(float)
        self.pipelines = 0  # depth of pipeline blocks open
        self.stack: list[list] = []  # [label, time spent in nested stages]

    def wrap(self, fn, label: str):
        def timed(*a, **kw):
            self.stack.append([label, 0.0])
            t0 = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                spent = time.perf_counter() - t0
                _, nested = self.stack.pop()
                self.time[label] += spent - nested
                if self.stack:
                    self.stack[-1][1] += spent

        return timed

    def label(self) -> str:
        return self.stack[-1][0] if self.stack else SQL_OUTSIDE

    def statement(self, spent: float) -> None:
        self.sql[self.label()] += 1
        self.sql_time[self.label()] += spent
        if not self.pipelines:
            self.trips[self.label()] += 1

    def pipeline(self, entering: bool, spent: float) -> None:
        self.pipelines += 1 if entering else -1
        if not entering:
            self.sql_time[self.label()] += spent  # the results arrive at the block's end
            if not self.pipelines:
                self.trips[self.label()] += 1


@contextmanager
def counting_sql(prof: Profile):
    """Count every statement psycopg sends while inside (cursor execute / executemany / copy, and the
    BEGIN and COMMIT of a transaction block), attributed to the innermost stage running, and the round
    trips: a pipeline block's statements travel together, one round trip at its end."""
    try:
        import psycopg
    except ImportError:
        yield
        return
    patched = []

    def patch(cls, name):
        fn = getattr(cls, name)

        def counted(*a, **kw):
            t0 = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                prof.statement(time.perf_counter() - t0)

        patched.append((cls, name, fn))
        setattr(cls, name, counted)

    for cls, name in ((psycopg.Cursor, "execute"), (psycopg.Cursor, "executemany"), (psycopg.Cursor, "copy"),
                      (psycopg.Transaction, "__enter__"), (psycopg.Transaction, "__exit__")):  # fmt: skip
        patch(cls, name)
    for name, entering in (("__enter__", True), ("__exit__", False)):
        fn = getattr(psycopg.Pipeline, name)

        def tracked(*a, _fn=fn, _entering=entering, **kw):
            t0 = time.perf_counter()
            try:
                return _fn(*a, **kw)
            finally:
                prof.pipeline(_entering, time.perf_counter() - t0)

        patched.append((psycopg.Pipeline, name, fn))
        setattr(psycopg.Pipeline, name, tracked)
    try:
        yield
    finally:
        for cls, name, fn in reversed(patched):
            setattr(cls, name, fn)


def backend_methods(backend) -> list[str]:
    """The storage protocol's methods (what the engine may call on a backend)."""
    from index.storage.protocol import StorageBackend

    skip = {"reading", "writer", "close"}  # context managers (timed under the stage that opens them) and close
    return [n for n in vars(StorageBackend) if not n.startswith("_") and n not in skip
            and callable(getattr(type(backend), n, None))]  # fmt: skip


def profile_ask(r, question: str, k: int, **ask_kw) -> dict[str, tuple[float, int, float, int]]:
    """One Retriever.ask, split by stage: {stage: (seconds, SQL statements, seconds waiting for them, round
    trips)}. Each stage's function is wrapped with a timer for the call."""
    from index.search import decide, rank

    prof = Profile()
    stages = [(r.embedder, "encode_query", "query encode"), (rank, "fuse", "fuse"), (rank, "diversify", "diversify"),
              (decide, "probability", "decision"), (r.searcher, "hits", "hits (assembly)"),
              (r.searcher, "narrow", "filters (question words)")]  # fmt: skip
    stages += [(r.backend, name, f"backend.{name}") for name in backend_methods(r.backend)]
    restore = []
    for owner, name, label in stages:
        own = name in vars(owner)  # an instance attribute (or a module's function) to put back as it was
        restore.append((owner, name, getattr(owner, name) if own or isinstance(owner, type(rank)) else None))
        setattr(owner, name, prof.wrap(getattr(owner, name), label))
    try:
        with counting_sql(prof):
            t0 = time.perf_counter()
            r.ask(question, k, force=True, **ask_kw)
            total = time.perf_counter() - t0
    finally:
        for owner, name, fn in reversed(restore):
            if fn is None:
                delattr(owner, name)
            else:
                setattr(owner, name, fn)
    def row(label: str, spent: float) -> tuple[float, int, float, int]:
        return spent, prof.sql.get(label, 0), prof.sql_time.get(label, 0.0), prof.trips.get(label, 0)

    out = {label: row(label, spent) for label, spent in prof.time.items()}
    out[SQL_OUTSIDE] = row(SQL_OUTSIDE, 0.0)
    out[OTHER] = (total - sum(v[0] for v in out.values()), 0, 0.0, 0)
    out["total"] = (total, sum(prof.sql.values()), sum(prof.sql_time.values()), sum(prof.trips.values()))
    return out


def set_threads(n: int | None) -> None:
    """Pin torch (query encoding) and FAISS (OpenMP search) to n threads in this process."""
    if not n:
        return
    import faiss
    import torch

    torch.set_num_threads(n)
    faiss.omp_set_num_threads(n)


def time_asks(r, questions: list[str], n: int, k: int, profile: bool = False, **ask_kw) -> dict:
    for q in questions[:WARMUP]:
        r.ask(q, k, **ask_kw)
    qs = [questions[(WARMUP + i) % len(questions)] for i in range(n)]
    times, cpu = [], []
    for q in qs:
        t0, c0 = time.perf_counter(), time.process_time()
        r.ask(q, k, **ask_kw)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    out = {"n": n, "median_ms": 1000 * median(times), "p95_ms": 1000 * pct(times, 95),
           "mean_ms": 1000 * float(np.mean(times)), "cpu_median_ms": 1000 * median(cpu)}
    if profile:
        stages: dict[str, list[tuple[float, int, float, int]]] = defaultdict(list)
        for q in qs:
            for key, v in profile_ask(r, q, k, **ask_kw).items():
                stages[key].append(v)
        for rows in stages.values():  # a stage a question skipped counts as 0 for it
            rows.extend([(0.0, 0, 0.0, 0)] * (len(qs) - len(rows)))
        order = sorted(stages, key=lambda key: (key == "total", -median([v[0] for v in stages[key]])))
        out["stages_ms"] = {key: 1000 * median([v[0] for v in stages[key]]) for key in order}
        out["stages_p95_ms"] = {key: 1000 * pct([v[0] for v in stages[key]], 95) for key in order}
        out["stages_sql"] = {key: float(np.mean([v[1] for v in stages[key]])) for key in order}
        out["stages_sql_ms"] = {key: 1000 * median([v[2] for v in stages[key]]) for key in order}
        out["stages_round_trips"] = {key: float(np.mean([v[3] for v in stages[key]])) for key in order}
        out["sql_per_question"] = out["stages_sql"]["total"]
        out["round_trips_per_question"] = out["stages_round_trips"]["total"]
    return out


def print_result(label: str, res: dict) -> None:
    print(table(["index", "questions", "median ms", "p95 ms", "mean ms", "CPU median ms"],
                [[label, res["n"], round(res["median_ms"], 1), round(res["p95_ms"], 1), round(res["mean_ms"], 1),
                  round(res["cpu_median_ms"], 1)]]))
    if "stages_ms" in res:
        sql = any(res["stages_sql"].values())
        rows = [[k, round(v, 2), round(res["stages_p95_ms"][k], 2)]
                + ([round(res["stages_sql"][k], 1), round(res["stages_round_trips"][k], 1),
                    round(res["stages_sql_ms"][k], 2)] if sql else [])
                for k, v in res["stages_ms"].items() if v >= 0.005 or res["stages_sql"][k]]  # fmt: skip
        extra = ["SQL statements a question", "round trips", "waiting for SQL, median ms"] if sql else []
        print(table(["stage", "median ms", "p95 ms", *extra], rows))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    where = ap.add_mutually_exclusive_group()
    where.add_argument("--index", type=Path, help="an index folder")
    where.add_argument("--database", help="a postgresql:// URL (default: VERBATIM_DATABASE_URL)")
    ap.add_argument("--questions", type=Path, help='JSONL with a "question" field (default: built-in list)')
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--k", type=int, default=3)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--threads", type=int, default=None, help="torch and FAISS threads (default: their own)")
    ap.add_argument("--as-index-model", action="store_true",
                    help="encode questions with the bundled model under the index's model name (hash-vector indexes)")
    ap.add_argument("--filter-source", nargs="+", default=None, help="ask every question limited to these outlets")
    ap.add_argument("--since", help="ask every question limited to articles dated from YYYY-MM-DD")
    ap.add_argument("--until", help="... and up to YYYY-MM-DD")
    args = ap.parse_args()
    from index.settings import Settings

    database = args.database or (None if args.index else Settings().database())
    if not database and not args.index:
        ap.error("give --index DIR or --database URL (or set VERBATIM_DATABASE_URL)")
    set_threads(args.threads)

    questions = [row["question"] for row in load_questions(args.questions)] if args.questions else UNRELATED
    with tempfile.TemporaryDirectory(prefix="latency-") as local:
        folder = args.index or Path(local)  # with a database the folder holds only local state
        embedder = real_embedder()
        if args.as_index_model:
            embedder = UnderName(embedder, index_model(folder, database), embedder.dim)
        r = open_retriever(folder, embedder, database=database)
        ask_kw = {}
        if args.filter_source or args.since or args.until:
            ask_kw["filters"] = r.filters(args.filter_source, args.since, args.until)
        counts = r.backend.counts()
        res = time_asks(r, questions, args.n, args.k, args.profile, **ask_kw)
        res.update(passages=counts["passages"], backend=r.backend.kind, location=r.backend.location)
        r.close()
    if args.json:
        print(json.dumps(res))
    else:
        name = args.index.name if args.index else r.backend.location
        print_result(f"{name} ({res['backend']}, {counts['passages']:,} passages)", res)
    return 0


if __name__ == "__main__":
    sys.exit(main())
