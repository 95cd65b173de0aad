"""The Telegram front end: thin async handlers registered in one place, run by polling or webhook.

Handlers read the update, call the retriever in a worker thread (the model is CPU-bound) and
hand the answer to `bot.render_telegram`. What must survive a restart (last question per chat,
what each answer message was about, subscriptions) lives in `bot.chat_state`; buttons carry
compact, versioned callback data ("v1|ctx|42") that is validated on every press, so buttons
on old messages keep working after a restart.

Maintainers' adds run in a background task on the same `Retriever`: it encodes outside its
reader lock, so the bot keeps answering, and the new articles show from the commit on. Adds by
other processes are seen too (the retriever replays the store's change log). After every change,
and every `watch_interval` seconds, the subscriptions are checked against the index generation.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import re
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from telegram import (
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatAction, ChatType, MessageEntityType, ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    BaseUpdateProcessor,
    CallbackContext,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    ExtBot,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot import render_telegram as rt
from bot.chat_state import ChatState, FloodGate, claim_fingerprint, followed_claims
from index.errors import InputError, NotFound, VerbatimError
from index.load import HTML, JSONL, MARKDOWN, TEXT, Loaded, fetch_url, load_text
from index.retriever import Retriever
from index.settings import Settings

log = logging.getLogger("verbatim.bot")

ARTICLE_SUFFIXES = TEXT | MARKDOWN | HTML | JSONL
VERDICT_SUFFIX = ".json"
URL_ONLY = re.compile(r"https?://\S+", re.I)
MORE_WORDS = {"more", "more results", "next", "/more"}
SORRY = "Sorry, something went wrong while handling that; please try again."
FLOOD = "You are asking faster than I can answer; please wait a few seconds and ask again."
ADMIN_ONLY = "Only the maintainers of this bot can add or remove articles; you can ask me questions."
STALE = "I no longer remember that question; please ask it again."


class BotData:
    """What every handler shares (context.bot_data); filled in once by build_application."""

    settings: Settings
    retriever: Retriever
    state: ChatState

    def __init__(self) -> None:
        self.write_lock = asyncio.Lock()
        self.check_lock = asyncio.Lock()
        self.flood = FloodGate(10, 30.0)
        self.inline_flood = FloodGate(30, 30.0)
        self.watcher: asyncio.Task | None = None


Context = CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Updates of one chat run one at a time, in order ("more" after its question, a button after
    the answer was remembered); different chats run concurrently."""

    def __init__(self, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}  # chat -> (lock, updates holding or waiting)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _chat_key(update)
        if key is None:
            await coroutine
            return
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                await coroutine
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


def _chat_key(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    return update.effective_user.id if update.effective_user else None


# ---- building and running -------------------------------------------------------------------------
def quiet_http_logs() -> None:
    """httpx logs every request URL at INFO, and Bot API URLs contain the token; the Bot logs its
    URLs (with the token) and every call's parameters (users' messages) at DEBUG."""
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in ("telegram.Bot", "telegram.ext.ExtBot"):
        logging.getLogger(name).setLevel(logging.INFO)


def _token(settings: Settings) -> str:
    token = settings.telegram_bot_token.get_secret_value().strip() if settings.telegram_bot_token else ""
    if not token:
        raise InputError("Set TELEGRAM_BOT_TOKEN (the token from @BotFather) to run the bot.")
    return token


def build_application(settings: Settings, retriever: Retriever) -> Application:
    """The bot: every handler registered here, state in `bot.sqlite` in the index folder."""
    quiet_http_logs()
    app = (
        ApplicationBuilder()
        .token(_token(settings))
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_api_base_file_url)
        .context_types(ContextTypes(bot_data=BotData))
        .defaults(
            Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True))
        )
        .rate_limiter(AIORateLimiter(max_retries=2))
        .concurrent_updates(PerChatUpdateProcessor())
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .build()
    )
    data: BotData = app.bot_data
    data.settings, data.retriever = settings, retriever
    data.state = ChatState.open(retriever.folder)
    data.flood = FloodGate(settings.flood_limit, settings.flood_window)
    data.inline_flood = FloodGate(3 * settings.flood_limit, settings.flood_window)

    new, private, groups = filters.UpdateType.MESSAGE, filters.ChatType.PRIVATE, filters.ChatType.GROUPS
    if settings.allowed_chat_ids():
        app.add_handler(TypeHandler(Update, gate), group=-1)
    for name, callback in [
        ("start", start),
        ("help", help_),
        ("sources", sources),
        ("about", about),
        ("more", more),
        ("ask", ask),
        ("remove", remove),
    ]:
        app.add_handler(CommandHandler(name, callback, filters=new))
    app.add_handler(MessageHandler(new & private & filters.Document.ALL, upload))
    app.add_handler(MessageHandler(new & private & filters.TEXT & ~filters.COMMAND, private_text))
    app.add_handler(MessageHandler(new & groups & filters.TEXT & ~filters.COMMAND, group_text))
    app.add_handler(MessageHandler(new & private & filters.COMMAND, unknown_command))
    app.add_handler(MessageHandler(new & private, no_text))
    app.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE & private, edited))
    app.add_handler(CallbackQueryHandler(button))
    app.add_handler(InlineQueryHandler(inline))
    app.add_error_handler(on_error)
    return app


