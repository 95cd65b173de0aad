"""Indexing rate against R, the rate of the bare model encode and the bare claim parse back to back.

    python bench/rate.py CORPUS.jsonl[.gz] [--articles 300] [--runs 1] [--work DIR]

Takes the first --articles articles of CORPUS (rows with id, text and optional title, source,
date, url; passages_news_scale's passages.jsonl.gz works as one-passage articles) and times,
each alone, with the bundled model at default settings:
  add      Retriever.add_articles into a fresh index: the shipped streamed path (segment, claims,
           terms, encode, claim links, commits), in one call
  encode   the bare model encode (SentenceTransformerEmbedder.encode) of the same passage texts
  parse    the bare claim parse (index.ingest.analyse_batch) of the same articles' sentences
R = passages / (encode s + parse s), so add / R = (encode s + parse s) / add s. Also prints the
torch thread count seen inside the model during the add, and the cores the add kept busy
(process CPU time / wall time).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DEFAULT_WORK, load_articles, open_retriever, real_embedder, table


def main() -> int:
    import psutil

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--articles", type=int, default=300)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--work", type=Path, default=DEFAULT_WORK)
    args = ap.parse_args()

    import torch

    from index.ingest import _claim_sentences, analyse_batch, passages
    from index.settings import Settings

    settings = Settings()
    articles = load_articles(args.corpus, args.articles)
    texts, jobs = [], []
    for a in articles:
        paras, chunks = passages(a, settings.max_words)
        jobs.append((a.text, paras, _claim_sentences(a, paras, chunks)))
        texts.extend(a.text[c.start : c.end] for c in chunks)
    n = len(texts)
    words = statistics.median(len(t.split()) for t in texts)
    print(f"{len(articles)} articles -> {n} passages (median {words:.0f} words); add batch {settings.add_batch}, "
          f"model batch {settings.batch_size}", flush=True)

    emb = real_embedder(settings.batch_size)
    emb.encode(texts[:8])  # load the model outside the timings
    threads_seen: list[int] = []
    backend = emb._backend

    def watched(batch, **kw):
        if not kw.get("int8"):  # passages (the probe questions of calibration run int8, on one thread)
            threads_seen.append(torch.get_num_threads())
        return backend(batch, **kw)

    proc = psutil.Process()
    times: dict[str, list[float]] = {"add": [], "encode": [], "parse": [], "encode | parse in a thread": []}
    busy = []
    for run in range(args.runs):
        folder = args.work / f"rate-tmp-{run}"
        shutil.rmtree(folder, ignore_errors=True)
        r = open_retriever(folder, emb, settings.max_words)
        emb._backend = watched
        cpu = sum(proc.cpu_times()[:2])
        t = time.perf_counter()
        rep = r.add_articles(articles)
        times["add"].append(time.perf_counter() - t)
        busy.append((sum(proc.cpu_times()[:2]) - cpu) / times["add"][-1])
        emb._backend = backend
        r.close()
        shutil.rmtree(folder, ignore_errors=True)
        assert rep.passages == n, (rep.passages, n)

        t = time.perf_counter()
        emb.encode(texts)
        times["encode"].append(time.perf_counter() - t)

        t = time.perf_counter()
        analyse_batch(jobs)
        times["parse"].append(time.perf_counter() - t)

        import threading  # does a Python thread's parse overlap the model's encode (the GIL)?

        t = time.perf_counter()
        repeat = max(1, round(times["encode"][-1] / max(times["parse"][-1], 1e-3)))  # as long as the encode
        parser = threading.Thread(target=analyse_batch, args=(jobs * repeat,))
        parser.start()
        emb.encode(texts)
        parser.join()
        times["encode | parse in a thread"].append(time.perf_counter() - t)
        print(f"  run {run + 1}: " + ", ".join(f"{k} {v[-1]:.1f}s" for k, v in times.items()), flush=True)

    med = {k: statistics.median(v) for k, v in times.items()}
    repeat = max(1, round(med["encode"] / max(med["parse"], 1e-3)))
    overlap = med.pop("encode | parse in a thread")
    r_rate = n / (med["encode"] + med["parse"])
    rows = [[k, round(med[k], 1), round(n / med[k], 1)] for k in med]
    rows.append(["R = 1/(1/encode + 1/parse)", round(med["encode"] + med["parse"], 1), round(r_rate, 1)])
    print()
    print(table(["path", "median s", "passages/s"], rows))
    print(f"\nGIL check: the encode alongside {repeat}x the parse in a Python thread took {overlap:.1f}s, "
          f"against {med['encode'] + repeat * med['parse']:.1f}s one after the other")
    print(f"\nindexing rate / R = {n / med['add'] / r_rate:.2f}; add / bare encode = {med['encode'] / med['add']:.2f}; "
          f"torch threads inside the model for passages during the add: {sorted(set(threads_seen))}; "
          f"cores busy during the add: {statistics.median(busy):.2f} of {psutil.cpu_count()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
