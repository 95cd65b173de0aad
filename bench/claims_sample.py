"""Draw the articles and sentences to label for claim framing, as the product segments them.

    python bench/claims_sample.py --out /tmp/claims_worksheet.jsonl [--per-article 10]

Articles come only from ../shared/data/claims_pool/ids.txt (news_bbc and news_rtqa), stratified by
outlet and section with a fixed seed, skipping articles already in the older fixtures. Each worksheet
line is one sentence of the article (half of --per-article from the start, half from a seeded later window; headlines, captions and
boilerplate included, since those must come out as null or with their own status):

    {"doc_id", "start", "end", "role", "text", "split"}

The worksheet holds article text and stays outside the repository; the labels committed in
bench/labels/claims_pool.jsonl keep only doc_id, offsets, a hash of the sentence and the labels, and
bench/claims_accuracy.py reads the text back from ../shared/data by path.

The split is by article and fixed by the id alone (`split_of`): about a third of the articles are
**test**, run only to report; the rest are **dev**.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"

from index.segment import paragraphs, sentences  # noqa: E402

# outlet -> how many articles; BBC by its category (the id says it), the rest by URL section
QUOTA = {"BBC News": 25, "CNN": 15, "USA Today": 15, "The Week (UK)": 15}


def split_of(doc_id: str) -> str:
    """dev or test, by article, from the id alone (so it never depends on what was sampled)."""
    return "test" if int(hashlib.sha1(doc_id.encode()).hexdigest(), 16) % 3 == 0 else "dev"


def sentence_hash(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def load_articles(ids: set[str]) -> dict[str, dict]:
    out = {}
    for name in ("news_bbc", "news_rtqa"):
        with open(DATA / name / "articles.jsonl", encoding="utf-8") as fh:
            for line in fh:
                a = json.loads(line)
                if a["id"] in ids:
                    out[a["id"]] = a
    return out


def section(a: dict) -> str:
    if a["id"].startswith("bbc-"):
        return a["id"].split("-")[1]
    parts = [p for p in re.sub(r"^https?://[^/]+/", "", a.get("url") or "").split("/") if p and not p.isdigit()]
    parts = [p for p in parts if p not in ("story", "news")]
    return parts[0] if parts else "other"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--per-article", type=int, default=12)
    ap.add_argument("--seed", type=int, default=8)
    ap.add_argument("--fresh", type=int, default=0,
                    help="draw this many articles per outlet from the dev split only, skipping every article "
                         "already in bench/labels/claims_pool*.jsonl (new dev-only labels)")
    ap.add_argument("--fresh-split", choices=["dev", "test"], default="dev",
                    help="with --fresh: the split to draw from (test: a fresh held-out set, claims_pool_test*.jsonl)")
    args = ap.parse_args()

    ids = set((DATA / "claims_pool" / "ids.txt").read_text().split())
    old = {json.loads(line)["doc_id"] for line in (ROOT / "tests/fixtures/claims_labelled.jsonl").open()}
    if args.fresh:
        for f in (ROOT / "bench" / "labels").glob("claims_pool*.jsonl"):
            old |= {json.loads(line)["doc_id"] for line in f.open(encoding="utf-8")}
        ids = {i for i in ids if split_of(i) == args.fresh_split}
    articles = load_articles(ids - old)
    rng = random.Random(args.seed)
    by_outlet: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for a in articles.values():
        if a["source"] in QUOTA and len(a["text"]) > 800:
            by_outlet[a["source"]][section(a)].append(a["id"])
    chosen: list[str] = []
    for outlet, n in QUOTA.items():
        n = args.fresh or n
        sections = {s: sorted(v) for s, v in by_outlet[outlet].items()}
        for v in sections.values():
            rng.shuffle(v)
        order = sorted(sections, key=lambda s: (-len(sections[s]), s))
        picked: list[str] = []
        while len(picked) < n and any(sections.values()):  # round-robin over sections
            for s in order:
                if sections[s] and len(picked) < n:
                    picked.append(sections[s].pop())
        chosen.extend(picked)

    with open(args.out, "w", encoding="utf-8") as out:
        for doc_id in chosen:
            a = articles[doc_id]
            text = a["text"]
            sents = [(p, s) for p in paragraphs(text, title=a["title"]) for s in sentences(text, p.start, p.end)]
            half = args.per_article // 2
            later = rng.randrange(half, max(half + 1, len(sents) - half + 1))  # a window further on
            for i in sorted(set(range(min(half, len(sents)))) | set(range(later, min(later + half, len(sents))))):
                p, s = sents[i]
                row = {"doc_id": doc_id, "source": a["source"], "section": section(a),
                       "start": s.start, "end": s.end, "role": p.role.value,
                       "text": text[s.start:s.end], "split": split_of(doc_id)}
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(chosen)} articles -> {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
