"""The real python-telegram-bot Application, over HTTP, against the Bot API stand-in.

A module-scoped bot answers most tests (each test uses its own user and chat ids); the restart,
allow-list and webhook tests start their own. Every wait is on a recorded call, with a timeout.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from telegram import Update
from telegram.ext import Application

from bot import render_telegram as rt
from bot.chat_state import ChatState, FloodGate
from bot.telegram_app import ADMIN_ONLY, FLOOD, SORRY, build_application
from index.embed import HashEmbedder
from index.load import load_paths
from index.models import NO_ANSWER, Article
from index.retriever import Retriever
from index.settings import Settings
from tests.botapi_standin import (
    BOT_USER,
    BotApiStandin,
    Call,
    quotes,
    strip_labels,
    telegram_html_errors,
    utf16_len,
)

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "corpus" / "france24-north-korean-troops.md"
ADMIN = 7
TOKEN = "123:TEST"
SEED_QUESTION = "NATO confirmed evidence North Korean troop deployment Russia"

NATO = Article(
    id="wire-nato",
    title="NATO confirms North Korean troops sent to Russia",
    source="Reuters",
    date="2024-10-28",
    url="https://example.org/nato?x=1&y=2",
    text="NATO confirmed on Monday that North Korean troops had been sent to Russia.\n\n"
    "NATO Secretary General "
    "Mark Rutte said units had been deployed to the Kursk region.\n\nThe deployment marks a significant "
    "escalation, he said.",
)
HOSTILE = Article(
    id="hostile-markup",
    title="<b>Markup</b> & <script>alert(1)</script>",
    source="Evil & Co <i>",
    url="javascript:alert(1)",
    text="The zebra quokka report says <b>bold</b> & <script>alert('x')</script> are shown literally.\n\n"
    "A second paragraph about zebra quokka & friends.",
)
LONG = Article(
    id="long-hostile",
    title="Pangolin ledger",
    source="Ledger",
    date="2024-01-01",
    url="https://example.org/long",
    text=" ".join(
        f"Pangolin ledger entry {i} lists <b>&&&&&&&&&&&&&&&&</b> <b>&&&&&&&&&&&&&&&&</b> & "
        "<script>x</script> beside tariffs."
        for i in range(18)
    ),
)
FILLERS = [
    Article(
        id=f"filler-{i:02d}",
        title=f"Weather in town {i}",
        source="Local",
        date=f"2024-02-{i + 1:02d}",
        text=f"Town {i} saw light rain on Tuesday.",
    )
    for i in range(8)
]


# ---- running the bot -----------------------------------------------------------------------------
@dataclass
class Running:
    api: BotApiStandin
    app: Application
    retriever: Retriever
    loop: asyncio.AbstractEventLoop
    thread: threading.Thread
    errors: list[BaseException]


def make_settings(api: BotApiStandin, folder: Path, **overrides: object) -> Settings:
    values = dict(
        index=folder,
        telegram_bot_token=TOKEN,
        telegram_api_base_url=api.base_url,
        telegram_api_base_file_url=api.base_file_url,
        admins=str(ADMIN),
        watch_interval=3600.0,
        max_upload_bytes=20_000,
        flood_limit=10,
    )
    values.update(overrides)
    return Settings(_env_file=None, **values)


def build_index(folder: Path, articles: list[Article]) -> None:
    r = Retriever.open(Settings(_env_file=None, index=folder), embedder=HashEmbedder(), build_default=False)
    r.add_articles(articles)
    r.close()


def start_bot(api: BotApiStandin, folder: Path, **overrides: object) -> Running:
    settings = make_settings(api, folder, **overrides)
    retriever = Retriever.open(settings, embedder=HashEmbedder(), build_default=False)
    app = build_application(settings, retriever)
    loop = asyncio.new_event_loop()
    errors: list[BaseException] = []

    def serve() -> None:
        asyncio.set_event_loop(loop)
        try:
            app.run_polling(
                stop_signals=None,
                close_loop=False,
                poll_interval=0.0,
                timeout=5,
                bootstrap_retries=0,
                allowed_updates=Update.ALL_TYPES,
            )
        except BaseException as err:  # reported by stop_bot in the test's thread
            errors.append(err)

    mark = api.mark()
    thread = threading.Thread(target=serve, name="bot", daemon=True)
    thread.start()
    api.wait_for("deleteWebhook", since=mark)  # post_init ran (setMyCommands); polling starts now
    return Running(api, app, retriever, loop, thread, errors)


def stop_bot(bot: Running) -> None:
    bot.loop.call_soon_threadsafe(bot.app.stop_running)
    bot.thread.join(20)
    assert not bot.thread.is_alive(), "the bot did not stop"
    bot.loop.close()
    bot.retriever.close()
    assert bot.errors == []


@pytest.fixture(scope="module")
def api() -> Iterator[BotApiStandin]:
    with BotApiStandin(TOKEN) as standin:
        yield standin


@pytest.fixture(scope="module")
def bot(api: BotApiStandin, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    folder = tmp_path_factory.mktemp("index")
    build_index(folder, [*load_paths([SEED]).articles, NATO, HOSTILE, LONG, *FILLERS])
    running = start_bot(api, folder)
    yield running
    stop_bot(running)


_users = iter(range(2000, 100_000))


@pytest.fixture
def user() -> int:
    """A fresh user (and private chat) id per test, so tests never see each other's messages."""
    return next(_users)


