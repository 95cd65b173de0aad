"""Short and entity questions ("What did X say?", "X?", a bare name) and off-topic questions on one index,
at default settings (declining on).

    python bench/entity_questions.py --index WORK/mixed-index [--questions bench/questions/short_entity_mixed.jsonl]
        [--off bench/questions/out_of_corpus.txt --off bench/questions/short_offtopic.txt]

A question is right when it is answered and one of its top 3 passages contains one of its `spans`
(case-insensitive). Off-topic questions should be declined.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import UNRELATED, open_retriever, read_jsonl, real_embedder, table

Q = Path(__file__).resolve().parent / "questions"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--questions", type=Path, default=Q / "short_entity_mixed.jsonl")
    ap.add_argument("--off", type=Path, action="append", default=None)
    ap.add_argument("--show", action="store_true", help="print each question's outcome")
    args = ap.parse_args()
    off_files = args.off or [Q / "out_of_corpus.txt", Q / "short_offtopic.txt"]

    r = open_retriever(args.index, real_embedder())
    right = 0
    rows = list(read_jsonl(args.questions))
    for row in rows:
        ans = r.ask(row["question"], 3)
        ok = ans.answered and any(s.lower() in h.passage.lower() for h in ans.results[:3] for s in row["spans"])
        right += ok
        if args.show:
            top = ans.results[0].passage[:90].replace("\n", " ") if ans.results else "-"
            print(f"{'ok ' if ok else 'BAD'} {row['question']!r} answered={ans.answered} top: {top}")
    off = [x.strip() for f in off_files for x in f.read_text().splitlines() if x.strip()] + UNRELATED
    declined = 0
    for q in off:
        ans = r.ask(q, 3)
        declined += not ans.answered
        if args.show and ans.answered:
            print(f"ANSWERED off-topic {q!r}: {ans.results[0].passage[:90]!r}")
    print(table(["index", "entity/short questions", "right (answered, span in top 3)", "off-topic", "declined"],
                [[args.index.name, len(rows), right / len(rows), len(off), declined / len(off)]]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
