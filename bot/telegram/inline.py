"""Inline mode: one article result per passage (outlet, date and strongest label in the
description), paged with next_offset; a button opening the bot when the query is empty or finds
nothing."""

from __future__ import annotations

import logging
import time

from telegram import InlineQueryResultArticle, InlineQueryResultsButton, InputTextMessageContent, Update

from bot.telegram import keyboards as kb
from bot.telegram import render as rt
from bot.telegram.context import Context
from index.errors import InputError

log = logging.getLogger("verbatim.bot")
EMPTY_HINT = "Type a question, e.g. What did NATO confirm?"
NOTHING_HINT = "No passage answers that — how to ask"


def hint(text: str) -> InlineQueryResultsButton:
    return InlineQueryResultsButton(text=text, start_parameter="help")


async def inline(update: Update, context: Context) -> None:
    """Inline mode: one article result per passage, paged with next_offset."""
    query = update.inline_query
    data = context.bot_data
    text = query.query.strip()
    digits = query.offset.isascii() and query.offset.isdigit()  # "²".isdigit(), but int("²") fails
    offset = int(query.offset) if digits and int(query.offset) <= kb.MAX_OFFSET else 0
    if not text:
        await query.answer([], cache_time=5, is_personal=True, button=hint(EMPTY_HINT))
        return
    if not data.inline_flood.allow(query.from_user.id):
        await query.answer([], cache_time=5, is_personal=True)
        return
    k = data.settings.k
    started = time.perf_counter()
    try:
        answer = await data.engine.ask(text, k, offset=offset)
    except InputError:
        await query.answer([], cache_time=5, is_personal=True, button=hint(NOTHING_HINT))
        return
    log.info(
        "inline question chars=%d offset=%d results=%d latency_ms=%.0f",
        len(text),
        offset,
        len(answer.results),
        (time.perf_counter() - started) * 1000,
    )
    hits = answer.results if answer.answered else []
    results = [
        InlineQueryResultArticle(
            id=str(hit.chunk_id),
            title=rt.short(hit.title, 100),
            description=rt.inline_description(hit),
            input_message_content=InputTextMessageContent(rt.render_single(hit)),
            reply_markup=kb.open_keyboard(context.bot.username, hit.chunk_id),
        )
        for hit in hits
    ]
    next_offset = str(offset + len(hits)) if len(hits) >= k and offset + len(hits) <= kb.MAX_OFFSET else ""
    button = hint(NOTHING_HINT) if not hits and offset == 0 else None
    await query.answer(results, next_offset=next_offset, cache_time=30, button=button)