def answer_done(chat_id: int):
    """The last message of an answer: it carries the buttons, or it is a plain sentence."""
    return lambda c: (
        c.chat_id == chat_id and c.error is None and (bool(c.buttons) or "<blockquote>" not in c.text)
    )


def say(api: BotApiStandin, text: str, user: int, *, chat_id: int | None = None, **kw: object) -> list[Call]:
    """Send a message and return every message the bot sent to that chat until its answer is complete."""
    chat = user if chat_id is None else chat_id
    mark = api.mark()
    api.message(text, user_id=user, chat_id=chat_id, **kw)
    api.wait_for("sendMessage", since=mark, where=answer_done(chat))
    return [c for c in api.calls_of("sendMessage", mark) if c.chat_id == chat and c.error is None]


def press(api: BotApiStandin, call: Call, button_text: str, user: int | None = None) -> tuple[int, str]:
    """Press a button under a message the bot sent; returns (mark, callback answer text)."""
    data = next(b["callback_data"] for b in call.buttons if b["text"] == button_text)
    mark = api.mark()
    api.press(data, chat_id=call.chat_id, message_id=call.result["message_id"], user_id=user)
    [answered] = api.wait_for("answerCallbackQuery", since=mark)
    return mark, answered.params.get("text", "")


def ranks(calls: list[Call]) -> list[int]:
    return [int(r) for c in calls for r in re.findall(r"<b>\[(\d+)\]</b>", c.text)]


def chunk_of(button: dict) -> int:
    return int(button["callback_data"].split("|")[2])


def passage_of(bot: Running, chunk_id: int) -> str:
    return bot.retriever.passage(chunk_id).passage


# ---- commands ------------------------------------------------------------------------------------
def test_startup_sets_commands(bot: Running, api: BotApiStandin):
    commands = [c for c in api.calls_of("setMyCommands") if "scope" not in c.params]
    assert [c["command"] for c in commands[0].params["commands"]] == [
        "start",
        "help",
        "ask",
        "more",
        "sources",
        "about",
    ]
    admin = [c for c in api.calls_of("setMyCommands") if c.params.get("scope", {}).get("chat_id") == ADMIN]
    assert "remove" in [c["command"] for c in admin[0].params["commands"]]
    assert api.calls_of("getMe")


def test_start_help_about(bot: Running, api: BotApiStandin, user: int):
    [start] = say(api, "/start", user)
    assert "12 news articles from 5 outlets" in start.text and "/help" in start.text
    [help_] = say(api, "/help", user)
    for word in (
        "confirmed",
        "reported",
        "unverified",
        "denied",
        "forecast",
        "opinion",
        "stated",
        "fact-checked",
        "corroborated",
        "conflicts",
    ):
        assert f"<i>{word}</i>" in help_.text
    assert "Maintainers" not in help_.text
    [admin_help] = say(api, "/help", ADMIN)
    assert "Maintainers" in admin_help.text
    [about] = say(api, "/about", user)
    assert "12 articles from 5 outlets" in about.text and "Last update: 20" in about.text


