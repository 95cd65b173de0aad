"""Sweep fusion weights (through the shipped `index.search.rank.fuse` for the shipped BM25 normalisation), BM25 normalisation, RRF, doc diversification and abstention
thresholds over the candidate features dumped by bench/quality.py.

    python bench/tune.py WORK/squad-features.npz WORK/rtqa-features.npz [--step 0.1]

Per dataset, questions are split by index: even-indexed ones tune, odd-indexed ones
are held out (reported next to the tuning numbers, so overfitting shows). The best
setting maximises the mean over datasets of (hit@1 + hit@5) / 2 on the even half.
Everything is re-ranking of the same candidate pool (dense top-50 union BM25 top-50, as
`Searcher.features` returns it for the question text `ask` searches), so "cand. recall" is the
ceiling. The "max" normalisation rows are scored by `index.search.rank.fuse` with a `Tuning` holding the
swept weights (entity and speaker bonuses and the article share as shipped); the other normalisations
and RRF are ablations re-implemented here.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, table  # noqa: F401  (puts the repository on sys.path)

RRF_K = 60


def shipped_weights() -> tuple[float, float, float]:
    from index.search.tuning import Tuning

    t = Tuning()
    return t.dense, t.lexical, t.sentence


@dataclass
class Data:
    name: str
    dense: np.ndarray  # (q, m) padded with nan
    lexical: np.ndarray
    sentence: np.ndarray
    coverage: np.ndarray
    hit: np.ndarray  # bool
    valid: np.ndarray  # bool
    doc: np.ndarray  # int codes, -1 pad
    group: np.ndarray
    ask_rank: np.ndarray
    entity: np.ndarray
    speaker: np.ndarray


def load(path: Path) -> Data:
    z = np.load(path, allow_pickle=False)
    off = z["offsets"]
    nq = len(off) - 1
    m = int(np.max(np.diff(off))) if nq else 0
    shape = (nq, max(m, 1))
    cols = ("dense", "lexical", "sentence", "coverage", "entity", "speaker")
    out = {k: np.zeros(shape, np.float32) for k in cols}
    hit = np.zeros(shape, bool)
    valid = np.zeros(shape, bool)
    doc = np.full(shape, -1, np.int64)
    _, codes = np.unique(z["doc"], return_inverse=True)
    for i in range(nq):
        a, b = off[i], off[i + 1]
        n = b - a
        for k in out:
            if k in z.files:
                out[k][i, :n] = z[k][a:b]
        hit[i, :n] = z["hit"][a:b]
        valid[i, :n] = True
        doc[i, :n] = codes[a:b]
    import json

    name = json.loads(str(z["meta"])).get("name", path.stem)
    return Data(name, out["dense"], out["lexical"], out["sentence"], out["coverage"], hit, valid, doc,
                z["group"], z["ask_rank"], out["entity"], out["speaker"])


def norm_lex(lex: np.ndarray, valid: np.ndarray, how: str) -> np.ndarray:
    if how == "max":
        top = lex.max(1, keepdims=True)
        return np.where(top > 0, lex / np.where(top > 0, top, 1), 0.0)
    if how == "minmax":
        big = np.where(valid, lex, np.inf).min(1, keepdims=True)
        top = lex.max(1, keepdims=True)
        span = top - big
        return np.where(span > 0, (lex - big) / np.where(span > 0, span, 1), 0.0)
    if how.startswith("sat"):
        c = float(how[3:])
        return lex / (lex + c)
    if how == "raw":
        return lex
    raise ValueError(how)


def shipped_fuse(d: Data, wd: float, wl: float, ws: float, saturation: float = 0.0) -> np.ndarray:
    """Per question, the shipped fusion (index.search.rank.fuse) with these weights."""
    from index.search import rank
    from index.search.tuning import Tuning

    t = Tuning(dense=wd, lexical=wl, sentence=ws, lexical_saturation=saturation)
    out = np.full(d.dense.shape, -np.inf)
    for i in range(len(d.dense)):
        m = d.valid[i]
        c = rank.Candidates(np.flatnonzero(m), d.dense[i, m], d.lexical[i, m], d.sentence[i, m], d.doc[i, m],
                            d.entity[i, m], d.speaker[i, m])
        out[i, m] = rank.fuse(c, t)
    return out


def fuse(d: Data, wd: float, wl: float, ws: float, how: str) -> np.ndarray:
    if how == "max":
        return shipped_fuse(d, wd, wl, ws)
    if how.startswith("shipped-sat"):  # s / (s + c) through the shipped fuse (bonuses and article share)
        return shipped_fuse(d, wd, wl, ws, float(how[len("shipped-sat"):]))
    s = wd * d.dense + wl * norm_lex(d.lexical, d.valid, how) + ws * d.sentence
    return np.where(d.valid, s, -np.inf)


def rrf(d: Data, signals: tuple[str, ...]) -> np.ndarray:
    total = np.zeros(d.dense.shape, np.float64)
    for sig in signals:
        x = getattr(d, sig)
        x = np.where(d.valid & ((x > 0) if sig == "lexical" else True), x, -np.inf)
        order = np.argsort(-x, axis=1, kind="stable")
        ranks = np.empty_like(order)
        np.put_along_axis(ranks, order, np.arange(x.shape[1])[None, :].repeat(x.shape[0], 0), axis=1)
        total += np.where(np.isfinite(x), 1.0 / (RRF_K + ranks + 1), 0.0)
    return np.where(d.valid, total, -np.inf)


def first_hit_rank(d: Data, scores: np.ndarray, diversify: str | None = None, penalty: float = 0.0) -> np.ndarray:
    """1-based rank of the first hit (0 = none in the pool)."""
    order = np.argsort(-scores, axis=1, kind="stable")
    if diversify is None:
        h = np.take_along_axis(d.hit, order, 1) & np.take_along_axis(d.valid, order, 1)
        any_ = h.any(1)
        return np.where(any_, h.argmax(1) + 1, 0)
    out = np.zeros(len(order), np.int64)
    for i in range(len(order)):
        row = [j for j in order[i] if d.valid[i, j]]
        if diversify == "one-per-doc":
            seen, kept = set(), []
            for j in row:
                if d.doc[i, j] not in seen:
                    seen.add(d.doc[i, j])
                    kept.append(j)
        else:  # penalty: greedy, subtract penalty * (passages already taken from that doc)
            left = list(row)
            count: dict[int, int] = {}
            kept = []
            while left and len(kept) < 20:
                best = max(left, key=lambda j: scores[i, j] - penalty * count.get(d.doc[i, j], 0))
                kept.append(best)
                left.remove(best)
                count[d.doc[i, best]] = count.get(d.doc[i, best], 0) + 1
        for r, j in enumerate(kept, 1):
            if d.hit[i, j]:
                out[i] = r
                break
    return out


def metrics(ranks: np.ndarray) -> dict[str, float]:
    n = max(len(ranks), 1)
    return {"hit@1": float(((ranks >= 1) & (ranks <= 1)).sum() / n),
            "hit@5": float(((ranks >= 1) & (ranks <= 5)).sum() / n),
            "hit@10": float(((ranks >= 1) & (ranks <= 10)).sum() / n),
            "mrr": float(np.where(ranks > 0, 1.0 / np.maximum(ranks, 1), 0).sum() / n)}


def subset(d: Data, mask: np.ndarray) -> Data:
    return Data(d.name, *(getattr(d, f)[mask] for f in
                          ("dense", "lexical", "sentence", "coverage", "hit", "valid", "doc", "group", "ask_rank",
                           "entity", "speaker")))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("features", type=Path, nargs="+")
    ap.add_argument("--step", type=float, default=0.05)
    ap.add_argument("--top", type=int, default=12, help="rows of the sweep to print")
    ap.add_argument("--norms", nargs="+", default=["max", "minmax", "sat2", "sat5", "sat10", "sat20"],
                    help="BM25 normalisations to sweep; shipped-satC is s/(s+C) through index.search.rank.fuse")
    args = ap.parse_args()

    full = [load(p) for p in args.features]
    ins = [subset(d, d.group == "in") for d in full]
    halves = {}
    for d in ins:
        idx = np.arange(len(d.group))
        halves[d.name] = (subset(d, idx % 2 == 0), subset(d, idx % 2 == 1))
    names = [d.name for d in ins]

    print("## Candidate pool and replay check")
    rows = []
    for d in ins:
        ask = d.ask_rank
        rep = first_hit_rank(d, fuse(d, *shipped_weights(), "max"))
        rows.append([d.name, len(d.group), float(d.hit.any(1).mean()), metrics(ask)["hit@1"], metrics(rep)["hit@1"],
                     metrics(ask)["hit@5"], metrics(rep)["hit@5"]])
    print(table(["dataset", "questions", "cand. recall", "ask hit@1", "replay hit@1", "ask hit@5", "replay hit@5"], rows))
    print("(ask = Retriever.ask with the shipped Tuning, incl. near-duplicate removal; replay = the same fusion"
          " re-scored from the dumped features)\n")

    # ---- sweep -----------------------------------------------------------------------
    steps = round(1 / args.step)
    grid = [(a * args.step, b * args.step, (steps - a - b) * args.step)
            for a in range(steps + 1) for b in range(steps + 1 - a)]
    norms = args.norms
    results = []  # (setting label, {name: (even metrics, odd metrics)})

    def evaluate(label: str, scorer) -> None:
        per = {}
        for n in names:
            ev, od = halves[n]
            per[n] = (metrics(first_hit_rank(ev, scorer(ev))), metrics(first_hit_rank(od, scorer(od))))
        results.append((label, per))

    for how in norms:
        for wd, wl, ws in grid:
            evaluate(f"{how} d={wd:.2f} l={wl:.2f} s={ws:.2f}",
                     lambda x, wd=wd, wl=wl, ws=ws, how=how: fuse(x, wd, wl, ws, how))
    for sigs in [("dense", "lexical"), ("dense", "lexical", "sentence"), ("sentence", "lexical")]:
        evaluate("RRF(" + "+".join(sigs) + ")", lambda x, sigs=sigs: rrf(x, sigs))
    for sig in ("dense", "sentence", "lexical"):
        evaluate(f"{sig} only", lambda x, sig=sig: np.where(x.valid, getattr(x, sig), -np.inf))

    def obj(per, half=0) -> float:
        return float(np.mean([(per[n][half]["hit@1"] + per[n][half]["hit@5"]) / 2 for n in names]))

    results.sort(key=lambda r: -obj(r[1]))
    wd0, wl0, ws0 = shipped_weights()
    default = next((r for r in results if r[0] == f"max d={wd0:.2f} l={wl0:.2f} s={ws0:.2f}"), None)
    headers = ["setting"]
    for n in names:
        headers += [f"{n} h@1 tune", f"{n} h@5 tune", f"{n} h@1 held", f"{n} h@5 held"]
    headers += ["obj tune", "obj held"]

    def row(label, per):
        out = [label]
        for n in names:
            out += [per[n][0]["hit@1"], per[n][0]["hit@5"], per[n][1]["hit@1"], per[n][1]["hit@5"]]
        return [*out, obj(per, 0), obj(per, 1)]

    print(f"## Fusion sweep ({len(results)} settings; objective = mean over datasets of (hit@1+hit@5)/2;"
          " tune = even-indexed questions, held = odd-indexed)")
    shown = results[: args.top]
    extra = [r for r in results if r[0].startswith(("RRF", "dense only", "sentence only", "lexical only"))]
    if default:
        extra.append(default)
    print(table(headers, [row(*r) for r in shown] + [["..."] + [""] * (len(headers) - 1)]
                + [row(*r) for r in extra if r not in shown]))
    print()
    # best per normalisation
    best_by_norm = []
    for how in norms:
        r = next(r for r in results if r[0].startswith(how + " "))
        best_by_norm.append(row(*r))
    print("## Best weights per BM25 normalisation")
    print(table(headers, best_by_norm))
    print()
    # per-dataset best (to see if datasets disagree)
    print("## Best setting per dataset alone (tune half), and its numbers on the held half")
    for n in names:
        r = max(results, key=lambda r: (r[1][n][0]["hit@1"] + r[1][n][0]["hit@5"]) / 2)
        print(f"  {n}: {r[0]}  tune h@1={r[1][n][0]['hit@1']:.3f} h@5={r[1][n][0]['hit@5']:.3f}"
              f"  held h@1={r[1][n][1]['hit@1']:.3f} h@5={r[1][n][1]['hit@5']:.3f}")
    print()

    best_label = results[0][0]
    how, *ws = best_label.split()
    wd, wl, wsn = (float(x.split("=")[1]) for x in ws)
    print(f"BEST: {best_label}")

    # ---- doc-level diversification -------------------------------------------------------
    print("\n## Doc-level diversification (all in-corpus questions; hit@k counts documents)")
    rows = []
    for label, scorer in [("shipped Tuning", lambda x: fuse(x, *shipped_weights(), "max")),
                          (f"best {best_label}", lambda x: fuse(x, wd, wl, wsn, how))]:
        for div, pen in [(None, 0.0), ("one-per-doc", 0.0), ("penalty", 0.05), ("penalty", 0.1), ("penalty", 0.2)]:
            out = [label, div or "none" if not pen else f"penalty {pen}"]
            for d in ins:
                m = metrics(first_hit_rank(d, scorer(d), div, pen))
                out += [m["hit@1"], m["hit@5"], m["hit@10"], m["mrr"]]
            rows.append(out)
    hdr = ["ranking", "diversify"]
    for n in names:
        hdr += [f"{n} h@1", f"{n} h@5", f"{n} h@10", f"{n} MRR"]
    print(table(hdr, rows))

    # ---- abstention --------------------------------------------------------------------
    for label, w in [("shipped weights", (*shipped_weights(), "max")), (f"best: {best_label}", (wd, wl, wsn, how))]:
        abstention(full, label, w)
    return 0


def top_features(d: Data, w: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    s = fuse(d, *w)
    best = np.argmax(s, 1)
    idx = np.arange(len(best))
    sim = np.maximum(d.dense[idx, best], d.sentence[idx, best])
    return sim, d.coverage[idx, best], d.hit[idx, best]


def abstention(full: list[Data], label: str, w: tuple) -> None:
    print(f"\n## Abstention trade-off ({label}); answer if sim >= T, or coverage >= C and sim >= T_lex")
    print("sim = max(dense, sentence) of the top fused candidate; false-decline on in-corpus questions"
          " (all / those whose top-1 is a hit), false-answer on out-of-corpus (ooc) and unrelated questions")
    feats = {}
    for d in full:
        sim, cov, hit = top_features(d, w)
        feats[d.name] = {g: (sim[d.group == g], cov[d.group == g], hit[d.group == g]) for g in ("in", "ooc", "unrelated")}
    names = [d.name for d in full]
    for n in names:
        s, c, _ = feats[n]["in"]
        so, co, _ = feats[n]["ooc"]
        print(f"  {n}: in-corpus sim median {np.median(s):.3f} (p10 {np.percentile(s, 10):.3f}),"
              f" ooc sim median {np.median(so):.3f} (p90 {np.percentile(so, 90):.3f});"
              f" coverage in median {np.median(c):.3f}, ooc median {np.median(co):.3f}")

    def rates(T: float, C: float | None, TL: float) -> list:  # noqa: N803
        out = []
        for n in names:
            s, c, h = feats[n]["in"]
            ans = (s >= T) | ((c >= C) & (s >= TL)) if C is not None else (s >= T)
            out += [float(1 - ans.mean()), float(1 - ans[h].mean()) if h.any() else float("nan")]
            for g in ("ooc", "unrelated"):
                so, co, _ = feats[n][g]
                a = (so >= T) | ((co >= C) & (so >= TL)) if C is not None else (so >= T)
                out.append(float(a.mean()) if len(a) else float("nan"))
        return out

    hdr = ["T", "C", "T_lex"]
    for n in names:
        hdr += [f"{n} FD", f"{n} FD|top1 ok", f"{n} FA ooc", f"{n} FA unrel"]
    rows = []
    for T in np.arange(0.30, 0.66, 0.03):
        rows.append([round(float(T), 2), "-", "-", *rates(float(T), None, 0)])
    print("\nsimilarity threshold alone:")
    print(table(hdr, rows))
    rows = []
    for T, C, TL in itertools.product([0.42, 0.48, 0.54], [0.6, 0.75, 0.9], [0.25, 0.30, 0.36]):
        rows.append([T, C, TL, *rates(T, C, TL)])
    print("\nwith the lexical-coverage rule (current default: T=0.42, C=0.75, T_lex=0.30):")
    print(table(hdr, rows))
    rows = []
    for C in (0.5, 0.6, 0.7, 0.8, 0.9, 1.0):
        rows.append([99, C, 0.0, *rates(99.0, C, 0.0)])
    print("\ncoverage alone (answer if coverage >= C):")
    print(table(hdr, rows))


if __name__ == "__main__":
    sys.exit(main())
