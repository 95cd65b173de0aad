"""The store: SQLite (WAL) holding articles, passages, claims, vectors and terms.

SQLite is the source of truth. The FAISS and BM25 indexes are derived from it and
can always be rebuilt from it (`verbatim rebuild`); each committed batch of an add,
and each remove, is one transaction that also appends to the `changes` log and bumps
`generation`, so a kill -9 leaves every article either absent or complete, and readers in
other processes catch up by replaying the log. Nothing here is pickled.

Connections: one writer connection, used only inside `_write()` (one transaction at a
time, under a lock), and one read connection per thread, so a read never sees another
thread's open transaction (SQLite WAL: each connection reads the last committed state).
A failed write is a `StorageError` sentence, never a raw sqlite3 error.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import weakref
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
CREATE TABLE IF NOT EXISTS claim_links(
  claim_id INTEGER NOT NULL, other_id INTEGER NOT NULL, kind TEXT NOT NULL, score REAL NOT NULL,
  value TEXT, PRIMARY KEY(claim_id, other_id, kind));
CREATE INDEX IF NOT EXISTS claim_links_other ON claim_links(other_id);
CREATE TABLE IF NOT EXISTS verdicts(
  id TEXT PRIMARY KEY, review TEXT NOT NULL, vector BLOB NOT NULL, added_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS verdict_links(
  claim_id INTEGER NOT NULL, verdict_id TEXT NOT NULL, score REAL NOT NULL,
  PRIMARY KEY(claim_id, verdict_id));
CREATE INDEX IF NOT EXISTS verdict_links_verdict ON verdict_links(verdict_id);
"""


ClaimKey = int | tuple[str, int, int]  # a stored claim's id, or (doc_id, start, end) of a new one
# (claim a, claim b, kind, score, a's figure as written, b's figure as written)
Link = tuple[ClaimKey, ClaimKey, str, float, str | None, str | None]


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


def _storage_problem(err: sqlite3.OperationalError) -> bool:
    """The disk or folder refuses (read-only, full, cannot create the WAL files); not damage."""
    text = str(err).lower()
    return any(m in text for m in ("readonly", "read-only", "unable to open", "disk is full", "disk i/o"))


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# Read connections map the store file (SQLite's memory-mapped I/O) up to this size instead of copying each
# page through a read() call: a question reads ~100 scattered passage rows (their terms, article and date)
# and a few more for the hits, and at 40,000 passages that read took 2.0 ms of CPU with the default page
# reads against 1.1 ms mapped (bench/README.md, issue 9q). The mapped pages are the OS's page cache, shared
# and file-backed (a replica's RssFile grows with the pages its questions touch, its anonymous memory does
# not); past the size SQLite reads pages as before. The writer keeps plain I/O.
READ_MMAP_BYTES = 1 << 30