def test_sources_are_paged_with_buttons(bot: Running, api: BotApiStandin, user: int):
    [page1] = say(api, "/sources", user)
    assert "(page 1 of 2)" in page1.text and "&lt;b&gt;Markup&lt;/b&gt; &amp; &lt;script&gt;" in page1.text
    assert [b["text"] for b in page1.buttons] == ["Next ▶"]
    mark, _ = press(api, page1, "Next ▶")
    [edit] = api.wait_for("editMessageText", since=mark)
    assert (
        "(page 2 of 2)" in edit.params["text"]
        and int(edit.params["message_id"]) == page1.result["message_id"]
    )
    assert [b["text"] for b in edit.buttons] == ["◀ Previous"]


def test_deep_link_opens_a_passage(bot: Running, api: BotApiStandin, user: int):
    chunk_id = bot.retriever.ask("zebra quokka report").results[0].chunk_id
    [shown] = say(api, f"/start p{chunk_id}", user)
    assert strip_labels(quotes(shown.text)[0]) == passage_of(bot, chunk_id)
    assert {"Why?", "Tell me if this changes"} <= {b["text"] for b in shown.buttons}
    [gone] = say(api, "/start p987654", user)
    assert gone.text == "That passage is no longer in the corpus."


# ---- questions -----------------------------------------------------------------------------------
def test_question_answer_escapes_corpus_text(
    bot: Running, api: BotApiStandin, user: int, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.INFO)
    mark = api.mark()
    messages = say(api, "zebra quokka report", user)
    answer, text = messages[-1], "".join(m.text for m in messages)
    assert api.calls_of("sendChatAction", mark)[0].params["action"] == "typing"
    assert all(m.params["parse_mode"] == "HTML" and telegram_html_errors(m.text) == [] for m in messages)
    first = quotes(text)[0]
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;script&gt;alert('x')&lt;/script&gt;" in first
    assert "<script>" not in text and "javascript:" not in text
    assert (
        "</blockquote>\n<b>[1]</b> <b>&lt;b&gt;Markup&lt;/b&gt; &amp; "
        "&lt;script&gt;alert(1)&lt;/script&gt;</b> · "
        "Evil &amp; Co &lt;i&gt; · date unknown · paragraph 1 of 2\n\n<blockquote>" in text
    )
    assert strip_labels(first) == passage_of(bot, chunk_of(answer.buttons[0]))
    assert [b["text"] for b in answer.buttons][:3] == ["Context 1", "Why? 1", "Tell me if 1 changes"]
    assert "More results" in [b["text"] for b in answer.buttons]
    logged = [r.getMessage() for r in caplog.records if r.getMessage().startswith("question chat=")]
    assert any(f"chat={user} chars=19 offset=0 results=3 latency_ms=" in line for line in logged)
    assert TOKEN not in caplog.text and logging.getLogger("httpx").level == logging.WARNING


def test_unanswerable_question_gets_the_fixed_sentence(bot: Running, api: BotApiStandin, user: int):
    [reply] = say(api, "recipe for banana bread", user)
    assert reply.text == NO_ANSWER and not reply.buttons


def test_more_continues_the_last_question(bot: Running, api: BotApiStandin, user: int):
    first = say(api, SEED_QUESTION, user)
    assert ranks(first) == [1, 2, 3]
    assert ranks(say(api, "more", user)) == [4, 5, 6]
    assert ranks(say(api, "/more", user)) == [7, 8, 9]
    mark, _ = press(api, first[-1], "More results")  # the button pages from its own answer
    api.wait_for("sendMessage", since=mark, where=answer_done(user))
    assert ranks(api.calls_of("sendMessage", mark)) == [4, 5, 6], [
        (c.method, c.params) for c in api.calls_of(None, mark)
    ]
    [fresh] = say(api, "/more", next(_users))
    assert fresh.text.startswith("Ask a question first")