def run(settings: Settings, *, webhook: bool = False) -> None:
    """Open the index and serve until interrupted: long polling, or a webhook server."""
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    quiet_http_logs()
    _token(settings)
    if webhook and not settings.webhook_url:
        raise InputError(
            "Set VERBATIM_WEBHOOK_URL (the public https URL Telegram posts to) to use --webhook."
        )
    app = build_application(settings, Retriever.open(settings))
    if webhook:
        secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
        app.run_webhook(
            listen=settings.webhook_listen,
            port=settings.webhook_port,
            url_path=urlsplit(settings.webhook_url or "").path.lstrip("/"),
            webhook_url=settings.webhook_url,
            secret_token=secret,
            allowed_updates=Update.ALL_TYPES,
        )
    else:
        app.run_polling(allowed_updates=Update.ALL_TYPES)


async def _post_init(app: Application) -> None:
    data: BotData = app.bot_data
    scopes = [(None, rt.COMMANDS)] + [
        (a, rt.COMMANDS + rt.ADMIN_COMMANDS) for a in sorted(data.settings.admin_ids())
    ]
    for admin, commands in scopes:
        try:
            await app.bot.set_my_commands(
                [BotCommand(n, d) for n, d in commands], scope=BotCommandScopeChat(admin) if admin else None
            )
        except TelegramError as err:  # cosmetic; e.g. a maintainer who has not started the bot yet
            log.info("commands not set for %s: %s", admin or "everyone", err)
    await asyncio.to_thread(data.retriever.refresh)
    if data.state.seen_generation() is None:
        data.state.set_seen_generation(data.retriever.generation)
    data.state.prune()
    data.watcher = asyncio.create_task(_watch(app), name="verbatim-watch")
    log.info("bot @%s ready on index generation %d", app.bot.username, data.retriever.generation)


async def _post_shutdown(app: Application) -> None:
    data: BotData = app.bot_data
    if data.watcher is not None:
        data.watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await data.watcher
    data.state.close()


async def _watch(app: Application) -> None:
    """Check subscriptions now (changes made while the bot was down) and then periodically."""
    data: BotData = app.bot_data
    while True:
        try:
            await check_subscriptions(app)
        except Exception:
            log.exception("checking subscriptions failed")
        await asyncio.sleep(data.settings.watch_interval)


# ---- helpers ----------------------------------------------------------------------------------------
def _where(update: Update) -> tuple[int, int | None, int | None]:
    """(chat id, forum topic id, message to reply to) for sending the response to an update."""
    if update.callback_query is not None:
        message = update.callback_query.message
        if message is None:  # a button under an inline-mode message: answer in private
            return update.callback_query.from_user.id, None, None
        thread = (
            message.message_thread_id if isinstance(message, Message) and message.is_topic_message else None
        )
        return message.chat.id, thread, None
    message = update.effective_message
    assert message is not None
    thread = message.message_thread_id if message.is_topic_message else None
    reply_to = message.message_id if message.chat.type != ChatType.PRIVATE else None
    return message.chat.id, thread, reply_to


