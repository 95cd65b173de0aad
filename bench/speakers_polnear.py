"""Speaker attribution ("who says it") measured on PolNeAR's hand-marked attributions.

    python bench/speakers_polnear.py --split dev [--errors]      # 84 articles
    python bench/speakers_polnear.py --split train [--limit N]   # 840 articles

Which split is tuned on: the first speaker session developed on train, the second (issue 8, speakers) on
dev only; say which when reporting. PolNeAR's own test split is not in the data folder (held out).

Data: ../shared/data/polnear (see its README; internal evaluation only, never copied into the repo).
Each article's text is analysed as `verbatim add` analyses it (index.segment paragraphs and roles,
index.claims.analyse over every sentence). For every attribution whose cue is a speech or report verb
(said, told, according to, reported, added, …: the subset the README says to compare first) and whose
source is written out with a name in it (not a pronoun, nor a bare description such as "the judge" or "The
New York businessman" — a determiner and a lowercase head with no name beside it — which PolNeAR leaves
unresolved while Verbatim resolves them), the predicted speaker is that of the product claim covering
the cue; it is right when one phrase holds the other as a run of words ("Robby Mook" ~ "Robby Mook,
Clinton's campaign manager"; case and leading articles ignored) or is its acronym, or when the gold name
without its honorific or title ends the predicted one ("Mr. Clarke" ~ "Tom Clarke": the product writes
the fullest form of a name used earlier in the article).
One annotator's file per article (the first in name order).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from claims_accuracy import _lenient  # noqa: E402

from index.claims import analyse  # noqa: E402
from index.segment import paragraphs, sentences  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "polnear"
SPEECH = re.compile(r"\b(?:say|says|said|saying|tell|tells|told|telling|according to|report|reports|reported|"
                    r"add|adds|added|state|states|stated|explain\w*|note|notes|noted|announc\w*|wr(?:ote|ites)|"
                    r"tweet\w*|recall\w*|repl\w*|respond\w*|testif\w*|assert\w*|declar\w*)\b", re.IGNORECASE)
PRONOUNS = {"he", "she", "they", "it", "we", "i", "you", "his", "her", "their", "him", "them", "who", "me", "us",
            "which", "that"}


def _words(s: str) -> list[str]:
    return re.findall(r"[\w’'.-]+", s.lower().replace("’", "'"))


# Honorifics and titles before a name: "Mr. Clarke" is "Tom Clarke" once the article has named him in full.
HONORIFICS = re.compile(r"^(?:(?:the|former|then-?|vice|chief|deputy|acting|president|presidential|sen|senator|rep|"
                        r"gov|governor|mr|mrs|ms|miss|dr|prof|professor|justice|judge|gen|general|secretary|"
                        r"mayor|attorney|candidate|nominee|democratic|republican|gop|u\.s|us)\.?\s+)+",
                        re.IGNORECASE)


def same_speaker(gold: str, pred: str | None) -> bool:
    """One phrase contains the other as a run of words ("Huma Abedin" in "Huma Abedin, vice chairwoman
    for Clinton's campaign"), or one ends the other, or one is the other's acronym. Honorifics and titles
    before a name are dropped from the gold phrase ("Mr. Clarke" ~ "Tom Clarke", "Chief Justice Roberts" ~
    "John G. Roberts"), and hyphens count as spaces."""
    if pred is None:
        return False
    head = re.split(r",|\s--\s|\s[—–]\s|\s\(", gold)[0].strip()  # "Kall -- co-editor of …" -> "Kall"
    bare = HONORIFICS.sub("", head)
    if bare[:1].isupper() and _lenient(bare, pred):
        return True
    if _lenient(gold, pred) or _lenient(gold.split(",")[0], pred):  # "Biden, who served …" ~ "Joe Biden"
        return True
    g, p = _words(gold), [w for w in _words(pred) if w not in ("the", "a", "an")]
    return bool(p) and any(g[i:i + len(p)] == p for i in range(len(g) - len(p) + 1))


def named(source: str) -> bool:
    """A source written with a name (a capitalised word after the first), not only a description: "The New
    York businessman" or "the top British medical journal" (a determiner, a lowercase head) is a description."""
    head, *rest = re.split(r",|\s--\s|\s[—–]\s|\s\(", source)
    words = head.split()
    if len(words) > 1 and words[0].lower() in ("the", "a", "an", "one", "all", "some") and \
            words[-1][:1].islower() and not any(w[:1].isupper() for r in rest for w in r.split()):
        return False  # but "The state's campaign chairman, Phil Lovas," names him
    return any(w[:1].isupper() for w in source.split()[1:]) or (source[:1].isupper() and len(source.split()) == 1)


def spans(field: str) -> tuple[int, int]:
    parts = [tuple(map(int, p.split())) for p in field.split(";")]
    return min(a for a, _ in parts), max(b for _, b in parts)


def attributions(ann: Path) -> list[dict]:
    spans_by_id, out = {}, []
    for line in ann.read_text(encoding="utf-8").splitlines():
        cols = line.split("\t")
        if line.startswith("T") and len(cols) >= 3:
            kind, _, rng = cols[1].partition(" ")
            spans_by_id[cols[0]] = (kind, spans(rng), cols[2])
        elif line.startswith("E") and len(cols) >= 2:
            out.append(dict(p.split(":", 1) for p in cols[1].split()))
    rows = []
    for e in out:
        if "Cue" not in e or "Source" not in e:
            continue
        cue, src = spans_by_id.get(e["Cue"]), spans_by_id.get(e["Source"])
        if cue and src:
            rows.append({"cue": cue[2], "cue_span": cue[1], "source": src[2]})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=["train", "dev"], required=True)
    ap.add_argument("--limit", type=int, default=0, help="articles (0 = all)")
    ap.add_argument("--errors", action="store_true")
    args = ap.parse_args()
    texts = sorted((DATA / args.split / "text").glob("*.txt"))
    if args.limit:
        texts = texts[: args.limit]
    n = right = attributed = 0
    for path in texts:
        anns = sorted((DATA / args.split / "attributions").glob(path.stem + "_*.ann"))
        if not anns:
            continue
        text = path.read_text(encoding="utf-8")
        paras = paragraphs(text)
        framings = analyse(text, paras, [s for p in paras for s in sentences(text, p.start, p.end)])
        for a in attributions(anns[0]):
            if not SPEECH.search(a["cue"]) or a["source"].strip().lower() in PRONOUNS or not named(a["source"]):
                continue  # pronouns and bare descriptions ("the judge") are left unresolved in PolNeAR
            c0, c1 = a["cue_span"]
            covering = [f for f in framings if f.start <= c0 < f.end or (c0 <= f.start < c1)]
            speaker = next((f.speaker for f in covering if f.speaker), None)
            n += 1
            attributed += speaker is not None
            ok = same_speaker(a["source"], speaker)
            right += ok
            if args.errors and not ok:
                print(f"  gold {a['source'][:40]:40} | pred {str(speaker)[:30]:30} | cue {a['cue'][:20]}")
    print(f"polnear {args.split}: {len(texts)} articles, {n} speech/report attributions with a named source")
    print(f"speaker right {right / n:.3f}; some speaker given {attributed / n:.3f}")


if __name__ == "__main__":
    main()