def test_long_hostile_passage_is_split_into_valid_messages(bot: Running, api: BotApiStandin, user: int):
    messages = say(api, "pangolin ledger tariffs", user)
    assert len(messages) >= 2
    for m in messages:
        assert utf16_len(m.text) <= 4096 and telegram_html_errors(m.text) == [] and m.error is None
    passage = passage_of(bot, chunk_of(messages[-1].buttons[0]))
    assert "".join(strip_labels(q) for m in messages for q in quotes(m.text)).startswith(passage)
    # the first passage alone fills more than one message: its first part has no source line yet
    assert len(quotes(messages[0].text)) == 1 and "paragraph" not in messages[0].text


def test_context_and_why_buttons(bot: Running, api: BotApiStandin, user: int):
    [answer] = say(api, SEED_QUESTION, user)
    mark, note = press(api, answer, "Context 1")
    [ctx] = api.wait_for("sendMessage", since=mark, where=lambda c: c.chat_id == user)
    assert note == "" and "<b>Before</b>" in ctx.text and "<b>After</b>" in ctx.text
    assert {b["text"] for b in ctx.buttons} == {"◀ Earlier", "Later ▶"}
    mark, _ = press(api, answer, "Why? 1")
    [why] = api.wait_for("sendMessage", since=mark, where=lambda c: c.chat_id == user)
    assert why.text.startswith("<b>Why these labels</b>") and "who says: NATO" in why.text
    assert "corroborated by Reuters" in why.text
    assert [b["text"] for b in why.buttons] == ["Tell me if this changes"]


def test_reply_to_an_answer_asks_within_its_articles(bot: Running, api: BotApiStandin, user: int):
    answer = say(api, "zebra quokka report", user)[-1]
    replies = say(api, "friends", user, reply_to=answer.result["message_id"])
    assert replies[0].text.startswith("<i>Within the articles of that answer:</i>")
    allowed = {
        bot.retriever.passage(int(b["callback_data"].split("|")[2])).doc_id
        for b in answer.buttons
        if b["text"].startswith("Context")
    }
    shown = {
        bot.retriever.passage(int(b["callback_data"].split("|")[2])).doc_id
        for b in replies[-1].buttons
        if b["text"].startswith("Context")
    }
    assert shown and shown <= allowed


def test_flood_limit_is_polite_and_said_once(bot: Running, api: BotApiStandin, user: int):
    mark = api.mark()
    for _ in range(13):
        api.message("zebra quokka report", user_id=user)
    api.wait_for("sendMessage", since=mark, where=lambda c: c.chat_id == user and c.buttons, count=10)
    api.wait_for("sendMessage", since=mark, where=lambda c: c.chat_id == user and c.text == FLOOD)
    sent = [c for c in api.calls_of("sendMessage", mark) if c.chat_id == user]
    assert sum(bool(c.buttons) for c in sent) == 10 and sum(c.text == FLOOD for c in sent) == 1


def test_edits_stickers_and_unknown_commands_are_answered_politely(
    bot: Running, api: BotApiStandin, user: int
):
    assert say(api, "edited question", user, edited=True)[0].text.startswith("I only read new messages")
    assert say(api, None, user, sticker=True)[0].text == "I can only answer questions written as text."
    assert say(api, "/frobnicate", user)[0].text.startswith("I do not know that command")


