"""Hostile and bad input: files, questions and Telegram updates.

Every bad input ends in one clear sentence (or a normal answer), never a traceback, and a fully
rejected input leaves the index exactly as it was. What tests/test_load.py, tests/test_cli.py
and tests/test_telegram_bot.py already cover is not repeated here.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st
from telegram import Update

from bot import cli
from bot.telegram import render as rt
from bot.telegram import texts as tx
from bot.telegram.context import SORRY
from index.embed import HashEmbedder
from index.errors import InputError
from index.load import load_text
from index.models import NO_ANSWER, Answer, Claim, Evidence, Hit, Verdict
from index.retriever import MAX_QUESTION_CHARS, Retriever
from index.settings import Settings
from tests.botapi_standin import BotApiStandin, quotes, strip_labels, telegram_html_errors, utf16_len
from tests.conftest import ROOT
from tests.test_telegram_bot import ADMIN, answer_done, api, bot, press, say, user  # noqa: F401 - fixtures

HASH = "hash:64"
GOOD = "Okapi census\n\nRangers counted 42 okapi in the Ituri forest on Tuesday, the park said.\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00\x1f\xf3\xffa"
HTML = """<html><head><title>Tapir census</title>
<script>var tracker = "TRACKING-SCRIPT"; document.write("<p>INJECTED</p>");</script>
<script src="https://ads.example/pixel.js"></script><style>.x{color:red} /* STYLE-JUNK */</style>
<meta property="og:site_name" content="Wildlife Daily"></head>
<body onload="steal()"><nav>HOME NEWS SPORT NAV-JUNK</nav>
<article><h1>Tapir census</h1>
<p>Rangers counted 40 tapirs crossing the river near the station on Monday morning, officials said.</p>
<p>The count is the highest since the survey began, according to the park's annual report.</p>
<img src="https://track.example/p.gif?uid=TRACKING-PIXEL" width="1" height="1">
<iframe src="https://ads.example/IFRAME-JUNK"></iframe><noscript>NOSCRIPT-JUNK</noscript>
</article><footer>Cookie banner COOKIE-JUNK - accept all</footer></body></html>"""
BILLION_LAUGHS = "---\n" + "\n".join(
    ["a: &a ['lol','lol','lol','lol','lol','lol','lol','lol','lol']"]
    + [
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},"
        f"*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)}]"
        for i in range(8)
    ]
    + ["title: *i", "---", "", "Body text."]
)

# (file name, content, the one sentence it gets; None: it is added)
FILES: list[tuple[str, bytes, str | None]] = [
    ("binary.txt", bytes(range(256)) * 8, "binary data, not text (the file contains NUL bytes)"),
    ("empty.txt", b"", "empty file"),
    ("blank.md", b" \n\t\n  ", "empty file"),
    (
        "invalid-utf8.txt",
        b"Headline\n\n\x81\x8d\x8f\x90\x9d are not characters in any encoding we read.",
        "not valid text (binary or unknown encoding)",
    ),
    (
        "controls.txt",
        "Headline\n\nText \x01\x02\x03 with controls.".encode("cp1252") + b"\xff",
        "not valid text (binary or unknown encoding)",
    ),
    ("utf16.txt", "Titre\n\nLes rangers ont compté 42 okapis, déjà.".encode("utf-16"), None),
    (
        "utf16-no-bom.txt",
        "Titre\n\nLes rangers ont compté.".encode("utf-16-le"),
        "binary data, not text (the file contains NUL bytes)",
    ),
    ("cp1252.txt", "Caf\xe9 report\n\n\u201cQuoted\u201d \u2013 na\xefve words.".encode("cp1252"), None),
    ("unclosed.md", b"---\ntitle: Never closed\n\nBody.", "malformed front matter: no closing '---' line"),
    ("bad-yaml.md", b"---\ntitle: [unclosed\n---\n\nBody.", "malformed front matter:"),
    (
        "list.md",
        b"---\n- a\n- b\n---\n\nBody.",
        "malformed front matter: expected 'key: value' lines, got a list",
    ),
    ("laughs.md", BILLION_LAUGHS.encode(), "front matter field 'title' must be a string, not list"),
    ("bad-date.md", b"---\ntitle: T\ndate: 2024-13-45\n---\n\nBody.", "malformed front matter:"),
    ("picture.txt", PNG, "binary data, not text (the file contains NUL bytes)"),
    ("page.html", HTML.encode(), None),
    (
        "scripts-only.html",
        b"<html><script>alert(1)</script><style>p{}</style></html>",
        "no article text found in the HTML",
    ),
    ("notes.docx", b"PK\x03\x04", "unsupported file type '.docx' (use .txt, .md, .html or .jsonl)"),
]
JSONL = b"\n".join(
    [
        json.dumps({"id": "good-1", "title": "Good", "text": "Rangers counted 42 okapi."}).encode(),
        b"{broken",
        json.dumps({"id": "good-2", "title": "Good two", "text": "Rangers counted 17 bongos."}).encode(),
        b"[1, 2, 3]",
        json.dumps({"id": "no-text", "title": "No text"}).encode(),
        json.dumps({"id": 5, "text": ["not", "a", "string"]}).encode(),
        b"[" * 100_000,
        json.dumps({"id": "bad-date", "text": "Body.", "date": "yesterday"}).encode(),
    ]
)
JSONL_REJECTIONS = {
    2: "line 2: not valid JSON",
    4: "line 4: not a JSON object",
    5: "line 5: missing or empty 'text'",
    6: "line 6: 'text' must be a string, not list",
    7: "line 7: not valid JSON",
    8: "line 8: date 'yesterday' is not a date (use YYYY-MM-DD)",
}


def env(index: Path) -> dict[str, str]:
    return {**os.environ, "VERBATIM_MODEL": HASH, "VERBATIM_INDEX": str(index)}


@pytest.fixture
def verbatim(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture):
    """`verbatim ...` in this process: (exit code, stdout, stderr)."""
    import gc

    monkeypatch.setenv("VERBATIM_MODEL", HASH)
    monkeypatch.chdir(tmp_path)

    def call(index: Path, *args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = cli.main([*args[:1], "--index", str(index), *args[1:]])
        out, err = capsys.readouterr()
        gc.collect()  # close the command's SQLite connection, as a process exit does
        return code, out, err

    return call


def snapshot(index: Path) -> tuple[list[dict], int, dict[str, int]]:
    r = Retriever.open(Settings(index=index, _env_file=None), embedder=HashEmbedder(name=HASH), build_default=False)
    try:
        assert r.store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return r.sources(), r.store.generation, r.store.counts()
    finally:
        r.close()


@pytest.fixture
def index(tmp_path: Path, verbatim) -> Path:
    """An index holding one good article."""
    (tmp_path / "seed").mkdir()
    (tmp_path / "seed" / "okapi.txt").write_text(GOOD)
    folder = tmp_path / "index"
    assert verbatim(folder, "add", str(tmp_path / "seed"))[0] == 0
    return folder


# ---- files ------------------------------------------------------------------------------------------
def test_every_bad_file_through_the_cli_at_once(tmp_path: Path, index: Path) -> None:
    """One `verbatim add` of a folder of hostile files: the good ones are added, each bad one is one
    line naming the file and the reason, nothing on stderr, no traceback."""
    folder = tmp_path / "hostile"
    folder.mkdir()
    for name, content, _ in FILES:
        (folder / name).write_bytes(content)
    (folder / "feed.jsonl").write_bytes(JSONL)
    (folder / "a-dup.md").write_bytes(b"---\nid: same\ntitle: First\n---\n\nFirst text.")
    (folder / "b-dup.md").write_bytes(b"---\nid: same\ntitle: Second\n---\n\nSecond text.")
    os.mkfifo(folder / "pipe.txt")  # reading it would block forever
    with open(folder / "huge.txt", "wb") as fh:
        fh.truncate(100_000_000)  # sparse: 100 MB in no time
    out = subprocess.run(
        [sys.executable, "-m", "bot.cli", "add", str(folder)],
        cwd=ROOT,
        env=env(index),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0 and out.stderr == "", out.stderr
    summary, *lines = out.stdout.splitlines()
    rejected = {}
    for line in lines:
        m = re.fullmatch(r"  rejected (\S+?): (.+)", line)
        assert m, line
        rejected[m.group(1)] = m.group(2)
    for name, _, reason in FILES:
        origin = str(folder / name)
        if reason is None:
            assert origin not in rejected, rejected.get(origin)
        else:
            assert rejected[origin].startswith(reason), (name, rejected[origin])
    for number, reason in JSONL_REJECTIONS.items():
        assert rejected[f"{folder / 'feed.jsonl'}:{number}"] == reason
    assert rejected[str(folder / "a-dup.md")] == "duplicate id 'same' in this batch (the later one was kept)"
    assert rejected[str(folder / "pipe.txt")] == "not a regular file"
    assert rejected[str(folder / "huge.txt")] == "file is 100 MB, over the 50 MB limit"
    assert all("\n" not in r and not re.search(r"[.!?]\s+[A-Z]", r) for r in rejected.values())
    added = {"utf16", "cp1252", "page", "good-1", "good-2", "same"}
    assert summary.startswith(f"added {len(added)}, replaced 0, unchanged 0, rejected {len(rejected)}")
    sources = {s["id"]: s for s in snapshot(index)[0]}
    assert set(sources) == added | {"okapi"}
    assert sources["same"]["title"] == "Second"
    r = Retriever.open(Settings(index=index, _env_file=None), embedder=HashEmbedder(name=HASH), build_default=False)
    try:
        texts = r.store.articles(list(added))
    finally:
        r.close()
    assert texts["cp1252"].text == "Caf\xe9 report\n\n\u201cQuoted\u201d \u2013 na\xefve words."
    assert texts["utf16"].text == "Titre\n\nLes rangers ont compté 42 okapis, déjà."
    page = texts["page"]
    assert "Rangers counted 40 tapirs" in page.text and page.source == "Wildlife Daily"
    for junk in (
        "TRACKING",
        "INJECTED",
        "STYLE-JUNK",
        "NAV-JUNK",
        "IFRAME-JUNK",
        "NOSCRIPT-JUNK",
        "COOKIE-JUNK",
        "steal",
        "<",
    ):
        assert junk not in page.text, junk


@pytest.mark.parametrize(("name", "content", "reason"), [f for f in FILES if f[2] is not None])
def test_a_fully_rejected_file_changes_nothing(index: Path, tmp_path: Path, verbatim, name, content, reason):
    before = snapshot(index)
    path = tmp_path / name
    path.write_bytes(content)
    code, out, err = verbatim(index, "add", str(path))
    assert code == 1 and err == ""
    assert out.splitlines()[0] == "added 0, replaced 0, unchanged 0, rejected 1 (0 passages indexed)"
    assert out.splitlines()[1].startswith(f"  rejected {path}: {reason}")
    assert len(out.splitlines()) == 2
    assert snapshot(index) == before


def test_a_huge_file_is_refused_by_its_size_before_reading(index: Path, tmp_path: Path, verbatim, monkeypatch):
    huge = tmp_path / "huge.md"
    with open(huge, "wb") as fh:
        fh.truncate(100_000_000)
    before = snapshot(index)
    real_open = Path.open

    def guarded(self: Path, *args: object, **kwargs: object):
        assert self != huge, "the huge file was opened"
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", guarded)
    code, out, _ = verbatim(index, "add", str(huge))
    monkeypatch.undo()
    assert code == 1 and f"rejected {huge}: file is 100 MB, over the 50 MB limit" in out
    assert snapshot(index) == before


def test_a_file_name_with_undecodable_bytes_prints(tmp_path: Path, index: Path) -> None:
    """os.walk gives surrogate escapes for such names; printing one must not crash the summary
    in a strict UTF-8 locale."""
    folder = tmp_path / "odd"
    folder.mkdir()
    (folder / os.fsdecode(b"caf\xe9.txt")).write_text(GOOD)
    (folder / os.fsdecode(b"bin\xe9.txt")).write_bytes(b"\x00\x01")
    out = subprocess.run(
        [sys.executable, "-m", "bot.cli", "add", str(folder)],
        cwd=ROOT,
        env={**env(index), "PYTHONIOENCODING": "utf-8"},
        capture_output=True,
        timeout=120,
    )
    assert out.returncode == 0 and b"Traceback" not in out.stderr, out.stderr
    assert out.stdout.startswith(b"added 1, replaced 0, unchanged 0, rejected 1")
    assert b"bin\\udce9.txt: binary data" in out.stdout


# ---- questions ----------------------------------------------------------------------------------------
QUESTIONS = [
    "how many okapi did the rangers count in the Ituri forest",
    "🦒🦓 okapi 🌳 count?",
    "\u202eokapi\u202c \u200fcount\u200e rangers",  # RTL override, marks
    "okapi\x00\x07\x1b[31m count\x08",  # NUL, bell, an ANSI escape, backspace
    "<script>alert('x')</script><b>okapi</b> count",
    "**okapi** _count_ [link](javascript:alert(1)) `code`",
    "okapi'; DROP TABLE articles; -- count",
    '" OR 1=1; --',
    "SELECT * FROM articles WHERE doc_id = 'okapi' UNION SELECT sql FROM sqlite_master",
    "%s %d {0} {question} ${HOME} $(rm -rf /)",
    "ok" * 499 + "api",  # 1,001 characters: just over the limit
    "okapi " * 900,  # 5,400 characters with spaces
    "x" * 5000,
    "\u0301\u0301\u0301 combining marks only",
    "\ufeff\u2060\u2028\u2029",  # BOM, word joiner, line and paragraph separators only
]


def check_answer_or_sentence(result: dict) -> None:
    if "error" in result:
        assert result["answered"] is False and result["results"] == []
        assert "\n" not in result["error"] and not re.search(r"[.!?]\s+[A-Z]", result["error"])
    elif result["answered"]:
        assert result["results"] and all(r["passage"] for r in result["results"])
    else:
        assert result["results"] == [] and result["message"] == NO_ANSWER


def test_hostile_questions_through_the_cli_batch(index: Path) -> None:
    before = snapshot(index)
    stdin = "\n".join(q.replace("\n", " ") for q in QUESTIONS).encode() + b"\ncaf\xe9 \xff\xfe okapi\n"
    out = subprocess.run(
        [sys.executable, "-m", "bot.cli", "ask", "--json", "-"],
        cwd=ROOT,
        env={**env(index), "PYTHONIOENCODING": "utf-8"},
        input=stdin,
        capture_output=True,
        timeout=120,
    )
    assert out.returncode == 0 and out.stderr == b"", out.stderr
    results = [json.loads(line) for line in out.stdout.decode().splitlines()]
    blank = sum(not q.strip() for q in QUESTIONS)  # whitespace-only lines are skipped in batch mode
    assert len(results) == len(QUESTIONS) + 1 - blank
    for result in results:
        check_answer_or_sentence(result)
    assert results[0]["answered"] and results[0]["results"][0]["doc_id"] == "okapi"
    errors = {r["error"] for r in results if "error" in r}
    assert f"The question is 5,399 characters long; please ask in at most {MAX_QUESTION_CHARS:,}." in errors
    assert results[-1]["question"] == "caf\ufffd \ufffd\ufffd okapi"  # undecodable bytes: one line's loss only
    assert snapshot(index) == before


@pytest.mark.parametrize(
    ("question", "code", "sentence"),
    [
        ("", 1, "verbatim: Please ask a question: the message has no text.\n"),
        ("\u200f\u200e\u202a \t", 1, "verbatim: Please ask a question: the message has no text.\n"),
        ("x" * 5000, 1, "verbatim: The question is 5,000 characters long; please ask in at most 1,000.\n"),
        (os.fsdecode(b"okapi caf\xe9"), 0, ""),  # an undecodable byte on the command line
        ("okapi'; DROP TABLE articles; --", 0, ""),
        ("<b>okapi</b> 🦒 \u202ecount", 0, ""),
    ],
)
def test_hostile_questions_through_the_cli(index: Path, verbatim, question: str, code: int, sentence: str):
    before = snapshot(index)
    got, out, err = verbatim(index, "ask", "--json", question)
    assert (got, err) == (code, sentence)
    if code == 0:
        check_answer_or_sentence(json.loads(out))
        out.encode("utf-8")  # printable in a strict UTF-8 locale: no lone surrogates
    assert snapshot(index) == before


def test_hostile_questions_through_retriever_ask(index: Path) -> None:
    r = Retriever.open(Settings(index=index, _env_file=None), embedder=HashEmbedder(name=HASH), build_default=False)
    try:
        before = (r.sources(), r.store.counts())
        for question in [*QUESTIONS, "caf\udce9 okapi \ud800", "\udcff"]:
            try:
                answer = r.ask(question)
            except InputError as err:
                assert "\n" not in str(err) and str(err).endswith(".")
                continue
            assert answer.question.encode("utf-8") and len(answer.question) <= MAX_QUESTION_CHARS
            assert not re.search(r"[\x00-\x08\x0b-\x1f\u200e\u200f\u202a-\u202e]", answer.question)
            assert answer.results if answer.answered else answer.message == NO_ANSWER
        assert (r.sources(), r.store.counts()) == before
        tables = {row[0] for row in r.store.db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"articles", "chunks", "claims"} <= tables
    finally:
        r.close()


# ---- Telegram extras (not in tests/test_telegram_bot.py) --------------------------------------------------
def test_commands_with_junk_arguments(bot, api: BotApiStandin, user: int) -> None:  # noqa: F811
    plain = say(api, "/sources", user)[0].text
    for junk in ("/sources abc", "/sources 999 -1 <b>", "/sources " + "9" * 300):
        [reply] = say(api, junk, user)
        assert reply.text == plain  # arguments are ignored: the first page
    for payload in ("hello", "p", "p-1", "p1x", "<b>x</b>", "p" + "9" * 13, "x" * 64, "%00"):
        [reply] = say(api, f"/start {payload}", user)
        assert reply.text.startswith("I answer questions with passages quoted word for word"), payload
    for payload in ("p0", "p999999999999"):
        assert say(api, f"/start {payload}", user)[0].text == "That passage is no longer in the corpus."
    assert say(api, "/about junk junk", user)[0].text.startswith("<b>Verbatim</b>")
    assert say(api, "/more junk", user)[0].text.startswith("Ask a question first")
    [removed] = say(api, "/remove <b>x</b> ../../etc/passwd '; DROP TABLE articles; --", ADMIN)
    assert removed.text == (
        "Removed 0 articles; not in the index: &lt;b&gt;x&lt;/b&gt;, ../../etc/passwd, ';, DROP, TABLE, articles;, --."
    )
    assert telegram_html_errors(removed.text) == []
    assert say(api, "zebra quokka report", user)[-1].buttons  # the corpus is intact


def test_buttons_of_an_answer_whose_article_was_removed(bot, api: BotApiStandin, user: int) -> None:  # noqa: F811
    mark = api.mark()
    api.document(
        "capybara.md",
        b"---\ntitle: Capybara count\n---\n\nWardens counted 77 capybaras by the lake.\n"
        b"\nThe count was higher than last year, wardens said.\n",
        user_id=ADMIN,
    )
    api.wait_for("sendMessage", since=mark, where=lambda c: c.chat_id == ADMIN and "added 1" in c.text)
    messages = say(api, "how many capybaras did wardens count by the lake", user)
    answer = messages[-1]
    assert "Wardens counted 77 capybaras" in messages[0].text.split("</blockquote>")[0]  # passage 1
    assert say(api, "/remove capybara", ADMIN)[0].text == "Removed 1 article."
    chunk = answer.buttons[0]["callback_data"].split("|")[2]
    for action in ("pick", "ctx", "why", "sub"):
        mark = api.mark()
        api.press(f"v1|{action}|{chunk}", chat_id=user, message_id=answer.result["message_id"])
        [answered] = api.wait_for("answerCallbackQuery", since=mark)
        assert answered.params["text"] == "That passage is no longer in the corpus.", action
    mark, _ = press(api, answer, "More ▸")  # pages its question again, over the corpus as it is now
    shown = [c for c in api.calls_of(None, mark) if c.method in ("sendMessage", "editMessageText")]
    assert all("capybara" not in c.text and c.text != SORRY for c in shown)
    mark = api.mark()
    api.press(f"v1|psg|{chunk}", chat_id=user, message_id=answer.result["message_id"])
    [answered] = api.wait_for("answerCallbackQuery", since=mark)
    assert answered.params["text"] == "That passage is no longer in the corpus."


def test_hostile_questions_through_the_bot(bot, api: BotApiStandin, user: int) -> None:  # noqa: F811
    for text in ("\u200f\u200e", "\u202e\u202c \u2060"):
        assert say(api, text, user)[0].text == "Please ask a question: the message has no text."
    [long] = say(api, "x" * 4096, user)  # the longest message Telegram delivers
    assert long.text == "The question is 4,096 characters long; please ask in at most 1,000."
    for text in (
        "<b>zebra</b> & quokka <script>",
        "**zebra** `quokka` [x](javascript:1)",
        "zebra'; DROP TABLE x; --",
    ):
        replies = say(api, text, user)
        assert all(telegram_html_errors(c.text) == [] and c.text != SORRY for c in replies)
    assert say(api, "zebra quokka report", user)[-1].buttons


def _process(bot, update: dict) -> None:  # noqa: F811
    """Hand one update to the running Application and wait until its handlers are done."""
    parsed = Update.de_json(update, bot.app.bot)
    asyncio.run_coroutine_threadsafe(bot.app.process_update(parsed), bot.loop).result(timeout=30)


def test_updates_without_text_or_of_other_kinds(bot, api: BotApiStandin, user: int, caplog) -> None:  # noqa: F811
    caplog.set_level(logging.INFO)
    chat, sender = api.chat(user), api.user(user)
    base = {"date": 1_700_000_000, "chat": chat, "from": sender}
    channel = {"id": -100_777, "type": "channel", "title": "News channel"}
    group = {"id": -100_778, "type": "supergroup", "title": "A group"}
    member = {"status": "member", "user": api.user(4242)}
    mark = api.mark()
    for i, update in enumerate(
        [
            {
                "channel_post": {
                    "message_id": 1,
                    "date": 1_700_000_000,
                    "chat": channel,
                    "text": "zebra quokka",
                }
            },
            {
                "edited_channel_post": {
                    "message_id": 1,
                    "date": 1_700_000_000,
                    "chat": channel,
                    "text": "x",
                    "edit_date": 1_700_000_001,
                }
            },
            {
                "message": {
                    "message_id": 2,
                    "date": 1_700_000_000,
                    "chat": group,
                    "from": sender,
                    "sticker": {
                        "file_id": "s",
                        "file_unique_id": "s",
                        "type": "regular",
                        "width": 1,
                        "height": 1,
                        "is_animated": False,
                        "is_video": False,
                    },
                }
            },
            {
                "edited_message": {
                    "message_id": 3,
                    "date": 1_700_000_000,
                    "chat": group,
                    "from": sender,
                    "text": "zebra",
                    "edit_date": 1_700_000_001,
                }
            },
            {
                "my_chat_member": {
                    "chat": chat,
                    "from": sender,
                    "date": 1_700_000_000,
                    "old_chat_member": member,
                    "new_chat_member": {**member, "status": "kicked", "until_date": 0},
                }
            },
            {
                "message_reaction": {
                    "chat": chat,
                    "message_id": 1,
                    "date": 1_700_000_000,
                    "user": sender,
                    "old_reaction": [],
                    "new_reaction": [{"type": "emoji", "emoji": "👍"}],
                }
            },
        ]
    ):
        _process(bot, {"update_id": 900_000 + i, **update})
    assert api.calls_of("sendMessage", mark) == []  # nothing to answer: silence
    for i, extra in enumerate(
        [
            {
                "photo": [{"file_id": "ph", "file_unique_id": "ph", "width": 1, "height": 1}],
                "caption": "zebra quokka",
            },
            {"location": {"latitude": 1.0, "longitude": 2.0}},
            {"contact": {"phone_number": "+100", "first_name": "A"}},
            {"text": "", "entities": []},
        ]
    ):
        mark = api.mark()
        _process(bot, {"update_id": 900_100 + i, "message": {"message_id": 10 + i, **base, **extra}})
        [reply] = [c for c in api.calls_of("sendMessage", mark) if c.chat_id == user]
        assert reply.text == "I can only answer questions written as text.", extra
    mark = api.mark()
    _process(
        bot,
        {
            "update_id": 900_200,
            "inline_query": {"id": "iq", "from": sender, "query": "zebra quokka report", "offset": "²"},
        },
    )
    [inline] = api.calls_of("answerInlineQuery", mark)
    assert inline.params["results"]  # a junk offset is page one, not a failure
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert failures == [], [r.getMessage() for r in failures]


def test_upload_with_a_traversal_name_stays_a_basename(bot, api: BotApiStandin, tmp_path: Path) -> None:  # noqa: F811
    content = b"---\ntitle: Evil\n---\n\nA harmless sentence about okapi."
    with api.cond:
        api.files["evil"] = ("documents/evil.md", content)
    document = {
        "file_id": "evil",
        "file_unique_id": "uevil",
        "file_name": "../../../../tmp/evil-okapi.md",
        "mime_type": "text/markdown",
        "file_size": len(content),
    }
    mark = api.mark()
    api.message(None, user_id=ADMIN, document=document)
    [summary] = api.wait_for("sendMessage", since=mark, where=lambda c: c.chat_id == ADMIN and "added" in c.text)
    assert summary.text.startswith("evil-okapi.md: added 1")
    assert not Path("/tmp/evil-okapi.md").exists()
    assert "evil-okapi" in {s["id"] for s in bot.retriever.sources()}


# ---- property tests: the Telegram formatter and the loaders on anything ----------------------------------
_ANY = st.text(st.characters(blacklist_categories=("Cs",)), max_size=120)  # any text a JSON update can carry
_STATUS = st.sampled_from([None, "confirmed", "reported", "unverified", "denied", "forecast", "opinion", "stated"])
_EVIDENCE = st.builds(
    Evidence,
    doc_id=_ANY,
    source=st.none() | _ANY,
    date=st.none() | _ANY,
    title=st.none() | _ANY,
    url=st.none() | _ANY | st.just("javascript:alert(1)"),
    text=_ANY,
    value=st.none() | _ANY,
)
_VERDICT = st.builds(
    Verdict,
    id=_ANY,
    claim_reviewed=_ANY,
    rating=_ANY,
    author=st.none() | _ANY,
    url=st.none() | _ANY,
    date=st.none() | _ANY,
)


@st.composite
def _hits(draw: st.DrawFn) -> list[Hit]:
    hits = []
    for rank in range(1, draw(st.integers(1, 4)) + 1):
        text = draw(
            st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=5000).filter(lambda t: t.strip())
        )
        cuts = sorted({0, len(text), *draw(st.lists(st.integers(0, len(text)), max_size=12))})
        claims = [
            Claim(
                text=text[s:e],
                start=s + 7,
                end=e + 7,
                status=draw(_STATUS),
                speaker=draw(st.none() | _ANY),
                cue=draw(st.none() | _ANY),
                corroborated_by=draw(st.lists(_EVIDENCE, max_size=2)),
                conflicts_with=draw(st.lists(_EVIDENCE, max_size=2)),
                verdict=draw(st.none() | _VERDICT),
            )
            for s, e in itertools.pairwise(cuts)
            if e > s
        ]
        hits.append(
            Hit(
                rank=rank,
                score=1.0,
                doc_id=draw(_ANY),
                title=draw(_ANY),
                source=draw(st.none() | _ANY),
                date=draw(st.none() | _ANY),
                url=draw(st.none() | _ANY | st.just("javascript:alert(1)")),
                passage=text,
                start=7,
                end=7 + len(text),
                paragraph=1,
                paragraphs=draw(st.integers(1, 10**6)),
                claims=claims,
                chunk_id=rank,
            )
        )
    return hits


def _valid(message: str, limit: int = rt.LIMIT) -> None:
    assert utf16_len(message) <= limit and message.strip()
    assert telegram_html_errors(message) == [], message[:300]


@hyp_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hits=_hits(), heading=st.none() | st.just("<i>Within the articles of that answer:</i>"))
def test_property_any_text_and_metadata_render_as_valid_telegram_html(hits: list[Hit], heading) -> None:
    """Arbitrary Unicode (astral characters count twice toward Telegram's 4,096 UTF-16 units),
    markup-like text, hostile titles, outlets, links, speakers and evidence: every message is valid
    Telegram HTML within the limit, and the quoted words are the passages exactly."""
    messages = rt.render_answer(Answer(question="q", answered=True, results=hits), heading=heading)
    for m in messages:
        _valid(m)
    quoted = "".join(strip_labels(q) for m in messages for q in quotes(m))
    assert quoted == "".join(h.passage for h in hits)
    for hit in hits:
        _valid(rt.render_single(hit))
        for m in rt.why_messages(hit):
            _valid(m)
    rows = [{"id": h.doc_id, "title": h.title, "source": h.source, "date": h.date, "passages": 1} for h in hits]
    _valid(tx.sources_page(rows * 7, 1)[0])


_SUFFIXES = [".txt", ".md", ".html", ".jsonl", ".json", ".TXT", ".pdf", ""]
_PREFIXES = [
    b"",
    b"---\n",
    b"---\ntitle: x\n---\n",
    b"<html><body><p>",
    b'{"text": "',
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\xfe\xff",
    b"\x89PNG\r\n\x1a\n",
]


@hyp_settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    suffix=st.sampled_from(_SUFFIXES),
    prefix=st.sampled_from(_PREFIXES),
    body=st.binary(max_size=3000)
    | st.text(max_size=2000).map(lambda t: t.encode("utf-8", "surrogatepass"))
    | st.text(max_size=500).map(lambda t: t.encode("utf-16")),
)
def test_property_load_text_never_raises_and_either_loads_or_rejects(suffix: str, prefix: bytes, body: bytes):
    data = prefix + body
    loaded = load_text("upload" + suffix, data)
    if suffix == ".json":
        assert loaded.articles == [] and loaded.rejections == []  # verdict files: not articles
        return
    assert loaded.articles or loaded.rejections
    for rejection in loaded.rejections:
        assert rejection.reason and "\n" not in rejection.reason
        assert not rejection.reason.startswith("could not be loaded")  # the catch-all: an unforeseen error
    for a in loaded.articles:
        assert a.id and a.title and a.text.strip() and "\r" not in a.text
    if suffix.lower() in (".txt", ".md") and loaded.articles:
        try:
            text = data.decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
        except UnicodeDecodeError:
            return
        if "\x00" not in text:
            assert loaded.articles[0].text in text  # kept verbatim
