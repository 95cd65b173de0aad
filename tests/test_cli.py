"""The `verbatim` command line, run as a user runs it (fake embedder via VERBATIM_MODEL)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CLAIMS_MODEL, ROOT, SEED


def run(tmp_path: Path, *args: str, stdin: str | None = None, model: str = "hash:64",
        **extra: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "VERBATIM_MODEL": model, "VERBATIM_INDEX": str(tmp_path / "index"), **extra}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    d = tmp_path / "in"
    d.mkdir()
    (d / "bees.md").write_text(
        "---\nid: bees\ntitle: Bees\nsource: Nature Desk\ndate: 2024-05-01\nurl: https://n.test/bees\n---\n\nHoney bees communicate with a waggle dance.\n"
    )
    (d / "notes.txt").write_text("Cats\n\nCats sleep for sixteen hours a day.\n")
    (d / "feed.jsonl").write_text(
        json.dumps(
            {
                "id": "dogs",
                "title": "Dogs",
                "source": "Wire",
                "date": "2023-01-01",
                "url": None,
                "text": "Dogs were domesticated from wolves.",
            }
        )
        + "\n{broken\n"
    )
    (d / "page.html").write_text(
        "<html><head><title>Owls</title><script>track()</script></head><body><article><h1>Owls</h1><p>Owls hunt at night using their exceptional hearing and silent flight feathers, which let them approach prey unnoticed.</p><p>Most owls swallow small prey whole and later cough up pellets of bones and fur.</p></article></body></html>"
    )
    (d / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (d / "empty.txt").write_text("  \n")
    return d


def test_help_is_fast_and_lists_commands(tmp_path: Path) -> None:
    out = run(tmp_path, "--help")
    assert out.returncode == 0
    for cmd in ("ask", "add", "remove", "sources", "status", "eval", "rebuild"):
        assert cmd in out.stdout
    assert True  # the subprocess checks below are what matter
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, bot.cli; bot.cli.build_parser(); print('torch' in sys.modules, 'faiss' in sys.modules)",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.strip() == "False False"


def test_add_summary_rejections_and_rerun(tmp_path: Path, corpus: Path) -> None:
    out = run(tmp_path, "add", str(corpus))
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("added 4, replaced 0, unchanged 0, rejected 3")
    assert "feed.jsonl:2" in out.stdout and "image.png" in out.stdout and "empty.txt" in out.stdout
    again = run(tmp_path, "add", str(corpus))
    assert again.stdout.startswith("added 0, replaced 0, unchanged 4, rejected 3")
    (corpus / "notes.txt").write_text("Cats\n\nCats purr when content.\n")
    third = run(tmp_path, "add", str(corpus / "notes.txt"))
    assert third.stdout.startswith("added 0, replaced 1, unchanged 0, rejected 0")


def test_ask_json_shape_and_exact_passage(tmp_path: Path, corpus: Path) -> None:
    run(tmp_path, "add", str(corpus))
    out = run(tmp_path, "ask", "--json", "--k", "2", "honey bees waggle dance")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["question"] == "honey bees waggle dance" and data["answered"] is True
    top = data["results"][0]
    for key in (
        "rank",
        "score",
        "doc_id",
        "title",
        "source",
        "date",
        "url",
        "passage",
        "start",
        "end",
        "paragraph",
        "paragraphs",
        "claims",
    ):
        assert key in top
    assert (top["doc_id"], top["source"], top["date"], top["url"]) == (
        "bees",
        "Nature Desk",
        "2024-05-01",
        "https://n.test/bees",
    )
    assert top["passage"] == "Honey bees communicate with a waggle dance."
    claim = top["claims"][0]
    assert set(claim) >= {
        "text",
        "start",
        "end",
        "status",
        "speaker",
        "cue",
        "corroborated_by",
        "conflicts_with",
        "verdict",
    }
    assert claim["text"] == top["passage"][claim["start"] - top["start"] : claim["end"] - top["start"]]


def test_ask_readable_output_shows_source(tmp_path: Path, corpus: Path) -> None:
    run(tmp_path, "add", str(corpus))
    out = run(tmp_path, "ask", "Why do cats sleep sixteen hours?")
    assert "Cats sleep for sixteen hours a day." in out.stdout
    assert "outlet unknown · date unknown · no link · paragraph 2 of 2" in out.stdout


def test_batch_questions_from_stdin(tmp_path: Path, corpus: Path) -> None:
    run(tmp_path, "add", str(corpus))
    out = run(
        tmp_path,
        "ask",
        "--json",
        "-",
        stdin="honey bees dance\n\n   \nwolves domesticated dogs\nWhat is the capital of Australia?\n",
    )
    lines = [json.loads(x) for x in out.stdout.splitlines()]
    assert [x["question"] for x in lines] == [
        "honey bees dance",
        "wolves domesticated dogs",
        "What is the capital of Australia?",
    ]
    assert lines[0]["results"][0]["doc_id"] == "bees" and lines[1]["results"][0]["doc_id"] == "dogs"
    assert lines[2]["answered"] is False and lines[2]["results"] == []


def test_sources_status_remove(tmp_path: Path, corpus: Path) -> None:
    run(tmp_path, "add", str(corpus))
    rows = json.loads(run(tmp_path, "sources", "--json").stdout)
    assert {r["id"] for r in rows} == {"bees", "notes", "dogs", "page"}
    status = json.loads(run(tmp_path, "status", "--json").stdout)
    assert status["articles"] == 4 and status["model"] == "hash:64" and status["updated_at"]
    out = run(tmp_path, "remove", "dogs", "ghost")
    assert out.returncode == 0 and "removed 1; not in the index: ghost" in out.stdout
    assert run(tmp_path, "remove", "ghost").returncode == 1


def test_eval_reports_hits(tmp_path: Path, corpus: Path) -> None:
    run(tmp_path, "add", str(corpus))
    qs = tmp_path / "q.jsonl"
    qs.write_text(
        json.dumps({"question": "honey bees waggle dance", "doc_id": "bees"})
        + "\n"
        + json.dumps({"question": "wolves", "span": "Dogs were domesticated"})
        + "\n"
    )
    data = json.loads(run(tmp_path, "eval", "--json", str(qs)).stdout)
    assert data["questions"] == 2 and data["hit@1"] == 1.0 and data["mrr"] == 1.0
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{nope\n")
    out = run(tmp_path, "eval", str(bad))
    assert out.returncode == 1 and "line 1 is not valid JSON" in out.stderr and "Traceback" not in out.stderr


def test_errors_are_one_sentence(tmp_path: Path) -> None:
    assert run(tmp_path, "frobnicate").returncode == 2
    out = run(tmp_path, "ask", "   ")
    assert out.returncode == 1 and out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
    assert "built with the model 'hash:64'" in run(tmp_path, "ask", "hello", model="/nonexistent/model").stderr
    out = run(tmp_path / "other", "ask", "hello", model="/nonexistent/model")
    assert out.returncode == 1 and "not a local model folder" in out.stderr


def test_rebuild_reproduces_answers(tmp_path: Path, corpus: Path) -> None:
    run(tmp_path, "add", str(corpus))
    before = run(tmp_path, "ask", "--json", "owls hunting at night").stdout
    for f in (tmp_path / "index").glob("*.faiss"):
        f.unlink()
    assert run(tmp_path, "rebuild").returncode == 0
    assert run(tmp_path, "ask", "--json", "owls hunting at night").stdout == before


def test_default_index_is_built_from_bundled_corpus(tmp_path: Path) -> None:
    out = run(tmp_path, "sources", "--json")
    rows = json.loads(out.stdout)
    assert [r["id"] for r in rows] == [SEED.stem]
    assert rows[0]["source"] == "France 24" and rows[0]["date"] is None


def test_claims_lists_every_claim_of_one_article(tmp_path: Path) -> None:
    d = tmp_path / "in"
    d.mkdir()
    (d / "port.md").write_text(
        "---\nid: port\ntitle: Port reopens\nsource: Harbour Times\ndate: 2025-02-01\n---\n\n"
        "The port reopened on Monday after a week of repairs. Officials said the cranes would be back in "
        "service by March.\n\nThe harbour master, Ines Varga, denied reports that the dock had flooded.\n"
        "\nReporting by Jo Kent; Editing by Sam Pell\n"
    )
    assert run(tmp_path, "add", str(d), VERBATIM_CLAIMS_MODEL=CLAIMS_MODEL).returncode == 0  # the real parse
    out = run(tmp_path, "claims", "port", "--json")
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    text = (d / "port.md").read_text().split("---\n", 2)[2]
    assert [r["text"] for r in rows] == [
        "The port reopened on Monday after a week of repairs.",
        "Officials said the cranes would be back in service by March.",
        "The harbour master, Ines Varga, denied reports that the dock had flooded.",
    ]  # the credit line is boilerplate: no claim
    for r in rows:
        assert r["doc_id"] == "port"
        assert set(r) >= {"text", "start", "end", "status", "speaker", "cue", "corroborated_by", "conflicts_with",
                          "verdict"}
        assert text.lstrip("\n").count(r["text"]) == 1
    assert [r["status"] for r in rows] == ["stated", "unverified", "denied"]
    assert rows[2]["speaker"] == "Ines Varga" and rows[2]["cue"] == "denied"
    readable = run(tmp_path, "claims", "port")
    assert readable.returncode == 0
    assert "why denied: cue 'denied', speaker Ines Varga" in readable.stdout and "3 claims" in readable.stdout


def test_claims_of_an_unknown_article_is_one_sentence(tmp_path: Path, corpus: Path) -> None:
    run(tmp_path, "add", str(corpus))
    out = run(tmp_path, "claims", "no-such-article")
    assert out.returncode == 1
    assert out.stderr.count("\n") == 1 and "no-such-article" in out.stderr and "Traceback" not in out.stderr
