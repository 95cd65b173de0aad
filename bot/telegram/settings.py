"""The bot's settings: the engine's (`index.settings.Settings`) plus what only the Telegram bot reads.

Read from the environment and `.env` like the engine's (prefix VERBATIM_, the Telegram ones under
their usual names); every field is documented in README.md (tests/test_docs.py checks it).
"""

from __future__ import annotations

import re

from pydantic import Field, SecretStr

from index.settings import Settings


class BotSettings(Settings):
    telegram_bot_token: SecretStr | None = Field(
        default=None, validation_alias="TELEGRAM_BOT_TOKEN", description="Telegram bot token."
    )
    telegram_api_base_url: str = Field(
        default="https://api.telegram.org/bot",
        validation_alias="TELEGRAM_API_BASE_URL",
        description="Bot API base URL (python-telegram-bot's base_url).",
    )
    telegram_api_base_file_url: str = Field(
        default="https://api.telegram.org/file/bot",
        validation_alias="TELEGRAM_API_BASE_FILE_URL",
        description="Bot API file download URL (python-telegram-bot's base_file_url).",
    )
    admins: str = Field(default="", description="Comma-separated Telegram user ids of maintainers.")
    webhook_url: str | None = Field(
        default=None, description="Public HTTPS URL Telegram posts updates to (bot --webhook)."
    )
    webhook_listen: str = Field(default="127.0.0.1", description="Address the webhook server listens on.")
    webhook_port: int = Field(default=8443, description="Port the webhook server listens on.")
    webhook_secret: SecretStr | None = Field(
        default=None, description="Secret token Telegram sends with each webhook request."
    )
    flood_limit: int = Field(default=10, description="Questions one user may ask per flood window.")
    flood_window: float = Field(default=30.0, description="Flood window in seconds (sliding).")
    max_upload_bytes: int = Field(
        default=5_000_000, description="Largest file a maintainer may upload to the bot, in bytes."
    )
    allowed_chats: str = Field(
        default="", description="Comma-separated chat or user ids the bot serves; empty: every chat."
    )
    watch_interval: float = Field(
        default=60.0, description="Seconds between checks of the corpus for followed claims that changed."
    )

    def admin_ids(self) -> set[int]:
        return {int(x) for x in _ids(self.admins) if _USER_ID.fullmatch(x)}

    def allowed_chat_ids(self) -> set[int]:
        """Chat ids (negative for groups) the bot serves; empty means every chat."""
        return {int(x) for x in _ids(self.allowed_chats) if _CHAT_ID.fullmatch(x)}


# ASCII digits only: "²".isdigit() and "--3".lstrip("-").isdigit() hold, but int() refuses both
_USER_ID, _CHAT_ID = re.compile(r"[0-9]{1,20}"), re.compile(r"-?[0-9]{1,20}")


def _ids(value: str) -> list[str]:
    return [x.strip() for x in value.split(",")]
