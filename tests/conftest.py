"""Shared fixtures: a retriever on a temporary index with the deterministic fake embedder."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from index.embed import HashEmbedder
from index.models import Article
from index.retriever import Retriever
from index.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "corpus" / "france24-north-korean-troops.md"


def article(doc_id: str, text: str, **meta: str | None) -> Article:
    return Article(id=doc_id, title=meta.pop("title", None) or doc_id.replace("-", " ").title(), text=text, **meta)


@pytest.fixture
def make_retriever(tmp_path: Path) -> Iterator[Callable[..., Retriever]]:
    opened: list[Retriever] = []

    def make(folder: Path | None = None, embedder: HashEmbedder | None = None) -> Retriever:
        settings = Settings(index=folder or tmp_path / "index", _env_file=None)
        r = Retriever.open(settings, embedder=embedder or HashEmbedder(), build_default=False)
        opened.append(r)
        return r

    yield make
    for r in opened:
        r.close()


@pytest.fixture
def retriever(make_retriever: Callable[..., Retriever]) -> Retriever:
    return make_retriever()