# ---- groups --------------------------------------------------------------------------------------
def test_groups_answer_ask_mentions_and_replies_only(bot: Running, api: BotApiStandin, user: int):
    group = -100_000 - user
    mark = api.mark()
    api.message("zebra quokka report", user_id=user, chat_id=group, chat_type="supergroup")  # not addressed
    [about] = say(
        api, "/about", user, chat_id=group, chat_type="supergroup"
    )  # processed after the silent one
    assert [c.chat_id for c in api.calls_of("sendMessage", mark)] == [group]
    asked = say(api, "/ask zebra quokka report", user, chat_id=group, chat_type="supergroup")
    assert "zebra quokka" in asked[0].text and asked[0].params["reply_parameters"]["message_id"]
    mentioned = say(
        api, f"@{BOT_USER['username']} zebra quokka report", user, chat_id=group, chat_type="supergroup"
    )
    assert "zebra quokka" in mentioned[0].text
    replied = say(
        api, "friends", user, chat_id=group, chat_type="supergroup", reply_to=asked[-1].result["message_id"]
    )
    assert replied[0].text.startswith("<i>Within the articles of that answer:</i>")
    assert say(api, "/ask", user, chat_id=group, chat_type="supergroup")[0].text.startswith(
        "Write the question"
    )
    assert about.text.startswith("<b>Verbatim</b>")


# ---- inline mode ---------------------------------------------------------------------------------
def test_inline_mode_pages_with_next_offset(bot: Running, api: BotApiStandin, user: int):
    mark = api.mark()
    api.inline(SEED_QUESTION, user_id=user)
    [first] = api.wait_for("answerInlineQuery", since=mark)
    results = first.params["results"]
    assert len(results) == 3 and first.params["next_offset"] == "3"
    for r in results:
        assert (
            r["type"] == "article" and telegram_html_errors(r["input_message_content"]["message_text"]) == []
        )
        assert r["reply_markup"]["inline_keyboard"][0][0]["url"] == rt.deep_link(
            BOT_USER["username"], int(r["id"])
        )
    mark = api.mark()
    api.inline(SEED_QUESTION, user_id=user, offset="3")
    [second] = api.wait_for("answerInlineQuery", since=mark)
    assert {r["id"] for r in second.params["results"]}.isdisjoint({r["id"] for r in results})
    mark = api.mark()
    api.inline("   ", user_id=user)
    [empty] = api.wait_for("answerInlineQuery", since=mark)
    assert empty.params["results"] == []


# ---- buttons: validation and subscriptions -------------------------------------------------------
def test_tampered_unknown_and_removed_callbacks_get_one_polite_sentence(
    bot: Running, api: BotApiStandin, user: int
):
    answer = say(api, "zebra quokka report", user)[-1]
    message_id = answer.result["message_id"]
    for data, expected in [
        ("v1|ctx|abc", "no longer valid"),
        ("v0|ctx|1", "no longer valid"),
        ("v1|ctx|99999999", "no longer in the corpus"),
        ("v1|why|99999999", "no longer in the corpus"),
        ("v1|more|999999", "no longer valid"),
        ("", "no longer valid"),
    ]:
        mark = api.mark()
        api.press(data, chat_id=user, message_id=message_id)
        [answered] = api.wait_for("answerCallbackQuery", since=mark)
        assert expected in answered.params["text"], data
    [plain] = say(api, "/about", user)  # a message with no answer context under it
    mark = api.mark()
    api.press(rt.callback("more", 3), chat_id=user, message_id=plain.result["message_id"])
    assert "ask it again" in api.wait_for("answerCallbackQuery", since=mark)[0].params["text"]


def test_subscribers_hear_about_corroboration_and_removal(bot: Running, api: BotApiStandin, user: int):
    article = (
        "---\ntitle: Tapirs\nsource: {source}\n---\n\nOfficials confirmed that 40 tapirs crossed the river.\n"
    )
    mark = api.mark()
    api.document("tapirs.md", article.format(source="Tapir Times").encode(), user_id=ADMIN)
    api.wait_for("sendMessage", since=mark, where=lambda c: c.chat_id == ADMIN and "added 1" in c.text)
    answer = say(api, "how many tapirs crossed the river", user)[-1]
    assert passage_of(bot, chunk_of(answer.buttons[0])).startswith("Officials confirmed that 40 tapirs")
    _, note = press(api, answer, "Tell me if 1 changes")
    assert note.startswith("Done")
    assert press(api, answer, "Tell me if 1 changes")[1] == "You already follow this passage."
    # another outlet says the same: the claim's corroboration, and so its fingerprint, changes
    mark = api.mark()
    api.document("tapirs-wire.md", article.format(source="Wire Service").encode(), user_id=ADMIN)
    [notice] = api.wait_for("sendMessage", since=mark, where=lambda c: c.chat_id == user)
    assert notice.text.startswith("<b>Update</b> on “Officials confirmed that 40 tapirs crossed the river.”")
    assert "now <i>⟨" in notice.text and "corroborated by 1⟩</i>" in notice.text
    assert telegram_html_errors(notice.text) == []
    # the article leaves the corpus: the follower is told, and no longer follows it
    mark = api.mark()
    api.message("/remove tapirs", user_id=ADMIN)
    [gone] = api.wait_for("sendMessage", since=mark, where=lambda c: c.chat_id == user)
    assert "“Tapirs” was changed or removed" in gone.text
    api.wait_for(
        "sendMessage", since=mark, where=lambda c: c.chat_id == ADMIN and c.text.startswith("Removed 1")
    )
    assert all(s.chat_id != user for s in bot.app.bot_data.state.subscriptions())


