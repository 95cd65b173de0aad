"""Fit the answer-or-decline model (index.search.decide) and report it on corpora and question sets it did
not see.

    python bench/fit_decision.py --work /tmp/bench9 [--data /work/shared/data] [--refresh] [--cross]

Expects bench indexes WORK/<corpus>-index (built with bench/_common.build_or_reuse, e.g. by
bench/decision_corpora.py and bench/quality.py --build-only; a CLI-built index counts once it holds a
bench-build.json): seed (the bundled article), mixed2 (seed + 25 rtqa 2022/23 + 10 BBC articles), squad
and rtqa (the whole news_rtqa corpus, 51.6k passages) are fitted on; mixed (seed + 2 USA Today pieces on
the same story + 60 unrelated articles), rtqa_sub (500 rtqa articles) and bbc (news_bbc) are only reported
on, when present. On rtqa the quiz is fitted in two folds by gold article; `--cross` refits without each
fold and reports every quiz question, on every corpus, with the model that did not see its fold (and the
hit rates at defaults, a declined question counting as a miss). Features come from `Searcher.features`,
the code `ask` runs; they are cached in WORK/decision-features.npz (--refresh recomputes). Prints the
coefficients to paste into index/search/tuning.py and, per question set, the share answered with the
fitted model (fit sets, held-out sets and cross-fitted quiz sets apart).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import UNRELATED, open_retriever, read_jsonl, real_embedder, table, wanted_docs

from index.search import decide
from index.search.tuning import Tuning

Q = Path(__file__).resolve().parent / "questions"


def lines(path: Path) -> list[str]:
    return [x.strip() for x in path.read_text().splitlines() if x.strip()]


def squad_questions(data: Path) -> list[dict]:
    return list(read_jsonl(data / "squad_v1.1_dev/questions.jsonl"))


def benchmark_squad(data: Path) -> list[dict]:
    """The 1,000 questions bench/quality.py reports on (--sample 1000 --seed 0)."""
    rows = squad_questions(data)
    return random.Random(0).sample(rows, 1000)


def question_sets(data: Path) -> list[tuple[str, str, str, int, list[str]]]:
    """(role, corpus, set name, label, questions); label 1 = the corpus answers it."""
    squad = squad_questions(data)
    bench_ids = {r["qid"] for r in benchmark_squad(data)}
    squad_fit = [r["question"] for r in random.Random(7).sample([r for r in squad if r["qid"] not in bench_ids], 600)]
    squad_off = [r["question"] for r in random.Random(3).sample([r for r in squad if r["qid"] not in bench_ids], 300)]
    rtqa = list(read_jsonl(data / "news_rtqa/questions.jsonl"))
    rtqa_off = [r["question"] for r in rtqa if "korea" not in r["question"].lower()]
    used = bench_ids | {r["qid"] for r in squad if r["question"] in set(squad_fit) | set(squad_off)}
    squad_rest = [r["question"] for r in squad if r["qid"] not in used]
    squad_big_fit, squad_big_held = (random.Random(11).sample(squad_rest, 600)[i::2] for i in (0, 1))
    unlabelled = [r["question"] for r in read_jsonl(data / "news_rtqa/questions_unlabeled.jsonl")]
    paraphrases = [r["question"] for r in read_jsonl(Q / "seed_paraphrases.jsonl")]
    short_fit = list(read_jsonl(Q / "short_entity_fit.jsonl"))
    trivia = lines(Q / "trivia_fit.txt")
    held_off = lines(Q / "out_of_corpus.txt") + UNRELATED + lines(Q / "short_offtopic.txt")
    rng = random.Random(7)
    return [
        ("fit", "seed", "paraphrases", 1, paraphrases),
        ("fit", "seed", "short entity (fit)", 1, [r["question"] for r in short_fit if r["corpus"] == "seed"]),
        ("fit", "seed", "trivia (fit)", 0, trivia),
        ("fit", "seed", "squad questions", 0, squad_off[:100]),
        ("fit", "seed", "rtqa questions", 0, rng.sample(rtqa_off, 100)),
        ("fit", "mixed2", "paraphrases", 1, paraphrases),
        ("fit", "mixed2", "short entity (fit)", 1, [r["question"] for r in short_fit if r["corpus"] == "mixed2"]),
        ("fit", "mixed2", "trivia (fit)", 0, trivia),
        ("fit", "mixed2", "squad questions", 0, squad_off[100:200]),
        ("fit", "squad", "squad (not the benchmark sample)", 1, squad_fit),
        ("fit", "squad", "trivia (fit)", 0, trivia),
        ("fit", "squad", "rtqa questions", 0, rng.sample(rtqa_off, 200)),
        ("fit", "squad", "rtqa unlabelled", 0, rng.sample(unlabelled, 200)),
        ("held", "seed", "off-topic (held)", 0, held_off),
        ("held", "mixed", "short entity (held)", 1, [r["question"] for r in read_jsonl(Q / "short_entity_mixed.jsonl")]),
        ("held", "mixed", "off-topic (held)", 0, held_off),
        ("held", "mixed", "squad questions", 0, squad_off[200:300]),
        ("held", "squad", "squad benchmark 1000", 1, [r["question"] for r in benchmark_squad(data)]),
        ("held", "squad", "off-topic (held)", 0, held_off),
        ("held", "rtqa_sub", "rtqa quiz (gold article indexed)", 1, [r["question"] for r in rtqa]),
        ("held", "rtqa_sub", "off-topic (held)", 0, held_off),
        ("held", "rtqa_sub", "squad questions", 0, squad_off[:300]),
        ("held", "bbc", "off-topic (held)", 0, held_off),
        ("held", "bbc", "squad questions", 0, squad_big_held[:150]),
        # the whole news_rtqa corpus (51.6k passages): its quiz in two folds by gold article, both fitted on
        # (--cross reports each fold with a model fitted without it)
        *[("fit", "rtqa", f"rtqa quiz (fold {k})", 1, [r["question"] for r in rtqa if quiz_fold(r) == k])
          for k in (0, 1)],
        ("fit", "rtqa", "trivia (fit)", 0, trivia),
        ("fit", "rtqa", "squad questions (fit)", 0, squad_big_fit),
        ("held", "rtqa", "off-topic (held)", 0, held_off),
        ("held", "rtqa", "squad questions (held)", 0, squad_big_held),
    ]


def quiz_fold(row: dict) -> int:
    """The fold (0 or 1) of a news_rtqa quiz question, by its gold article, so one article's questions
    share a fold."""
    return int(hashlib.sha1((row.get("doc_id") or row["qid"]).encode()).hexdigest(), 16) % 2


def features_of(r, question: str) -> np.ndarray:
    """As Retriever.ask computes them: filters read from the question, then Searcher.features."""
    from index.retriever import clean_question

    s = r.searcher
    text, _, allowed = s.narrow(clean_question(question))
    x, _, _ = s.features(text, allowed)
    return x if x is not None else np.zeros(len(decide.FEATURES))


def fit_logistic(x: np.ndarray, y: np.ndarray, w: np.ndarray, l2: float = 1e-2, iters: int = 50) -> np.ndarray:
    """Weighted L2-regularised logistic regression by Newton's method; returns [bias, coefs...]."""
    xb = np.hstack([np.ones((len(x), 1)), x])
    beta = np.zeros(xb.shape[1])
    reg = l2 * np.eye(xb.shape[1])
    reg[0, 0] = 0.0
    for _ in range(iters):
        p = 1 / (1 + np.exp(-np.clip(xb @ beta, -40, 40)))
        grad = xb.T @ (w * (p - y)) + reg @ beta
        hess = (xb * (w * p * (1 - p))[:, None]).T @ xb + reg
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return beta


