"""Side-by-side peer number: txtai hybrid (dense + BM25) on the same SQuAD sample.

Runs in its own venv, never the project's. Either a full install (txtai pins its own stack):
    python3 -m venv /tmp/txtai-venv
    /tmp/txtai-venv/bin/pip install torch==2.13.0 txtai faiss-cpu
or, offline-friendly, a venv that borrows the project venv's torch/transformers/faiss read-only:
    python -m venv /tmp/txtai-venv
    echo /work/main/.venv/lib/python3.11/site-packages > /tmp/txtai-venv/lib/python3.11/site-packages/main.pth
    /tmp/txtai-venv/bin/pip install --no-deps txtai
then
    HF_HUB_OFFLINE=1 /tmp/txtai-venv/bin/python bench/peer_txtai.py PASSAGES.jsonl QUESTIONS.jsonl \
        --model MODEL_DIR [--sample 1000 --seed 0] [--work DIR]

MODEL_DIR should be the same sentence-transformers folder Verbatim uses (print it with
`python -c "from index.embed import resolve_model_path, BUNDLED_MODEL; print(resolve_model_path(BUNDLED_MODEL))"`).
One passage = one txtai document (no chunking); questions sampled exactly as
bench/quality.py does (random.Random(seed).sample). Self-contained: imports nothing
from index/.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from pathlib import Path

KS = (1, 3, 5, 10)


def read(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("passages", type=Path)
    ap.add_argument("questions", type=Path)
    ap.add_argument("--model", required=True)
    ap.add_argument("--sample", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--work", type=Path, default=Path("/work/benchwork"))
    ap.add_argument("--no-hybrid", action="store_true", help="dense only")
    args = ap.parse_args()

    from txtai import Embeddings

    passages = read(args.passages)
    rows = read(args.questions)
    if args.sample < len(rows):
        rows = random.Random(args.seed).sample(rows, args.sample)
    config = {"path": args.model, "content": False, "hybrid": not args.no_hybrid, "backend": "faiss"}
    emb = Embeddings(config)
    t = time.perf_counter()
    emb.index([(p["id"], f"{p['title']}\n{p['text']}", None) for p in passages])
    build_s = time.perf_counter() - t

    emb.search("warm up", 10)
    ranks, times = [], []
    for row in rows:
        t = time.perf_counter()
        res = emb.search(row["question"], 10)
        times.append(time.perf_counter() - t)
        ids = [r[0] if isinstance(r, (tuple, list)) else r["id"] for r in res]
        ranks.append(next((i for i, d in enumerate(ids, 1) if d == row["doc_id"]), None))
    n = len(ranks)
    cells = [f"{sum(1 for r in ranks if r and r <= k) / n:.3f}" for k in KS]
    mrr = sum(1 / r for r in ranks if r) / n
    times.sort()
    label = "txtai dense" if args.no_hybrid else "txtai hybrid"
    print(f"| system | questions | {' | '.join(f'hit@{k}' for k in KS)} | MRR | build s | passages/s | median ms | p95 ms |")
    print("|---" * (len(KS) + 7) + "|")
    print(f"| {label} | {n} | {' | '.join(cells)} | {mrr:.3f} | {build_s:.0f} | {len(passages) / build_s:.1f} | "
          f"{1000 * statistics.median(times):.1f} | {1000 * times[int(0.95 * (n - 1))]:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
