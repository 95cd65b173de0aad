"""The PostgreSQL backend as users meet it: chosen by VERBATIM_DATABASE_URL or --database, named by
`verbatim status`, `verbatim migrate` both ways with identical answers, and replicas on one database
that see another process's add without a restart."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.cli import main
from index.embed import HashEmbedder
from index.errors import ModelMismatch
from index.retriever import Retriever
from index.settings import Settings
from tests.conftest import ROOT, article, pg_uri
from tests.pg_writer import make_articles

QUESTIONS = [
    "How many soldiers did the minister report at the border?",
    "ceasefire rebels pipeline",
    "What did the senator say about the tariff?",
    "flood village harbour drone",
]


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A JSONL file of generated articles with claims and evidence links between them."""
    path = tmp_path / "feed.jsonl"
    path.write_text("".join(json.dumps(a.model_dump()) + "\n" for a in make_articles(24, seed=6)))
    return path


@pytest.fixture
def verbatim(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> Callable[..., tuple[int, str, str]]:
    """`verbatim ARGS` in this process (fake embedder, the index folder under tmp_path); (exit code, out, err)."""
    monkeypatch.setenv("VERBATIM_MODEL", "hash:64")
    monkeypatch.setenv("VERBATIM_INDEX", str(tmp_path / "index"))

    def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
        if stdin is not None:
            monkeypatch.setattr("sys.stdin", __import__("io").StringIO(stdin))
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def answers(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines()]


def test_migrate_round_trip_gives_identical_answers(verbatim, corpus: Path, tmp_path: Path, new_database) -> None:
    url = pg_uri(new_database())
    assert verbatim("add", str(corpus), "-q")[0] == 0
    code, out, _ = verbatim("ask", "-", "--json", "--k", "5", stdin="\n".join(QUESTIONS))
    before = answers(out)
    assert code == 0 and len(before) == len(QUESTIONS) and any(a["answered"] for a in before)
    assert any(c["corroborated_by"] or c["conflicts_with"] for a in before for h in a["results"] for c in h["claims"])

    code, out, err = verbatim("migrate", "--to", url)
    assert code == 0 and out.startswith("copied 24 articles"), err
    code, _, err = verbatim("migrate", "--to", url)  # the target is not empty
    assert code == 1 and "already holds an index; pass --replace" in err and len(err.strip().splitlines()) == 1
    assert verbatim("migrate", "--to", url, "--replace")[0] == 0

    code, out, _ = verbatim("--database", url, "ask", "-", "--json", "--k", "5", stdin="\n".join(QUESTIONS))
    assert code == 0 and answers(out) == before  # the same passages, claims, evidence and scores

    back = tmp_path / "back"
    code, out, err = verbatim("migrate", "--database", url, "--to", str(back))
    assert code == 0 and out.startswith("copied 24 articles"), err
    code, out, _ = verbatim("ask", "--index", str(back), "-", "--json", "--k", "5", stdin="\n".join(QUESTIONS))
    assert code == 0 and answers(out) == before
    code, _, err = verbatim("migrate", "--database", url, "--to", str(back))
    assert code == 1 and "already holds an index; pass --replace" in err


@pytest.mark.parametrize("pg_exact", [1000, 0])  # PostgreSQL scores a filter's ids, or filters in the HNSW scan
def test_filtered_questions_give_identical_answers_on_both_backends(
    verbatim, corpus: Path, new_database, monkeypatch: pytest.MonkeyPatch, pg_exact: int
) -> None:
    import index.storage.postgres as postgres

    monkeypatch.setattr(postgres, "EXACT_PASSAGES", pg_exact)
    url = pg_uri(new_database())
    assert verbatim("add", str(corpus), "-q")[0] == 0
    assert verbatim("migrate", "--to", url)[0] == 0
    scopes = [["--source", "Wire"], ["--since", "2024-03-01", "--until", "2024-06"], ["--source", "Daily", "--since", "2024-05"]]
    for scope in scopes:
        asked = ["ask", "-", "--json", "--k", "5", *scope]
        code, out, err = verbatim(*asked, stdin="\n".join(QUESTIONS))
        embedded = answers(out)
        assert code == 0 and len(embedded) == len(QUESTIONS), err
        assert any(a["results"] for a in embedded) and all(a["filters"] for a in embedded)
        code, out, err = verbatim("--database", url, *asked, stdin="\n".join(QUESTIONS))
        assert code == 0 and answers(out) == embedded, (scope, err)  # the same passages, in the same order
        sources = {h["source"] for a in embedded for h in a["results"]}
        dates = {h["date"][:7] for a in embedded for h in a["results"]}
        if scope[:2] == ["--source", "Wire"]:
            assert sources == {"Wire"}
        if "--until" in scope:
            assert min(dates) >= "2024-03" and max(dates) <= "2024-06"


def test_a_filtered_question_sees_an_add_to_its_outlet(make_any_retriever, backend_kind: str) -> None:
    r = make_any_retriever()
    r.add_articles(make_articles(12, seed=4))
    question = "Did the minister report soldiers at the harbour pipeline?"
    wire = r.filters(["Wire"])
    before = r.ask(question, 5, force=True, filters=wire).results
    assert before and {h.source for h in before} == {"Wire"}
    writer = make_any_retriever()  # another process adds an article from that outlet
    writer.add_articles([article("late", "Harbour pipeline: the minister said 40 soldiers guard the harbour pipeline.",
                                 source="Wire", date="2024-02-02")])  # fmt: skip
    r.backend.refresh(timeout=10)
    after = r.ask(question, 5, force=True, filters=wire).results
    assert after[0].doc_id == "late" and {h.source for h in after} == {"Wire"}
    assert "late" not in [h.doc_id for h in r.ask(question, 5, force=True, filters=r.filters(["Daily"])).results]


def test_status_names_the_backend_and_never_the_password(verbatim, corpus: Path, tmp_path: Path, pg_url) -> None:
    url = pg_uri(pg_url).replace("postgres@", "postgres:hunter2@")  # the test server trusts local users
    assert verbatim("--database", url, "add", str(corpus), "-q")[0] == 0
    code, out, _ = verbatim("status", "--database", url)
    assert code == 0 and "backend:    PostgreSQL at " in out and "articles:   24" in out and "hunter2" not in out
    code, out, _ = verbatim("status", "--database", url, "--json")
    status = json.loads(out)
    assert status["backend"] == "postgresql" and status["location"].startswith("postgresql://postgres@")
    assert status["articles"] == 24 and "hunter2" not in out and status["model"] == "hash:64"
    code, out, _ = verbatim("status", "--json")  # the folder stays the default, empty here
    assert json.loads(out)["backend"] == "embedded" and json.loads(out)["location"] == str(tmp_path / "index")
    assert "backend:    embedded (SQLite + FAISS + BM25) at " in verbatim("status")[1]


def test_backend_errors_are_one_sentence(verbatim, corpus: Path, tmp_path: Path, new_database) -> None:
    code, _, err = verbatim("migrate", "--to", pg_uri(new_database()))
    assert code == 1 and "is empty: there is nothing to copy" in err
    assert verbatim("add", str(corpus), "-q")[0] == 0
    gone = f"postgresql://nobody:hunter2@/nothing?host={tmp_path}&connect_timeout=2"
    for args in (["status", "--database", gone], ["migrate", "--to", gone]):
        code, _, err = verbatim(*args)
        assert code == 1 and err.startswith("verbatim: The database postgresql://nobody@") and "cannot be reached" in err
        assert len(err.strip().splitlines()) == 1 and "hunter2" not in err
    code, _, err = verbatim("status", "--database", "mysql://x")
    assert code == 1 and "must be a postgresql://" in err

    other = pg_uri(new_database())  # holds an index of 32-dimension vectors, not this index's 64
    settings = Settings(index=tmp_path / "x", database_url=SecretStr(other), _env_file=None)
    Retriever.open(settings, embedder=HashEmbedder(32, name="hash:32"), build_default=False).close()
    code, _, err = verbatim("migrate", "--to", other)
    assert code == 1 and "another dimension than this index's 64; pass --replace" in err
    assert verbatim("migrate", "--to", other, "--replace")[0] == 0
    assert json.loads(verbatim("status", "--database", other, "--json")[1])["dim"] == 64


def test_the_model_is_checked_against_the_database(make_any_retriever, backend_kind: str) -> None:
    r = make_any_retriever()
    r.add_articles([article("cats", "Cats sleep for sixteen hours a day.")])
    r.close()
    with pytest.raises(ModelMismatch, match="built with the model 'hash-test'"):
        make_any_retriever(embedder=HashEmbedder(name="other-model"))
    assert make_any_retriever().status().articles == 1


def test_two_replicas_see_a_third_process_add_without_restart(make_any_retriever, backend_kind: str) -> None:
    first, second, writer = make_any_retriever(), make_any_retriever(), make_any_retriever()
    writer.add_articles(make_articles(12, seed=4))
    question = "Did the minister report soldiers at the harbour pipeline?"
    old = [[h.chunk_id for h in r.ask(question, 5, force=True).results] for r in (first, second)]
    assert old[0] == old[1]
    seen = [r.backend.refresh() for r in (first, second)]
    writer.add_articles([article("late", "Harbour pipeline: the minister said 40 soldiers guard the harbour pipeline.")])
    for r, before in zip((first, second), seen, strict=True):  # PostgreSQL: learnt by NOTIFY, not by polling
        assert r.backend.refresh(timeout=10) == writer.generation > before and r.generation == writer.generation
    new = [[(h.doc_id, h.chunk_id) for h in r.ask(question, 5, force=True).results] for r in (first, second)]
    assert new[0] == new[1] and new[0][0][0] == "late"


def test_two_bot_cli_processes_on_one_database(tmp_path: Path, pg_url: str) -> None:
    """Two `verbatim ask -` processes on one database; an add through a third process is answered from by
    both without a restart, with the same passages."""
    url = pg_uri(pg_url)
    env = {**os.environ, "VERBATIM_MODEL": "hash:64", "VERBATIM_DATABASE_URL": url,
           "VERBATIM_INDEX": str(tmp_path / "local")}  # fmt: skip
    feed = tmp_path / "first.jsonl"
    feed.write_text("".join(json.dumps(a.model_dump()) + "\n" for a in make_articles(10, seed=8)))
    cmd = [sys.executable, "-m", "bot.cli"]
    assert subprocess.run([*cmd, "add", str(feed), "-q"], cwd=ROOT, env=env, capture_output=True, timeout=120).returncode == 0
    replicas = [
        subprocess.Popen([*cmd, "ask", "-", "--json", "--k", "3"], cwd=ROOT, env=env, text=True,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        for _ in range(2)
    ]  # fmt: skip
    question = "What did the minister say about the lighthouse ferry?\n"
    try:

        def ask_both() -> list[list[tuple[str, int]]]:
            out = []
            for p in replicas:
                p.stdin.write(question)
                p.stdin.flush()
            for p in replicas:
                answer = json.loads(p.stdout.readline())
                out.append([(h["doc_id"], h["chunk_id"]) for h in answer["results"]])
            return out

        before = ask_both()
        assert all("late" not in {d for d, _ in ids} for ids in before)
        late = tmp_path / "late.jsonl"
        text = "Lighthouse ferry: the minister said the lighthouse ferry carried 30 soldiers across the strait."
        late.write_text(json.dumps({"id": "late", "title": "Lighthouse ferry", "text": text}) + "\n")
        added = subprocess.run([*cmd, "add", str(late), "-q"], cwd=ROOT, env=env, capture_output=True, timeout=120)
        assert added.returncode == 0
        after = ask_both()
        assert after[0] == after[1] and after[0][0][0] == "late"
    finally:
        for p in replicas:
            p.stdin.close()
            p.wait(timeout=60)
            p.stdout.close()


def test_the_bot_on_postgresql_answers_from_another_process_add_without_restart(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tests.test_telegram_bot as tb

    url = pg_uri(pg_url)
    seed = Retriever.open(Settings(index=tmp_path / "local", database_url=SecretStr(url), _env_file=None),
                          embedder=HashEmbedder(name="hash:64"), build_default=False)  # fmt: skip
    seed.add_articles([tb.NATO, *tb.FILLERS])
    seed.close()
    monkeypatch.setattr(tb, "HashEmbedder", lambda: HashEmbedder(name="hash:64"))  # the CLI's model
    okapi, user = "how many okapi did the rangers count in the Ituri forest", 90_002
    story = tmp_path / "okapi.txt"
    story.write_text("Okapi census\n\nRangers counted 42 okapi in the Ituri forest on Tuesday.")
    env = {**os.environ, "VERBATIM_MODEL": "hash:64", "VERBATIM_DATABASE_URL": url, "VERBATIM_INDEX": str(tmp_path / "cli")}
    with tb.BotApiStandin(tb.TOKEN) as api:
        bot = tb.start_bot(api, tmp_path / "local", database_url=SecretStr(url))
        try:
            assert tb.say(api, "NATO confirmed troops", user)[-1].buttons
            assert "42 okapi" not in "".join(c.text for c in tb.say(api, okapi, user))
            added = subprocess.run([sys.executable, "-m", "bot.cli", "add", str(story), "-q"], cwd=ROOT, env=env,
                                   capture_output=True, timeout=120)  # fmt: skip
            assert added.returncode == 0
            assert "Rangers counted 42 okapi" in "".join(c.text for c in tb.say(api, okapi, user))  # no restart
        finally:
            tb.stop_bot(bot)
