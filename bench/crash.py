"""kill -9 at random moments during a large `verbatim add`, then check the index and resume.

    python bench/crash.py [--trials 20] [--articles 500] [--batch 200] [--seed 0] [--work DIR]

Adds are committed in batches of --batch passages (VERBATIM_ADD_BATCH), so a kill keeps the
batches committed before it: the article set after a kill is the state before, after, or a
"partial" state in between in which every stored article is whole. After each kill the same
add is run again and must add exactly the missing articles (its summary: added = missing,
unchanged = kept), ending in the "after" state; then the big articles are removed again.

Hash model (VERBATIM_MODEL=hash:64), generated .txt articles. A small first add sets the
"before" state; each trial starts `verbatim add BIG` in a subprocess and SIGKILLs it, at a
moment that cycles through three windows: "any" (uniform over the add), "in-commit" (as soon
as the write transaction starts writing the WAL file, plus 0-50 ms) and "end" (around the
usual end of the add: the last of the commit, the snapshot writes, process exit). After each
kill the index is opened (in this process and by `verbatim ask --json` in a fresh one) and
checked:

- it opens and answers;
- the store, FAISS and BM25 hold the same passage ids (as tests/test_retriever.py `consistent`);
- claim_links and verdict_links reference only existing claims, claims only existing
  passages, passages only existing articles; `PRAGMA integrity_check` is ok;
- the article set equals the state before or after the add.

A trial that ends in the "after" state is reset with `verbatim remove` (so removals and the
change-log replay are exercised too). Finally the add is run to completion and checked.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import numpy as np
from _common import table
from _synthetic import ROOT, cli_env, questions, verbatim, write_articles

from index.embed import HashEmbedder
from index.errors import VerbatimError
from index.retriever import Retriever
from index.settings import Settings


def check(
    index: Path, before: set[str], after: set[str], question: str, expected: dict[str, int] | None = None
) -> tuple[str, list[str]]:
    """(state: before / after / partial / other / unopenable, problems). `expected`: passages per article."""
    problems: list[str] = []
    try:
        r = Retriever.open(
            Settings(index=index, _env_file=None), embedder=HashEmbedder(name="hash:64"), build_default=False
        )
    except VerbatimError as err:
        return "unopenable", [str(err)]
    try:
        ids = {s["id"] for s in r.sources()}
        state = "before" if ids == before else "after" if ids == after else "partial" if before < ids < after else "other"
        if state == "other":
            problems.append(f"article set is not between before and after ({len(ids)} articles)")
        broken = [s["id"] for s in r.sources() if expected and s["id"] in expected and s["passages"] != expected[s["id"]]]
        if broken:
            problems.append(f"{len(broken)} articles stored with passages missing")
        stored = set(r.store.all_chunk_ids())
        faiss_ids = {int(i) for i in r.vectors.search(np.ones(r.vectors.dim, np.float32), 10**7)[0]}
        lexical = {int(i) for i in r.lexical.ids[r.lexical.alive]}
        if not (stored == faiss_ids == lexical) or not (len(r.vectors) == len(r.lexical) == len(stored)):
            problems.append(
                f"store {len(stored)} / FAISS {len(faiss_ids)} / BM25 {len(lexical)} passages differ"
            )
        db = r.store.db
        orphans = {
            "claim_links": "SELECT count(*) FROM claim_links WHERE claim_id NOT IN (SELECT id FROM claims)"
            " OR other_id NOT IN (SELECT id FROM claims)",
            "verdict_links": "SELECT count(*) FROM verdict_links"
            " WHERE claim_id NOT IN (SELECT id FROM claims)",
            "claims": "SELECT count(*) FROM claims WHERE chunk_id NOT IN (SELECT id FROM chunks)",
            "chunks": "SELECT count(*) FROM chunks WHERE doc_id NOT IN (SELECT doc_id FROM articles)",
        }
        for table_, sql in orphans.items():
            if n := db.execute(sql).fetchone()[0]:
                problems.append(f"{n} {table_} rows point at nothing")
        if (ok := db.execute("PRAGMA integrity_check").fetchone()[0]) != "ok":
            problems.append(f"integrity_check: {ok}")
        if not r.ask(question, 3, force=True).results:
            problems.append("no answer")
    finally:
        r.close()
    out = subprocess.run(
        verbatim("ask", "--json", question),
        cwd=ROOT,
        env=cli_env(index),
        capture_output=True,
        text=True,
        timeout=120,
    )
    if out.returncode != 0 or not json.loads(out.stdout or "{}").get("results"):
        problems.append(f"verbatim ask failed in a fresh process: {out.stderr.strip()[:200]}")
    return state, problems


def _stored(index: Path) -> set[str]:
    import sqlite3

    with contextlib.closing(sqlite3.connect(index / "store.sqlite")) as db:
        return {r[0] for r in db.execute("SELECT doc_id FROM articles")}


def _stamp(path: Path) -> tuple[int, int]:
    try:
        st = path.stat()
    except FileNotFoundError:
        return (0, 0)
    return (st.st_mtime_ns, st.st_size)


def leftovers(index: Path) -> int:
    return len(list(index.glob("*.tmp")))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--articles", type=int, default=500)
    ap.add_argument("--batch", type=int, default=200, help="VERBATIM_ADD_BATCH for the adds")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--work", type=Path, default=None, help="scratch folder (default: a temporary one)")
    args = ap.parse_args()

    work = args.work or Path(tempfile.mkdtemp(prefix="verbatim-crash-"))
    work.mkdir(parents=True, exist_ok=True)
    index = work / "index"
    first = set(write_articles(work / "first", 30, seed=args.seed + 1, prefix="first"))
    big = set(write_articles(work / "big", args.articles, seed=args.seed + 2, prefix="big"))
    question = next(questions(work / "first", 1, seed=args.seed))
    env = cli_env(index, VERBATIM_ADD_BATCH=str(args.batch))
    from index.ingest import passages
    from index.load import load_paths

    expected = {a.id: len(passages(a)[1]) for a in load_paths([work / "big"]).articles}

    subprocess.run(verbatim("add", str(work / "first")), cwd=ROOT, env=env, check=True, capture_output=True)
    runs = []
    for _ in range(2):  # calibrate on copies of the "before" index (the add into an empty one is faster)
        shutil.copytree(index, work / "timing")
        t0 = time.perf_counter()
        subprocess.run(
            verbatim("add", str(work / "big")),
            cwd=ROOT,
            env=cli_env(work / "timing", VERBATIM_ADD_BATCH=str(args.batch)),
            check=True,
            capture_output=True,
        )
        runs.append(time.perf_counter() - t0)
        shutil.rmtree(work / "timing")
    full = max(runs)
    print(
        f"{len(first)} articles before, {len(first) + len(big)} after; one uninterrupted add of "
        f"{len(big)} articles takes {min(runs):.1f}-{full:.1f} s (process start to exit)",
        flush=True,
    )

    rng = random.Random(args.seed)
    rows, counts = [], {"before": 0, "after": 0, "partial": 0, "other": 0, "unopenable": 0}
    inconsistencies = resumed_wrong = 0
    windows = ["any", "in-commit", "end"]
    for trial in range(1, args.trials + 1):
        window = windows[(trial - 1) % len(windows)]
        proc = subprocess.Popen(
            verbatim("add", str(work / "big")),
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        start = time.perf_counter()
        if window == "in-commit":
            # the write transaction has started once the WAL file is written (the add's only write)
            wal = index / "store.sqlite-wal"
            first_stamp = _stamp(wal)
            while proc.poll() is None and (_stamp(wal) == first_stamp or _stamp(wal)[1] == 0):
                time.sleep(0.002)
            pause = rng.uniform(0.0, 0.05)
        elif window == "end":
            pause = rng.uniform(0.8 * min(runs), 1.1 * full)
        else:
            pause = rng.uniform(0.05, 0.9 * min(runs))
        try:
            proc.wait(timeout=pause)  # the fault: a kill at a random moment
            killed = False
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            killed = True
        delay = time.perf_counter() - start
        tmp = leftovers(index)
        state, problems = check(index, first, first | big, question, expected)
        kept = big & _stored(index)
        resume = subprocess.run(verbatim("add", str(work / "big")), cwd=ROOT, env=env, capture_output=True, text=True)
        m = re.search(r"added (\d+), replaced \d+, unchanged (\d+)", resume.stdout)
        again, again_problems = check(index, first, first | big, question, expected)
        right = bool(m) and (int(m[1]), int(m[2])) == (len(big - kept), len(kept)) and again == "after"
        resumed_wrong += not right
        problems += [f"after the rerun: {p}" for p in again_problems]
        counts[state] += 1
        inconsistencies += len(problems)
        rows.append(
            [
                trial,
                f"{delay:.2f}",
                window,
                "yes" if killed else "no (done)",
                state,
                f"{len(kept)} kept, rerun added {m[1] if m else '?'}" + ("" if right else " WRONG"),
                tmp,
                "; ".join(problems) or "-",
            ]
        )
        print(
            f"trial {trial:2d}: kill at {delay:5.2f}s ({window}) killed={killed} "
            f"-> {state} ({len(kept)} of {len(big)} kept), rerun right: {right}, {len(problems)} problems "
            f"{problems or ''}",
            flush=True,
        )
        subprocess.run(verbatim("remove", *sorted(big)), cwd=ROOT, env=env, check=True, capture_output=True)

    rerun = subprocess.run(
        verbatim("add", str(work / "big")), cwd=ROOT, env=env, capture_output=True, text=True
    )
    final_state, final_problems = check(index, first, first | big, question, expected)
    print()
    print(table(["trial", "kill at s", "window", "killed", "state", "resume", ".tmp files", "problems"], rows))
    print()
    print(
        table(
            [
                "trials",
                "before-state",
                "after-state",
                "partial (whole articles)",
                "rerun added exactly the missing",
                "other / unopenable",
                "inconsistencies",
                "rerun exit",
                "rerun state",
                "rerun problems",
            ],
            [
                [
                    args.trials,
                    counts["before"],
                    counts["after"],
                    counts["partial"],
                    args.trials - resumed_wrong,
                    counts["other"] + counts["unopenable"],
                    inconsistencies,
                    rerun.returncode,
                    final_state,
                    len(final_problems),
                ]
            ],
        )
    )
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    bad = (
        inconsistencies
        or resumed_wrong
        or counts["other"]
        or counts["unopenable"]
        or rerun.returncode
        or final_state != "after"
    )
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
