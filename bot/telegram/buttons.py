"""The answer's navigation, in place: a passage number swaps the keyboard for that passage's
actions (Context · Why these labels? · Follow · ◀ Back); More and ◀ page the same message; Context
and Why reply to the answer; Earlier / Later step the context message in place."""

from __future__ import annotations

from telegram import Update

from bot.telegram import keyboards as kb
from bot.telegram import render as rt
from bot.telegram import texts as tx
from bot.telegram.context import STALE, Context, edit, send, user_of, where
from bot.telegram.questions import answer_question, keyboard_for, remember
from index.errors import VerbatimError

INVALID = "That button is no longer valid; please ask your question again."


def answered(callback):
    """Run a button's action and always answer the query: its note (a toast) or nothing."""

    async def handler(update: Update, context: Context) -> None:
        query = update.callback_query
        parsed = kb.parse_callback(query.data)
        if parsed is None:  # the pattern matched, the value did not (a page beyond the last)
            await query.answer(INVALID)
            return
        try:
            note = await callback(update, context, parsed[1])
        except VerbatimError as err:
            note = str(err)
        await query.answer(rt.short(note, 200) if note else None)

    handler.__doc__ = callback.__doc__
    handler.__name__ = callback.__name__
    return handler


async def invalid(update: Update, context: Context) -> None:
    """Any callback data we did not make (tampered, or from an older version of the bot)."""
    await update.callback_query.answer(INVALID)


def _context_of(update: Update, context: Context):
    message = update.callback_query.message
    return context.bot_data.state.answer_context(message.chat.id, message.message_id) if message else None


def numbers(ctx, k: int, *, more: bool):
    """The passage numbers of a remembered answer page (and ◀ / More ▸ around them)."""
    offset = ctx.next_offset - len(ctx.chunk_ids)
    more_at = ctx.next_offset if more and len(ctx.chunk_ids) >= k else None
    return kb.answer_keyboard(ctx.chunk_ids, offset + 1, more_at, max(0, offset - k) if offset else None)


async def pick(update: Update, context: Context, chunk_id: int) -> str | None:
    """A passage number: the keyboard becomes that passage's actions."""
    ctx = _context_of(update, context)
    if ctx is None or chunk_id not in ctx.chunk_ids:
        return STALE
    hit = await context.bot_data.engine.passage(chunk_id)
    number = ctx.next_offset - len(ctx.chunk_ids) + ctx.chunk_ids.index(chunk_id) + 1
    chat_id, _, _ = where(update)
    user_id, _ = user_of(update)
    private = update.callback_query.message.chat.type == "private"
    follow = not (private and context.bot_data.state.follows(chat_id, user_id, chunk_id))
    await edit(update, None, kb.passage_actions(hit, number, follow=follow))
    return None


async def back(update: Update, context: Context, _: int) -> str | None:
    """◀ Back: the passage numbers again."""
    ctx = _context_of(update, context)
    if ctx is None or not ctx.chunk_ids:
        return STALE
    k = context.bot_data.settings.k
    await edit(update, None, numbers(ctx, k, more=True))
    return None


async def more(update: Update, context: Context, offset: int) -> str | None:
    """More ▸ / ◀: the answer's message shows that page instead (or, if it cannot be edited, a
    new message replies to it)."""
    ctx = _context_of(update, context)
    if ctx is None or not ctx.question:
        return STALE
    data = context.bot_data
    k = data.settings.k
    answer = await data.engine.ask(ctx.question, k, offset=offset, scope=ctx.scope)
    if not answer.answered or not answer.results:
        await edit(update, None, numbers(ctx, k, more=False))
        return rt.NO_MORE
    heading = rt.WITHIN if ctx.scope else None
    page = rt.answer_page(answer, heading=heading)
    keyboard, next_offset = keyboard_for(answer, len(page.shown), offset, k)
    chat_id, thread, reply_to = where(update)
    message_id = update.callback_query.message.message_id
    if len(page.messages) == 1 and await edit(update, page.messages[0], keyboard):
        ids = [message_id]
    else:
        ids = await send(context, chat_id, page.messages, keyboard=keyboard, thread=thread, reply_to=reply_to)
    remember(context, chat_id, ids, ctx.question, next_offset, page.shown, ctx.scope)
    return None


