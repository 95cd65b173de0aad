"""Build time, memory and ask latency at 300k passages (and at the first 40k).

    python bench/scale.py PASSAGES.jsonl.gz DOCS.jsonl.gz --questions QUESTIONS.jsonl \
        [--n 300000] [--small 40000] [--work DIR] [--latency-n 200]
    python bench/scale.py PASSAGES.jsonl.gz DOCS.jsonl.gz --real --index DIR [--n 300000]

--real: one streamed add with the real model (passage and sentence vectors, claims, links:
the shipped path, default settings), the passages read from the gzipped file as the add
consumes them. Logs every 30 s: passages committed, rate, RSS and peak RSS (psutil), and the
time to the first committed (searchable) batch. Run it again on the same --index after a
kill: it skips what was committed and finishes the rest.

Each passage becomes one Article (id = the passage id, title/source/date/url from its
doc). Encoding 300k passages with the real model would take hours on this machine, so
the index is built with a STAND-IN embedder: passage and sentence vectors come from
index.embed.HashEmbedder(dim=384) (hashed bag of words), while the manifest carries the
real model's name and questions are encoded with the real model. Latency, memory and
the FAISS/BM25/SQLite costs are those of a real 384-dim index of that size; dense
scores (and so the answers) are meaningless. Each index is built once under
WORK/scale-<n>-index and reused. Answering runs in a fresh subprocess, so its peak
RSS (psutil, sampled after every question) excludes the build.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DEFAULT_WORK, build_or_reuse, read_jsonl, table

from index.embed import BUNDLED_MODEL, HashEmbedder, SentenceTransformerEmbedder
from index.models import Article


class StandInEmbedder:
    """Hash vectors for passages (fast), the real model for queries, the real model's name."""

    def __init__(self, dim: int = 384) -> None:
        self.name = BUNDLED_MODEL
        self.dim = dim
        self._hash = HashEmbedder(dim=dim, name=BUNDLED_MODEL)
        self._real: SentenceTransformerEmbedder | None = None

    def encode(self, texts, *, progress=None):
        return self._hash.encode(texts, progress=progress)

    def encode_spans(self, texts, spans, *, progress=None):
        return self._hash.encode_spans(texts, spans, progress=progress)

    def encode_query(self, text: str):
        if self._real is None:
            self._real = SentenceTransformerEmbedder()
        return self._real.encode_query(text)


def load_passages(passages: Path, docs: Path, n: int) -> list[Article]:
    meta = {row["id"]: row for row in read_jsonl(docs)}
    out = []
    for row in read_jsonl(passages, n):
        d = meta.get(row["doc_id"], {})
        out.append(Article(id=row["id"], title=d.get("title") or row["doc_id"], source=row.get("source") or d.get("source"),
                           date=row.get("date") or d.get("date"), url=d.get("url"), text=row["text"]))
    return out


def stream_passages(passages: Path, docs: Path, n: int):
    """Articles one at a time from the gzipped passages file (only the docs' metadata is held)."""
    meta = {row["id"]: (row.get("title"), row.get("source"), row.get("date"), row.get("url")) for row in read_jsonl(docs)}
    for row in read_jsonl(passages, n):
        title, source, date, url = meta.get(row["doc_id"], (None, None, None, None))
        yield Article(id=row["id"], title=title or row["doc_id"], source=row.get("source") or source,
                      date=row.get("date") or date, url=url, text=row["text"])


def real_build(passages: Path, docs: Path, n: int, index: Path, model: str | None = None) -> int:
    import psutil

    from index.retriever import Retriever
    from index.settings import Settings

    proc = psutil.Process()
    settings = Settings(index=index) if model is None else Settings(index=index, model=model)
    t0 = time.perf_counter()
    r = Retriever.open(settings, build_default=False)
    before = r.status().passages
    peak = [proc.memory_info().rss]
    first = [None]
    last = [0.0]
    at40k = [None]

    def progress(p) -> None:
        rss = proc.memory_info().rss
        peak[0] = max(peak[0], rss)
        now = time.perf_counter() - t0
        if p.committed and first[0] is None:
            first[0] = now
            print(f"first batch committed (searchable) after {now:.1f}s: {p.committed} passages", flush=True)
        if at40k[0] is None and before + p.committed >= 40_000:
            at40k[0] = peak[0] / 2**20
        if now - last[0] >= 30:
            last[0] = now
            print(f"{now:7.0f}s  read {p.read:,}  encoded {p.encoded:,}  committed {p.committed:,}  "
                  f"{p.rate:.1f} passages/s  RSS {rss / 2**20:.0f} MiB (peak {peak[0] / 2**20:.0f})", flush=True)

    report = r.add_articles(stream_passages(passages, docs, n), progress=progress)
    total = time.perf_counter() - t0
    info = {"passages_added": report.passages, "unchanged": len(report.unchanged), "rejected": len(report.rejected),
            "seconds": round(total, 1), "passages_per_s": round(report.passages / total, 2),
            "first_searchable_s": first[0] and round(first[0], 1), "peak_rss_mb_at_40k": at40k[0] and round(at40k[0]),
            "peak_rss_mb": round(peak[0] / 2**20), "store_passages": r.status().passages}
    print(json.dumps(info), flush=True)
    return 0


