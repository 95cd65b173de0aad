"""Preparing articles: claims analysed with the whole article in view, kept inside passages."""

from __future__ import annotations

from index.chunk import chunk_paragraphs
from index.ingest import framings
from index.load import load_paths
from index.segment import paragraphs
from tests.conftest import SEED


def test_seed_claims_respect_section_headings_and_stay_inside_passages() -> None:
    a = load_paths([SEED]).articles[0]
    paras = paragraphs(a.text, title=a.title)
    chunks = chunk_paragraphs(a.id, a.text, paras, 180)
    claims = {a.text[c.start : c.end][:40]: c for c in framings(a, paras, chunks)}
    # "Although the reports could not be independently verified" reaches back only to the
    # reports of its own section ("Immediate desertions?"), not to NATO's conditional before it.
    assert claims["“If these troops are destined to fight i"].status == "forecast"
    assert claims["On October 15, barely a week after the f"].status == "unverified"
    assert claims["On October 15, barely a week after the f"].speaker == "Suspilne"
    # Headings, bylines and the headline are not passages, so they carry no claims.
    assert "Immediate desertions?" not in claims and "· France 24" not in claims
    inside = [(c.start, c.end) for c in chunks]
    assert all(any(s <= c.start and c.end <= e for s, e in inside) for c in claims.values())


# ---- streamed, batched adds -----------------------------------------------------------------------
import json  # noqa: E402
import threading  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from index.embed import HashEmbedder  # noqa: E402
from index.errors import VerbatimError  # noqa: E402
from index.load import Reading, Upload  # noqa: E402
from index.models import Article  # noqa: E402
from index.retriever import Retriever  # noqa: E402
from index.settings import Settings  # noqa: E402
from tests.test_retriever import consistent  # noqa: E402

WORDS = ["troops", "border", "minister", "report", "army", "village", "market", "river", "council", "election", "budget", "court"]


def news(i: int) -> Article:
    """One article of two passages (two body paragraphs that do not fit in one passage)."""
    words = [WORDS[(i * 7 + k) % len(WORDS)] for k in range(200)]
    body = " ".join(words[:100]).capitalize() + f" story{i}.\n\n" + " ".join(words[100:]).capitalize() + "."
    return Article(id=f"n{i:03d}", title=f"Story {i}", text=body)


class Crash(Exception):
    pass


class CountingEmbedder(HashEmbedder):
    """Counts the passages it encodes; `crash_on` makes that encode call fail (a killed add)."""

    def __init__(self, crash_on: int | None = None) -> None:
        super().__init__()
        self.calls = self.passages = 0
        self.crash_on = crash_on

    def encode_spans(self, texts, spans, *, progress=None):
        self.calls += 1
        if self.calls == self.crash_on:
            raise Crash
        self.passages += len(texts)
        return super().encode_spans(texts, spans, progress=progress)


def open_retriever(folder: Path, embedder, add_batch: int = 10) -> Retriever:
    settings = Settings(index=folder, add_batch=add_batch, _env_file=None)
    return Retriever.open(settings, embedder=embedder, build_default=False)


