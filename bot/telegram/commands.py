"""/start, /help, /about, /sources, and polite answers to what the bot cannot read."""

from __future__ import annotations

from telegram import Update

from bot.telegram import keyboards as kb
from bot.telegram import texts as tx
from bot.telegram.buttons import show_passage
from bot.telegram.context import Context, is_admin, say, send, where


async def start(update: Update, context: Context) -> None:
    """/start, /start p<chunk id> (a deep link: one passage) or /start help (the inline hint)."""
    payload = context.args[0] if context.args else None
    chunk_id = kb.parse_start_payload(payload)
    if chunk_id is not None:
        await show_passage(update, context, chunk_id)
        return
    if payload == "help":
        await help_(update, context)
        return
    status = await context.bot_data.engine.status()
    chat_id, thread, reply_to = where(update)
    await send(context, chat_id, [tx.start_text(status.articles, status.outlets)], thread=thread, reply_to=reply_to)


async def help_(update: Update, context: Context) -> None:
    """/help: how to ask, the bot's real @username, and the legend in an expandable block."""
    text = tx.help_text(context.bot.username, admin=is_admin(update, context))
    chat_id, thread, reply_to = where(update)
    await send(context, chat_id, [text], thread=thread, reply_to=reply_to)


async def sources(update: Update, context: Context) -> None:
    """/sources: outlets and articles, paged with buttons."""
    rows = await context.bot_data.engine.sources()
    text, page, pages = tx.sources_page(rows, 0)
    chat_id, thread, reply_to = where(update)
    await send(context, chat_id, [text], keyboard=kb.sources_keyboard(page, pages), thread=thread, reply_to=reply_to)


async def about(update: Update, context: Context) -> None:
    """/about: corpus size and last update."""
    status = await context.bot_data.engine.status()
    chat_id, thread, reply_to = where(update)
    await send(context, chat_id, [tx.about_text(status)], thread=thread, reply_to=reply_to)


async def unknown_command(update: Update, context: Context) -> None:
    """A command the bot does not have."""
    await say(update, context, "I do not know that command; /help lists what I can do.")


async def no_text(update: Update, context: Context) -> None:
    """A private message with no text (sticker, photo, voice...)."""
    await say(update, context, "I can only answer questions written as text.")


async def edited(update: Update, context: Context) -> None:
    """An edited private message: answers go to new messages only."""
    await say(update, context, "I only read new messages; please send the corrected question again.")