def answer_phase(folder: Path, questions: Path, n: int, profile: bool, threads: int | None) -> dict:
    import psutil
    from latency import set_threads, time_asks

    set_threads(threads)
    from _common import load_questions, open_retriever

    proc = psutil.Process()
    t0 = time.perf_counter()
    r = open_retriever(folder, StandInEmbedder())
    open_s = time.perf_counter() - t0
    rss_open = proc.memory_info().rss
    qs = [row["question"] for row in load_questions(questions)]
    peak = [rss_open]

    orig = r.ask

    def ask(*a, **kw):
        out = orig(*a, **kw)
        peak[0] = max(peak[0], proc.memory_info().rss)
        return out

    r.ask = ask  # type: ignore[method-assign]
    res = time_asks(r, qs, n, 3, profile)
    res.update(open_s=open_s, rss_open_mb=rss_open / 2**20, rss_peak_mb=peak[0] / 2**20,
               passages=r.store.counts()["passages"])
    return res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("passages", type=Path)
    ap.add_argument("docs", type=Path)
    ap.add_argument("--questions", type=Path, help='JSONL with a "question" field (required unless --real)')
    ap.add_argument("--n", type=int, default=300_000)
    ap.add_argument("--small", type=int, default=40_000, help="also measure an index of the first N passages (0: skip)")
    ap.add_argument("--work", type=Path, default=DEFAULT_WORK)
    ap.add_argument("--latency-n", type=int, default=200)
    ap.add_argument("--batch", type=int, default=25_000, help="articles (passages) per add_articles call")
    ap.add_argument("--profile-over-ms", type=float, default=30.0)
    ap.add_argument("--threads", type=int, default=None, help="torch and FAISS threads while answering")
    ap.add_argument("--build-only", action="store_true", help="build (or reuse) the indexes, skip answering")
    ap.add_argument("--real", action="store_true", help="one streamed add with the real model into --index")
    ap.add_argument("--index", type=Path, help="index folder for --real")
    ap.add_argument("--model", help="with --real: another VERBATIM_MODEL, e.g. hash:384 (memory of everything but the model)")
    ap.add_argument("--answer", type=Path, help=argparse.SUPPRESS)  # internal: answering subprocess
    ap.add_argument("--profile", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.real:
        return real_build(args.passages, args.docs, args.n, args.index or args.work / f"real-{args.n}-index", args.model)
    if args.questions is None:
        ap.error("--questions is required unless --real")
    if args.answer:
        print(json.dumps(answer_phase(args.answer, args.questions, args.latency_n, args.profile, args.threads)))
        return 0

    print("NOTE: passages/sentences embedded with HashEmbedder(dim=384) under the real model's name;"
          " queries encoded with the real model. Latency/memory are real, answers are not.", flush=True)
    sizes = [s for s in (args.small, args.n) if s]
    results = []
    for size in sizes:
        folder = args.work / f"scale-{size}-index"
        t = time.perf_counter()
        arts = load_passages(args.passages, args.docs, size)
        load_s = time.perf_counter() - t
        print(f"{size}: {len(arts)} passages loaded in {load_s:.0f}s; building {folder}", flush=True)
        info = build_or_reuse(folder, arts, StandInEmbedder(), batch=args.batch, log=lambda s: print(s, flush=True))
        del arts
        size_mb = sum(p.stat().st_size for p in folder.iterdir() if p.is_file()) / 2**20
        if args.build_only:
            print(json.dumps({"size": size, "build": info, "index_mb": size_mb}), flush=True)
            continue

        def run(profile: bool, folder: Path = folder) -> dict:
            cmd = [sys.executable, __file__, str(args.passages), str(args.docs), "--questions", str(args.questions),
                   "--latency-n", str(args.latency_n), "--answer", str(folder)]
            cmd += (["--threads", str(args.threads)] if args.threads else []) + (["--profile"] if profile else [])
            out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
            return json.loads(out.strip().splitlines()[-1])

        res = run(False)
        if res["median_ms"] > args.profile_over_ms:
            res["profile"] = run(True)
        results.append((size, info, size_mb, res))
        print(json.dumps({"size": size, "build": info, "index_mb": size_mb, "answer": res}), flush=True)

    print("\nStand-in embedder for passages (hash, 384-d); real model for queries."
          f" torch/FAISS threads while answering: {args.threads or 'default'}")
    print(table(["passages", "build s", "built passages/s", "index MB", "open s", "RSS open MB", "RSS peak MB",
                 "ask median ms", "ask p95 ms"],
                [[f"{res['passages']:,}", round(info["seconds"], 0), round(info["passages_per_s"], 0), round(mb),
                  round(res["open_s"], 1), round(res["rss_open_mb"]), round(res["rss_peak_mb"]),
                  round(res["median_ms"], 1), round(res["p95_ms"], 1)] for size, info, mb, res in results]))
    for _size, _, _, res in results:
        if "profile" in res:
            p = res["profile"]
            print(f"\nStage breakdown at {res['passages']:,} passages (median of {p['n']} questions;"
                  f" profiled total median {p['stages_ms']['total']:.1f} ms):")
            print(table(["stage", "median ms", "p95 ms"],
                        [[k, round(v, 2), round(p["stages_p95_ms"][k], 2)] for k, v in p["stages_ms"].items()]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
