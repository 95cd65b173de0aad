"""The store: SQLite (WAL) holding articles, passages, claims, vectors and terms.

SQLite is the source of truth. The FAISS and BM25 indexes are derived from it and
can always be rebuilt from it (`verbatim rebuild`); each add or remove is one
transaction that also appends to the `changes` log and bumps `generation`, so a
kill -9 leaves either the state before the add or the complete add, and readers in
other processes catch up by replaying the log. Nothing here is pickled.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from index.errors import IndexDamaged, StorageError
from index.models import Article, Chunk

SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles(
  doc_id TEXT PRIMARY KEY, title TEXT NOT NULL, source TEXT, date TEXT, url TEXT,
  language TEXT, text TEXT NOT NULL, hash TEXT NOT NULL, paragraphs INTEGER NOT NULL,
  added_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chunks(
  id INTEGER PRIMARY KEY AUTOINCREMENT, doc_id TEXT NOT NULL, ordinal INTEGER NOT NULL,
  start INTEGER NOT NULL, end INTEGER NOT NULL, paragraph INTEGER NOT NULL,
  paragraph_end INTEGER NOT NULL, paragraphs INTEGER NOT NULL, role TEXT NOT NULL,
  vector BLOB NOT NULL, terms BLOB NOT NULL, tfs BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id, ordinal);
CREATE TABLE IF NOT EXISTS claims(
  id INTEGER PRIMARY KEY AUTOINCREMENT, chunk_id INTEGER NOT NULL, doc_id TEXT NOT NULL,
  start INTEGER NOT NULL, end INTEGER NOT NULL, status TEXT, cue TEXT, speaker TEXT,
  vector BLOB, evidence TEXT, verdict TEXT);
CREATE INDEX IF NOT EXISTS claims_chunk ON claims(chunk_id);
CREATE INDEX IF NOT EXISTS claims_doc ON claims(doc_id);
CREATE TABLE IF NOT EXISTS vocab(term TEXT PRIMARY KEY, id INTEGER NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS changes(
  seq INTEGER PRIMARY KEY AUTOINCREMENT, gen INTEGER NOT NULL, chunk_id INTEGER NOT NULL,
  op TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS verdicts(id TEXT PRIMARY KEY, review TEXT NOT NULL, added_at TEXT NOT NULL);
"""


@dataclass(frozen=True)
class ClaimRow:
    start: int
    end: int
    status: str | None = None
    cue: str | None = None
    speaker: str | None = None
    vector: np.ndarray | None = None


@dataclass(frozen=True)
class PreparedArticle:
    """Everything an add writes for one article, computed before the transaction."""

    article: Article
    hash: str
    paragraphs: int
    chunks: list[Chunk]
    vectors: np.ndarray  # one per chunk
    terms: list[tuple[np.ndarray, np.ndarray]]  # (term ids, counts) per chunk
    claims: list[list[ClaimRow]]  # per chunk


