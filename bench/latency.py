"""Warm latency of `Retriever.ask(q)` on an existing index, plus a per-stage breakdown.

    python bench/latency.py --index DIR --questions FILE.jsonl [--n 200] [--k 3] [--profile]

The model is loaded and 10 warm-up questions are asked first; then the median and p95
of `ask` over --n questions (cycled if the file has fewer). --profile re-runs the same
questions through a stage-by-stage copy of `ask` (time.perf_counter around query
encoding, FAISS search, BM25 search, candidate scoring, SQLite fetches, ranking) and
prints the median of each stage. Nothing in index/ is changed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import UNRELATED, load_questions, median, open_retriever, pct, real_embedder, table

WARMUP = 10


def profile_ask(r, question: str, k: int) -> dict[str, float]:
    """Time one Retriever.ask, split by stage: each stage's function is wrapped with a timer
    for the call (so this follows ask() as it changes, instead of copying it)."""
    from index.search import rank

    t: dict[str, float] = {}
    p = time.perf_counter
    stages = [
        (r.embedder, "encode_query", "query encode"),
        (r.store, "term_map", "term lookup (SQLite)"),
        (r.vectors, "search", "FAISS search"),
        (r.lexical, "search", "BM25 search"),
        (r.vectors, "vectors", "candidate vectors (FAISS reconstruct)"),
        (r.store, "claim_vectors", "sentence vectors (SQLite)"),
        (r.store, "chunk_docs", "candidate articles (SQLite)"),
        (r.store, "chunk_terms", "candidate terms (SQLite)"),
        (r.store, "claim_speakers", "claim speakers (SQLite)"),
        (r.store, "outlets", "outlets (SQLite)"),
        (rank, "fuse", "fuse"),
        (rank, "diversify", "diversify"),
        (r.searcher, "hits", "hits: chunks/articles/claims (SQLite)"),
    ]
    originals = []
    for owner, name, label in stages:
        fn = getattr(owner, name)
        originals.append((owner, name, fn))

        def timed(*a, _fn=fn, _label=label, **kw):
            t0 = p()
            try:
                return _fn(*a, **kw)
            finally:
                t[_label] = t.get(_label, 0.0) + p() - t0

        setattr(owner, name, timed)
    try:
        t0 = p()
        r.ask(question, k, force=True)
        t["total"] = p() - t0
    finally:
        for owner, name, fn in originals:
            if owner is r or owner is r.searcher or owner is r.embedder or owner is r.store or owner is r.vectors or owner is r.lexical:
                delattr(owner, name) if name in vars(owner) else None
            else:
                setattr(owner, name, fn)
    t["other"] = t["total"] - sum(v for key, v in t.items() if key != "total")
    return t


def set_threads(n: int | None) -> None:
    """Pin torch (query encoding) and FAISS (OpenMP search) to n threads in this process."""
    if not n:
        return
    import faiss
    import torch

    torch.set_num_threads(n)
    faiss.omp_set_num_threads(n)


def time_asks(r, questions: list[str], n: int, k: int, profile: bool = False) -> dict:
    for q in questions[:WARMUP]:
        r.ask(q, k)
    qs = [questions[(WARMUP + i) % len(questions)] for i in range(n)]
    times = []
    for q in qs:
        t0 = time.perf_counter()
        r.ask(q, k)
        times.append(time.perf_counter() - t0)
    out = {"n": n, "median_ms": 1000 * median(times), "p95_ms": 1000 * pct(times, 95),
           "mean_ms": 1000 * float(np.mean(times))}
    if profile:
        stages = defaultdict(list)
        for q in qs:
            for key, v in profile_ask(r, q, k).items():
                stages[key].append(v)
        out["stages_ms"] = {key: (median(v) if key == "candidates" else 1000 * median(v)) for key, v in stages.items()}
        out["stages_p95_ms"] = {key: (pct(v, 95) if key == "candidates" else 1000 * pct(v, 95))
                                for key, v in stages.items()}
    return out


def print_result(label: str, res: dict) -> None:
    print(table(["index", "questions", "median ms", "p95 ms", "mean ms"],
                [[label, res["n"], round(res["median_ms"], 1), round(res["p95_ms"], 1), round(res["mean_ms"], 1)]]))
    if "stages_ms" in res:
        rows = [[k, round(v, 2), round(res["stages_p95_ms"][k], 2)] for k, v in res["stages_ms"].items()]
        print(table(["stage", "median ms", "p95 ms"], rows))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--questions", type=Path, help='JSONL with a "question" field (default: built-in list)')
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--k", type=int, default=3)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--threads", type=int, default=None, help="torch and FAISS threads (default: their own)")
    args = ap.parse_args()
    set_threads(args.threads)

    questions = [row["question"] for row in load_questions(args.questions)] if args.questions else UNRELATED
    r = open_retriever(args.index, real_embedder())
    counts = r.store.counts()
    res = time_asks(r, questions, args.n, args.k, args.profile)
    res["passages"] = counts["passages"]
    if args.json:
        print(json.dumps(res))
    else:
        print_result(f"{args.index.name} ({counts['passages']:,} passages)", res)
    return 0


if __name__ == "__main__":
    sys.exit(main())
