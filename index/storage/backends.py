"""Opening the backend the settings name: the index folder (the default) or PostgreSQL.

`VERBATIM_DATABASE_URL=postgresql://…` (or the CLI's `--database URL`) selects PostgreSQL;
psycopg is imported only then. Both check the index's embedding model against the one
configured, without loading the model unless a new index must be created.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from index.errors import InputError, ModelMismatch, StorageError
from index.settings import Settings
from index.storage.protocol import NoIndex, StorageBackend


def open_backend(settings: Settings, model: str, dim: Callable[[], int], *, repair: bool = False) -> StorageBackend:
    """The settings' backend for an embedder named `model` whose dimension `dim()` gives (asked only to
    create a new index). `repair` (verbatim rebuild) mends an index folder's manifest."""
    url = settings.database()
    if url is not None:
        if not url.startswith(("postgresql://", "postgres://")):
            raise InputError(
                "The database setting (VERBATIM_DATABASE_URL or --database) must be a postgresql://user@host:port/db "
                "connection string."
            )
        return open_postgres(url, model, dim)
    return open_folder(settings.index_dir(), model, dim, repair=repair)


def open_folder(folder: Path, model: str, dim: Callable[[], int], *, repair: bool = False) -> StorageBackend:
    from index.storage.embedded import EmbeddedBackend
    from index.storage.folder import IndexFolder

    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise StorageError(f"The index folder {folder} cannot be created ({err.strerror}).") from err
    return EmbeddedBackend(IndexFolder(folder, model, dim, repair=repair))


def open_postgres(url: str, model: str, dim: Callable[[], int]) -> StorageBackend:
    from index.storage.postgres import PostgresBackend

    try:
        backend = PostgresBackend(url)
    except NoIndex:  # a new, empty database: create the index for this model
        backend = PostgresBackend(url, dim=dim(), model=model)
    if backend.model != model:
        where = backend.location
        built = backend.model
        backend.close()
        raise ModelMismatch(
            f"The index in {where} was built with the model '{built}', not '{model}'; set "
            f"VERBATIM_MODEL={built} or use another --database."
        )
    backend.refresh()  # start listening for other processes' commits
    return backend