def _is_admin(update: Update, context: Context) -> bool:
    user = update.effective_user
    return user is not None and user.id in context.bot_data.settings.admin_ids()


async def _say(update: Update, context: Context, text: str) -> None:
    """One plain sentence (escaped here) in the update's chat."""
    chat_id, thread, reply_to = _where(update)
    await _send(context, chat_id, [rt.esc(text)], thread=thread, reply_to=reply_to)


async def _send(
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


async def _typing(context: Context, chat_id: int, thread: int | None) -> None:
    with contextlib.suppress(TelegramError):
        await context.bot.send_chat_action(chat_id, ChatAction.TYPING, message_thread_id=thread)


async def _ask(
    update: Update,
    context: Context,
    question: str,
    *,
    offset: int = 0,
    scope: list[str] | None = None,
) -> None:
    """Answer a question (or the next page of one) in the update's chat and remember it."""
    data = context.bot_data
    chat_id, thread, reply_to = _where(update)
    user_id = update.effective_user.id if update.effective_user else chat_id
    if not data.flood.allow(user_id):
        if data.flood.should_warn(user_id):
            await _send(context, chat_id, [rt.esc(FLOOD)], thread=thread, reply_to=reply_to)
        return
    if offset > rt.MAX_OFFSET:
        await _say(update, context, "That is as far as I page for one question; try asking it differently.")
        return
    k = data.settings.k
    typing = asyncio.create_task(_typing(context, chat_id, thread))
    started = time.perf_counter()
    try:
        answer = await asyncio.to_thread(data.retriever.ask, question, k, offset=offset, doc_ids=scope)
    finally:
        await typing
    log.info(
        "question chat=%s chars=%d offset=%d results=%d latency_ms=%.0f",
        chat_id,
        len(question),
        offset,
        len(answer.results),
        (time.perf_counter() - started) * 1000,
    )
    next_offset = offset + len(answer.results)
    keyboard = None
    if answer.answered and answer.results:
        keyboard = rt.answer_keyboard(answer.results, next_offset if len(answer.results) >= k else None)
    heading = "<i>Within the articles of that answer:</i>" if scope and offset == 0 else None
    ids = await _send(
        context,
        chat_id,
        rt.render_answer(answer, heading=heading),
        keyboard=keyboard,
        thread=thread,
        reply_to=reply_to,
    )
    if answer.answered and answer.results:
        data.state.remember_answer(
            chat_id,
            ids,
            question=answer.question,
            next_offset=next_offset,
            chunk_ids=[h.chunk_id for h in answer.results],
            doc_ids=list(dict.fromkeys(h.doc_id for h in answer.results)),
            scope=scope,
        )
    data.state.remember_question(chat_id, answer.question, next_offset, scope)


def _reply_scope(update: Update, context: Context) -> tuple[bool, list[str] | None]:
    """(is a reply to the bot, doc ids of the answer it replies to, if any)."""
    replied = update.effective_message.reply_to_message if update.effective_message else None
    if replied is None or replied.from_user is None or replied.from_user.id != context.bot.id:
        return False, None
    ctx = context.bot_data.state.answer_context(replied.chat.id, replied.message_id)
    return True, (ctx.doc_ids if ctx else None)


async def _show_passage(update: Update, context: Context, chunk_id: int) -> None:
    """One passage with Previous/Next, Why? and follow buttons (deep links and stepping)."""
    data = context.bot_data
    hit = await asyncio.to_thread(data.retriever.passage, chunk_id)
    before, after = await asyncio.to_thread(data.retriever.neighbours, chunk_id)
    chat_id, thread, _ = _where(update)
    ids = await _send(
        context,
        chat_id,
        rt.render_passages([("", hit)]),
        keyboard=rt.passage_keyboard(hit, before, after),
        thread=thread,
    )
    data.state.remember_answer(
        chat_id,
        ids,
        question="",
        next_offset=0,
        chunk_ids=[hit.chunk_id],
        doc_ids=[hit.doc_id],
        scope=[hit.doc_id],
    )


# ---- commands ----------------------------------------------------------------------------------------
async def start(update: Update, context: Context) -> None:
    """/start, or /start p<chunk id> (a deep link) to open one passage."""
    chunk_id = rt.parse_start_payload(context.args[0] if context.args else None)
    if chunk_id is not None:
        await _show_passage(update, context, chunk_id)
        return
    status = await asyncio.to_thread(context.bot_data.retriever.status)
    chat_id, thread, reply_to = _where(update)
    await _send(
        context, chat_id, [rt.start_text(status.articles, status.outlets)], thread=thread, reply_to=reply_to
    )


async def help_(update: Update, context: Context) -> None:
    """/help: commands and the legend of every label."""
    text = rt.help_text() + ("\n\n" + rt.maintainer_help() if _is_admin(update, context) else "")
    chat_id, thread, reply_to = _where(update)
    await _send(context, chat_id, [text], thread=thread, reply_to=reply_to)


async def sources(update: Update, context: Context) -> None:
    """/sources: outlets and articles, paged with buttons."""
    rows = await asyncio.to_thread(context.bot_data.retriever.sources)
    text, page, pages = rt.sources_page(rows, 0)
    chat_id, thread, reply_to = _where(update)
    await _send(
        context, chat_id, [text], keyboard=rt.sources_keyboard(page, pages), thread=thread, reply_to=reply_to
    )


async def about(update: Update, context: Context) -> None:
    """/about: corpus size and last update."""
    status = await asyncio.to_thread(context.bot_data.retriever.status)
    chat_id, thread, reply_to = _where(update)
    await _send(context, chat_id, [rt.about_text(status)], thread=thread, reply_to=reply_to)


async def more(update: Update, context: Context) -> None:
    """/more (or "more"): the next passages for the chat's last question."""
    last = context.bot_data.state.last_question(update.effective_chat.id)
    if last is None:
        await _say(update, context, "Ask a question first; then /more shows further passages.")
        return
    await _ask(update, context, last.question, offset=last.next_offset, scope=last.scope)


async def ask(update: Update, context: Context) -> None:
    """/ask <question>, the way to ask in groups."""
    question = (update.effective_message.text or "").partition(" ")[2].strip()
    if not question:
        await _say(
            update, context, "Write the question after the command, for example: /ask What did NATO confirm?"
        )
        return
    _, scope = _reply_scope(update, context)
    await _ask(update, context, question, scope=scope)


async def remove(update: Update, context: Context) -> None:
    """/remove ID ...: a maintainer removes articles."""
    if not _is_admin(update, context):
        await _say(update, context, ADMIN_ONLY)
        return
    ids = list(dict.fromkeys(context.args or []))
    if not ids:
        await _say(
            update, context, "Write the article ids after the command: /remove ID ... (/sources lists them)."
        )
        return

    def work(writer: Retriever) -> str:
        missing = writer.remove(ids)
        removed = len(ids) - len(missing)
        tail = f"; not in the index: {', '.join(missing)}" if missing else ""
        return rt.esc(f"Removed {removed} article{'s' * (removed != 1)}{tail}.")

    await _change(update, context, work)


# ---- messages ------------------------------------------------------------------------------------------
async def private_text(update: Update, context: Context) -> None:
    """A private message: a question, "more", a reply within an answer, or a maintainer's link."""
    text = (update.effective_message.text or "").strip()
    if text.lower() in MORE_WORDS:
        await more(update, context)
        return
    if URL_ONLY.fullmatch(text):
        if not _is_admin(update, context):
            await _say(update, context, ADMIN_ONLY)
            return
        await _say(update, context, "Fetching that page; I will report when it is added.")
        context.application.create_task(
            _change(update, context, _adder(text, lambda: fetch_url(text))), update=update
        )
        return
    _, scope = _reply_scope(update, context)
    await _ask(update, context, text, scope=scope)


async def group_text(update: Update, context: Context) -> None:
    """In groups, answer mentions of the bot and replies to it; stay silent otherwise."""
    message = update.effective_message
    text = message.text or ""
    name = context.bot.username or ""
    mentioned = bool(name) and any(
        t.lower() == f"@{name}".lower() for t in message.parse_entities([MessageEntityType.MENTION]).values()
    )
    replied, scope = _reply_scope(update, context)
    if not (mentioned or replied):
        return
    question = re.sub(rf"@{re.escape(name)}\b", " ", text, flags=re.I).strip() if name else text.strip()
    if not question:
        await _say(
            update,
            context,
            f"Ask me a question after the mention, for example: @{name} What did NATO confirm?",
        )
        return
    if question.lower() in MORE_WORDS:
        await more(update, context)
        return
    await _ask(update, context, question, scope=scope)


async def unknown_command(update: Update, context: Context) -> None:
    """A command the bot does not have."""
    await _say(update, context, "I do not know that command; /help lists what I can do.")


async def no_text(update: Update, context: Context) -> None:
    """A private message with no text (sticker, photo, voice...)."""
    await _say(update, context, "I can only answer questions written as text.")


async def edited(update: Update, context: Context) -> None:
    """An edited private message: answers go to new messages only."""
    await _say(update, context, "I only read new messages; please send the corrected question again.")


async def upload(update: Update, context: Context) -> None:
    """A document: a maintainer adds articles (.txt .md .html .jsonl) or verdicts (.json)."""
    if not _is_admin(update, context):
        await _say(update, context, ADMIN_ONLY)
        return
    doc = update.effective_message.document
    name = Path(doc.file_name or "upload").name
    suffix = Path(name).suffix.lower()
    if suffix not in ARTICLE_SUFFIXES | {VERDICT_SUFFIX}:
        await _say(
            update,
            context,
            f"I can add .txt, .md, .html or .jsonl articles and .json fact-check "
            f"verdicts; {name} is none of these.",
        )
        return
    limit = context.bot_data.settings.max_upload_bytes
    if doc.file_size is not None and doc.file_size > limit:
        await _say(
            update,
            context,
            f"{name} is {rt.human_size(doc.file_size)}, more than the "
            f"{rt.human_size(limit)} I accept; split it, or add it on the server with "
            "'verbatim add'.",
        )
        return
    file = await context.bot.get_file(doc.file_id)
    data = bytes(await file.download_as_bytearray())
    if len(data) > limit:
        await _say(update, context, f"{name} is larger than the {rt.human_size(limit)} I accept.")
        return
    await _say(
        update, context, f"Received {name}; adding it in the background, I will report when it is done."
    )
    if suffix == VERDICT_SUFFIX:
        work: Callable[[Retriever], str] = lambda writer: rt.esc(_add_verdicts(writer, data))  # noqa: E731
    else:
        work = _adder(name, lambda: load_text(name, data))
    context.application.create_task(_change(update, context, work), update=update)


def _add_verdicts(writer: Retriever, data: bytes) -> str:
    """Record an uploaded ClaimReview file; bad files become one sentence."""
    try:
        recorded = writer.add_verdicts(data, origin="the uploaded file")
    except VerbatimError as err:
        return str(err)
    claims = sum(matched for _, matched in recorded)
    return f"Recorded {len(recorded)} fact-check verdict(s), matched to {claims} claim(s)."


def _adder(origin: str, load: Callable[[], Loaded]) -> Callable[[Retriever], str]:
    def work(writer: Retriever) -> str:
        loaded = load()
        report = writer.add_articles(loaded.articles)
        rejected = [(r.origin, r.reason) for r in loaded.rejections] + report.rejected
        return rt.add_summary(
            origin, len(report.added), len(report.replaced), len(report.unchanged), report.passages, rejected
        )

    return work


async def _change(update: Update, context: Context, work: Callable[[Retriever], str]) -> None:
    """Run a maintainer's change in the background, report it, then notify subscribers."""
    data = context.bot_data
    async with data.write_lock:
        summary = await asyncio.to_thread(work, data.retriever)
    chat_id, thread, _ = _where(update)
    await _send(context, chat_id, [summary], thread=thread)
    await check_subscriptions(context.application)


# ---- buttons --------------------------------------------------------------------------------------------
async def button(update: Update, context: Context) -> None:
    """Every button press: validate the callback data, act, and always answer the query."""
    query = update.callback_query
    parsed = rt.parse_callback(query.data)
    if parsed is None:
        await query.answer("That button is no longer valid; please ask your question again.")
        return
    action, arg = parsed
    try:
        note = await _BUTTONS[action](update, context, arg)
    except VerbatimError as err:
        note = str(err)
    await query.answer(note)


async def _more_button(update: Update, context: Context, offset: int) -> str | None:
    message = update.callback_query.message
    ctx = context.bot_data.state.answer_context(message.chat.id, message.message_id) if message else None
    if ctx is None or not ctx.question:
        return STALE
    await _ask(update, context, ctx.question, offset=offset, scope=ctx.scope)
    return None


async def _context_button(update: Update, context: Context, chunk_id: int) -> str | None:
    data = context.bot_data
    before, after = await asyncio.to_thread(data.retriever.neighbours, chunk_id)
    if before is None and after is None:
        return "This passage is the whole article."
    shown = [("Before", before)] * (before is not None) + [("After", after)] * (after is not None)
    chat_id, thread, _ = _where(update)
    ids = await _send(
        context,
        chat_id,
        rt.render_passages(shown),
        keyboard=rt.context_keyboard(before, after),
        thread=thread,
    )
    doc_id = (before or after).doc_id  # type: ignore[union-attr]
    data.state.remember_answer(
        chat_id,
        ids,
        question="",
        next_offset=0,
        chunk_ids=[h.chunk_id for _, h in shown],
        doc_ids=[doc_id],
        scope=[doc_id],
    )
    return None


async def _why_button(update: Update, context: Context, chunk_id: int) -> str | None:
    hit = await asyncio.to_thread(context.bot_data.retriever.passage, chunk_id)
    chat_id, thread, _ = _where(update)
    await _send(context, chat_id, rt.why_messages(hit), keyboard=rt.why_keyboard(hit), thread=thread)
    return None


async def _follow_button(update: Update, context: Context, chunk_id: int) -> str | None:
    hit = await asyncio.to_thread(context.bot_data.retriever.passage, chunk_id)
    chat_id, _, _ = _where(update)
    labels = {(s, e): rt.claim_label(c) if c else "" for s, e, c in followed_claims(hit)}
    added = context.bot_data.state.subscribe(chat_id, update.callback_query.from_user.id, hit, labels)
    if not added:
        return "You already follow this passage."
    return "Done: I will tell you here if the labels or evidence of this passage's claims change."


async def _sources_button(update: Update, context: Context, page: int) -> str | None:
    rows = await asyncio.to_thread(context.bot_data.retriever.sources)
    text, page, pages = rt.sources_page(rows, page)
    try:
        await update.callback_query.edit_message_text(text, reply_markup=rt.sources_keyboard(page, pages))
    except BadRequest as err:
        if "not modified" not in str(err).lower():
            raise
    return None


async def _passage_button(update: Update, context: Context, chunk_id: int) -> str | None:
    await _show_passage(update, context, chunk_id)
    return None


_BUTTONS = {
    "more": _more_button,
    "ctx": _context_button,
    "why": _why_button,
    "sub": _follow_button,
    "src": _sources_button,
    "psg": _passage_button,
}


# ---- inline mode -------------------------------------------------------------------------------------------
async def inline(update: Update, context: Context) -> None:
    """Inline mode: one article result per passage, paged with next_offset."""
    query = update.inline_query
    data = context.bot_data
    text = query.query.strip()
    digits = query.offset.isascii() and query.offset.isdigit()  # "²".isdigit(), but int("²") fails
    offset = int(query.offset) if digits and int(query.offset) <= rt.MAX_OFFSET else 0
    if not text or not data.inline_flood.allow(query.from_user.id):
        await query.answer([], cache_time=5, is_personal=True)
        return
    k = data.settings.k
    started = time.perf_counter()
    try:
        answer = await asyncio.to_thread(data.retriever.ask, text, k, offset=offset)
    except InputError:
        await query.answer([], cache_time=5, is_personal=True)
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
            title=rt.short(f"{hit.source or 'outlet unknown'}: {hit.title}", 100),
            description=rt.short(hit.passage, 200),
            input_message_content=InputTextMessageContent(rt.render_single(hit)),
            reply_markup=rt.open_keyboard(context.bot.username, hit.chunk_id),
        )
        for hit in hits
    ]
    next_offset = str(offset + len(hits)) if len(hits) >= k and offset + len(hits) <= rt.MAX_OFFSET else ""
    await query.answer(results, next_offset=next_offset, cache_time=30)