# ---- maintainers ---------------------------------------------------------------------------------
def test_admin_upload_is_added_in_the_background(bot: Running, api: BotApiStandin):
    mark = api.mark()
    okapi = {
        "id": "okapi-1",
        "title": "Okapi census",
        "source": "Wildlife Daily",
        "text": "Rangers counted 42 okapi.",
    }
    body = json.dumps(okapi).encode() + b"\n"
    api.document("batch.jsonl", body + b'{"title": "no text"}\n', user_id=ADMIN)
    [received, summary] = api.wait_for("sendMessage", since=mark, count=2, where=lambda c: c.chat_id == ADMIN)
    assert api.calls_of("getFile", mark) and api.downloads[-1] == "documents/batch.jsonl"
    assert received.text.startswith("Received batch.jsonl")
    assert summary.text.startswith("batch.jsonl: added 1, replaced 0, unchanged 0, rejected 1")
    [answer] = say(api, "how many okapi did rangers count", ADMIN)
    assert "Rangers counted 42 okapi." in answer.text


def test_non_admins_are_refused_politely(bot: Running, api: BotApiStandin, user: int):
    mark = api.mark()
    api.document("x.md", b"Text.", user_id=user)
    [refused] = api.wait_for("sendMessage", since=mark, where=lambda c: c.chat_id == user)
    assert refused.text == ADMIN_ONLY and not api.calls_of("getFile", mark)
    assert say(api, "/remove wire-nato", user)[0].text == ADMIN_ONLY
    assert say(api, "https://example.org/page", user)[0].text == ADMIN_ONLY


def test_upload_limits_and_kinds(bot: Running, api: BotApiStandin):
    mark = api.mark()
    api.document("big.txt", b"x", user_id=ADMIN, file_size=6_000_000)
    [big] = api.wait_for("sendMessage", since=mark, where=lambda c: c.chat_id == ADMIN)
    assert "big.txt is 6.0 MB, more than the 20 KB I accept" in big.text and not api.calls_of("getFile", mark)
    mark = api.mark()
    api.document("scan.pdf", b"%PDF", user_id=ADMIN)
    [pdf] = api.wait_for("sendMessage", since=mark, where=lambda c: c.chat_id == ADMIN)
    assert "scan.pdf is none of these" in pdf.text
    mark = api.mark()
    review = {
        "@type": "ClaimReview",
        "claimReviewed": "NATO confirmed a North Korean troop deployment to Russia",
        "reviewRating": {"alternateName": "True"},
        "author": {"name": "Checkers"},
        "url": "https://fc.example/1",
    }
    api.document("verdict.json", json.dumps(review).encode(), user_id=ADMIN)
    replies = api.wait_for(
        "sendMessage", since=mark, where=lambda c: c.chat_id == ADMIN and not c.text.startswith("Received")
    )
    assert replies[0].text != SORRY
    assert replies[0].text == "Fact-check verdicts are not supported yet." or "verdict" in replies[0].text