def test_a_rerun_after_a_crash_adds_only_what_is_missing(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("index.indexer.FIRST_BATCHES", ())  # every batch holds 10 passages
    articles = [news(i) for i in range(30)]  # 60 passages: 6 batches of 5 articles
    crashing = CountingEmbedder(crash_on=4)
    r = open_retriever(tmp_path / "i", crashing)
    with pytest.raises(Crash):
        r.add_articles(articles)
    kept = {s["id"] for s in r.sources()}
    assert kept == {a.id for a in articles[:15]}  # the three committed batches, whole articles
    consistent(r)
    r.close()

    counting = CountingEmbedder()
    again = open_retriever(tmp_path / "i", counting)
    report = again.add_articles(articles)
    assert sorted(report.unchanged) == sorted(kept) and len(report.added) == 15
    assert counting.passages == 30  # only the missing articles were encoded
    assert {s["id"] for s in again.sources()} == {a.id for a in articles}
    consistent(again)


def test_every_batch_is_consistent_and_searchable_when_committed(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("index.indexer.FIRST_BATCHES", ())
    r = open_retriever(tmp_path / "i", HashEmbedder())
    seen = []

    def check() -> None:  # runs after each commit, while the add goes on
        seen.append(len(consistent(r)))
        latest = max(s["id"] for s in r.sources())
        assert r.ask(f"story{int(latest[1:])}", 1, force=True).results[0].doc_id == latest

    r.storage.on_commit = check
    report = r.add_articles(news(i) for i in range(20))  # a generator: read as it is consumed
    assert seen == [10, 20, 30, 40] and report.passages == 40 and len(report.added) == 20


def test_the_first_batch_is_searchable_while_the_add_is_still_encoding(tmp_path: Path) -> None:
    class Gated(HashEmbedder):
        def __init__(self) -> None:
            super().__init__()
            self.calls = 0
            self.second, self.release = threading.Event(), threading.Event()

        def encode_spans(self, texts, spans, *, progress=None):
            self.calls += 1
            if self.calls == 2:
                self.second.set()
                assert self.release.wait(timeout=30)
            return super().encode_spans(texts, spans, progress=progress)

    gated = Gated()
    r = open_retriever(tmp_path / "i", gated, add_batch=2000)
    worker = threading.Thread(target=r.add_articles, args=([news(i) for i in range(80)],))
    worker.start()
    assert gated.second.wait(timeout=30)
    for _ in range(100):  # the first batch's commit runs beside the second's encoding
        if r.sources():
            break
        threading.Event().wait(0.05)
    first = {s["id"] for s in r.sources()}
    assert first and len(first) < 80
    hit = r.ask("story0", 1, force=True).results[0]
    assert hit.doc_id == "n000"
    gated.release.set()
    worker.join(timeout=60)
    assert len(r.sources()) == 80
    consistent(r)


def test_duplicate_ids_across_batches_keep_the_later_copy(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("index.indexer.FIRST_BATCHES", ())
    r = open_retriever(tmp_path / "i", HashEmbedder())
    later = Article(id="n000", title="Story again", text="A completely different text about bees and honey.")
    report = r.add_articles([news(i) for i in range(12)] + [later])
    assert report.added.count("n000") == 1 and "n000" not in report.replaced
    assert report.rejected == [("n000", "duplicate id 'n000' in this batch (the later one was kept)")]
    assert r.store.articles(["n000"])["n000"].text == later.text
    consistent(r)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("one.jsonl", b'{"id": "cats", "text": "fine text about cats"}\n'),
        ("page.html", b"<html><head><title>Cats</title></head><body><p>Fine text about cats.</p></body></html>"),
        ("one.txt", b"fine text about cats"),
    ],
)
def test_a_one_line_article_is_findable(tmp_path: Path, name: str, data: bytes) -> None:
    r = open_retriever(tmp_path / "i", HashEmbedder())
    report = r.add([Upload(name, data)])
    assert report.passages == 1 and len(report.added) == 1, report
    assert r.ask("fine text about cats", 1, force=True).results[0].passage.lower().rstrip(".") == "fine text about cats"


def test_jsonl_is_read_a_line_at_a_time(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    line = json.dumps({"text": "Paragraph one of a story. " * 20}) + "\n"
    with path.open("w") as fh:
        for i in range(2000):
            fh.write(line.replace("story", f"story {i}"))
    reading = Reading([path])
    items = iter(reading)
    first = next(items)
    assert first[0] == f"{path}:1" and reading.done < reading.total / 100  # not the whole file
    assert sum(1 for _ in items) == 1999 and reading.fraction == 1.0


def test_claim_analysis_that_cannot_be_imported_fails_loudly(tmp_path: Path, monkeypatch) -> None:
    import sys

    r = open_retriever(tmp_path / "i", HashEmbedder())
    monkeypatch.setitem(sys.modules, "index.claims", None)  # import index.claims raises ImportError
    with pytest.raises(VerbatimError, match="Claim analysis could not be loaded"):
        r.add_articles([news(1)])
    assert r.sources() == [] and r.store.counts()["claims"] == 0


def _add_on_a_terminal(index: Path, folder: Path, *flags: str) -> tuple[str, str]:
    """Run `verbatim add` with stderr on a pseudo-terminal: (stdout, everything the terminal got)."""
    import fcntl
    import os
    import struct
    import subprocess
    import sys
    import termios

    from tests.conftest import ROOT

    terminal, tty = os.openpty()
    fcntl.ioctl(tty, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 200, 0, 0))
    env = {**os.environ, "VERBATIM_MODEL": "hash:64", "VERBATIM_INDEX": str(index)}
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "add", *flags, str(folder)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=tty, text=True)
    os.close(tty)
    seen = b""
    while True:
        try:
            chunk = os.read(terminal, 4096)
        except OSError:  # EIO: the add ended and closed its side
            break
        if not chunk:
            break
        seen += chunk
    out = proc.communicate(timeout=120)[0]
    os.close(terminal)
    assert proc.returncode == 0
    return out, seen.decode(errors="replace")


