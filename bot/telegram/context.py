"""What every handler shares (`context.bot_data`) and how handlers reply."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from telegram import InlineKeyboardMarkup, Message, ReplyParameters, Update
from telegram.constants import ChatAction, ChatType
from telegram.error import BadRequest, TelegramError
from telegram.ext import CallbackContext, ExtBot

from bot.telegram import render as rt
from bot.telegram.engine import Engine
from bot.telegram.settings import BotSettings
from bot.telegram.state import ChatState, FloodGate

SORRY = "Sorry, something went wrong while handling that; please try again."
FLOOD = "You are asking faster than I can answer; please wait a few seconds and ask again."
ADMIN_ONLY = "Only the maintainers of this bot can add or remove articles; you can ask me questions."
STALE = "I no longer remember that question; please ask it again."


class BotData:
    """What every handler shares (context.bot_data); filled in once by build_application."""

    settings: BotSettings
    engine: Engine
    state: ChatState

    def __init__(self) -> None:
        self.check_lock = asyncio.Lock()
        self.flood = FloodGate(10, 30.0)
        self.inline_flood = FloodGate(30, 30.0)
        self.watcher: asyncio.Task | None = None


Context = CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]


def where(update: Update) -> tuple[int, int | None, int | None]:
    """(chat id, forum topic id, message to reply to) for responding to an update: in groups a
    reply to the member's message; under a button, a reply to the message the button is under."""
    if update.callback_query is not None:
        message = update.callback_query.message
        if message is None:  # a button under an inline-mode message: answer in private
            return update.callback_query.from_user.id, None, None
        thread = message.message_thread_id if isinstance(message, Message) and message.is_topic_message else None
        return message.chat.id, thread, message.message_id
    message = update.effective_message
    assert message is not None
    thread = message.message_thread_id if message.is_topic_message else None
    reply_to = message.message_id if message.chat.type != ChatType.PRIVATE else None
    return message.chat.id, thread, reply_to


def is_admin(update: Update, context: Context) -> bool:
    user = update.effective_user
    return user is not None and user.id in context.bot_data.settings.admin_ids()


def user_of(update: Update) -> tuple[int, str | None]:
    """(user id, first name) of whoever sent the update; the chat id when there is no user."""
    if update.effective_user is not None:
        return update.effective_user.id, update.effective_user.first_name
    return (update.effective_chat.id if update.effective_chat else 0), None


async def send(
    context: Context,
    chat_id: int,
    messages: list[str],
    *,
    keyboard: InlineKeyboardMarkup | None = None,
    thread: int | None = None,
    reply_to: int | None = None,
) -> list[int]:
    """Send HTML messages in order, the keyboard under the last; returns their message ids."""
    ids = []
    for i, text in enumerate(messages):
        sent = await context.bot.send_message(
            chat_id,
            text,
            message_thread_id=thread,
            reply_markup=keyboard if i == len(messages) - 1 else None,
            reply_parameters=ReplyParameters(reply_to, allow_sending_without_reply=True)
            if reply_to and i == 0
            else None,
        )
        ids.append(sent.message_id)
    return ids


async def say(update: Update, context: Context, text: str, keyboard: InlineKeyboardMarkup | None = None) -> list[int]:
    """One plain sentence (escaped here) in the update's chat."""
    chat_id, thread, reply_to = where(update)
    return await send(context, chat_id, [rt.esc(text)], keyboard=keyboard, thread=thread, reply_to=reply_to)


async def edit(update: Update, text: str | None, keyboard: InlineKeyboardMarkup | None) -> bool:
    """Edit the message a button is under: its text and keyboard, or only the keyboard (text None).
    False when Telegram refuses (too old, deleted): the caller then replies with a new message."""
    query = update.callback_query
    try:
        if text is None:
            await query.edit_message_reply_markup(reply_markup=keyboard)
        else:
            await query.edit_message_text(text, reply_markup=keyboard)
    except BadRequest as err:
        if "not modified" in str(err).lower():
            return True
        if "can't be edited" in str(err).lower() or "not found" in str(err).lower():
            return False
        raise
    return True


async def typing(context: Context, chat_id: int, thread: int | None) -> None:
    with contextlib.suppress(TelegramError):
        await context.bot.send_chat_action(chat_id, ChatAction.TYPING, message_thread_id=thread)
