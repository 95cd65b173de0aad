"""Following: Follow under a passage, /following with Stop buttons, and the change notices (each
with Open / Why / Stop). A follow belongs to the person who pressed Follow, in the chat where they
pressed it: in a group, notices name them and only they can stop it."""

from __future__ import annotations

import contextlib
import itertools
import logging

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.error import Forbidden, TelegramError
from telegram.ext import Application

from bot.labels import claim_label
from bot.telegram import keyboards as kb
from bot.telegram import render as rt
from bot.telegram import texts as tx
from bot.telegram.context import BotData, Context, edit, send, user_of, where
from bot.telegram.state import claim_fingerprint, followed_claims
from index.errors import NotFound

log = logging.getLogger("verbatim.bot")


async def follow(update: Update, context: Context, chunk_id: int) -> str | None:
    """Follow: tell this person, in this chat, when the passage's labels or evidence change."""
    hit = await context.bot_data.engine.passage(chunk_id)
    chat_id, _, _ = where(update)
    user_id, name = user_of(update)
    labels = {(s, e): claim_label(c) if c else "" for s, e, c in followed_claims(hit)}
    added = context.bot_data.state.subscribe(chat_id, user_id, hit, labels, user_name=name)
    if not added:
        return "You already follow this passage; /following lists what you follow."
    message = update.callback_query.message
    if message is not None and message.chat.type == ChatType.PRIVATE:  # spent: no Follow button
        markup = getattr(message, "reply_markup", None)  # None for an inaccessible (old) message
        if markup is not None:
            rows = [
                [b for b in row if b.callback_data != kb.callback("sub", chunk_id)] for row in markup.inline_keyboard
            ]
            await edit(update, None, InlineKeyboardMarkup([r for r in rows if r]) if any(rows) else None)
    return "Following. I will tell you here if its labels or evidence change; /following lists what you follow."


async def stop(update: Update, context: Context, chunk_id: int) -> str | None:
    """Stop: no more notices about this passage for the person who pressed it."""
    state = context.bot_data.state
    chat_id, _, _ = where(update)
    user_id, _ = user_of(update)
    if not state.stop(chat_id, user_id, chunk_id):
        return "You do not follow this passage."
    message = update.callback_query.message
    markup = getattr(message, "reply_markup", None)
    listing = markup is not None and any(b.text.startswith("Stop ") for row in markup.inline_keyboard for b in row)
    if listing:
        subs = state.following(chat_id, user_id)  # the /following list: shown again without it
        await edit(update, tx.following_text(subs, await passages(context, subs)), kb.following_keyboard(subs))
    else:
        await edit(update, None, None)
    return "Stopped: no more notices about this passage."


async def following(update: Update, context: Context) -> None:
    """/following: the passages you follow in this chat, each with Open and Stop."""
    chat_id, thread, reply_to = where(update)
    user_id, _ = user_of(update)
    subs = context.bot_data.state.following(chat_id, user_id)
    text = tx.following_text(subs, await passages(context, subs))
    await send(context, chat_id, [text], keyboard=kb.following_keyboard(subs), thread=thread, reply_to=reply_to)


async def passages(context: Context, subs) -> dict:
    """The followed passages still in the corpus, by chunk id (for their source lines)."""
    out = {}
    for sub in subs[:50]:
        with contextlib.suppress(NotFound):
            out[sub.chunk_id] = await context.bot_data.engine.passage(sub.chunk_id)
    return out


async def check_subscriptions(app: Application) -> int:
    """Tell followers whose claims changed since the generation last checked; returns messages sent."""
    data: BotData = app.bot_data
    state, engine = data.state, data.engine
    notices: list[tuple[int, int, str, object]] = []  # (chat, user, text, keyboard)
    async with data.check_lock:
        await engine.refresh()
        generation = engine.generation
        if generation == state.seen_generation():
            return 0
        dropped: list[int] = []
        for chunk_id, group in itertools.groupby(state.subscriptions(), key=lambda s: s.chunk_id):
            subs = list(group)
            try:
                hit = await engine.passage(chunk_id)
                claims = {(c.start, c.end): c for s, e, c in followed_claims(hit)}
            except NotFound:
                hit, claims = None, {}
            people = itertools.groupby(
                sorted(subs, key=lambda s: (s.chat_id, s.user_id, s.start)), key=lambda s: (s.chat_id, s.user_id)
            )
            for (chat_id, user_id), mine in people:
                mine = list(mine)
                who = tx.mention(user_id, mine[0].user_name) if chat_id != user_id else ""
                changes, gone = [], False
                for sub in mine:
                    claim = claims.get((sub.start, sub.end), "missing")
                    if claim == "missing":
                        gone = True
                        dropped.append(sub.id)
                        continue
                    fingerprint = claim_fingerprint(claim)
                    if fingerprint != sub.fingerprint:
                        label = claim_label(claim) if claim else ""
                        if claim is not None:
                            changes.append((claim, sub.label, label))
                        state.update_subscription(sub.id, fingerprint, label)
                if gone:
                    dropped += [s.id for s in mine]
                    notices.append((chat_id, user_id, tx.removed_notice(mine[0].title, who), None))
                elif changes and hit is not None:
                    notices.append(
                        (chat_id, user_id, tx.change_notice(hit, changes, who), kb.notice_keyboard(chunk_id))
                    )
        state.unsubscribe(dict.fromkeys(dropped))
        state.set_seen_generation(generation)
    sent = 0
    blocked: set[int] = set()
    for chat_id, _user, text, keyboard in notices:
        if chat_id in blocked:
            continue
        for part in rt.pack([text]):
            try:
                await app.bot.send_message(chat_id, part, reply_markup=keyboard)
                sent += 1
            except Forbidden:  # blocked the bot or left the group
                blocked.add(chat_id)
                state.unsubscribe([s.id for s in state.subscriptions() if s.chat_id == chat_id])
                break
            except TelegramError as err:
                log.warning("could not notify chat %s: %s", chat_id, err)
    return sent