def test_add_shows_one_progress_bar_on_a_terminal_and_nothing_with_quiet(tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    for i in range(30):
        (folder / f"n{i:03d}.txt").write_text(f"Story {i}\n\n{news(i).text}")
    out, bar = _add_on_a_terminal(tmp_path / "a", folder)
    assert "articles read" in bar and "passages encoded" in bar and "committed" in bar and "passages/s" in bar
    assert out.startswith("added 30, replaced 0, unchanged 0, rejected 0 (60 passages indexed)")
    out, bar = _add_on_a_terminal(tmp_path / "b", folder, "--quiet")
    assert bar == "" and out.startswith("added 30,")


def test_snapshots_are_written_during_a_large_add(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("index.indexer.FIRST_BATCHES", ())
    monkeypatch.setattr("index.storage.folder.SNAPSHOT_EVERY", 20)
    r = open_retriever(tmp_path / "i", HashEmbedder())
    snapshots = []
    r.storage.on_commit = lambda: snapshots.append(r.storage.snapshot_generation())
    r.add_articles([news(i) for i in range(25)])  # 50 passages: 5 commits of 10
    assert snapshots == [1, 1, 3, 3, 5]  # the first commit, then every 20 committed passages
    r.close()
    again = open_retriever(tmp_path / "i", HashEmbedder())
    consistent(again)


def test_a_write_failure_after_committed_batches_says_what_was_kept(tmp_path: Path, monkeypatch) -> None:
    import sqlite3

    from index.errors import StorageError
    from index.store import Store

    monkeypatch.setattr("index.indexer.FIRST_BATCHES", ())
    r = open_retriever(tmp_path / "i", HashEmbedder())
    real, calls = Store._insert, []

    def insert(self, *args):
        calls.append(1)
        if len(calls) == 6:  # the first article of the second batch
            raise sqlite3.OperationalError("database or disk is full")
        return real(self, *args)

    monkeypatch.setattr(Store, "_insert", insert)
    with pytest.raises(StorageError) as err:
        r.add_articles([news(i) for i in range(15)])
    assert str(err.value) == (
        "The index could not be written (database or disk is full); the 10 passages committed before it are "
        "kept: run the same add again to add the rest."
    )
    monkeypatch.undo()
    assert len(r.sources()) == 5
    consistent(r)


def test_one_add_path_takes_files_folders_and_uploads_with_verdicts(tmp_path: Path) -> None:
    from tests.test_evidence import REVIEW

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("Kim signed a mutual defence pact with Putin in June, officials said.")
    (folder / "review.json").write_text(json.dumps(REVIEW))
    r = open_retriever(tmp_path / "i", HashEmbedder())
    report = r.add([folder, Upload("b.md", b"---\nid: b\n---\n\nBees make honey."), Upload("r.json", b"{")])
    assert sorted(report.added) == ["a", "b"] and report.verdicts == 1
    assert [o for o, _ in report.rejected] == ["r.json"]