def test_admin_link_and_remove(bot: Running, api: BotApiStandin):
    mark = api.mark()
    api.message("http://127.0.0.1:9/private", user_id=ADMIN)  # refused by the loader: not a public address
    summary = api.wait_for("sendMessage", since=mark, count=2, where=lambda c: c.chat_id == ADMIN)[1]
    assert "added 0" in summary.text and "rejected 1" in summary.text
    assert say(api, "/remove nope-1", ADMIN)[0].text == "Removed 0 articles; not in the index: nope-1."
    assert say(api, "/remove", ADMIN)[0].text.startswith("Write the article ids")


def test_a_failing_update_gets_one_sentence_and_the_bot_lives_on(
    bot: Running, api: BotApiStandin, user: int, caplog: pytest.LogCaptureFixture
):
    api.fail_next("sendMessage", 500, "Internal Server Error", chat_id=user)
    [sorry] = say(api, "zebra quokka report", user)
    assert sorry.text == SORRY
    [failed] = [c for c in api.calls_of("sendMessage") if c.chat_id == user and c.error]
    assert failed.error == "Internal Server Error"
    assert any(r.getMessage().startswith("update failed") and r.exc_info for r in caplog.records)
    assert say(api, "zebra quokka report", user)[0].buttons


# ---- restart, allow-list, webhook ----------------------------------------------------------------
def test_buttons_and_more_work_after_a_restart(tmp_path: Path):
    build_index(tmp_path, [*load_paths([SEED]).articles, NATO])
    with BotApiStandin(TOKEN) as api:
        first = start_bot(api, tmp_path)
        try:
            [answer] = say(api, SEED_QUESTION, 501)
        finally:
            stop_bot(first)
        second = start_bot(api, tmp_path)
        try:
            mark, note = press(api, answer, "Why? 2")
            [why] = api.wait_for("sendMessage", since=mark, where=lambda c: c.chat_id == 501)
            assert note == "" and why.text.startswith("<b>Why these labels</b>")
            mark, note = press(api, answer, "More results")
            more = api.wait_for("sendMessage", since=mark, where=answer_done(501))
            assert "<b>[4]</b>" in more[0].text
            assert "<b>[7]</b>" in say(api, "more", 501)[0].text
            replies = say(api, "NATO evidence", 501, reply_to=answer.result["message_id"])
            assert replies[0].text.startswith("<i>Within the articles of that answer:</i>")
        finally:
            stop_bot(second)
        assert (tmp_path / "bot.sqlite").exists()


def test_allowed_chats_only(tmp_path: Path):
    build_index(tmp_path, [NATO])
    with BotApiStandin(TOKEN) as api:
        running = start_bot(api, tmp_path, allowed_chats="5555")
        try:
            assert say(api, "NATO confirmed troops", 6666)[0].text.startswith("This bot is private")
            assert say(api, "NATO confirmed troops", 5555)[0].buttons
            assert say(api, "NATO confirmed troops", ADMIN)[0].buttons  # maintainers always
        finally:
            stop_bot(running)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_webhook_mode(tmp_path: Path):
    build_index(tmp_path, [NATO])
    with BotApiStandin(TOKEN) as api:
        port = _free_port()
        settings = make_settings(
            api, tmp_path, webhook_url="https://bot.example/hook", webhook_port=port, webhook_secret="s3cret"
        )
        retriever = Retriever.open(settings, embedder=HashEmbedder(), build_default=False)
        app = build_application(settings, retriever)
        loop = asyncio.new_event_loop()

        def serve() -> None:
            asyncio.set_event_loop(loop)
            app.run_webhook(
                listen="127.0.0.1",
                port=port,
                url_path="hook",
                webhook_url=settings.webhook_url,
                secret_token="s3cret",
                stop_signals=None,
                close_loop=False,
                bootstrap_retries=0,
            )

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        try:
            [hook] = api.wait_for("setWebhook")
            assert (
                hook.params["url"] == "https://bot.example/hook" and hook.params["secret_token"] == "s3cret"
            )
            update = {
                "update_id": 1,
                "message": {
                    "message_id": 1,
                    "date": int(time.time()),
                    "text": "NATO troops",
                    "chat": api.chat(77),
                    "from": api.user(77),
                },
            }
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/hook",
                data=json.dumps(update).encode(),
                method="POST",
                headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": "s3cret"},
            )
            deadline = time.monotonic() + 10
            while True:  # setWebhook comes just before the server listens: retry a refused connect
                try:
                    urllib.request.urlopen(request, timeout=5).close()
                    break
                except ConnectionRefusedError:
                    assert time.monotonic() < deadline
                except urllib.error.URLError as err:
                    assert isinstance(err.reason, ConnectionRefusedError) and time.monotonic() < deadline
            [reply] = api.wait_for("sendMessage", where=answer_done(77))
            assert reply.buttons
        finally:
            loop.call_soon_threadsafe(app.stop_running)
            thread.join(20)
            loop.close()
            retriever.close()


