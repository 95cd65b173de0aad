"""Questions: in private, /ask in groups, mentions and replies; "more"; declining with next steps."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time

from telegram import Update
from telegram.constants import ChatType, MessageEntityType
from telegram.error import TelegramError

from bot.telegram import keyboards as kb
from bot.telegram import render as rt
from bot.telegram import texts as tx
from bot.telegram.context import FLOOD, Context, say, send, typing, where
from bot.telegram.maintainers import URL_ONLY, add_link
from index.models import Answer

log = logging.getLogger("verbatim.bot")
MORE_WORDS = {"more", "more results", "next", "/more"}


def keyboard_for(answer: Answer, shown: int, offset: int, k: int) -> tuple[object, int]:
    """(the answer's keyboard, the offset of its next page)."""
    hits = answer.results[:shown]
    next_offset = offset + len(hits)
    more = next_offset if len(answer.results) >= k or shown < len(answer.results) else None
    previous = max(0, offset - k) if offset > 0 else None
    return kb.answer_keyboard([h.chunk_id for h in hits], offset + 1, more, previous), next_offset


async def answer_question(
    update: Update,
    context: Context,
    question: str,
    *,
    offset: int = 0,
    scope: list[str] | None = None,
) -> None:
    """Answer a question (or the next page of one) in the update's chat and remember it."""
    data = context.bot_data
    chat_id, thread, reply_to = where(update)
    user_id = update.effective_user.id if update.effective_user else chat_id
    if not data.flood.allow(user_id):
        if data.flood.should_warn(user_id):
            await send(context, chat_id, [rt.esc(FLOOD)], thread=thread, reply_to=reply_to)
        return
    if offset > kb.MAX_OFFSET:
        await say(update, context, "That is as far as I page for one question; try asking it differently.")
        return
    k = data.settings.k
    typed = asyncio.create_task(typing(context, chat_id, thread))
    started = time.perf_counter()
    try:
        answer = await data.engine.ask(question, k, offset=offset, scope=scope)
    finally:
        await typed
    log.info(
        "question chat=%s chars=%d offset=%d results=%d latency_ms=%.0f",
        chat_id,
        len(question),
        offset,
        len(answer.results),
        (time.perf_counter() - started) * 1000,
    )
    if not answer.answered or not answer.results:
        await decline(update, context, answer, scope)
        return
    page = rt.answer_page(answer, heading=rt.WITHIN if scope and offset == 0 else None)
    keyboard, next_offset = keyboard_for(answer, len(page.shown), offset, k)
    previous = data.state.last_answer_id(chat_id)
    ids = await send(context, chat_id, page.messages, keyboard=keyboard, thread=thread, reply_to=reply_to)
    remember(context, chat_id, ids, answer.question, next_offset, page.shown, scope)
    if previous is not None and update.effective_chat and update.effective_chat.type == ChatType.PRIVATE:
        with contextlib.suppress(TelegramError):  # the previous answer's buttons are spent
            await context.bot.edit_message_reply_markup(chat_id, previous, reply_markup=None)


def remember(context: Context, chat_id: int, ids: list[int], question: str, next_offset: int, hits, scope) -> None:
    state = context.bot_data.state
    state.remember_answer(
        chat_id,
        ids,
        question=question,
        next_offset=next_offset,
        chunk_ids=[h.chunk_id for h in hits],
        doc_ids=list(dict.fromkeys(h.doc_id for h in hits)),
        scope=scope,
    )
    state.remember_last_answer(chat_id, ids[-1])
    state.remember_question(chat_id, question, next_offset, scope)


async def decline(update: Update, context: Context, answer: Answer, scope: list[str] | None) -> None:
    """The fixed sentence, and buttons for next steps: search within the last answer's articles
    (when there is one, and this question was not already limited to them), list the sources."""
    state = context.bot_data.state
    chat_id, thread, reply_to = where(update)
    if answer.answered:  # paged past the last passage
        await send(context, chat_id, [rt.esc(rt.NO_MORE)], thread=thread, reply_to=reply_to)
        return
    last = state.last_answer(chat_id)
    can_scope = last is not None and bool(last.doc_ids) and scope is None
    ids = await send(
        context,
        chat_id,
        [tx.decline_text(answer, can_scope)],
        keyboard=kb.decline_keyboard(can_scope),
        thread=thread,
        reply_to=reply_to,
    )
    state.remember_answer(
        chat_id,
        ids,
        question=answer.question,
        next_offset=0,
        chunk_ids=[],
        doc_ids=[],
        scope=last.doc_ids if can_scope and last else None,
    )
    state.remember_question(chat_id, answer.question, 0, scope)


def reply_scope(update: Update, context: Context) -> tuple[bool, list[str] | None]:
    """(is a reply to the bot, doc ids of the answer it replies to, if any)."""
    replied = update.effective_message.reply_to_message if update.effective_message else None
    if replied is None or replied.from_user is None or replied.from_user.id != context.bot.id:
        return False, None
    ctx = context.bot_data.state.answer_context(replied.chat.id, replied.message_id)
    return True, (ctx.doc_ids or None if ctx else None)


async def more(update: Update, context: Context) -> None:
    """/more (or "more"): the next passages for the chat's last question."""
    last = context.bot_data.state.last_question(update.effective_chat.id)
    if last is None:
        await say(update, context, "Ask a question first; then /more shows further passages.")
        return
    await answer_question(update, context, last.question, offset=last.next_offset, scope=last.scope)


async def ask(update: Update, context: Context) -> None:
    """/ask <question>, the way to ask in groups."""
    question = (update.effective_message.text or "").partition(" ")[2].strip()
    if not question:
        await say(update, context, "Write the question after the command, for example: /ask What did NATO confirm?")
        return
    _, scope = reply_scope(update, context)
    await answer_question(update, context, question, scope=scope)


async def private_text(update: Update, context: Context) -> None:
    """A private message: a question, "more", a reply within an answer, or a maintainer's link."""
    text = (update.effective_message.text or "").strip()
    if text.lower() in MORE_WORDS:
        await more(update, context)
        return
    if URL_ONLY.fullmatch(text):
        await add_link(update, context, text)
        return
    _, scope = reply_scope(update, context)
    await answer_question(update, context, text, scope=scope)


async def group_text(update: Update, context: Context) -> None:
    """In groups, answer mentions of the bot and replies to it; stay silent otherwise."""
    message = update.effective_message
    text = message.text or ""
    name = context.bot.username or ""
    mentioned = bool(name) and any(
        t.lower() == f"@{name}".lower() for t in message.parse_entities([MessageEntityType.MENTION]).values()
    )
    replied, scope = reply_scope(update, context)
    if not (mentioned or replied):
        return
    question = re.sub(rf"@{re.escape(name)}\b", " ", text, flags=re.I).strip() if name else text.strip()
    if not question:
        await say(update, context, f"Ask me a question after the mention, for example: @{name} What did NATO confirm?")
        return
    if question.lower() in MORE_WORDS:
        await more(update, context)
        return
    await answer_question(update, context, question, scope=scope)
