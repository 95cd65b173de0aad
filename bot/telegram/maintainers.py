"""Maintainers' changes: article files (.txt .md .html .jsonl), fact-check verdicts (.json), links,
/remove. Each runs in the background on the same retriever (questions go on), is reported in one
summary, and then the follows are checked."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from telegram import Update

from bot.telegram import render as rt
from bot.telegram import texts as tx
from bot.telegram.context import ADMIN_ONLY, Context, is_admin, say, send, where
from index.errors import VerbatimError
from index.load import HTML, JSONL, MARKDOWN, TEXT, Source, Upload
from index.retriever import Retriever

ARTICLE_SUFFIXES = TEXT | MARKDOWN | HTML | JSONL
VERDICT_SUFFIX = ".json"
URL_ONLY = re.compile(r"https?://\S+", re.I)


async def upload(update: Update, context: Context) -> None:
    """A document: a maintainer adds articles (.txt .md .html .jsonl) or verdicts (.json)."""
    if not is_admin(update, context):
        await say(update, context, ADMIN_ONLY)
        return
    doc = update.effective_message.document
    name = Path(doc.file_name or "upload").name
    suffix = Path(name).suffix.lower()
    if suffix not in ARTICLE_SUFFIXES | {VERDICT_SUFFIX}:
        await say(
            update,
            context,
            f"I can add .txt, .md, .html or .jsonl articles and .json fact-check verdicts; {name} is none of these.",
        )
        return
    limit = context.bot_data.settings.max_upload_bytes
    if doc.file_size is not None and doc.file_size > limit:
        await say(
            update,
            context,
            f"{name} is {rt.human_size(doc.file_size)}, more than the {rt.human_size(limit)} I accept; "
            "split it, or add it on the server with 'verbatim add'.",
        )
        return
    file = await context.bot.get_file(doc.file_id)
    data = bytes(await file.download_as_bytearray())
    if len(data) > limit:
        await say(update, context, f"{name} is larger than the {rt.human_size(limit)} I accept.")
        return
    await say(update, context, f"Received {name}; adding it in the background, I will report when it is done.")
    if suffix == VERDICT_SUFFIX:
        work: Callable[[Retriever], str] = lambda writer: rt.esc(add_verdicts(writer, data))  # noqa: E731
    else:
        work = adder(name, Upload(name, data))
    context.application.create_task(change(update, context, work), update=update)


async def add_link(update: Update, context: Context, url: str) -> None:
    """A link sent in private: a maintainer adds the web page."""
    if not is_admin(update, context):
        await say(update, context, ADMIN_ONLY)
        return
    await say(update, context, "Fetching that page; I will report when it is added.")
    context.application.create_task(change(update, context, adder(url, url)), update=update)


async def remove(update: Update, context: Context) -> None:
    """/remove ID ...: a maintainer removes articles."""
    if not is_admin(update, context):
        await say(update, context, ADMIN_ONLY)
        return
    ids = list(dict.fromkeys(context.args or []))
    if not ids:
        await say(update, context, "Write the article ids after the command: /remove ID ... (/sources lists them).")
        return

    def work(writer: Retriever) -> str:
        missing = writer.remove(ids)
        removed = len(ids) - len(missing)
        tail = f"; not in the index: {', '.join(missing)}" if missing else ""
        return rt.esc(f"Removed {removed} article{'s' * (removed != 1)}{tail}.")

    await change(update, context, work)


def add_verdicts(writer: Retriever, data: bytes) -> str:
    """Record an uploaded ClaimReview file; bad files become one sentence."""
    try:
        recorded = writer.add_verdicts(data, origin="the uploaded file")
    except VerbatimError as err:
        return str(err)
    claims = sum(matched for _, matched in recorded)
    return f"Recorded {len(recorded)} fact-check verdict(s), matched to {claims} claim(s)."


def adder(origin: str, source: Source) -> Callable[[Retriever], str]:
    """An add through the engine's one add path (the same as `verbatim add`), summarised."""

    def work(writer: Retriever) -> str:
        report = writer.add([source])
        return tx.add_summary(
            origin, len(report.added), len(report.replaced), len(report.unchanged), report.passages, report.rejected
        )

    return work


async def change(update: Update, context: Context, work: Callable[[Retriever], str]) -> None:
    """Run a maintainer's change, report it, then notify followers."""
    from bot.telegram.follows import check_subscriptions

    summary = await context.bot_data.engine.change(work)
    chat_id, thread, _ = where(update)
    await send(context, chat_id, [summary], thread=thread)
    await check_subscriptions(context.application)
