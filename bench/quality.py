"""Retrieval quality of the real engine on a corpus + labelled questions.

    python bench/quality.py CORPUS.jsonl QUESTIONS.jsonl --name rtqa|squad \
        [--sample 1000 --seed 0] [--limit N] [--ooc FILE [--ooc-sample N]] [--work DIR]

Builds (or reuses) an index of CORPUS under WORK/<name>-index with the bundled model,
asks every question with `Retriever.ask(q, 10, force=True)` and prints hit@1/3/5/10
and MRR (a hit is a result from the question's `doc_id` or one of its
`silver_doc_ids`). It also dumps, per question, the candidate features the ranker
sees (dense, lexical, sentence, coverage, doc id, hit) to WORK/<name>-features.npz for
bench/tune.py; questions from --ooc files (out of corpus for this index) and a fixed
list of unrelated questions are dumped too, with group "ooc" / "unrelated".
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    DEFAULT_WORK,
    UNRELATED,
    FeatureWriter,
    build_or_reuse,
    candidate_features,
    load_articles,
    load_questions,
    open_retriever,
    real_embedder,
    table,
    wanted_docs,
)

KS = (1, 3, 5, 10)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", type=Path)
    ap.add_argument("questions", type=Path)
    ap.add_argument("--name", required=True)
    ap.add_argument("--work", type=Path, default=DEFAULT_WORK)
    ap.add_argument("--sample", type=int, default=None, help="sample this many questions (random.Random(seed))")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--limit", type=int, default=None, help="only the first N questions (after sampling)")
    ap.add_argument("--exclude-sample", metavar="N:SEED", default=None,
                    help="leave out the questions --sample N --seed SEED would pick (e.g. 1000:0, the benchmark "
                         "sample), before sampling: a fit set for bench/tune.py that never sees the benchmark")
    ap.add_argument("--ooc", type=Path, action="append", default=[], help="out-of-corpus questions file")
    ap.add_argument("--ooc-sample", type=int, default=None)
    ap.add_argument("--build-only", action="store_true")
    ap.add_argument("--batch", type=int, default=200, help="articles per add_articles call while building")
    args = ap.parse_args()

    args.work.mkdir(parents=True, exist_ok=True)
    folder = args.work / f"{args.name}-index"
    embedder = real_embedder()
    articles = load_articles(args.corpus)
    print(f"corpus {args.corpus}: {len(articles)} articles -> {folder}", flush=True)
    info = build_or_reuse(folder, articles, embedder, batch=args.batch,
                          log=lambda s: print(s, flush=True))
    print(table(["index", "articles", "passages", "build s", "passages/s", "reused"],
                [[args.name, info["articles"], info["passages"], round(info["seconds"], 1),
                  round(info["passages_per_s"], 1), info["reused"]]]), flush=True)
    if args.build_only:
        return 0

    if args.exclude_sample:
        n_out, seed_out = (int(x) for x in args.exclude_sample.split(":"))
        left_out = {q.get("qid") for q in load_questions(args.questions, n_out, seed_out)}
        pool = [q for q in load_questions(args.questions) if q.get("qid") not in left_out]
        questions = random.Random(args.seed).sample(pool, min(args.sample or len(pool), len(pool)))
        questions = questions[: args.limit] if args.limit else questions
    else:
        questions = load_questions(args.questions, args.sample, args.seed, args.limit)
    questions = [q for q in questions if wanted_docs(q)]
    r = open_retriever(folder, embedder)
    r.ask("warm up the model")
    writer = FeatureWriter()
    ranks: list[int | None] = []
    default_ranks: list[int | None] = []  # as users meet it: a declined question is a miss
    abstained = 0
    cand_recall = 0
    t0 = time.perf_counter()
    for n, row in enumerate(questions, 1):
        wanted = wanted_docs(row)
        ans = r.ask(row["question"], 10, force=True)
        rank = next((h.rank for h in ans.results if h.doc_id in wanted), None)
        ranks.append(rank)
        default_ranks.append(rank if ans.answered else None)
        abstained += 0 if ans.answered else 1
        feats = candidate_features(r, row["question"])
        cand_recall += any(d in wanted for d in feats["doc"])
        writer.add(str(row.get("qid", n)), "in", feats, wanted, ans.answered, rank)
        if n % 200 == 0:
            print(f"  {n}/{len(questions)} questions, {time.perf_counter() - t0:.0f}s", flush=True)

    ooc_rows: list[tuple[str, str]] = []
    for path in args.ooc:
        for i, row in enumerate(load_questions(path, args.ooc_sample, args.seed)):
            ooc_rows.append((f"ooc:{path.parent.name}:{row.get('qid', i)}", row["question"]))
    ooc_rows += [(f"unrelated:{i}", q) for i, q in enumerate(UNRELATED)]
    for qid, question in ooc_rows:
        ans = r.ask(question, 10, force=True)
        feats = candidate_features(r, question)
        writer.add(qid, "unrelated" if qid.startswith("unrelated") else "ooc", feats, set(), ans.answered, None)

    out = args.work / f"{args.name}-features.npz"
    writer.save(out, name=args.name, corpus=str(args.corpus), questions=str(args.questions))

    nq = len(ranks)
    row = [args.name, nq]
    row += [sum(1 for x in ranks if x is not None and x <= k) / nq for k in KS]
    row += [sum(1 / x for x in ranks if x is not None) / nq, cand_recall / nq, abstained / nq]
    print()
    print(f"Quality of Retriever.ask(q, 10, force=True), default Tuning, model {embedder.name}")
    row2 = [f"{args.name} (defaults, declined = miss)", nq]
    row2 += [sum(1 for x in default_ranks if x is not None and x <= k) / nq for k in KS]
    row2 += [sum(1 / x for x in default_ranks if x is not None) / nq, cand_recall / nq, abstained / nq]
    print(table(["dataset", "questions", *[f"hit@{k}" for k in KS], "MRR", "cand. recall", "declined"], [row, row2]))
    groups = {}
    for qid, _ in ooc_rows:
        g = "unrelated" if qid.startswith("unrelated") else "ooc"
        groups[g] = groups.get(g, 0) + 1
    ooc_answered = {g: 0 for g in groups}
    for g, a in zip(writer.group, writer.answered, strict=True):
        if g in ooc_answered:
            ooc_answered[g] += int(a)
    print(table(["group", "questions", "answered (default thresholds)"],
                [["in-corpus", nq, round(1 - abstained / nq, 3)],
                 *[[g, c, round(ooc_answered[g] / c, 3)] for g, c in groups.items()]]))
    print(f"features -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