def fit_tuning(rows: dict, fit: list[tuple[str, str, int]], answer_weight: float, l2: float,
               drop: list[str]) -> Tuning:
    """The decision model fitted on the (corpus, set, label) sets `fit`."""
    x = np.vstack([rows[(c, n)] for c, n, _ in fit])
    y = np.concatenate([np.full(len(rows[(c, n)]), lab, float) for c, n, lab in fit])
    # each question set counts as much as any other of its label, whatever its size
    w = np.concatenate([np.full(len(rows[(c, n)]), (answer_weight if lab else 1.0) / len(rows[(c, n)]))
                        for c, n, lab in fit])
    w *= len(w) / w.sum()
    names = [*decide.FEATURES, *(f"{f}*log_n" for f in decide.SIZED)]
    keep = [i for i, f in enumerate(names) if f.split("*")[0] not in drop]
    fitted = fit_logistic(decide.design(x)[:, keep], y, w, l2=l2)
    beta = np.zeros(len(names) + 1)
    beta[0] = fitted[0]
    beta[[i + 1 for i in keep]] = fitted[1:]
    return Tuning(coefs=tuple(round(float(b), 4) for b in beta[1:]), bias=round(float(beta[0]), 4))


def quiz_rows(data: Path, r, name: str) -> list[dict]:
    """The quiz questions a quiz set asks of index `r`: those whose gold or silver article it holds (all of
    them on the whole corpus), of the set's fold where the name gives one."""
    quiz = list(read_jsonl(data / "news_rtqa/questions.jsonl"))
    held = set(r.store.article_hashes([d for q in quiz for d in wanted_docs(q)]))
    fold = int(name[-2]) if name.endswith(")") and "fold" in name else None
    return [q for q in quiz if wanted_docs(q) & held and (fold is None or quiz_fold(q) == fold)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=Path("/tmp/bench9"))
    ap.add_argument("--data", type=Path, default=Path("/work/shared/data"))
    ap.add_argument("--refresh", action="store_true")
    ap.add_argument("--answer-weight", type=float, default=6.0,
                    help="weight of in-corpus rows against off-topic (6: on the fit sets, the share of in-corpus "
                         "questions declined is a fifth of the share of off-topic ones answered, the ratio of the "
                         "issue's goals, 1%% and 5%%)")
    ap.add_argument("--l2", type=float, default=1e-2, help="L2 penalty of the logistic regression")
    ap.add_argument("--drop", action="append", default=[], choices=decide.FEATURES,
                    help="fit without this feature (its coefficient is 0)")
    ap.add_argument("--cross", action="store_true",
                    help="also fit once without each fold of the news_rtqa quiz and report every quiz question "
                         "(on every corpus) with the model that did not see its fold")
    args = ap.parse_args()

    cache = args.work / "decision-features.npz"
    sets = question_sets(args.data)
    rows: dict[tuple, np.ndarray] = {}
    if cache.exists() and not args.refresh:
        z = np.load(cache, allow_pickle=False)
        rows = {tuple(json.loads(k)): z[k] for k in z.files}
    embedder = None
    for _, corpus, name, _, qs in sets:
        folder = args.work / f"{corpus}-index"
        quiz = name.startswith("rtqa quiz")
        if (corpus, name) in rows and (len(rows[(corpus, name)]) == len(qs) or quiz):
            continue
        if not (folder / "bench-build.json").exists():
            print(f"skip {corpus}/{name}: no index at {folder}")
            continue
        embedder = embedder or real_embedder()
        r = open_retriever(folder, embedder)
        if quiz:  # a subset index holds only some gold articles: ask the questions it can answer
            asked = quiz_rows(args.data, r, name)
            qs = [q["question"] for q in asked]
            # the rank of the first gold/silver passage with declining off (0: not in the top 10), and the fold
            ranks = []
            for q in asked:
                ans = r.ask(q["question"], 10, force=True)
                ranks.append(next((h.rank for h in ans.results if h.doc_id in wanted_docs(q)), 0))
            rows[(corpus, name, "rank")] = np.asarray(ranks, np.int64)
            rows[(corpus, name, "fold")] = np.asarray([quiz_fold(q) for q in asked], np.int64)
        rows[(corpus, name)] = np.stack([features_of(r, q) for q in qs])
        r.close()
        print(f"features {corpus}/{name}: {len(qs)}", flush=True)
        np.savez(cache, **{json.dumps(list(k)): v for k, v in rows.items()})

    fit = [(c, n, lab) for role, c, n, lab, _ in sets if role == "fit" and (c, n) in rows]
    tuning = fit_tuning(rows, fit, args.answer_weight, args.l2, args.drop)
    print("\nDECISION_COEFS = (  # " + ", ".join(decide.FEATURES) + ", then each but log_n times log_n")
    for i in range(0, len(tuning.coefs), 8):
        print("    " + ", ".join(f"{c}" for c in tuning.coefs[i : i + 8]) + ",")
    print(")")
    print(f"DECISION_BIAS = {tuning.bias}")
    by_fold = {}
    if args.cross:
        by_fold = {k: fit_tuning(rows, [f for f in fit if f[1] != f"rtqa quiz (fold {k})"], args.answer_weight,
                                 args.l2, args.drop) for k in (0, 1)}

    answered_by = json.loads((Q / "offtopic_answered.json").read_text())
    out = []
    for role, corpus, name, label, qs in sets:
        if (corpus, name) not in rows:
            continue
        x = rows[(corpus, name)]
        folds = rows.get((corpus, name, "fold"))
        models = [by_fold[int(k)] for k in folds] if by_fold and folds is not None else [tuning] * len(x)
        p = np.asarray([decide.probability(v, m) for v, m in zip(x, models, strict=True)])
        said = p >= tuning.answer_at
        shown_role = "cross" if by_fold and folds is not None else role
        row = [shown_role, corpus, name, "in corpus" if label else "off-topic", len(p), float(said.mean()), "", ""]
        if name == "off-topic (held)" and answered_by.get(corpus):
            # the questions of this set the corpus does answer (bench/questions/offtopic_answered.json) left out
            off = np.asarray([q not in answered_by[corpus] for q in qs])
            row[-2] = f"{said[off].mean():.3f} of {int(off.sum())}"
        ranks = rows.get((corpus, name, "rank"))
        if ranks is not None:  # as users meet it: a declined question is a miss
            row[-1] = " / ".join(f"{float(np.mean(said & (ranks >= 1) & (ranks <= k))):.3f}" for k in (1, 5))
        out.append(row)
    print(table(["role", "corpus", "questions", "kind", "n", "answered", "answered, answerable ones out",
                 "hit@1 / hit@5 at defaults"], out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