async def show_context(update: Update, context: Context, chunk_id: int) -> str | None:
    """Context: the passage between its neighbours, as a reply to the answer; stepping Earlier or
    Later edits that reply in place."""
    data = context.bot_data
    before, hit, after = await data.engine.passage_in_context(chunk_id)
    if before is None and after is None:
        return "This passage is the whole article."
    messages = rt.render_context(before, hit, after)
    keyboard = kb.context_keyboard(hit, before, after)
    chat_id, thread, reply_to = where(update)
    message = update.callback_query.message
    ctx = _context_of(update, context)
    stepping = ctx is not None and ctx.question == "" and ctx.scope == [hit.doc_id] and len(ctx.chunk_ids) == 1
    if stepping and len(messages) == 1 and await edit(update, messages[0], keyboard):
        ids = [message.message_id]
    else:
        ids = await send(context, chat_id, messages, keyboard=keyboard, thread=thread, reply_to=reply_to)
    data.state.remember_answer(
        chat_id, ids, question="", next_offset=0, chunk_ids=[hit.chunk_id], doc_ids=[hit.doc_id], scope=[hit.doc_id]
    )
    return None


async def why(update: Update, context: Context, chunk_id: int) -> str | None:
    """Why these labels?: every claim of the passage, its label, cue, speaker, evidence, verdict."""
    hit = await context.bot_data.engine.passage(chunk_id)
    chat_id, thread, reply_to = where(update)
    user_id, _ = user_of(update)
    following = context.bot_data.state.follows(chat_id, user_id, chunk_id)
    await send(
        context,
        chat_id,
        rt.why_messages(hit),
        keyboard=kb.why_keyboard(hit, following),
        thread=thread,
        reply_to=reply_to,
    )
    return None


async def open_passage(update: Update, context: Context, chunk_id: int) -> str | None:
    """Open (under notices and /following): the passage on its own."""
    await show_passage(update, context, chunk_id)
    return None


async def show_passage(update: Update, context: Context, chunk_id: int) -> None:
    """One passage with Context, Why these labels? and Follow (deep links, Open)."""
    data = context.bot_data
    hit = await data.engine.passage(chunk_id)
    chat_id, thread, reply_to = where(update)
    ids = await send(
        context, chat_id, rt.render_passage(hit), keyboard=kb.single_keyboard(hit), thread=thread, reply_to=reply_to
    )
    data.state.remember_answer(
        chat_id, ids, question="", next_offset=0, chunk_ids=[hit.chunk_id], doc_ids=[hit.doc_id], scope=[hit.doc_id]
    )


async def sources_page(update: Update, context: Context, page: int) -> str | None:
    """◀ Previous / Next ▶ under /sources: the same message shows that page."""
    rows = await context.bot_data.engine.sources()
    text, page, pages = tx.sources_page(rows, page)
    await edit(update, text, kb.sources_keyboard(page, pages))
    return None


async def list_sources(update: Update, context: Context, _: int) -> str | None:
    """List the sources (after a declined question): the first page, as a reply."""
    rows = await context.bot_data.engine.sources()
    text, page, pages = tx.sources_page(rows, 0)
    chat_id, thread, reply_to = where(update)
    await send(context, chat_id, [text], keyboard=kb.sources_keyboard(page, pages), thread=thread, reply_to=reply_to)
    return None


async def within(update: Update, context: Context, _: int) -> str | None:
    """Search my last answer's articles (after a declined question): the declined question again,
    limited to the articles of the chat's last answer; the decline message's button is spent."""
    ctx = _context_of(update, context)
    if ctx is None or not ctx.question or not ctx.scope:
        return STALE
    await edit(update, None, kb.decline_keyboard(False))
    await answer_question(update, context, ctx.question, scope=ctx.scope)
    return None
