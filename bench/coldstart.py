"""Cold start: time from process start to the first printed answer of `verbatim ask`,
and the time of `verbatim --help`.

    python bench/coldstart.py [--index DIR] [--runs 5] [--question "..."] [--verbatim CMD]
        [--query-encoders numpy torch]

The index (default WORK/seed-index) is the default-sized seed index: the bundled corpus,
built by the first `verbatim ask` if the folder is new (that first run is not timed).
Each timed run is a fresh subprocess (PYTHONUNBUFFERED=1 so the first line is seen
when printed); reports the median (and min/max) of time to the first stdout byte and
to process exit. `--verbatim "python -m bot.cli"` times a checkout's code rather than the installed
command; `--query-encoders numpy torch` times `verbatim ask` once per VERBATIM_QUERY_ENCODER, the runs
alternating between them (numpy: questions without torch, index.npbert).
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DEFAULT_WORK, table


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert p.stdout is not None
    first = p.stdout.read(1)
    t_first = time.perf_counter() - t0
    p.stdout.read()
    p.wait()
    t_exit = time.perf_counter() - t0
    if not first:
        t_first = float("nan")
    return t_first, t_exit, p.returncode


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=DEFAULT_WORK)
    ap.add_argument("--index", type=Path, default=None)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--question", default="How many North Korean troops were sent to Russia?")
    ap.add_argument("--verbatim", default=shutil.which("verbatim") or str(Path(sys.executable).parent / "verbatim"))
    ap.add_argument("--query-encoders", nargs="+", choices=["numpy", "torch"], default=[])
    args = ap.parse_args()

    index = args.index or args.work / "seed-index"
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    verbatim = shlex.split(args.verbatim)
    ask = [*verbatim, "ask", args.question, "--index", str(index)]
    t = time.perf_counter()
    subprocess.run(ask, check=True, capture_output=True, env=env)  # builds the seed index if new; not timed
    print(f"seed index ready at {index} (first call {time.perf_counter() - t:.1f}s, untimed)", flush=True)
    status = subprocess.run([*verbatim, "status", "--index", str(index)], capture_output=True, text=True, env=env)
    print(status.stdout.strip())

    jobs = [("verbatim --help", [*verbatim, "--help"], env)]
    if args.query_encoders:
        jobs += [(f"verbatim ask (seed index), VERBATIM_QUERY_ENCODER={e}", ask, dict(env, VERBATIM_QUERY_ENCODER=e))
                 for e in args.query_encoders]  # fmt: skip
    else:
        jobs.append(("verbatim ask (seed index)", ask, env))
    times: dict[str, tuple[list[float], list[float]]] = {label: ([], []) for label, _, _ in jobs}
    for _ in range(args.runs):  # one run of each in turn: a change in load touches all alike
        for label, cmd, job_env in jobs:
            f, e, rc = timed(cmd, job_env)
            if rc != 0:
                print(f"{label}: exit code {rc}", file=sys.stderr)
            times[label][0].append(f)
            times[label][1].append(e)
    rows = [[label, args.runs, round(statistics.median(firsts), 2), round(min(firsts), 2), round(max(firsts), 2),
             round(statistics.median(exits), 2)] for label, (firsts, exits) in times.items()]
    print(table(["command", "runs", "first output s (median)", "min", "max", "exit s (median)"], rows))
    print(f"load average {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