# ---- access, subscriptions, errors -------------------------------------------------------------------------
async def gate(update: Update, context: Context) -> None:
    """With VERBATIM_ALLOWED_CHATS set, serve only those chats (and the maintainers)."""
    allowed = context.bot_data.settings.allowed_chat_ids()
    chat, user = update.effective_chat, update.effective_user
    if (
        _is_admin(update, context)
        or (chat and chat.id in allowed)
        or (chat is None and user and user.id in allowed)
    ):
        return
    if update.callback_query:
        await update.callback_query.answer("This bot is not available here.")
    elif update.inline_query:
        await update.inline_query.answer([], cache_time=60, is_personal=True)
    elif chat and chat.type == ChatType.PRIVATE and update.message:
        await _say(update, context, "This bot is private; ask its maintainers for access.")
    raise ApplicationHandlerStop


async def check_subscriptions(app: Application) -> int:
    """Tell followers whose claims changed since the generation last checked; returns messages sent."""
    data: BotData = app.bot_data
    async with data.check_lock:
        await asyncio.to_thread(data.retriever.refresh)
        generation = data.retriever.generation
        if generation == data.state.seen_generation():
            return 0
        notices: dict[int, list[str]] = {}
        dropped: list[int] = []
        for chunk_id, group in itertools.groupby(data.state.subscriptions(), key=lambda s: s.chunk_id):
            subs = list(group)
            try:
                hit = await asyncio.to_thread(data.retriever.passage, chunk_id)
            except NotFound:
                for chat_id in dict.fromkeys(s.chat_id for s in subs):
                    notices.setdefault(chat_id, []).append(rt.removed_notice(subs[0].title))
                dropped += [s.id for s in subs]
                continue
            claims = {(c.start, c.end): c for s, e, c in followed_claims(hit)}
            for sub in subs:
                if (sub.start, sub.end) not in claims:
                    notices.setdefault(sub.chat_id, []).append(rt.removed_notice(sub.title))
                    dropped.append(sub.id)
                    continue
                claim = claims[(sub.start, sub.end)]
                fingerprint = claim_fingerprint(claim)
                if fingerprint != sub.fingerprint:
                    label = rt.claim_label(claim) if claim else ""
                    notices.setdefault(sub.chat_id, []).append(rt.change_notice(hit, claim, sub.label, label))
                    data.state.update_subscription(sub.id, fingerprint, label)
        data.state.unsubscribe(dropped)
        data.state.set_seen_generation(generation)
    sent = 0
    for chat_id, blocks in notices.items():
        for text in rt.pack(list(dict.fromkeys(blocks))):
            try:
                await app.bot.send_message(chat_id, text)
                sent += 1
            except Forbidden:  # blocked the bot or left the group
                data.state.unsubscribe([s.id for s in data.state.subscriptions() if s.chat_id == chat_id])
                break
            except TelegramError as err:
                log.warning("could not notify chat %s: %s", chat_id, err)
    return sent


async def on_error(update: object, context: Context) -> None:
    """Log every failure with its traceback and tell the user one sentence; the bot keeps running."""
    err = context.error
    if isinstance(err, VerbatimError):
        sentence = str(err)
        log.info("refused: %s", sentence)
    else:
        sentence = SORRY
        log.error(
            "update failed: %r", update if not isinstance(update, Update) else update.update_id, exc_info=err
        )
    if not isinstance(update, Update):
        return
    try:
        if update.callback_query:
            await update.callback_query.answer(rt.short(sentence, 200))
        elif update.inline_query:
            await update.inline_query.answer([], cache_time=5, is_personal=True)
        elif update.effective_message and update.effective_chat:
            await _say(update, context, sentence)
    except TelegramError as err2:  # e.g. the query was already answered
        log.warning("could not report the error: %s", err2)