@dataclass(frozen=True)
class ChunkRow:
    id: int
    doc_id: str
    ordinal: int
    start: int
    end: int
    paragraph: int
    paragraph_end: int
    paragraphs: int
    role: str


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Store:
    def __init__(self, path: Path, *, readonly: bool = False) -> None:
        self.path = path
        try:
            uri = f"file:{path}?mode=ro" if readonly else f"file:{path}"
            self.db = sqlite3.connect(
                uri, uri=True, timeout=30, check_same_thread=False, isolation_level=None
            )
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            if not readonly:
                with self._write():
                    for statement in _SCHEMA.split(";"):
                        if statement.strip():
                            self.db.execute(statement)
            self.db.execute("SELECT count(*) FROM meta").fetchone()
        except sqlite3.DatabaseError as err:
            raise IndexDamaged(
                f"The index store {path} cannot be read ({err}); run 'verbatim rebuild' "
                "or delete the index folder to build it again."
            ) from err

    def close(self) -> None:
        self.db.close()

    # ---- meta -----------------------------------------------------------------------
    def meta(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, **values: str) -> None:
        with self._write():
            self._set_meta(values)

    def _set_meta(self, values: dict[str, str]) -> None:
        self.db.executemany(
            "INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            list(values.items()),
        )

    @property
    def generation(self) -> int:
        return int(self.meta("generation", "0") or 0)

    # ---- writes ---------------------------------------------------------------------
    @contextmanager
    def _write(self) -> Iterator[None]:
        """One IMMEDIATE transaction: committed whole or rolled back whole."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def article_hashes(self, doc_ids: Sequence[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for lo in range(0, len(doc_ids), 500):
            part = list(doc_ids[lo : lo + 500])
            q = f"SELECT doc_id, hash FROM articles WHERE doc_id IN ({','.join('?' * len(part))})"
            out.update(dict(self.db.execute(q, part).fetchall()))
        return out

    def vocabulary(self) -> dict[str, int]:
        return dict(self.db.execute("SELECT term, id FROM vocab").fetchall())

    def term_map(self, stems: Sequence[str]) -> dict[str, int]:
        """Known stems -> term ids."""
        uniq = list(dict.fromkeys(stems))
        if not uniq:
            return {}
        q = f"SELECT term, id FROM vocab WHERE term IN ({','.join('?' * len(uniq))})"
        return dict(self.db.execute(q, uniq).fetchall())

    def commit_batch(
        self,
        add: Sequence[PreparedArticle],
        remove: Sequence[str],
        new_terms: dict[str, int],
    ) -> tuple[int, list[int], list[int]]:
        """One transaction: remove articles, add articles; returns (generation, added, removed chunk ids)."""
        gen = self.generation + 1
        added: list[int] = []
        removed: list[int] = []
        stamp = now()
        try:
            with self._write():
                self.db.executemany("INSERT OR IGNORE INTO vocab(term, id) VALUES(?, ?)", list(new_terms.items()))
                doomed = list(dict.fromkeys(list(remove) + [p.article.id for p in add]))
                for doc_id in doomed:
                    ids = [r[0] for r in self.db.execute("SELECT id FROM chunks WHERE doc_id=?", (doc_id,))]
                    removed.extend(ids)
                    self.db.execute("DELETE FROM chunks WHERE doc_id=?", (doc_id,))
                    self.db.execute("DELETE FROM claims WHERE doc_id=?", (doc_id,))
                    self.db.execute("DELETE FROM articles WHERE doc_id=?", (doc_id,))
                for prep in add:
                    added.extend(self._insert(prep, stamp))
                self.db.executemany(
                    "INSERT INTO changes(gen, chunk_id, op) VALUES(?, ?, ?)",
                    [(gen, c, "del") for c in removed] + [(gen, c, "add") for c in added],
                )
                self._set_meta({"generation": str(gen), "updated_at": stamp})
        except sqlite3.OperationalError as err:
            raise StorageError(
                f"The index could not be written ({err}); nothing was changed."
            ) from err
        return gen, added, removed

    def _insert(self, prep: PreparedArticle, stamp: str) -> list[int]:
        a = prep.article
        self.db.execute(
            "INSERT INTO articles VALUES(?,?,?,?,?,?,?,?,?,?)",
            (a.id, a.title, a.source, a.date, a.url, a.language, a.text, prep.hash, prep.paragraphs, stamp),
        )
        ids = []
        for chunk, vec, (terms, tfs), claims in zip(prep.chunks, prep.vectors, prep.terms, prep.claims, strict=True):
            cur = self.db.execute(
                "INSERT INTO chunks(doc_id, ordinal, start, end, paragraph, paragraph_end, paragraphs,"
                " role, vector, terms, tfs) VALUES(?,?,?,?,?,?,?,?,?,?,?)",
                (a.id, chunk.ordinal, chunk.start, chunk.end, chunk.paragraph, chunk.paragraph_end,
                 chunk.paragraphs, chunk.role.value, np.asarray(vec, np.float32).tobytes(),
                 terms.astype(np.int32).tobytes(), tfs.astype(np.float32).tobytes()),
            )
            cid = int(cur.lastrowid)
            ids.append(cid)
            self.db.executemany(
                "INSERT INTO claims(chunk_id, doc_id, start, end, status, cue, speaker, vector)"
                " VALUES(?,?,?,?,?,?,?,?)",
                [(cid, a.id, c.start, c.end, c.status, c.cue, c.speaker,
                  None if c.vector is None else np.asarray(c.vector, np.float16).tobytes()) for c in claims],
            )
        return ids

    # ---- reads ----------------------------------------------------------------------
    def changes_since(self, gen: int) -> list[tuple[int, int, str]]:
        return self.db.execute(
            "SELECT gen, chunk_id, op FROM changes WHERE gen > ? ORDER BY seq", (gen,)
        ).fetchall()

    def payload(self, chunk_ids: Sequence[int]) -> Iterator[tuple[int, np.ndarray, np.ndarray, np.ndarray]]:
        """(chunk id, vector, term ids, counts) for the chunks that still exist."""
        for lo in range(0, len(chunk_ids), 500):
            part = list(chunk_ids[lo : lo + 500])
            q = f"SELECT id, vector, terms, tfs FROM chunks WHERE id IN ({','.join('?' * len(part))})"
            for cid, vec, terms, tfs in self.db.execute(q, part):
                yield cid, np.frombuffer(vec, np.float32), np.frombuffer(terms, np.int32), np.frombuffer(tfs, np.float32)

    def all_chunk_ids(self) -> list[int]:
        return [r[0] for r in self.db.execute("SELECT id FROM chunks ORDER BY id")]

    def chunks(self, chunk_ids: Sequence[int]) -> dict[int, ChunkRow]:
        if not chunk_ids:
            return {}
        q = (f"SELECT id, doc_id, ordinal, start, end, paragraph, paragraph_end, paragraphs, role"
             f" FROM chunks WHERE id IN ({','.join('?' * len(chunk_ids))})")
        return {r[0]: ChunkRow(*r) for r in self.db.execute(q, list(chunk_ids))}

    def chunk_at(self, doc_id: str, ordinal: int) -> ChunkRow | None:
        r = self.db.execute(
            "SELECT id, doc_id, ordinal, start, end, paragraph, paragraph_end, paragraphs, role"
            " FROM chunks WHERE doc_id=? AND ordinal=?", (doc_id, ordinal)).fetchone()
        return ChunkRow(*r) if r else None

    def articles(self, doc_ids: Sequence[str]) -> dict[str, Article]:
        ids = list(dict.fromkeys(doc_ids))
        if not ids:
            return {}
        q = (f"SELECT doc_id, title, source, date, url, language, text FROM articles"
             f" WHERE doc_id IN ({','.join('?' * len(ids))})")
        return {
            r[0]: Article(id=r[0], title=r[1], source=r[2], date=r[3], url=r[4], language=r[5], text=r[6])
            for r in self.db.execute(q, ids)
        }

    def claims(self, chunk_ids: Sequence[int]) -> dict[int, list[dict]]:
        out: dict[int, list[dict]] = {c: [] for c in chunk_ids}
        if not chunk_ids:
            return out
        q = (f"SELECT id, chunk_id, start, end, status, cue, speaker, evidence, verdict FROM claims"
             f" WHERE chunk_id IN ({','.join('?' * len(chunk_ids))}) ORDER BY start")
        for cid_, chunk_id, s, e, status, cue, speaker, evidence, verdict in self.db.execute(q, list(chunk_ids)):
            ev = json.loads(evidence) if evidence else {}
            out[chunk_id].append({
                "id": cid_, "start": s, "end": e, "status": status, "cue": cue, "speaker": speaker,
                "corroborated_by": ev.get("corroborated_by", []), "conflicts_with": ev.get("conflicts_with", []),
                "verdict": json.loads(verdict) if verdict else None,
            })
        return out

    def claim_vectors(self, chunk_ids: Sequence[int]) -> dict[int, list[tuple[int, int, np.ndarray]]]:
        """(start, end, vector) of each claim with a stored vector, per chunk."""
        out: dict[int, list[tuple[int, int, np.ndarray]]] = {c: [] for c in chunk_ids}
        if not chunk_ids:
            return out
        q = (f"SELECT chunk_id, start, end, vector FROM claims WHERE vector IS NOT NULL AND"
             f" chunk_id IN ({','.join('?' * len(chunk_ids))}) ORDER BY start")
        for chunk_id, s, e, vec in self.db.execute(q, list(chunk_ids)):
            out[chunk_id].append((s, e, np.frombuffer(vec, np.float16).astype(np.float32)))
        return out

    def sources(self) -> list[tuple[str, str, str | None, str | None, int]]:
        return self.db.execute(
            "SELECT a.doc_id, a.title, a.source, a.date, count(c.id) FROM articles a"
            " LEFT JOIN chunks c ON c.doc_id = a.doc_id GROUP BY a.doc_id ORDER BY a.source, a.date, a.doc_id"
        ).fetchall()

    def counts(self) -> dict[str, int]:
        one = lambda q: int(self.db.execute(q).fetchone()[0])  # noqa: E731
        return {
            "articles": one("SELECT count(*) FROM articles"),
            "passages": one("SELECT count(*) FROM chunks"),
            "claims": one("SELECT count(*) FROM claims"),
            "outlets": one("SELECT count(DISTINCT source) FROM articles"),
            "verdicts": one("SELECT count(*) FROM verdicts"),
        }
