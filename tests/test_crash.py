"""kill -9 during a batched add: committed batches are kept, every article is whole, and the
same add run again adds exactly what is missing."""

from __future__ import annotations

import contextlib
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from pydantic import SecretStr

from index.embed import HashEmbedder
from index.ingest import passages
from index.load import load_paths
from index.retriever import Retriever
from index.settings import Settings
from tests.conftest import ROOT, pg_uri, sql_value
from tests.test_retriever import consistent

WORDS = ["troops", "border", "minister", "report", "army", "village", "market", "river", "council", "election", "budget", "court"]


def write_articles(folder: Path, n: int, seed: int, prefix: str = "art") -> set[str]:
    rng = random.Random(seed)
    folder.mkdir()
    ids = set()
    for i in range(n):
        paras = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(20, 60))).capitalize() + "." for _ in range(6)]
        (folder / f"{prefix}{i:04d}.txt").write_text(f"Story {i}\n\n" + "\n\n".join(paras))
        ids.add(f"{prefix}{i:04d}")
    return ids


def cli(index: Path, *args: str, stdout: int = subprocess.DEVNULL, database: str | None = None) -> subprocess.Popen:
    env = {**os.environ, "VERBATIM_MODEL": "hash:64", "VERBATIM_INDEX": str(index), "VERBATIM_ADD_BATCH": "30"}
    if database:
        env["VERBATIM_DATABASE_URL"] = database
    return subprocess.Popen([sys.executable, "-m", "bot.cli", *args], cwd=ROOT, env=env,
                            stdout=stdout, stderr=subprocess.DEVNULL, text=True)


def open_index(index: Path, database: str | None = None) -> Retriever:
    settings = Settings(index=index, _env_file=None, database_url=SecretStr(database) if database else None)
    return Retriever.open(settings, embedder=HashEmbedder(name="hash:64"), build_default=False)


def whole_and_linked(r: Retriever, folder: Path) -> None:
    """Every stored article has all its passages; no claim link or claim points at nothing."""
    expected = {a.id: len(passages(a, r.settings.max_words)[1]) for a in load_paths([folder]).articles}
    stored = {s["id"]: s["passages"] for s in r.sources()}
    assert all(stored[d] == expected[d] for d in stored if d in expected)
    assert sql_value(
        r,
        "SELECT count(*) FROM claim_links WHERE claim_id NOT IN (SELECT id FROM claims)"
        " OR other_id NOT IN (SELECT id FROM claims)",
    ) == 0
    assert sql_value(r, "SELECT count(*) FROM claims WHERE chunk_id NOT IN (SELECT id FROM chunks)") == 0
    if r.backend.kind == "sqlite":
        assert sql_value(r, "PRAGMA integrity_check") == "ok"


def test_kill_during_add_keeps_committed_batches_and_the_rerun_adds_the_rest(tmp_path: Path) -> None:
    index = tmp_path / "index"
    first = write_articles(tmp_path / "first", 10, seed=1, prefix="pre")
    big = write_articles(tmp_path / "big", 80, seed=2)
    assert cli(index, "add", str(tmp_path / "first")).wait(timeout=120) == 0

    start = time.perf_counter()
    assert cli(tmp_path / "timing", "add", str(tmp_path / "big")).wait(timeout=300) == 0
    duration = time.perf_counter() - start

    rng = random.Random(7)
    for _ in range(2):
        proc = cli(index, "add", str(tmp_path / "big"))
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=rng.uniform(0.3, 0.8) * duration)  # the fault: a kill at a random moment
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        r = open_index(index)
        ids = {s["id"] for s in r.sources()}
        assert first <= ids <= first | big
        consistent(r)
        whole_and_linked(r, tmp_path / "big")
        assert r.ask("troops border minister", 1, force=True).results
        r.close()

        rerun = cli(index, "add", str(tmp_path / "big"), stdout=subprocess.PIPE)
        out, _ = rerun.communicate(timeout=300)
        assert rerun.returncode == 0
        added, unchanged = (int(x) for x in re.search(r"added (\d+), replaced 0, unchanged (\d+)", out).groups())
        assert added == len(big - ids) and unchanged == len(big & ids)  # only what was missing
        r = open_index(index)
        assert {s["id"] for s in r.sources()} == first | big
        consistent(r)
        whole_and_linked(r, tmp_path / "big")
        r.close()
        assert cli(index, "remove", *sorted(big)).wait(timeout=120) == 0


def test_kill_during_an_add_to_postgresql_keeps_whole_articles_and_the_rerun_adds_the_rest(
    tmp_path: Path, pg_url: str
) -> None:
    """The same on PostgreSQL, killed as soon as the add's first batch is committed (its NOTIFY), when
    the next batch is being encoded or committed."""
    from index.storage.postgres import PostgresBackend

    url, index = pg_uri(pg_url), tmp_path / "local"
    first = write_articles(tmp_path / "first", 10, seed=1, prefix="pre")
    big = write_articles(tmp_path / "big", 40, seed=2)
    assert cli(index, "add", str(tmp_path / "first"), database=url).wait(timeout=120) == 0
    watcher = PostgresBackend(url)
    watcher.listen()
    proc = cli(index, "add", str(tmp_path / "big"), database=url)
    try:
        assert watcher.wait_for_change(timeout=120) is not None  # a batch of the add is committed
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        watcher.close()
    r = open_index(index, url)
    ids = {s["id"] for s in r.sources()}
    assert first < ids <= first | big
    consistent(r)
    whole_and_linked(r, tmp_path / "big")
    r.close()

    rerun = cli(index, "add", str(tmp_path / "big"), stdout=subprocess.PIPE, database=url)
    out, _ = rerun.communicate(timeout=300)
    assert rerun.returncode == 0
    added, unchanged = (int(x) for x in re.search(r"added (\d+), replaced 0, unchanged (\d+)", out).groups())
    assert added == len(big - ids) and unchanged == len(big & ids)
    r = open_index(index, url)
    assert {s["id"] for s in r.sources()} == first | big
    consistent(r)
    whole_and_linked(r, tmp_path / "big")
    r.close()
