"""Build the small and mid-sized corpora bench/fit_decision.py fits and reports the decision on.

    python bench/decision_corpora.py --work /tmp/bench9 [--data /work/shared/data] [--only seed mixed ...]

Every corpus is drawn deterministically (random.Random(0) over sorted ids) from ../shared/data and the
bundled seed article, so a lost /tmp folder is rebuilt the same way:

- `seed`: the bundled article (corpus/france24-north-korean-troops.md);
- `mixed`: seed + the two USA Today pieces on the North Korean troops + 45 other 2024 news_rtqa articles (for
  each question of questions/short_entity_mixed.jsonl whose names the seed lacks, one article that has them,
  then random ones) + 15 BBC articles; held out from the decision's fit;
- `mixed2`: seed + 25 news_rtqa 2022/23 articles + 10 BBC (the same way, for the `mixed2` questions of
  questions/short_entity_fit.jsonl); fitted on;
- `rtqa_sub`: the first 500 of the news_rtqa quiz's gold/silver articles (in question order); with
  WORK/rtqa_q_indexed.jsonl, the quiz questions whose gold article it holds; held out;
- `rtqa_fit`: the rest of those articles (334, none in rtqa_sub): a broad news corpus to fit on, with the quiz
  questions none of whose gold/silver articles is in rtqa_sub (WORK/rtqa_q_fit.jsonl).

Indexes go to WORK/<name>-index (bench/_common.build_or_reuse: reused when finished).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, build_or_reuse, load_articles, read_jsonl, real_embedder, wanted_docs

from index.load import load_paths

Q = Path(__file__).resolve().parent / "questions"
SEED = ROOT / "corpus" / "france24-north-korean-troops.md"
USA_TODAY_TROOPS = ("rtqa-bbf55a06e333f878", "rtqa-61a4893270a54aa6")
_OPENERS = {"What", "Who", "Did", "How", "When", "Where", "Why", "Is", "Are", "Does", "Do"}


def needed(question: str, spans: list[str]) -> tuple[list[str], list[str]]:
    """(names the article must all contain, spans it must contain one of)."""
    words = [w for w in re.findall(r"[A-Z][\w-]+", question) if w not in _OPENERS]
    return words, spans


def pick(pool: list, questions: list[dict], have: list, n: int, rng: random.Random) -> list:
    """Up to n articles of pool: one for each question the articles in `have` do not answer, then random."""
    out: list = []
    for q in questions:
        names, spans = needed(q["question"], q["spans"])

        def fits(a, names=names, spans=spans) -> bool:
            return all(x in a.text for x in names) and any(s.lower() in a.text.lower() for s in spans)

        if any(fits(a) for a in have + out):
            continue
        hits = [a for a in pool if fits(a) and a not in out]
        if hits and len(out) < n:
            out.append(rng.choice(hits))
    rest = [a for a in pool if a not in out]
    out += rng.sample(rest, max(0, n - len(out)))
    return out


def corpora(data: Path) -> dict[str, list]:
    seed = list(load_paths([SEED]).articles)
    rtqa = sorted(load_articles(data / "news_rtqa/articles.jsonl"), key=lambda a: a.id)
    bbc = sorted(load_articles(data / "news_bbc/articles.jsonl"), key=lambda a: a.id)
    by_id = {a.id: a for a in rtqa}
    mixed_q = list(read_jsonl(Q / "short_entity_mixed.jsonl"))
    fit_q = [r for r in read_jsonl(Q / "short_entity_fit.jsonl") if r["corpus"] == "mixed2"]
    out: dict[str, list] = {"seed": seed}

    rng = random.Random(0)
    troops = [by_id[i] for i in USA_TODAY_TROOPS]
    y2024 = [a for a in rtqa if (a.date or "").startswith("2024") and a.id not in USA_TODAY_TROOPS]
    news = pick(y2024, mixed_q, seed + troops, 45, rng)
    out["mixed"] = seed + troops + news + pick(bbc, mixed_q, seed + troops + news, 15, rng)

    rng = random.Random(0)
    y2223 = [a for a in rtqa if (a.date or "")[:4] in ("2022", "2023")]
    news = pick(y2223, fit_q, seed, 25, rng)
    out["mixed2"] = seed + news + pick(bbc, fit_q, seed + news, 10, rng)

    quiz = list(read_jsonl(data / "news_rtqa/questions.jsonl"))
    ids: list[str] = []
    for q in quiz:
        for d in sorted(wanted_docs(q)):
            if d in by_id and d not in ids:
                ids.append(d)
    out["rtqa_sub"] = [by_id[i] for i in ids[:500]]
    out["rtqa_fit"] = [by_id[i] for i in ids[500:]]
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=Path("/tmp/bench9"))
    ap.add_argument("--data", type=Path, default=Path("/work/shared/data"))
    ap.add_argument("--only", nargs="+", default=None, choices=["seed", "mixed", "mixed2", "rtqa_sub", "rtqa_fit"])
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    sets = corpora(args.data)
    held = {a.id for a in sets["rtqa_sub"]}
    fit = {a.id for a in sets["rtqa_fit"]}
    with (open(args.work / "rtqa_q_indexed.jsonl", "w", encoding="utf-8") as fh,
          open(args.work / "rtqa_q_fit.jsonl", "w", encoding="utf-8") as fit_fh):
        for q in read_jsonl(args.data / "news_rtqa/questions.jsonl"):
            if wanted_docs(q) & held:
                fh.write(json.dumps(q) + "\n")
            elif wanted_docs(q) & fit:
                fit_fh.write(json.dumps(q) + "\n")
    embedder = None
    for name, articles in sets.items():
        if args.only and name not in args.only:
            continue
        embedder = embedder or real_embedder()
        info = build_or_reuse(args.work / f"{name}-index", articles, embedder, log=lambda s: print(s, flush=True))
        print(f"{name}: {info['articles']} articles, {info['passages']} passages, reused={info['reused']}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