class _Reader:
    """One thread's read connection; closed when its thread ends (the thread-local is dropped)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # interpreter shutdown
            self.conn.close()


class Store:
    def __init__(self, path: Path, *, readonly: bool = False) -> None:
        self.path = path
        self._uri = f"file:{path}?mode=ro" if readonly else f"file:{path}"
        self._local = threading.local()
        self._readers: weakref.WeakSet[_Reader] = weakref.WeakSet()
        self._write_lock = threading.RLock()
        try:
            self._writer = self._connect()
            self._writer.execute("PRAGMA journal_mode=WAL")
            if not readonly:
                self._writer.execute("BEGIN IMMEDIATE")
                try:
                    for statement in _SCHEMA.split(";"):
                        if statement.strip():
                            self._writer.execute(statement)
                    self._writer.execute("COMMIT")
                except BaseException:
                    if self._writer.in_transaction:
                        self._writer.execute("ROLLBACK")
                    raise
            self.db.execute("SELECT count(*) FROM meta").fetchone()
        except sqlite3.DatabaseError as err:
            if isinstance(err, sqlite3.OperationalError) and _storage_problem(err):
                raise StorageError(
                    f"The index store {path} cannot be opened for writing ({err}); check that the index "
                    "folder is writable and the disk has space, or use another --index."
                ) from err
            # not 'verbatim rebuild': it rebuilds the other files from this one
            raise IndexDamaged(
                f"The index store {path} cannot be read ({err}); move the folder {path.parent} away "
                "and add the articles again, or use another --index."
            ) from err

    def _connect(self, *, reader: bool = False) -> sqlite3.Connection:
        conn = sqlite3.connect(self._uri, uri=True, timeout=30, check_same_thread=False, isolation_level=None)
        conn.execute("PRAGMA synchronous=NORMAL")
        if reader:
            conn.execute(f"PRAGMA mmap_size={READ_MMAP_BYTES}")
        return conn

    @property
    def db(self) -> sqlite3.Connection:
        """The writer connection inside this thread's `_write()`, else this thread's read connection."""
        local = self._local
        if getattr(local, "writing", 0):
            return self._writer
        reader = getattr(local, "reader", None)
        if reader is None:
            reader = local.reader = _Reader(self._connect(reader=True))
            self._readers.add(reader)
        return reader.conn

    @db.setter
    def db(self, conn: sqlite3.Connection) -> None:
        """Replace the writer connection (fault tests put a failing one in its place)."""
        self._writer = conn

    def close(self) -> None:
        with self._write_lock:
            self._writer.close()
        for reader in list(self._readers):
            reader.conn.close()

    def vector_dim(self) -> int | None:
        """Dimensions of the stored passage vectors (None when there are none)."""
        row = self.db.execute("SELECT length(vector) FROM chunks LIMIT 1").fetchone()
        return row[0] // 4 if row else None

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
        """One IMMEDIATE transaction on the writer connection: committed whole or rolled back
        whole. A refusal of the disk or the database is a StorageError sentence."""
        with self._write_lock:
            local = self._local
            nested = getattr(local, "writing", 0)
            local.writing = nested + 1
            try:
                if nested:  # already inside this thread's transaction
                    yield
                    return
                db = self._writer
                try:
                    db.execute("BEGIN IMMEDIATE")
                    try:
                        yield
                        db.execute("COMMIT")  # can fail too (disk full): then roll back, never stay open
                    except BaseException:
                        # SQLite rolls back by itself on some errors (SQLITE_FULL): a second ROLLBACK
                        # would fail and hide the real cause.
                        if db.in_transaction:
                            db.execute("ROLLBACK")
                        raise
                except sqlite3.OperationalError as err:
                    raise StorageError(f"The index could not be written ({err}); nothing was changed.") from err
            finally:
                local.writing = nested

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
        links: Sequence[Link] = (),
        verdict_links: Sequence[tuple[ClaimKey, str, float]] = (),
    ) -> tuple[int, list[int], list[int]]:
        """One transaction: remove articles, add articles with their claim links.

        Returns (generation, added chunk ids, removed chunk ids). Links name claims by
        id (stored claims) or by (doc_id, start, end) (claims added in this batch).
        """
        added: list[int] = []
        removed: list[int] = []
        stamp = now()
        with self._write():
            gen = self.generation + 1
            self.db.executemany("INSERT OR IGNORE INTO vocab(term, id) VALUES(?, ?)", list(new_terms.items()))
            doomed = list(dict.fromkeys(list(remove) + [p.article.id for p in add]))
            for doc_id in doomed:
                ids = [r[0] for r in self.db.execute("SELECT id FROM chunks WHERE doc_id=?", (doc_id,))]
                removed.extend(ids)
                for table, col in (
                    ("claim_links", "claim_id"),
                    ("claim_links", "other_id"),
                    ("verdict_links", "claim_id"),
                ):
                    self.db.execute(
                        f"DELETE FROM {table} WHERE {col} IN (SELECT id FROM claims WHERE doc_id=?)", (doc_id,)
                    )
                self.db.execute("DELETE FROM chunks WHERE doc_id=?", (doc_id,))
                self.db.execute("DELETE FROM claims WHERE doc_id=?", (doc_id,))
                self.db.execute("DELETE FROM articles WHERE doc_id=?", (doc_id,))
            keys: dict[ClaimKey, int] = {}
            for prep in add:
                added.extend(self._insert(prep, stamp, keys))
            self._insert_links(links, verdict_links, keys)
            self.db.executemany(
                "INSERT INTO changes(gen, chunk_id, op) VALUES(?, ?, ?)",
                [(gen, c, "del") for c in removed] + [(gen, c, "add") for c in added],
            )
            self._set_meta({"generation": str(gen), "updated_at": stamp})
        return gen, added, removed

    def _insert_links(
        self, links: Sequence[Link], verdict_links: Sequence[tuple[ClaimKey, str, float]], keys: dict[ClaimKey, int]
    ) -> None:
        rows, vrows = link_rows(links, verdict_links, keys)
        self.db.executemany("INSERT OR REPLACE INTO claim_links VALUES(?,?,?,?,?)", rows)
        self.db.executemany("INSERT OR REPLACE INTO verdict_links VALUES(?,?,?)", vrows)

    def _insert(self, prep: PreparedArticle, stamp: str, keys: dict[ClaimKey, int]) -> list[int]:
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
                (
                    a.id,
                    chunk.ordinal,
                    chunk.start,
                    chunk.end,
                    chunk.paragraph,
                    chunk.paragraph_end,
                    chunk.paragraphs,
                    chunk.role.value,
                    np.asarray(vec, np.float32).tobytes(),
                    terms.astype(np.int32).tobytes(),
                    tfs.astype(np.float32).tobytes(),
                ),
            )
            cid = int(cur.lastrowid)
            ids.append(cid)
            for c in claims:
                cur = self.db.execute(
                    "INSERT INTO claims(chunk_id, doc_id, start, end, status, cue, speaker, vector)"
                    " VALUES(?,?,?,?,?,?,?,?)",
                    (
                        cid,
                        a.id,
                        c.start,
                        c.end,
                        c.status,
                        c.cue,
                        c.speaker,
                        None if c.vector is None else np.asarray(c.vector, np.float16).tobytes(),
                    ),
                )
                keys[(a.id, c.start, c.end)] = int(cur.lastrowid)
        return ids

    # ---- reads ----------------------------------------------------------------------
    def changes_since(self, gen: int) -> list[tuple[int, int, str]]:
        return self.db.execute("SELECT gen, chunk_id, op FROM changes WHERE gen > ? ORDER BY seq", (gen,)).fetchall()

    def payload(self, chunk_ids: Sequence[int]) -> Iterator[tuple[int, np.ndarray, np.ndarray, np.ndarray]]:
        """(chunk id, vector, term ids, counts) for the chunks that still exist."""
        for lo in range(0, len(chunk_ids), 500):
            part = list(chunk_ids[lo : lo + 500])
            q = f"SELECT id, vector, terms, tfs FROM chunks WHERE id IN ({','.join('?' * len(part))})"
            for cid, vec, terms, tfs in self.db.execute(q, part):
                yield (
                    cid,
                    np.frombuffer(vec, np.float32),
                    np.frombuffer(terms, np.int32),
                    np.frombuffer(tfs, np.float32),
                )

    def all_chunk_ids(self) -> list[int]:
        return [r[0] for r in self.db.execute("SELECT id FROM chunks ORDER BY id")]

    def chunks(self, chunk_ids: Sequence[int]) -> dict[int, ChunkRow]:
        if not chunk_ids:
            return {}
        q = (
            f"SELECT id, doc_id, ordinal, start, end, paragraph, paragraph_end, paragraphs, role"
            f" FROM chunks WHERE id IN ({','.join('?' * len(chunk_ids))})"
        )
        return {r[0]: ChunkRow(*r) for r in self.db.execute(q, list(chunk_ids))}

    def chunk_ids_of(self, doc_ids: Sequence[str]) -> list[int]:
        """Passage ids of the given articles, in article order."""
        if not doc_ids:
            return []
        q = f"SELECT id FROM chunks WHERE doc_id IN ({','.join('?' * len(doc_ids))}) ORDER BY doc_id, ordinal"
        return [r[0] for r in self.db.execute(q, list(doc_ids))]

    def doc_ids(self, chunk_ids: Sequence[int]) -> dict[int, str]:
        if not chunk_ids:
            return {}
        q = f"SELECT id, doc_id FROM chunks WHERE id IN ({','.join('?' * len(chunk_ids))})"
        return dict(self.db.execute(q, list(chunk_ids)).fetchall())

    def chunk_docs(self, chunk_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
        """(article id, article date or "") of each chunk whose article is stored."""
        return self.chunk_docs_terms(chunk_ids)[0]

    def chunk_docs_terms(
        self, chunk_ids: Sequence[int]
    ) -> tuple[dict[int, tuple[str, str]], dict[int, np.ndarray]]:
        """chunk_docs and chunk_terms in one read: ({chunk: (article id, date or "")} for chunks whose article
        is stored, {chunk: term ids})."""
        if not chunk_ids:
            return {}, {}
        q = (
            "SELECT c.id, c.doc_id, a.doc_id IS NOT NULL, coalesce(a.date, ''), c.terms FROM chunks c"
            f" LEFT JOIN articles a ON a.doc_id = c.doc_id WHERE c.id IN ({','.join('?' * len(chunk_ids))})"
        )
        docs, terms = {}, {}
        for cid, doc, stored, date, blob in self.db.execute(q, list(chunk_ids)):
            if stored:
                docs[cid] = (doc, date)
            terms[cid] = np.frombuffer(blob, np.int32)
        return docs, terms

    def chunk_terms(self, chunk_ids: Sequence[int]) -> dict[int, np.ndarray]:
        """Term ids of each chunk (no vectors read)."""
        return self.chunk_docs_terms(chunk_ids)[1]

    def claim_speakers(self, chunk_ids: Sequence[int]) -> dict[int, list[str]]:
        """The distinct speakers of each chunk's claims (chunks without any are left out)."""
        if not chunk_ids:
            return {}
        q = (
            "SELECT DISTINCT chunk_id, speaker FROM claims WHERE speaker IS NOT NULL AND speaker != ''"
            f" AND chunk_id IN ({','.join('?' * len(chunk_ids))})"
        )
        out: dict[int, list[str]] = {}
        for chunk_id, speaker in self.db.execute(q, list(chunk_ids)):
            out.setdefault(chunk_id, []).append(speaker)
        return out

    def outlets(self) -> list[str]:
        """The distinct outlet names of the stored articles."""
        return [r[0] for r in self.db.execute("SELECT DISTINCT source FROM articles WHERE source IS NOT NULL")]

    def chunk_ids_where(
        self, sources: Sequence[str] = (), since: str | None = None, until: str | None = None
    ) -> list[int]:
        """Passage ids of the articles from these outlets (any, when empty) dated within [since, until]
        (ISO days, inclusive; an article without a date is left out once a date bound is given)."""
        where, args = [], []
        if sources:
            where.append(f"a.source IN ({','.join('?' * len(sources))})")
            args.extend(sources)
        if since:
            where.append("substr(a.date, 1, 10) >= ?")
            args.append(since)
        if until:
            where.append("substr(a.date, 1, 10) <= ?")
            args.append(until)
        q = "SELECT c.id FROM chunks c JOIN articles a ON a.doc_id = c.doc_id"
        if where:
            q += " WHERE " + " AND ".join(where)
        return [r[0] for r in self.db.execute(q + " ORDER BY c.id", args)]

    def chunk_at(self, doc_id: str, ordinal: int) -> ChunkRow | None:
        r = self.db.execute(
            "SELECT id, doc_id, ordinal, start, end, paragraph, paragraph_end, paragraphs, role"
            " FROM chunks WHERE doc_id=? AND ordinal=?",
            (doc_id, ordinal),
        ).fetchone()
        return ChunkRow(*r) if r else None

    def articles(self, doc_ids: Sequence[str]) -> dict[str, Article]:
        ids = list(dict.fromkeys(doc_ids))
        if not ids:
            return {}
        q = (
            f"SELECT doc_id, title, source, date, url, language, text FROM articles"
            f" WHERE doc_id IN ({','.join('?' * len(ids))})"
        )
        return {
            r[0]: Article(id=r[0], title=r[1], source=r[2], date=r[3], url=r[4], language=r[5], text=r[6])
            for r in self.db.execute(q, ids)
        }

    def claims(self, chunk_ids: Sequence[int]) -> dict[int, list[dict]]:
        """Claims of each chunk, with their linked evidence and verdicts."""
        out: dict[int, list[dict]] = {c: [] for c in chunk_ids}
        if not chunk_ids:
            return out
        marks = ",".join("?" * len(chunk_ids))
        rows = self.db.execute(
            f"SELECT id, chunk_id, start, end, status, cue, speaker FROM claims"
            f" WHERE chunk_id IN ({marks}) ORDER BY start",
            list(chunk_ids),
        ).fetchall()
        ids = [r[0] for r in rows]
        links = self._links(ids)
        verdicts = self._verdicts(ids)
        for cid_, chunk_id, s, e, status, cue, speaker in rows:
            out[chunk_id].append(
                {
                    "id": cid_,
                    "start": s,
                    "end": e,
                    "status": status,
                    "cue": cue,
                    "speaker": speaker,
                    "links": links.get(cid_, []),
                    "verdicts": verdicts.get(cid_, []),
                }
            )
        return out

    def _links(self, claim_ids: Sequence[int]) -> dict[int, list[dict]]:
        out: dict[int, list[dict]] = {}
        for lo in range(0, len(claim_ids), 500):
            part = list(claim_ids[lo : lo + 500])
            q = (
                "SELECT l.claim_id, l.kind, l.score, l.value, c.doc_id, c.start, c.end, a.source, a.date,"
                " a.title, a.url, substr(a.text, c.start + 1, c.end - c.start), c.id"
                " FROM claim_links l JOIN claims c ON c.id = l.other_id JOIN articles a ON a.doc_id = c.doc_id"
                f" WHERE l.claim_id IN ({','.join('?' * len(part))}) ORDER BY l.score DESC"
            )
            for cid, kind, score, value, doc_id, s, e, source, date, title, url, text, other in self.db.execute(
                q, part
            ):
                out.setdefault(cid, []).append(
                    {
                        "kind": kind,
                        "score": round(score, 4),
                        "value": value,
                        "doc_id": doc_id,
                        "start": s,
                        "end": e,
                        "source": source,
                        "date": date,
                        "title": title,
                        "url": url,
                        "text": text,
                        "claim_id": other,
                    }
                )
        return out

    def _verdicts(self, claim_ids: Sequence[int]) -> dict[int, list[dict]]:
        out: dict[int, list[dict]] = {}
        if not claim_ids:
            return out
        q = (
            "SELECT l.claim_id, l.score, v.id, v.review FROM verdict_links l JOIN verdicts v ON v.id = l.verdict_id"
            f" WHERE l.claim_id IN ({','.join('?' * len(claim_ids))}) ORDER BY l.score DESC"
        )
        for cid, score, vid, review in self.db.execute(q, list(claim_ids)):
            out.setdefault(cid, []).append({"id": vid, "score": score, "review": json.loads(review)})
        return out

    def claim_infos(
        self, chunk_ids: Sequence[int]
    ) -> list[tuple[int, int, str, int, int, str | None, str, np.ndarray]]:
        """(claim id, chunk id, doc id, start, end, status, text, vector) for claims with vectors."""
        out = []
        for lo in range(0, len(chunk_ids), 500):
            part = list(chunk_ids[lo : lo + 500])
            q = (
                "SELECT c.id, c.chunk_id, c.doc_id, c.start, c.end, c.status,"
                " substr(a.text, c.start + 1, c.end - c.start), c.vector FROM claims c"
                " JOIN articles a ON a.doc_id = c.doc_id"
                f" WHERE c.vector IS NOT NULL AND c.chunk_id IN ({','.join('?' * len(part))})"
            )
            for cid, chunk, doc, s, e, status, text, vec in self.db.execute(q, part):
                out.append((cid, chunk, doc, s, e, status, text, np.frombuffer(vec, np.float16).astype(np.float32)))
        return out

    # ---- verdicts -------------------------------------------------------------------
    def add_verdict(
        self, verdict_id: str, review: dict, vector: np.ndarray, links: Sequence[tuple[int, float]]
    ) -> None:
        with self._write():
            self.db.execute("DELETE FROM verdict_links WHERE verdict_id=?", (verdict_id,))
            self.db.execute(
                "INSERT OR REPLACE INTO verdicts VALUES(?,?,?,?)",
                (verdict_id, json.dumps(review, ensure_ascii=False), np.asarray(vector, np.float32).tobytes(), now()),
            )
            self.db.executemany(
                "INSERT OR REPLACE INTO verdict_links VALUES(?,?,?)", [(c, verdict_id, s) for c, s in links]
            )
            self._set_meta({"updated_at": now(), "generation": str(self.generation + 1)})

    def remove_verdict(self, verdict_id: str) -> bool:
        with self._write():
            cur = self.db.execute("DELETE FROM verdicts WHERE id=?", (verdict_id,))
            self.db.execute("DELETE FROM verdict_links WHERE verdict_id=?", (verdict_id,))
            if cur.rowcount:
                self._set_meta({"updated_at": now(), "generation": str(self.generation + 1)})
        return cur.rowcount > 0

    def verdict_vectors(self) -> tuple[list[str], np.ndarray | None]:
        rows = self.db.execute("SELECT id, vector FROM verdicts ORDER BY id").fetchall()
        if not rows:
            return [], None
        return [r[0] for r in rows], np.stack([np.frombuffer(r[1], np.float32) for r in rows])

    def all_verdicts(self) -> list[dict]:
        return [json.loads(r[0]) for r in self.db.execute("SELECT review FROM verdicts ORDER BY id")]

    def claim_vectors(self, chunk_ids: Sequence[int]) -> dict[int, list[tuple[int, int, np.ndarray]]]:
        """(start, end, vector) of each claim with a stored vector, per chunk."""
        out: dict[int, list[tuple[int, int, np.ndarray]]] = {c: [] for c in chunk_ids}
        if not chunk_ids:
            return out
        q = (
            f"SELECT chunk_id, start, end, vector FROM claims WHERE vector IS NOT NULL AND"
            f" chunk_id IN ({','.join('?' * len(chunk_ids))}) ORDER BY start"
        )
        for chunk_id, s, e, vec in self.db.execute(q, list(chunk_ids)):
            out[chunk_id].append((s, e, np.frombuffer(vec, np.float16).astype(np.float32)))
        return out

    def claim_vector_rows(self, chunk_ids: Sequence[int], dim: int) -> dict[int, np.ndarray]:
        """The vectors of each chunk's claims as one float32 matrix [claims, dim], in text order (chunks
        without claim vectors are left out): claim_vectors' vectors, decoded in one piece."""
        if not chunk_ids:
            return {}
        q = (
            f"SELECT chunk_id, vector FROM claims WHERE vector IS NOT NULL AND"
            f" chunk_id IN ({','.join('?' * len(chunk_ids))}) ORDER BY chunk_id, start"
        )
        rows = self.db.execute(q, list(chunk_ids)).fetchall()
        if not rows:
            return {}
        flat = np.frombuffer(b"".join(r[1] for r in rows), np.float16).astype(np.float32).reshape(len(rows), dim)
        out: dict[int, np.ndarray] = {}
        lo = 0
        for hi in range(1, len(rows) + 1):
            if hi == len(rows) or rows[hi][0] != rows[lo][0]:
                out[rows[lo][0]] = flat[lo:hi]
                lo = hi
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


def link_rows(
    links: Sequence[Link], verdict_links: Sequence[tuple[ClaimKey, str, float]], keys: dict[ClaimKey, int]
) -> tuple[list[tuple[int, int, str, float, str | None]], list[tuple[int, str, float]]]:
    """Claim-link rows (both directions, each with the other claim's figure) and verdict-link rows,
    with new claims' (doc_id, start, end) keys resolved to their ids; links to a claim that was not
    stored are dropped."""

    def resolve(k: ClaimKey) -> int | None:
        return k if isinstance(k, int) else keys.get(k)

    rows = []
    for a, b, kind, score, value_a, value_b in links:
        ia, ib = resolve(a), resolve(b)
        if ia is not None and ib is not None:
            rows.append((ia, ib, kind, score, value_b))
            rows.append((ib, ia, kind, score, value_a))
    vrows = [(cid, v, score) for k, v, score in verdict_links if (cid := resolve(k)) is not None]
    return rows, vrows
