"""kill -9 during an add: the index opens, is consistent, and holds the state before or after."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from index.embed import HashEmbedder
from index.retriever import Retriever
from index.settings import Settings
from tests.conftest import ROOT
from tests.test_retriever import consistent

WORDS = [
    "troops",
    "border",
    "minister",
    "report",
    "army",
    "village",
    "market",
    "river",
    "council",
    "election",
    "budget",
    "court",
]


def write_articles(folder: Path, n: int, seed: int) -> set[str]:
    rng = random.Random(seed)
    folder.mkdir()
    ids = set()
    for i in range(n):
        paras = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(20, 60))).capitalize() + "." for _ in range(6)]
        (folder / f"art{i:04d}.txt").write_text(f"Story {i}\n\n" + "\n\n".join(paras))
        ids.add(f"art{i:04d}")
    return ids


def cli(index: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "VERBATIM_MODEL": "hash:64", "VERBATIM_INDEX": str(index)}
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def open_index(index: Path) -> Retriever:
    return Retriever.open(
        Settings(index=index, _env_file=None), embedder=HashEmbedder(name="hash:64"), build_default=False
    )


def test_kill_during_add_leaves_before_or_after(tmp_path: Path) -> None:
    index = tmp_path / "index"
    first = write_articles(tmp_path / "first", 20, seed=1)
    big = write_articles(tmp_path / "big", 200, seed=2)
    assert cli(index, "add", str(tmp_path / "first")).wait(timeout=120) == 0

    start = time.perf_counter()
    assert cli(tmp_path / "timing", "add", str(tmp_path / "big")).wait(timeout=300) == 0
    duration = time.perf_counter() - start

    rng = random.Random(7)
    outcomes = set()
    for _ in range(4):
        proc = cli(index, "add", str(tmp_path / "big"))
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=rng.uniform(0.2, duration))  # the fault: a kill at a random moment
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        r = open_index(index)
        ids = {s["id"] for s in r.sources()}
        assert ids in (first, first | big)
        consistent(r)
        assert r.ask("troops border minister", 1, force=True).results
        outcomes.add(ids == first | big)
        r.close()
        if ids == first | big:
            assert cli(index, "remove", *sorted(big)).wait(timeout=120) == 0
    assert cli(index, "add", str(tmp_path / "big")).wait(timeout=300) == 0
    r = open_index(index)
    assert {s["id"] for s in r.sources()} == first | big
    consistent(r)
    r.close()
