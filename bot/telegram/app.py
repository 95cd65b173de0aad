"""The Telegram bot's wiring: every handler registered here, run by polling or webhook.

Handlers live in this package by area (questions, commands, buttons, follows, maintainers, inline,
errors); each button action has its own `CallbackQueryHandler(pattern=...)`. What must survive a
restart (last question per chat, what each answer message was about, follows) lives in
`bot.telegram.state`. After every change, and every `watch_interval` seconds, the follows are
checked against the index generation.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from typing import Any
from urllib.parse import urlsplit

from telegram import BotCommand, BotCommandScopeChat, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.telegram import buttons, commands, follows, maintainers, questions
from bot.telegram import keyboards as kb
from bot.telegram import texts as tx
from bot.telegram.context import BotData
from bot.telegram.engine import Engine
from bot.telegram.errors import gate, on_error
from bot.telegram.inline import inline
from bot.telegram.settings import BotSettings
from bot.telegram.state import ChatState, FloodGate
from index.errors import InputError
from index.retriever import Retriever

log = logging.getLogger("verbatim.bot")

BUTTONS = {
    "pick": buttons.pick,
    "back": buttons.back,
    "more": buttons.more,
    "ctx": buttons.show_context,
    "why": buttons.why,
    "psg": buttons.open_passage,
    "src": buttons.sources_page,
    "srcs": buttons.list_sources,
    "in": buttons.within,
    "sub": follows.follow,
    "stop": follows.stop,
}
assert set(BUTTONS) == kb.ACTIONS


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


def quiet_http_logs() -> None:
    """httpx logs every request URL at INFO, and Bot API URLs contain the token; the Bot logs its
    URLs (with the token) and every call's parameters (users' messages) at DEBUG."""
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in ("telegram.Bot", "telegram.ext.ExtBot"):
        logging.getLogger(name).setLevel(logging.INFO)


def _token(settings: BotSettings) -> str:
    token = settings.telegram_bot_token.get_secret_value().strip() if settings.telegram_bot_token else ""
    if not token:
        raise InputError("Set TELEGRAM_BOT_TOKEN (the token from @BotFather) to run the bot.")
    return token


def build_application(settings: BotSettings, retriever: Retriever) -> Application:
    """The bot: every handler registered here, state in `bot.sqlite` in the index folder."""
    quiet_http_logs()
    app = (
        ApplicationBuilder()
        .token(_token(settings))
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_api_base_file_url)
        .context_types(ContextTypes(bot_data=BotData))
        .defaults(Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)))
        .rate_limiter(AIORateLimiter(max_retries=2))
        .concurrent_updates(PerChatUpdateProcessor())
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .build()
    )
    data: BotData = app.bot_data
    data.settings, data.engine = settings, Engine(retriever)
    data.state = ChatState.open(retriever.folder)
    data.flood = FloodGate(settings.flood_limit, settings.flood_window)
    data.inline_flood = FloodGate(3 * settings.flood_limit, settings.flood_window)

    new, private, groups = filters.UpdateType.MESSAGE, filters.ChatType.PRIVATE, filters.ChatType.GROUPS
    if settings.allowed_chat_ids():
        app.add_handler(TypeHandler(Update, gate), group=-1)
    for name, callback in [
        ("start", commands.start),
        ("help", commands.help_),
        ("sources", commands.sources),
        ("about", commands.about),
        ("following", follows.following),
        ("more", questions.more),
        ("ask", questions.ask),
        ("remove", maintainers.remove),
    ]:
        app.add_handler(CommandHandler(name, callback, filters=new))
    app.add_handler(MessageHandler(new & private & filters.Document.ALL, maintainers.upload))
    app.add_handler(MessageHandler(new & private & filters.TEXT & ~filters.COMMAND, questions.private_text))
    app.add_handler(MessageHandler(new & groups & filters.TEXT & ~filters.COMMAND, questions.group_text))
    app.add_handler(MessageHandler(new & private & filters.COMMAND, commands.unknown_command))
    app.add_handler(MessageHandler(new & private, commands.no_text))
    app.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE & private, commands.edited))
    for action, callback in BUTTONS.items():
        app.add_handler(CallbackQueryHandler(buttons.answered(callback), pattern=kb.pattern(action)))
    app.add_handler(CallbackQueryHandler(buttons.invalid))
    app.add_handler(InlineQueryHandler(inline))
    app.add_error_handler(on_error)
    return app


def run(settings: BotSettings, *, webhook: bool = False) -> None:
    """Open the index and serve until interrupted: long polling, or a webhook server."""
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    quiet_http_logs()
    _token(settings)
    if webhook and not settings.webhook_url:
        raise InputError("Set VERBATIM_WEBHOOK_URL (the public https URL Telegram posts to) to use --webhook.")
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
    """Commands per scope, the profile texts (the empty chat's "What can this bot do?" card), the
    follows watcher."""
    data: BotData = app.bot_data
    scopes = [(None, tx.COMMANDS)] + [(a, tx.COMMANDS + tx.ADMIN_COMMANDS) for a in sorted(data.settings.admin_ids())]
    for admin, commands_ in scopes:
        try:
            await app.bot.set_my_commands(
                [BotCommand(n, d) for n, d in commands_], scope=BotCommandScopeChat(admin) if admin else None
            )
        except TelegramError as err:  # cosmetic; e.g. a maintainer who has not started the bot yet
            log.info("commands not set for %s: %s", admin or "everyone", err)
    for call, text in (
        (app.bot.set_my_description, tx.DESCRIPTION),
        (app.bot.set_my_short_description, tx.SHORT_DESCRIPTION),
    ):
        try:
            await call(text)
        except TelegramError as err:  # cosmetic too
            log.info("profile text not set: %s", err)
    await data.engine.refresh()
    if data.state.seen_generation() is None:
        data.state.set_seen_generation(data.engine.generation)
    data.state.prune()
    data.watcher = asyncio.create_task(_watch(app), name="verbatim-watch")
    log.info("bot @%s ready on index generation %d", app.bot.username, data.engine.generation)


async def _post_shutdown(app: Application) -> None:
    data: BotData = app.bot_data
    if data.watcher is not None:
        data.watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await data.watcher
    data.state.close()


async def _watch(app: Application) -> None:
    """Check follows now (changes made while the bot was down) and then periodically."""
    data: BotData = app.bot_data
    while True:
        try:
            await follows.check_subscriptions(app)
        except Exception:
            log.exception("checking subscriptions failed")
        await asyncio.sleep(data.settings.watch_interval)
