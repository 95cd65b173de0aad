"""The index folder: manifest, store, FAISS and BM25 snapshots, change-log replay, writer lock.

Layout:
    manifest.json     model name, dimension, schema version (checked on open)
    store.sqlite      the source of truth (index.store)
    snapshot.json     which FAISS/BM25 snapshot files reflect which store generation
    vectors-G.faiss, lexical-G.npz
    write.lock        held by the one process adding or removing

On open, the newest snapshot is loaded and the store's change log since its generation
is replayed; `refresh()` replays whatever another process committed since, so a running
bot sees adds without a restart. `commit()` writes one batch in one transaction and makes
it searchable at once; a snapshot is written every `SNAPSHOT_EVERY` committed changes, so
a reopen after a crash replays a short log.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from index.errors import IndexDamaged, ModelMismatch, StorageError
from index.lexical import LexicalIndex
from index.storage.protocol import WriterBusy
from index.store import ClaimKey, Link, PreparedArticle, Store
from index.vectors import VectorIndex

VERSION = "1"
SNAPSHOT_EVERY = 10_000  # committed changes (passages added or removed) between snapshots


class IndexFolder:
    """Opens (and with `repair`, mends the manifest of) one index folder.

    `vectors`, `lexical` and `generation` are the in-memory state; `lock` guards them
    for readers (held briefly by each commit), `writer()` is the cross-process write lock.
    """

    def __init__(self, path: Path, model: str, dim: Callable[[], int], *, repair: bool = False) -> None:
        self.path = path
        self.model = model
        self._dim = dim  # the model's dimension (may load the model: only asked for a new index)
        self.lock = threading.RLock()
        self.on_commit: Callable[[], None] | None = None
        self.store = self._open_store(repair)
        self.vectors, self.lexical, self.generation = self._load_state()
        if self.vectors.converted:
            self.save_snapshot()  # keep the IVF form so the next open need not train again

    # ---- manifest -------------------------------------------------------------------
    def _write_manifest(self, dim: int) -> dict:
        path = self.path / "manifest.json"
        manifest = {"model": self.model, "dim": dim, "version": VERSION}
        try:
            atomic_write(path, json.dumps(manifest, indent=2).encode())
        except OSError as err:
            raise StorageError(
                f"The index manifest {path} cannot be written ({err.strerror or err}); "
                "check that the index folder is writable and the disk has space."
            ) from err
        return manifest

    def _manifest(self) -> dict:
        path = self.path / "manifest.json"
        if not path.exists():
            return self._write_manifest(self._dim())
        try:
            manifest = json.loads(path.read_text())
            model, dim, version = manifest["model"], int(manifest["dim"]), str(manifest["version"])
            if dim <= 0 or not isinstance(model, str):
                raise ValueError(dim)
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise IndexDamaged(
                f"The index manifest {path} is damaged; run 'verbatim rebuild' to write it again from the store."
            ) from err
        if version != VERSION:
            raise IndexDamaged(
                f"The index in {self.path} was made by another version of Verbatim ({version}); "
                "run 'verbatim rebuild'."
            )
        if model != self.model:
            raise ModelMismatch(
                f"The index in {self.path} was built with the model '{model}', not "
                f"'{self.model}'; set VERBATIM_MODEL={model} or use another --index."
            )
        return {"model": model, "dim": dim, "version": version}

    def _open_store(self, repair: bool = False) -> Store:
        try:
            self.manifest: dict | None = self._manifest()
        except IndexDamaged:
            if not repair:
                raise
            self.manifest = None
        store = Store(self.path / "store.sqlite")
        stored = store.vector_dim()  # None while no passage is stored
        if self.manifest is None or (stored is not None and stored != self.manifest["dim"]):
            if not repair:
                store.close()
                raise IndexDamaged(
                    f"The index manifest {self.path / 'manifest.json'} says {self.manifest['dim']} "
                    f"dimensions but the stored passages have {stored}; run 'verbatim rebuild' to write "
                    "it again."
                )
            dim = stored or self._dim()
            if dim != self._dim():
                store.close()
                raise ModelMismatch(
                    f"The passages in {self.path} have {dim}-dimension vectors, but the model "
                    f"'{self.model}' makes {self._dim()}; set VERBATIM_MODEL to the model "
                    "the index was built with or use another --index."
                )
            self.manifest = self._write_manifest(dim)
        return store

    @property
    def dim(self) -> int:
        return int(self.manifest["dim"])

    # ---- derived state --------------------------------------------------------------
    def _load_state(self) -> tuple[VectorIndex, LexicalIndex, int]:
        if self.store.generation == 0 and self.snapshot_generation() > 0:
            # an empty store under a used index (truncated to 0 bytes, or deleted): never a fresh
            # index to be filled from the bundled corpus
            self.store.close()
            raise IndexDamaged(
                f"The index store {self.store.path} is empty although the index held articles; move the "
                f"folder {self.path} away and add the articles again, or use another --index."
            )
        dim = self.dim
        snap = self.path / "snapshot.json"
        vectors, lexical, gen = VectorIndex(dim), LexicalIndex(), 0
        if snap.exists():
            try:
                info = json.loads(snap.read_text())
                gen = int(info["generation"])
                vectors = VectorIndex.load(self.path / info["vectors"], dim)
                lexical = LexicalIndex.load(self.path / info["lexical"])
            except Exception:  # a damaged snapshot is only a cache: rebuild from the store
                vectors, lexical, gen = VectorIndex(dim), LexicalIndex(), 0
        if gen > self.store.generation:  # snapshot newer than the store: not ours
            vectors, lexical, gen = VectorIndex(dim), LexicalIndex(), 0
        if gen != 0:
            gen = self._replay(vectors, lexical, gen)
            passages = self.store.db.execute("SELECT count(*) FROM chunks").fetchone()[0]
            if not len(vectors) == len(lexical) == passages:  # snapshot files of another index
                vectors, lexical, gen = VectorIndex(dim), LexicalIndex(), 0
        if gen == 0:
            gen = self.store.generation  # read first: a commit landing meanwhile is replayed later
            self._apply(vectors, lexical, [(0, c, "add") for c in self.store.all_chunk_ids()])
        return vectors, lexical, gen

    def _replay(self, vectors: VectorIndex, lexical: LexicalIndex, since: int) -> int:
        changes = self.store.changes_since(since)
        self._apply(vectors, lexical, changes)
        return max([since] + [g for g, _, _ in changes]) if changes else max(since, self.store.generation)

    def _apply(self, vectors: VectorIndex, lexical: LexicalIndex, changes: Sequence[tuple[int, int, str]]) -> None:
        apply_changes(self.store, vectors, lexical, changes)

    def refresh(self) -> None:
        """Catch up with what other processes committed."""
        with self.lock:
            if self.store.generation != self.generation:
                self.generation = self._replay(self.vectors, self.lexical, self.generation)

    # ---- writing --------------------------------------------------------------------
    @contextmanager
    def writer(self, *, blocking: bool = True) -> Iterator[None]:
        """The index's one writer: an exclusive file lock across processes (with blocking=False, a
        held lock raises WriterBusy at once).

        The slow part of a write (encoding) runs under this lock only, so questions in this
        process keep being answered; each commit takes `lock` briefly.
        """
        try:
            fh = open(self.path / "write.lock", "a+")  # noqa: SIM115
        except OSError as err:
            raise StorageError(f"The index folder {self.path} is not writable ({err.strerror}).") from err
        with fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
            except BlockingIOError as err:
                raise WriterBusy("Another process is changing the index; try again when it has finished.") from err
            try:
                self.refresh()
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def commit(
        self,
        add: Sequence[PreparedArticle],
        remove: Sequence[str],
        new_terms: dict[str, int],
        links: Sequence[Link] = (),
        verdict_links: Sequence[tuple[ClaimKey, str, float]] = (),
    ) -> tuple[int, list[int], list[int]]:
        """One transaction; searchable in this process as soon as it returns. Returns (generation, added
        chunk ids, removed chunk ids)."""
        with self.lock:
            gen, added, removed = self.store.commit_batch(add, remove, new_terms, links, verdict_links)
            self.generation = self._replay(self.vectors, self.lexical, self.generation)
            pending = len(self.store.changes_since(self.snapshot_generation()))
            if pending >= SNAPSHOT_EVERY or not (self.path / "snapshot.json").exists():
                self.save_snapshot()
        if self.on_commit is not None:
            self.on_commit()
        return gen, added, removed

    # ---- snapshots ------------------------------------------------------------------
    def snapshot_generation(self) -> int:
        try:
            return int(json.loads((self.path / "snapshot.json").read_text())["generation"])
        except (OSError, ValueError, KeyError):
            return 0

    def save_snapshot(self) -> None:
        """Write FAISS and BM25 files for the current generation, then point to them."""
        with self.lock:
            gen = self.generation
            vec_name, lex_name = f"vectors-{gen}.faiss", f"lexical-{gen}.npz"
            try:
                self.vectors.save(self.path / f"{vec_name}.tmp")
                os.replace(self.path / f"{vec_name}.tmp", self.path / vec_name)
                self.lexical.save(self.path / f"{lex_name}.tmp")
                os.replace(self.path / f"{lex_name}.tmp", self.path / lex_name)
                info = {"generation": gen, "vectors": vec_name, "lexical": lex_name}
                atomic_write(self.path / "snapshot.json", json.dumps(info).encode())
            except (OSError, RuntimeError):  # disk full or read-only (faiss raises RuntimeError)
                for tmp in (f"{vec_name}.tmp", f"{lex_name}.tmp", "snapshot.json.tmp"):
                    with contextlib.suppress(OSError):
                        (self.path / tmp).unlink(missing_ok=True)
                return  # snapshots are a cache; the store already holds the committed state
        for old in [*self.path.glob("vectors-*.faiss"), *self.path.glob("lexical-*.npz")]:
            if old.name not in (vec_name, lex_name):
                old.unlink(missing_ok=True)

    def rebuild(self) -> None:
        """Rebuild FAISS and BM25 from the stored passages (no re-embedding)."""
        with self.writer(), self.lock:
            self.vectors, self.lexical = VectorIndex(self.dim), LexicalIndex()
            self._apply(self.vectors, self.lexical, [(0, c, "add") for c in self.store.all_chunk_ids()])
            self.generation = self.store.generation
            self.save_snapshot()

    def size(self) -> int:
        return sum(p.stat().st_size for p in self.path.iterdir() if p.is_file())

    def close(self) -> None:
        self.store.close()


def atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def apply_changes(
    store: Store, vectors: VectorIndex, lexical: LexicalIndex, changes: Sequence[tuple[int, int, str]]
) -> None:
    """Apply a change log in order to FAISS and BM25: removals and additions of chunk ids."""
    pending: list[int] = []

    def flush() -> None:
        rows = list(store.payload(pending))
        if rows:
            vectors.add([r[0] for r in rows], np.stack([r[1] for r in rows]))
            lexical.add([r[0] for r in rows], [(r[2], r[3]) for r in rows])
        pending.clear()

    for _, chunk_id, op in changes:
        if op == "add":
            pending.append(chunk_id)
            if len(pending) >= 5000:  # bounded memory when a long log is replayed
                flush()
        else:
            flush()
            vectors.remove([chunk_id])
            lexical.remove([chunk_id])
    flush()
