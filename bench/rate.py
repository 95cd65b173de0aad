"""Indexing rate vs the bare model encode rate on the same passage texts.

    python bench/rate.py CORPUS.jsonl [--articles 300] [--runs 3] [--work DIR]

Takes the first --articles articles of CORPUS, chunks them as the index does, and times
(median of --runs, each on a fresh index folder):
  add_articles   Retriever.add_articles into a fresh index (the real path)
  encode_spans   SentenceTransformerEmbedder.encode_spans on the passage texts + sentence spans
  encode         SentenceTransformerEmbedder.encode (sentence-transformers' own encode) on the same texts
  non-model      add_articles with HashEmbedder(384) (chunking, segmentation, BM25 terms, SQLite, FAISS)
with the same batch size (64). Prints passages/s and the ratios.
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
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--articles", type=int, default=300)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--work", type=Path, default=DEFAULT_WORK)
    ap.add_argument("--batch-size", type=int, default=64)
    args = ap.parse_args()

    from index.chunk import chunk_article
    from index.embed import HashEmbedder
    from index.ingest import framings
    from index.segment import paragraphs as split_paragraphs

    articles = load_articles(args.corpus, args.articles)
    texts, spans = [], []
    for a in articles:
        paras = split_paragraphs(a.text, title=a.title)
        chunks = chunk_article(a)
        claims = framings(a, paras, chunks)
        for ch in chunks:
            texts.append(a.text[ch.start : ch.end])
            spans.append([(c.start - ch.start, c.end - ch.start) for c in claims if ch.start <= c.start and c.end <= ch.end])
    n = len(texts)
    words = statistics.median(len(t.split()) for t in texts)
    print(f"{len(articles)} articles -> {n} passages (median {words:.0f} words), batch size {args.batch_size}", flush=True)

    emb = real_embedder(args.batch_size)
    emb.encode(texts[:8])  # load the model outside the timings
    times: dict[str, list[float]] = {"add_articles": [], "encode_spans": [], "encode": [], "non-model": []}
    for run in range(args.runs):
        folder = args.work / f"rate-tmp-{run}"
        shutil.rmtree(folder, ignore_errors=True)
        r = open_retriever(folder, emb)
        t = time.perf_counter()
        rep = r.add_articles(articles)
        times["add_articles"].append(time.perf_counter() - t)
        r.close()
        shutil.rmtree(folder, ignore_errors=True)
        assert rep.passages == n, (rep.passages, n)

        t = time.perf_counter()
        emb.encode_spans(texts, spans)
        times["encode_spans"].append(time.perf_counter() - t)

        t = time.perf_counter()
        emb.encode(texts)
        times["encode"].append(time.perf_counter() - t)

        h = HashEmbedder(dim=384, name=emb.name)
        r = open_retriever(folder, h)
        t = time.perf_counter()
        r.add_articles(articles)
        times["non-model"].append(time.perf_counter() - t)
        r.close()
        shutil.rmtree(folder, ignore_errors=True)
        print(f"  run {run + 1}: " + ", ".join(f"{k} {v[-1]:.1f}s" for k, v in times.items()), flush=True)

    med = {k: statistics.median(v) for k, v in times.items()}
    rows = [[k, round(med[k], 2), round(n / med[k], 1), round(med["encode"] / med[k], 2)] for k in med]
    print()
    print(table(["path", "median s", "passages/s", "rate / bare encode rate"], rows))
    print(f"\nindexing rate / bare encode rate = {med['encode'] / med['add_articles']:.2f}"
          f"  (add_articles takes {med['add_articles'] / med['encode']:.2f}x the bare encode time)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
