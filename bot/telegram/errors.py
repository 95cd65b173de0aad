"""The allow-list gate (VERBATIM_ALLOWED_CHATS) and the one error handler."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from bot.telegram import render as rt
from bot.telegram.context import SORRY, Context, is_admin, say
from index.errors import VerbatimError

log = logging.getLogger("verbatim.bot")


async def gate(update: Update, context: Context) -> None:
    """With VERBATIM_ALLOWED_CHATS set, serve only those chats (and the maintainers)."""
    allowed = context.bot_data.settings.allowed_chat_ids()
    chat, user = update.effective_chat, update.effective_user
    if is_admin(update, context) or (chat and chat.id in allowed) or (chat is None and user and user.id in allowed):
        return
    if update.callback_query:
        await update.callback_query.answer("This bot is not available here.")
    elif update.inline_query:
        await update.inline_query.answer([], cache_time=60, is_personal=True)
    elif chat and chat.type == ChatType.PRIVATE and update.message:
        await say(update, context, "This bot is private; ask its maintainers for access.")
    raise ApplicationHandlerStop


async def on_error(update: object, context: Context) -> None:
    """Log every failure with its traceback and tell the user one sentence; the bot keeps running."""
    err = context.error
    if isinstance(err, VerbatimError):
        sentence = str(err)
        log.info("refused: %s", sentence)
    else:
        sentence = SORRY
        log.error("update failed: %r", update if not isinstance(update, Update) else update.update_id, exc_info=err)
    if not isinstance(update, Update):
        return
    try:
        if update.callback_query:
            await update.callback_query.answer(rt.short(sentence, 200))
        elif update.inline_query:
            await update.inline_query.answer([], cache_time=5, is_personal=True)
        elif update.effective_message and update.effective_chat:
            await say(update, context, sentence)
    except TelegramError as err2:  # e.g. the query was already answered
        log.warning("could not report the error: %s", err2)