# ---- state and flood units -----------------------------------------------------------------------
def test_chat_state_persists_across_reopen(tmp_path: Path):
    state = ChatState.open(tmp_path)
    state.remember_question(5, "q", 3, ["d1"])
    state.remember_answer(
        5, [10, 11], question="q", next_offset=3, chunk_ids=[1, 2], doc_ids=["d1"], scope=None
    )
    state.set_seen_generation(4)
    state.close()
    again = ChatState.open(tmp_path)
    assert again.last_question(5).scope == ["d1"] and again.answer_context(5, 11).chunk_ids == [1, 2]
    assert again.answer_context(5, 12) is None and again.seen_generation() == 4
    again.close()


def test_flood_gate_is_a_sliding_window():
    now = [0.0]
    gate = FloodGate(2, 30.0, clock=lambda: now[0])
    assert gate.allow(1) and gate.allow(1) and not gate.allow(1) and gate.allow(2)
    assert gate.should_warn(1) and not gate.should_warn(1)
    now[0] = 30.5
    assert gate.allow(1)


# ---- latency -------------------------------------------------------------------------------------
def test_reply_latency(bot: Running, api: BotApiStandin, capsys: pytest.CaptureFixture):
    """Update queued -> the answer's sendMessage received. Paced at 10 questions/s the AIORateLimiter
    (30 requests/s, two per question: typing and the answer) never waits; back to back it sets the pace."""
    questions = [
        "zebra quokka report",
        SEED_QUESTION,
        "pangolin ledger tariffs",
        "Mark Rutte Kursk region",
        "recipe for banana bread",
    ]
    pacing = threading.Event()  # never set: wait() below is pacing for the measurement, not synchronisation

    def measure(n: int, pace: float) -> list[float]:
        out = []
        for i in range(n):
            chat = next(_users)
            pacing.wait(pace)
            mark = api.mark()
            update_id = api.message(questions[i % len(questions)], user_id=chat)
            api.wait_for("sendMessage", since=mark, where=answer_done(chat))
            first = next(c for c in api.calls_of("sendMessage", mark) if c.chat_id == chat)
            out.append((first.at - api.queued_at[update_id]) * 1000)
        return sorted(out)

    paced, burst = measure(50, 0.1), measure(20, 0.0)
    with capsys.disabled():
        print(
            f"\nreply latency, update queued -> first sendMessage: 50 questions paced at 10/s: median "
            f"{statistics.median(paced):.1f} ms, p90 {paced[44]:.1f} ms, max {paced[-1]:.1f} ms; "
            "20 back to back: "
            f"median {statistics.median(burst):.1f} ms, max {burst[-1]:.1f} ms"
        )
    assert statistics.median(paced) < 500


# ---- the command line -----------------------------------------------------------------------------
def test_cli_bot_needs_a_token_and_help_stays_light(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys):
    from bot.cli import main

    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)  # no .env
    assert main(["bot", "--index", str(tmp_path / "index")]) == 1
    assert (
        capsys.readouterr().err
        == "verbatim: Set TELEGRAM_BOT_TOKEN (the token from @BotFather) to run the bot.\n"
    )
    assert not (tmp_path / "index").exists()  # refused before opening (or building) an index
    probe = "import sys, bot.cli; bot.cli.build_parser(); print('telegram' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
