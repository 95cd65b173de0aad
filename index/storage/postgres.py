"""The PostgreSQL backend: articles, passages, claims, vectors and BM25 postings in one database.

Needs PostgreSQL with pgvector >= 0.8 and psycopg 3 (`pip install 'verbatim[postgres]'`).

- Passages carry a `vector(dim)` column (float32, what the embedded store keeps) with an
  HNSW index on its `halfvec` cast (half the index size, same hit rates; see
  bench/pg_backend.py) or on the vector itself (`hnsw="vector"`). Filtered searches put
  the filter (articles, outlets, dates) into the HNSW statement, with `hnsw.iterative_scan =
  relaxed_order` so enough rows meet it, and re-sort by the exact float32 score; a filter of
  at most EXACT_PASSAGES passages has them all scored exactly instead.
- A question's reads run in one read-only snapshot (`reading()`) and in few round trips:
  both searches in one pipeline, one `candidate_rows` statement for ranking, the top
  passages with their articles and claims in another pipeline. What a read fetched in that
  snapshot is kept for its later reads (`_Memo`: the dense search's vectors, the lexical
  search's corpus statistics and which passages hold the asked terms, passages, articles,
  claims), since the snapshot cannot change.
- Lexical search runs over Verbatim's own analysed terms (index.lexical.Analyzer ids):
  a postings table (term_id, chunk_id, tf, dl) with each term's document frequency in
  `vocab.df` and N / total length in `corpus`, all updated in the transaction that
  changes the passages. Beside it each term's postings are packed into bytea blocks
  (`term_blocks`, index.storage.pgblocks): a question reads its terms' blocks in one
  statement and scores them with numpy, exactly index.lexical's Lucene BM25. Searches
  limited to some articles score their postings rows in SQL instead.
- `commit_batch` is one transaction (claims, links, verdicts and vectors included) that
  bumps `meta.generation` and sends `NOTIFY verbatim_changes, '<generation>'`; readers
  use autocommit connections (one per thread), so a commit is visible to the next
  statement, and replicas learn of it via `wait_for_change` / `subscribe`.
- An add at least as big as what is stored (and of BULK_REBUILD passages or more: a first
  load) drops the HNSW index, COPYs, and builds it again in the same transaction, several
  times faster than inserting into the graph; readers wait for that commit.
- The writer lock is a session advisory lock: it dies with the writer's connection, so
  a kill -9 cannot leave it held.
- The schema is versioned: `schema_version` lists the applied steps of `MIGRATIONS`,
  applied in order under a transaction-scoped advisory lock.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from index.errors import IndexDamaged, ModelMismatch, StorageError
from index.models import Article, Filters
from index.storage import pgblocks
from index.storage.pgschema import MIGRATIONS, HalfVector, Vector, codecs, hnsw_expr, postings_copy_data, redact
from index.storage.protocol import K1, B, CandidateRows, NoIndex, TermStats, WriterBusy, chunked
from index.store import ChunkRow, ClaimKey, Link, PreparedArticle, link_rows, now

CHANNEL = "verbatim_changes"
WRITER_KEY = 0x5645_5242_4154_494D  # "VERBATIM": the writer lock's advisory key
MIGRATION_KEY = WRITER_KEY - 1
EF_SEARCH = 100
HNSW_KINDS = ("halfvec", "vector")
EXACT_PASSAGES = 1000  # a scope of at most this many passages is scored exactly (dense_search)
MEMO_PASSAGES = 64  # chunks() inside reading() reads at most this many with their articles
BULK_REBUILD = 1000  # an add of at least this many passages, and at least as many as stored, rebuilds HNSW


@dataclass
class _Memo:
    """Reads already made in one reading() snapshot (index.storage.postgres.PostgresBackend._memo)."""

    vectors: dict[int, np.ndarray] = field(default_factory=dict)  # passage vectors the dense search read
    corpus: tuple[int, float] | None = None  # (passages, total length)
    df: dict[int, int] = field(default_factory=dict)  # document frequencies read (absent: 0)
    df_of: set[int] = field(default_factory=set)  # the term ids whose df (and postings, if any) were read
    holding: dict[int, list[np.ndarray]] = field(default_factory=dict)  # term id -> passages in its blocks
    chunks: dict[int, ChunkRow] = field(default_factory=dict)
    articles: dict[str, Article] = field(default_factory=dict)
    claims: dict[int, list[dict]] = field(default_factory=dict)  # with their links and verdicts


def _article_filter(sources: Sequence[str] = (), since: str | None = None, until: str | None = None
                    ) -> tuple[str, dict[str, Any]]:  # fmt: skip
    """The SQL condition on `articles a` of outlets and an inclusive date range, and its arguments."""
    where, args = ["true"], {}
    if sources:
        where.append("a.source = ANY(%(sources)s)")
        args["sources"] = list(sources)
    if since:
        where.append("substr(a.date, 1, 10) >= %(since)s")
        args["since"] = since
    if until:
        where.append("substr(a.date, 1, 10) <= %(until)s")
        args["until"] = until
    return " AND ".join(where), args


_EMPTY = (np.zeros(0, np.int64), np.zeros(0, np.float32))  # no hits (read-only: shared)
for _array in _EMPTY:
    _array.setflags(write=False)


def _article(r: Sequence) -> Article:
    return Article(id=r[0], title=r[1], source=r[2], date=r[3], url=r[4], language=r[5], text=r[6])


def _psycopg():
    try:
        import psycopg
    except ImportError as err:  # the optional extra is not installed
        raise StorageError(
            "The PostgreSQL backend needs psycopg; install it with pip install 'verbatim[postgres]'."
        ) from err
    return psycopg


class PostgresBackend:
    kind = "postgresql"

    def __init__(
        self, url: str, *, dim: int | None = None, model: str | None = None, hnsw: str = "halfvec",
        ef_search: int = EF_SEARCH,
    ) -> None:  # fmt: skip
        """Open (and on first use create) the index in the database at `url`. `dim` and `model`
        (the manifest) are required to create it and checked against it otherwise. `ef_search` is
        HNSW's candidate list per question (recall against latency)."""
        self.ef_search = int(ef_search)
        if hnsw not in HNSW_KINDS:
            raise ValueError(f"hnsw must be one of {HNSW_KINDS}")
        self.url = url
        self._psycopg = _psycopg()
        self._local = threading.local()
        self._readers: list[Any] = []
        self._readers_lock = threading.Lock()
        self._write_lock = threading.RLock()
        self._listener = None
        self._seen, self._changed, self._seen_lock = -1, True, threading.Lock()  # see refresh()
        self._writer = threading.Lock()  # held by the thread inside writer()
        self._register: Callable[[Any], None] | None = None
        self._w = self._connect(register=False)
        try:
            self.migrate(dim=dim, model=model, hnsw=hnsw)
            self._register_types(self._w)
            self.dim = int(self.meta("dim") or 0)
            self.hnsw = self.meta("hnsw") or hnsw
            self.model = self.meta("model") or ""
            if dim is not None and dim != self.dim:
                raise ModelMismatch(
                    f"The index in {self.location} holds {self.dim}-dimension vectors, not {dim}; set "
                    f"VERBATIM_MODEL to the model it was built with ({self.model}) or use another database."
                )
        except BaseException:
            self.close()
            raise

    # ---- connections -------------------------------------------------------------------
    @property
    def location(self) -> str:
        return redact(self.url)

    def _connect(self, *, register: bool = True):
        try:
            conn = self._psycopg.connect(self.url, autocommit=True)
        except self._psycopg.OperationalError as err:
            reason = " ".join(str(err).split())  # psycopg's message spans lines
            raise StorageError(f"The database {self.location} cannot be reached ({reason}).") from err
        conn.execute(f"SET hnsw.ef_search = {self.ef_search}")
        conn.execute("SET hnsw.iterative_scan = relaxed_order")
        if register:
            self._register_types(conn)
        return conn

    def _register_types(self, conn) -> None:
        if self._register is None:
            from psycopg.types import TypeInfo

            vec, half = TypeInfo.fetch(conn, "vector"), TypeInfo.fetch(conn, "halfvec")
            if vec is None or half is None:
                raise IndexDamaged(f"The database {self.location} lacks the pgvector extension.")
            self._register = codecs(vec, half)
        self._register(conn)

    def _r(self):
        """This thread's read connection (autocommit: every statement sees the latest commit)."""
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            conn = self._connect()
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    def _q(self, sql: str, params: Any = None, *, binary: bool = False) -> list[tuple]:
        return self._r().execute(sql, params, binary=binary).fetchall()

    def close(self) -> None:
        with self._readers_lock:
            for conn in [*self._readers, self._w, self._listener]:
                if conn is not None and not conn.closed:
                    conn.close()
            self._readers.clear()

    # ---- schema ------------------------------------------------------------------------
    def migrate(self, *, dim: int | None = None, model: str | None = None, hnsw: str = "halfvec",
                upto: int | None = None) -> list[int]:  # fmt: skip
        """Apply the pending schema steps in order (all at once, under a lock); returns the ones applied."""
        applied: list[int] = []
        with self._w.transaction():
            self._w.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_KEY,))
            self._w.execute("CREATE EXTENSION IF NOT EXISTS vector")
            self._w.execute(
                "CREATE TABLE IF NOT EXISTS schema_version(version int PRIMARY KEY, applied_at timestamptz NOT NULL"
                " DEFAULT now())"
            )
            have = self._w.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0]
            if have > MIGRATIONS[-1][0]:  # its writes would not keep up what the newer schema holds
                raise StorageError(
                    f"The index in {self.location} was upgraded by a newer Verbatim (schema {have}); upgrade this"
                    " installation to use it."
                )
            pending = [(v, sql) for v, sql in MIGRATIONS if v > have and (upto is None or v <= upto)]
            if not pending:
                return applied
            if have == 0:
                if dim is None or model is None:
                    raise NoIndex(f"The database {self.location} holds no Verbatim index yet.")
                settings = {"dim": dim, "hnsw_expr": hnsw_expr(hnsw, dim)}
            else:
                meta = dict(self._w.execute("SELECT key, value FROM meta").fetchall())
                settings = {"dim": int(meta["dim"]), "hnsw_expr": hnsw_expr(meta["hnsw"], int(meta["dim"]))}
            for version, sql in pending:
                for statement in sql.format(**settings).split(";"):
                    if statement.strip():
                        self._w.execute(statement)
                if version == 1:
                    self._set_meta(
                        self._w, {"dim": str(dim), "model": str(model), "hnsw": hnsw, "generation": "0"}
                    )
                self._w.execute("INSERT INTO schema_version(version) VALUES (%s)", (version,))
                applied.append(version)
        return applied

    def schema_versions(self) -> list[int]:
        return [r[0] for r in self._q("SELECT version FROM schema_version ORDER BY version")]

    # ---- meta --------------------------------------------------------------------------
    def meta(self, key: str, default: str | None = None) -> str | None:
        rows = self._q("SELECT value FROM meta WHERE key = %s", (key,))
        return rows[0][0] if rows else default

    @staticmethod
    def _set_meta(conn, values: dict[str, str]) -> None:
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO meta(key, value) VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                list(values.items()),
            )

    def set_meta(self, **values: str) -> None:
        with self._write_lock, self._w.transaction():
            self._set_meta(self._w, values)

    @property
    def generation(self) -> int:
        return int(self.meta("generation", "0") or 0)

    def refresh(self, timeout: float = 0.0) -> int:
        """Nothing to replay (every read goes to the database): the generation seen is read again only
        when a NOTIFY from another connection, or a commit through this object, says it moved, so a
        refresh before each question costs no round trip while nothing changes. `timeout` waits that
        long for a notification when none is pending."""
        with self._seen_lock:
            moved = self._changed or self._listener is None
            if not moved:
                try:
                    moved = bool(list(self._listener.notifies(timeout=timeout, stop_after=1)))
                except self._psycopg.Error:  # the listening connection was lost: listen again
                    with contextlib.suppress(self._psycopg.Error):
                        self._listener.close()
                    self._listener, moved = None, True
            if moved:
                self._listen()  # before reading: a commit landing meanwhile is notified
                self._changed = False
                self._seen = self.generation
            return self._seen

    # ---- the writer lock ---------------------------------------------------------------
    @contextmanager
    def writer(self, *, blocking: bool = True) -> Iterator[None]:
        """The advisory lock, held on the write connection; `_writer` keeps out this process's other
        threads (an advisory lock is re-entrant within one session). The commits under it may run in
        another thread (index.ingest.stream commits in a worker)."""
        busy = "Another process is changing the index; try again when it has finished."
        if not self._writer.acquire(blocking=blocking):
            raise WriterBusy(busy)
        try:
            with self._write_lock:
                if blocking:
                    self._w.execute("SELECT pg_advisory_lock(%s)", (WRITER_KEY,))
                elif not self._w.execute("SELECT pg_try_advisory_lock(%s)", (WRITER_KEY,)).fetchone()[0]:
                    raise WriterBusy(busy)
            try:
                yield
            finally:
                with self._write_lock, contextlib.suppress(self._psycopg.Error):  # a lost connection took it along
                    self._w.execute("SELECT pg_advisory_unlock(%s)", (WRITER_KEY,))
        finally:
            self._writer.release()

    # ---- writes ------------------------------------------------------------------------
    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        """One transaction on the write connection; any database failure becomes a StorageError."""
        with self._write_lock:
            try:
                with self._w.transaction():
                    yield self._w
                self._changed = True  # this object's own commit: the next refresh() reads the generation
            except self._psycopg.Error as err:
                reason = str(err).strip()
                raise StorageError(f"The index could not be written ({reason}); nothing was changed.") from err

    def _bump(self, conn) -> int:
        gen = int(
            conn.execute(
                "UPDATE meta SET value = (value::bigint + 1)::text WHERE key = 'generation' RETURNING value"
            ).fetchone()[0]
        )
        self._set_meta(conn, {"updated_at": now()})
        conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, str(gen)))
        return gen

    def commit_batch(
        self,
        add: Sequence[PreparedArticle],
        remove: Sequence[str],
        new_terms: dict[str, int],
        links: Sequence[Link] = (),
        verdict_links: Sequence[tuple[ClaimKey, str, float]] = (),
    ) -> tuple[int, list[int], list[int]]:
        stamp = now()
        with self._transaction() as conn:
            if new_terms:
                with conn.cursor() as cur:
                    cur.executemany(
                        "INSERT INTO vocab(id, term) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                        [(i, t) for t, i in new_terms.items()],
                    )
            doomed = list(dict.fromkeys(list(remove) + [p.article.id for p in add]))
            removed = self._delete_articles(conn, doomed) if doomed else []
            keys: dict[ClaimKey, int] = {}
            new = sum(len(p.chunks) for p in add)
            bulk = new >= max(BULK_REBUILD, conn.execute("SELECT passages FROM corpus").fetchone()[0])
            if bulk:  # COPY into an unindexed table, then build the graph once (readers wait meanwhile)
                conn.execute("DROP INDEX IF EXISTS chunks_hnsw")
            added = self._insert_articles(conn, add, stamp, keys) if add else []
            if bulk:
                self.build_hnsw(conn)
            self._insert_links(conn, links, verdict_links, keys)
            dead, passages = conn.execute("SELECT dead, passages FROM corpus").fetchone()
            if dead > max(pgblocks.DEAD_MIN, passages // 50):  # removed passages piling up in the blocks
                self.rebuild_blocks(conn)
            gen = self._bump(conn)
        return gen, added, removed

    def build_hnsw(self, conn) -> None:
        """(Re)create the passages' HNSW index inside the caller's transaction."""
        conn.execute("SET LOCAL maintenance_work_mem = '512MB'")
        conn.execute(dict(MIGRATIONS)[2].format(hnsw_expr=hnsw_expr(self.hnsw, self.dim)))

    @staticmethod
    def rebuild_blocks(conn) -> None:
        """Pack every term's postings afresh (dropping removed passages), in the caller's transaction."""
        for statement in pgblocks.REBUILD_SQL.split(";"):
            if statement.strip():
                conn.execute(statement)

    def _delete_articles(self, conn, doc_ids: list[str]) -> list[int]:
        removed = [
            r[0] for r in conn.execute("SELECT id FROM chunks WHERE doc_id = ANY(%s) ORDER BY id", (doc_ids,))
        ]
        if removed:
            conn.execute(
                "UPDATE vocab v SET df = v.df - d.n FROM (SELECT term_id, count(*) AS n FROM postings"
                " WHERE chunk_id = ANY(%s) GROUP BY term_id) d WHERE v.id = d.term_id",
                (removed,),
            )
            conn.execute(
                "UPDATE corpus SET passages = passages - s.n, total_length = total_length - s.total"
                " FROM (SELECT count(*) AS n, coalesce(sum(length), 0) AS total FROM chunks WHERE id = ANY(%s)) s",
                (removed,),
            )
            conn.execute("DELETE FROM postings WHERE chunk_id = ANY(%s)", (removed,))
            conn.execute("INSERT INTO dead_chunks SELECT unnest(%s::bigint[])", (removed,))
            conn.execute("UPDATE corpus SET dead = dead + %s", (len(removed),))
        claims = "SELECT id FROM claims WHERE doc_id = ANY(%s)"
        conn.execute(f"DELETE FROM claim_links WHERE claim_id IN ({claims}) OR other_id IN ({claims})",
                     (doc_ids, doc_ids))  # fmt: skip
        conn.execute(f"DELETE FROM verdict_links WHERE claim_id IN ({claims})", (doc_ids,))
        conn.execute("DELETE FROM claims WHERE doc_id = ANY(%s)", (doc_ids,))
        conn.execute("DELETE FROM chunks WHERE doc_id = ANY(%s)", (doc_ids,))
        conn.execute("DELETE FROM articles WHERE doc_id = ANY(%s)", (doc_ids,))
        return removed

    def _new_ids(self, conn, table: str, n: int) -> list[int]:
        if n == 0:
            return []
        return [
            r[0]
            for r in conn.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s) ORDER BY 1", (table, n)
            )
        ]

    def _insert_articles(
        self, conn, add: Sequence[PreparedArticle], stamp: str, keys: dict[ClaimKey, int]
    ) -> list[int]:
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO articles VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [
                    (a.id, a.title, a.source, a.date, a.url, a.language, a.text, p.hash, p.paragraphs, stamp)
                    for p in add
                    for a in (p.article,)
                ],
            )
        chunk_ids = self._new_ids(conn, "chunks", sum(len(p.chunks) for p in add))
        claim_ids = self._new_ids(conn, "claims", sum(len(c) for p in add for c in p.claims))
        chunk_rows, claim_rows, post = [], [], []
        ci = li = 0
        for prep in add:
            a = prep.article
            for chunk, vec, (terms, tfs), claims in zip(
                prep.chunks, prep.vectors, prep.terms, prep.claims, strict=True
            ):
                cid = chunk_ids[ci]
                ci += 1
                length = float(np.asarray(tfs, np.float32).sum())
                chunk_rows.append((cid, a.id, chunk.ordinal, chunk.start, chunk.end, chunk.paragraph,
                                   chunk.paragraph_end, chunk.paragraphs, chunk.role.value, length,
                                   Vector(np.asarray(vec, np.float32))))  # fmt: skip
                post.append((terms, cid, tfs, length))
                for c in claims:
                    claim_rows.append((claim_ids[li], cid, a.id, c.start, c.end, c.status, c.cue, c.speaker,
                                       None if c.vector is None else HalfVector(c.vector)))  # fmt: skip
                    keys[(a.id, c.start, c.end)] = claim_ids[li]
                    li += 1
        self.copy_chunks(conn, chunk_rows)
        self.copy_claims(conn, claim_rows)
        self.copy_postings(conn, post)
        return chunk_ids

    # Bulk writers shared with index.storage.migrate (rows in table column order).
    CHUNK_COLUMNS = 'id, doc_id, ordinal, start, "end", paragraph, paragraph_end, paragraphs, role, length, vector'
    CHUNK_TYPES = ("int8", "text", "int4", "int4", "int4", "int4", "int4", "int4", "text", "float4", "vector")
    CLAIM_COLUMNS = 'id, chunk_id, doc_id, start, "end", status, cue, speaker, vector'
    CLAIM_TYPES = ("int8", "int8", "text", "int4", "int4", "text", "text", "text", "halfvec")

    def copy_chunks(self, conn, rows: Sequence[tuple]) -> None:
        with conn.cursor().copy(f"COPY chunks ({self.CHUNK_COLUMNS}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(list(self.CHUNK_TYPES))
            for row in rows:
                copy.write_row(row)

    def copy_claims(self, conn, rows: Sequence[tuple]) -> None:
        with conn.cursor().copy(f"COPY claims ({self.CLAIM_COLUMNS}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(list(self.CLAIM_TYPES))
            for row in rows:
                copy.write_row(row)

    def copy_postings(self, conn, passages: Sequence[tuple[np.ndarray, int, np.ndarray, float]]) -> None:
        """Postings of (term ids, chunk id, counts, length) passages, with df and corpus totals updated."""
        if not passages:
            return
        sizes = [len(t) for t, _, _, _ in passages]
        terms = np.concatenate([np.asarray(t, np.int32) for t, _, _, _ in passages])
        tfs = np.concatenate([np.asarray(f, np.float32) for _, _, f, _ in passages])
        chunks = np.repeat(np.asarray([c for _, c, _, _ in passages], np.int64), sizes)
        dls = np.repeat(np.asarray([d for _, _, _, d in passages], np.float32), sizes)
        with conn.cursor().copy("COPY postings (term_id, chunk_id, tf, dl) FROM STDIN (FORMAT BINARY)") as copy:
            copy.write(postings_copy_data(terms, chunks, tfs, dls))
        try:
            blocks = pgblocks.pack(terms, chunks, tfs, dls)
        except ValueError as err:
            raise StorageError(f"A passage cannot be indexed in PostgreSQL ({err}); nothing was changed.") from err
        block = conn.execute("SELECT nextval('term_block_seq')").fetchone()[0]
        with conn.cursor().copy("COPY term_blocks (term_id, block, postings) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(["int4", "int8", "bytea"])
            for term, data in blocks:
                copy.write_row((term, block, data))
        uniq, counts = np.unique(terms, return_counts=True)
        full = conn.execute(
            "WITH u AS (UPDATE vocab v SET df = v.df + d.n, blocks = v.blocks + 1 FROM (SELECT unnest(%s::int[]) AS id,"
            " unnest(%s::int[]) AS n) d WHERE v.id = d.id RETURNING v.id, v.blocks) SELECT id FROM u WHERE blocks > %s",
            (uniq.tolist(), counts.tolist(), pgblocks.MAX_BLOCKS),
        ).fetchall()
        if full:  # merge each such term's blocks into one (bytes concatenated in block order)
            ids = [r[0] for r in full]
            conn.execute(
                "WITH m AS (DELETE FROM term_blocks WHERE term_id = ANY(%s) RETURNING term_id, block, postings)"
                " INSERT INTO term_blocks SELECT term_id, max(block), string_agg(postings, ''::bytea ORDER BY block)"
                " FROM m GROUP BY term_id",
                (ids,),
            )
            conn.execute("UPDATE vocab SET blocks = 1 WHERE id = ANY(%s)", (ids,))
        conn.execute(
            "UPDATE corpus SET passages = passages + %s, total_length = total_length + %s",
            (len(passages), float(sum(d for _, _, _, d in passages))),
        )

    def _insert_links(
        self, conn, links: Sequence[Link], verdict_links: Sequence[tuple[ClaimKey, str, float]],
        keys: dict[ClaimKey, int],
    ) -> None:  # fmt: skip
        rows, vrows = link_rows(links, verdict_links, keys)
        with conn.cursor() as cur:
            if rows:
                cur.executemany(
                    "INSERT INTO claim_links VALUES (%s, %s, %s, %s, %s) ON CONFLICT (claim_id, other_id, kind)"
                    " DO UPDATE SET score = excluded.score, value = excluded.value",
                    rows,
                )
            if vrows:
                cur.executemany(
                    "INSERT INTO verdict_links VALUES (%s, %s, %s) ON CONFLICT (claim_id, verdict_id)"
                    " DO UPDATE SET score = excluded.score",
                    vrows,
                )

    def add_verdict(
        self, verdict_id: str, review: dict, vector: np.ndarray, links: Sequence[tuple[int, float]]
    ) -> None:
        with self._transaction() as conn:
            conn.execute("DELETE FROM verdict_links WHERE verdict_id = %s", (verdict_id,))
            conn.execute(
                "INSERT INTO verdicts VALUES (%s, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET review = excluded.review,"
                " vector = excluded.vector, added_at = excluded.added_at",
                (verdict_id, json.dumps(review, ensure_ascii=False), Vector(np.asarray(vector, np.float32)), now()),
            )
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO verdict_links VALUES (%s, %s, %s) ON CONFLICT (claim_id, verdict_id)"
                    " DO UPDATE SET score = excluded.score",
                    [(c, verdict_id, s) for c, s in links],
                )
            self._bump(conn)

    def remove_verdict(self, verdict_id: str) -> bool:
        with self._transaction() as conn:
            found = conn.execute("DELETE FROM verdicts WHERE id = %s", (verdict_id,)).rowcount > 0
            conn.execute("DELETE FROM verdict_links WHERE verdict_id = %s", (verdict_id,))
            if found:
                self._bump(conn)
        return found

    # ---- reads -------------------------------------------------------------------------
    def vector_dim(self) -> int | None:
        rows = self._q("SELECT vector_dims(vector) FROM chunks LIMIT 1")
        return int(rows[0][0]) if rows else None

    def article_hashes(self, doc_ids: Sequence[str]) -> dict[str, str]:
        return dict(self._q("SELECT doc_id, hash FROM articles WHERE doc_id = ANY(%s)", (list(doc_ids),)))

    def vocabulary(self) -> dict[str, int]:
        return dict(self._q("SELECT term, id FROM vocab"))

    def term_map(self, stems: Sequence[str]) -> dict[str, int]:
        uniq = list(dict.fromkeys(stems))
        return dict(self._q("SELECT term, id FROM vocab WHERE term = ANY(%s)", (uniq,))) if uniq else {}

    _CHUNK = 'id, doc_id, ordinal, start, "end", paragraph, paragraph_end, paragraphs, role'

    def chunks(self, chunk_ids: Sequence[int]) -> dict[int, ChunkRow]:
        """Inside reading(), a few passages are read with their articles and claims (what a question reads
        next), in one round trip, and kept for the rest of the snapshot."""
        if not chunk_ids:
            return {}
        ids = list(map(int, chunk_ids))
        memo = self._memo()
        if memo is None or len(ids) > MEMO_PASSAGES:
            rows = self._q(f"SELECT {self._CHUNK} FROM chunks WHERE id = ANY(%s)", (ids,))
            return {r[0]: ChunkRow(*r) for r in rows}
        missing = [i for i in ids if i not in memo.chunks]
        if missing:
            columns = ", ".join(f"c.{c}" for c in self._CHUNK.split(", ")) + ", " + ", ".join(
                f"a.{c}" for c in self._ARTICLE.split(", ")
            )
            n = len(self._CHUNK.split(", "))
            conn = self._r()
            with conn.pipeline():
                cur = conn.execute(f"SELECT {columns} FROM chunks c JOIN articles a ON a.doc_id = c.doc_id"
                                   " WHERE c.id = ANY(%s)", (missing,))  # fmt: skip
                claims = self._send_claims(conn, missing)
            for r in cur.fetchall():
                memo.chunks[r[0]] = ChunkRow(*r[:n])
                memo.articles[r[n]] = _article(r[n:])
            memo.claims.update(claims())
        return {i: memo.chunks[i] for i in ids if i in memo.chunks}

    def chunk_ids_of(self, doc_ids: Sequence[str]) -> list[int]:
        if not doc_ids:
            return []
        rows = self._q("SELECT id FROM chunks WHERE doc_id = ANY(%s) ORDER BY doc_id, ordinal", (list(doc_ids),))
        return [r[0] for r in rows]

    def all_chunk_ids(self) -> list[int]:
        return [r[0] for r in self._q("SELECT id FROM chunks ORDER BY id")]

    def doc_ids(self, chunk_ids: Sequence[int]) -> dict[int, str]:
        if not chunk_ids:
            return {}
        return dict(self._q("SELECT id, doc_id FROM chunks WHERE id = ANY(%s)", (list(map(int, chunk_ids)),)))

    def chunk_at(self, doc_id: str, ordinal: int) -> ChunkRow | None:
        rows = self._q(f"SELECT {self._CHUNK} FROM chunks WHERE doc_id = %s AND ordinal = %s", (doc_id, ordinal))
        return ChunkRow(*rows[0]) if rows else None

    def passage_terms(self, chunk_ids: Sequence[int]) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        if not chunk_ids:
            return {}
        rows = self._q(
            "SELECT chunk_id, array_agg(term_id ORDER BY term_id), array_agg(tf ORDER BY term_id) FROM postings"
            " WHERE chunk_id = ANY(%s) GROUP BY chunk_id",
            (list(map(int, chunk_ids)),),
        )
        return {c: (np.asarray(t, np.int32), np.asarray(f, np.float32)) for c, t, f in rows}

    def vectors(self, chunk_ids: Sequence[int]) -> np.ndarray:
        if not len(chunk_ids):
            return np.zeros((0, self.dim), np.float32)
        ids = [int(i) for i in chunk_ids]
        rows = dict(self._q("SELECT id, vector FROM chunks WHERE id = ANY(%s)", (ids,), binary=True))
        return np.stack([rows[i] for i in ids])

    _ARTICLE = "doc_id, title, source, date, url, language, text"

    def articles(self, doc_ids: Sequence[str]) -> dict[str, Article]:
        ids = list(dict.fromkeys(doc_ids))
        if not ids:
            return {}
        memo = self._memo()
        if memo is not None and all(i in memo.articles for i in ids):  # read with their passages (chunks)
            return {i: memo.articles[i] for i in ids}
        rows = self._q(f"SELECT {self._ARTICLE} FROM articles WHERE doc_id = ANY(%s)", (ids,))
        return {r[0]: _article(r) for r in rows}

    def claims(self, chunk_ids: Sequence[int]) -> dict[int, list[dict]]:
        """The passages' claims with their links and verdicts: three statements in one round trip (none
        for passages chunks() read in this snapshot)."""
        ids = list(map(int, chunk_ids))
        memo = self._memo()
        known = memo.claims if memo is not None else {}
        missing = [i for i in ids if i not in known]
        got: dict[int, list[dict]] = {}
        if missing:
            conn = self._r()
            with conn.pipeline():
                finish = self._send_claims(conn, missing)
            got = finish()
            if memo is not None:
                memo.claims.update(got)
        return {i: known[i] if i in known else got[i] for i in ids}

    def _send_claims(self, conn, chunk_ids: list[int]) -> Callable[[], dict[int, list[dict]]]:
        """Send the three statements (in the caller's pipeline); the returned function reads their rows."""
        args = {"chunks": chunk_ids}
        of = "IN (SELECT id FROM claims WHERE chunk_id = ANY(%(chunks)s))"
        cur = conn.execute(
            'SELECT id, chunk_id, start, "end", status, cue, speaker FROM claims WHERE chunk_id = ANY(%(chunks)s)'
            " ORDER BY start, id",
            args,
        )
        link_cur = conn.execute(self._LINKS.format(of), args)
        verdict_cur = conn.execute(self._VERDICTS.format(of), args)

        def finish() -> dict[int, list[dict]]:
            out: dict[int, list[dict]] = {c: [] for c in chunk_ids}
            rows = cur.fetchall()
            links, verdicts = self._links(link_cur.fetchall()), self._verdicts(verdict_cur.fetchall())
            for cid, chunk_id, s, e, status, cue, speaker in rows:
                out[chunk_id].append(
                    {"id": cid, "start": s, "end": e, "status": status, "cue": cue, "speaker": speaker,
                     "links": links.get(cid, []), "verdicts": verdicts.get(cid, [])}
                )  # fmt: skip
            return out

        return finish

    # {} is the claim ids' condition: "= ANY(%(claims)s)", or a subquery
    _LINKS = (
        'SELECT l.claim_id, l.kind, l.score, l.value, c.doc_id, c.start, c."end", a.source, a.date, a.title,'
        ' a.url, substr(a.text, c.start + 1, c."end" - c.start), c.id FROM claim_links l'
        " JOIN claims c ON c.id = l.other_id JOIN articles a ON a.doc_id = c.doc_id"
        " WHERE l.claim_id {} ORDER BY l.score DESC, l.other_id, l.kind"
    )
    _VERDICTS = (
        "SELECT l.claim_id, l.score, v.id, v.review FROM verdict_links l JOIN verdicts v ON v.id = l.verdict_id"
        " WHERE l.claim_id {} ORDER BY l.score DESC"
    )

    def links(self, claim_ids: Sequence[int]) -> dict[int, list[dict]]:
        if not claim_ids:
            return {}
        return self._links(self._q(self._LINKS.format("= ANY(%(claims)s)"), {"claims": list(claim_ids)}))

    @staticmethod
    def _links(rows: list[tuple]) -> dict[int, list[dict]]:
        out: dict[int, list[dict]] = {}
        keys = ("kind", "score", "value", "doc_id", "start", "end", "source", "date", "title", "url", "text",
                "claim_id")  # fmt: skip
        for cid, *values in rows:
            item = dict(zip(keys, values, strict=True))
            item["score"] = round(item["score"], 4)
            out.setdefault(cid, []).append(item)
        return out

    def verdicts(self, claim_ids: Sequence[int]) -> dict[int, list[dict]]:
        if not claim_ids:
            return {}
        return self._verdicts(self._q(self._VERDICTS.format("= ANY(%(claims)s)"), {"claims": list(claim_ids)}))

    @staticmethod
    def _verdicts(rows: list[tuple]) -> dict[int, list[dict]]:
        out: dict[int, list[dict]] = {}
        for cid, score, vid, review in rows:
            out.setdefault(cid, []).append({"id": vid, "score": score, "review": json.loads(review)})
        return out

    def claim_infos(
        self, chunk_ids: Sequence[int]
    ) -> list[tuple[int, int, str, int, int, str | None, str, np.ndarray]]:
        out = []
        for part in chunked(list(map(int, chunk_ids)), 5000):
            out.extend(
                self._q(
                    'SELECT c.id, c.chunk_id, c.doc_id, c.start, c."end", c.status,'
                    ' substr(a.text, c.start + 1, c."end" - c.start), c.vector FROM claims c'
                    " JOIN articles a ON a.doc_id = c.doc_id WHERE c.vector IS NOT NULL AND c.chunk_id = ANY(%s)"
                    " ORDER BY c.id",
                    (part,),
                    binary=True,
                )
            )
        return out

    def claim_vectors(self, chunk_ids: Sequence[int]) -> dict[int, list[tuple[int, int, np.ndarray]]]:
        out: dict[int, list[tuple[int, int, np.ndarray]]] = {c: [] for c in chunk_ids}
        if not chunk_ids:
            return out
        rows = self._q(
            'SELECT chunk_id, start, "end", vector FROM claims WHERE vector IS NOT NULL AND chunk_id = ANY(%s)'
            " ORDER BY start, id",
            (list(map(int, chunk_ids)),),
            binary=True,
        )
        for chunk_id, s, e, vec in rows:
            out[chunk_id].append((s, e, vec))
        return out

    def verdict_vectors(self) -> tuple[list[str], np.ndarray | None]:
        rows = self._q('SELECT id, vector FROM verdicts ORDER BY id COLLATE "C"', binary=True)
        if not rows:
            return [], None
        return [r[0] for r in rows], np.stack([r[1] for r in rows])

    def all_verdicts(self) -> list[dict]:
        return [json.loads(r[0]) for r in self._q('SELECT review FROM verdicts ORDER BY id COLLATE "C"')]

    def sources(self) -> list[tuple[str, str, str | None, str | None, int]]:
        return self._q(
            "SELECT a.doc_id, a.title, a.source, a.date, count(c.id) FROM articles a"
            " LEFT JOIN chunks c ON c.doc_id = a.doc_id GROUP BY a.doc_id"
            " ORDER BY a.source NULLS FIRST, a.date NULLS FIRST, a.doc_id"
        )

    def counts(self) -> dict[str, int]:
        row = self._q(
            "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM chunks), (SELECT count(*) FROM claims),"
            " (SELECT count(DISTINCT source) FROM articles), (SELECT count(*) FROM verdicts)"
        )[0]
        return dict(zip(("articles", "passages", "claims", "outlets", "verdicts"), map(int, row), strict=True))

    def size_bytes(self) -> int:
        return int(self._q("SELECT pg_database_size(current_database())")[0][0])

    # ---- search ------------------------------------------------------------------------
    def _order_expr(self) -> str:
        if self.hnsw == "halfvec":
            return f"vector::halfvec({self.dim}) <#> %(q)s::halfvec({self.dim})"
        return "vector <#> %(q)s"

    def dense_search(
        self,
        qvec: np.ndarray,
        k: int,
        doc_ids: Sequence[str] | None = None,
        *,
        chunk_ids: np.ndarray | None = None,
        filters: Filters | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """HNSW, re-sorted by the exact float32 score; under `doc_ids` / `filters` the conditions go into
        the statement and HNSW's iterative scan finds enough rows that meet them. At most EXACT_PASSAGES
        `chunk_ids` (or any number of them, without `doc_ids` or `filters` to search by) are scored
        exactly instead: sending many ids costs more than the search. The vectors read are kept for
        candidate_rows in the same snapshot."""
        plan = self._dense_sql(qvec, k, doc_ids, chunk_ids, filters)
        return self._dense_result(self._q(*plan, binary=True)) if plan else _EMPTY

    def hybrid_search(
        self,
        qvec: np.ndarray,
        term_ids: Sequence[int],
        k: int,
        *,
        lexical_k: int | None = None,
        doc_ids: Sequence[str] | None = None,
        chunk_ids: np.ndarray | None = None,
        filters: Filters | None = None,
    ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
        """Both searches' statements in one round trip (a pipeline)."""
        terms = list(dict.fromkeys(int(t) for t in term_ids))
        lex_k = k if lexical_k is None else lexical_k
        dense, lexical = self._dense_sql(qvec, k, doc_ids, chunk_ids, filters), self._lexical_sql(terms, lex_k)
        conn = self._r()
        with conn.pipeline():
            dense_cur = conn.execute(*dense, binary=True) if dense else None
            lex_cur = conn.execute(*lexical, binary=True) if lexical else None
        return (
            self._dense_result(dense_cur.fetchall()) if dense_cur else _EMPTY,
            self._lexical_result(terms, lex_k, lex_cur.fetchall()) if lex_cur else _EMPTY,
        )

    def _dense_sql(
        self, qvec: np.ndarray, k: int, doc_ids: Sequence[str] | None, chunk_ids: np.ndarray | None,
        filters: Filters | None,
    ) -> tuple[str, dict[str, Any]] | None:  # fmt: skip
        if k <= 0 or (doc_ids is not None and not doc_ids) or (chunk_ids is not None and not len(chunk_ids)):
            return None
        by_ids = chunk_ids is not None and (len(chunk_ids) <= EXACT_PASSAGES or (doc_ids is None and not filters))
        where = ["true"]
        args: dict[str, Any] = {"q": Vector(np.asarray(qvec, np.float32)), "k": k}
        if by_ids:
            where.append("id = ANY(%(ids)s)")
            args["ids"] = np.asarray(chunk_ids, np.int64).tolist()
        else:
            if doc_ids is not None:
                where.append("doc_id = ANY(%(docs)s)")
                args["docs"] = list(doc_ids)
            if filters:
                cond, more = _article_filter(filters.sources, filters.since, filters.until)
                where.append(f"doc_id IN (SELECT a.doc_id FROM articles a WHERE {cond})")
                args.update(more)
        if by_ids:  # MATERIALIZED: no index can order it, every row is scored
            sql = (
                f"WITH near AS MATERIALIZED (SELECT id, vector, -(vector <#> %(q)s) AS score FROM chunks WHERE"
                f" {' AND '.join(where)}) SELECT id, score, vector FROM near ORDER BY score DESC, id LIMIT %(k)s"
            )
        else:
            sql = (
                f"WITH near AS MATERIALIZED (SELECT id, vector FROM chunks WHERE {' AND '.join(where)} ORDER BY"
                f" {self._order_expr()} LIMIT %(k)s) SELECT id, -(vector <#> %(q)s) AS score, vector FROM near"
                " ORDER BY score DESC, id"
            )
        return sql, args

    def _dense_result(self, rows: list[tuple]) -> tuple[np.ndarray, np.ndarray]:
        memo = self._memo()
        if memo is not None:
            memo.vectors.update((r[0], r[2]) for r in rows)
        return np.asarray([r[0] for r in rows], np.int64), np.asarray([r[1] for r in rows], np.float32)

    def candidate_rows(
        self, chunk_ids: Sequence[int], term_ids: Sequence[int], *, speakers: bool = False
    ) -> CandidateRows:
        """One statement: each passage's article and date, its vector (unless the dense search of this
        snapshot read it), which of `term_ids` it holds, its claims' vectors (packed) and speakers."""
        ids = [int(i) for i in chunk_ids]
        terms = list(dict.fromkeys(int(t) for t in term_ids))
        memo = self._memo()
        have = [i for i in ids if i in memo.vectors] if memo is not None else []
        known_terms = memo is not None and memo.df_of.issuperset(terms)  # the lexical search read their postings
        held = "NULL::int[]" if known_terms else (
            "ARRAY(SELECT p.term_id FROM postings p WHERE p.chunk_id = c.id AND p.term_id = ANY(%(terms)s))"
        )
        who = (
            "ARRAY(SELECT DISTINCT s.speaker FROM claims s WHERE s.chunk_id = c.id AND s.speaker IS NOT NULL"
            " AND s.speaker != '')" if speakers else "NULL::text[]"
        )
        rows = self._q(
            "SELECT c.id, c.doc_id, coalesce(a.date, ''), CASE WHEN c.id = ANY(%(have)s) THEN NULL ELSE c.vector END,"
            f" {held}, (SELECT string_agg(substring(halfvec_send(s.vector) FROM 5), ''::bytea ORDER BY s.start, s.id)"
            f" FROM claims s WHERE s.chunk_id = c.id AND s.vector IS NOT NULL), {who}"
            " FROM chunks c JOIN articles a ON a.doc_id = c.doc_id WHERE c.id = ANY(%(ids)s)",
            {"ids": ids, "have": have, "terms": terms},
            binary=True,
        )
        by_id = {r[0]: r for r in rows}
        known = memo.vectors if memo is not None else {}
        vectors = np.stack([known[i] if by_id[i][3] is None else by_id[i][3] for i in ids]) if ids else (
            np.zeros((0, self.dim), np.float32))  # fmt: skip
        sentences = {
            i: list(np.frombuffer(bytes(r[5]), ">f2").astype(np.float32).reshape(-1, self.dim)) if r[5] else []
            for i, r in by_id.items()
        }
        if memo is not None and known_terms:
            held_terms = self._held(memo, ids, terms)
        else:
            held_terms = {i: np.asarray(r[4], np.int32) for i, r in by_id.items()}
        return CandidateRows(
            vectors=vectors,
            docs={i: (r[1], r[2]) for i, r in by_id.items()},
            terms=held_terms,
            sentences=sentences,
            speakers={i: list(r[6]) for i, r in by_id.items() if r[6]} if speakers else {},
        )

    @staticmethod
    def _held(memo: _Memo, ids: list[int], terms: list[int]) -> dict[int, np.ndarray]:
        """Which of `terms` each passage holds, from the postings the lexical search read."""
        arr = np.asarray(ids, np.int64)
        out: dict[int, list[int]] = {i: [] for i in ids}
        if not len(arr):
            return {}
        top = int(arr.max()) + 1
        wanted = np.zeros(top, bool)  # a lookup table over the candidates' id range
        wanted[arr] = True
        for t in terms:
            parts = memo.holding.get(t)
            if not parts:
                continue
            chunks = np.concatenate(parts).astype(np.intp)
            chunks = chunks[chunks < top]
            for i in chunks[wanted[chunks]].tolist():
                out[i].append(t)
        return {i: np.asarray(sorted(set(v)), np.int32) for i, v in out.items()}

    def dense_search_many(self, qvecs: np.ndarray, k: int) -> np.ndarray:
        out = np.full((len(qvecs), k), -1, dtype=np.int64)
        if k <= 0 or not len(qvecs):
            return out
        sql = f"SELECT id FROM chunks ORDER BY {self._order_expr()} LIMIT %(k)s"
        with self._r().cursor() as cur:
            cur.executemany(sql, [{"q": Vector(np.asarray(q, np.float32)), "k": k} for q in qvecs], returning=True)
            row = 0
            while True:
                ids = [r[0] for r in cur.fetchall()]
                out[row, : len(ids)] = ids
                row += 1
                if not cur.nextset():
                    break
        return out

    def lexical_search(
        self, term_ids: Sequence[int], k: int, doc_ids: Sequence[str] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        terms = list(dict.fromkeys(int(t) for t in term_ids))
        if k <= 0 or not terms or (doc_ids is not None and not doc_ids):
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        if doc_ids is not None:
            return self._lexical_within(terms, k, doc_ids)
        return self._lexical_result(terms, k, self._q(*self._lexical_sql(terms, k), binary=True))

    @staticmethod
    def _lexical_sql(terms: list[int], k: int) -> tuple[str, tuple] | None:
        """One statement (one snapshot): the corpus totals and tombstones, then each term's df and blocks."""
        if k <= 0 or not terms:
            return None
        return (
            "SELECT NULL::int, passages, total_length, (SELECT string_agg(int8send(chunk_id), ''::bytea)"
            " FROM dead_chunks) FROM corpus UNION ALL SELECT v.id, v.df::bigint, NULL, b.postings FROM vocab v"
            " JOIN term_blocks b ON b.term_id = v.id WHERE v.id = ANY(%s) AND v.df > 0",
            (terms,),
        )

    def _lexical_result(self, terms: list[int], k: int, rows: list[tuple]) -> tuple[np.ndarray, np.ndarray]:
        _, passages, total, dead = rows[0]
        memo = self._memo()
        n = max(int(passages), 1)
        avgdl = total / passages if passages else 1.0
        blocks = [(float(np.log(1.0 + (n - df + 0.5) / (df + 0.5))), bytes(data)) for _, df, _, data in rows[1:]]
        if memo is not None:  # what term_stats and candidate_rows would read in this snapshot
            memo.corpus = (int(passages), float(total))
            memo.df.update((int(t), int(df)) for t, df, _, _ in rows[1:])
            memo.df_of.update(terms)
            for (t, *_), (_, data) in zip(rows[1:], blocks, strict=True):
                memo.holding.setdefault(int(t), []).append(pgblocks.chunk_ids(data))
        return pgblocks.top_k(blocks, avgdl, k, bytes(dead) if dead else None, K1, B)

    def _lexical_within(self, terms: list[int], k: int, doc_ids: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """BM25 over the passages of the given articles only, scored in SQL from their postings rows."""
        rows = self._q(
            "WITH st AS (SELECT greatest(passages, 1)::float8 AS n,"
            " CASE WHEN passages > 0 THEN total_length / passages ELSE 1 END AS avgdl FROM corpus),"
            " q AS (SELECT v.id, ln(1 + (st.n - v.df::float8 + 0.5) / (v.df::float8 + 0.5)) AS idf FROM vocab v, st"
            " WHERE v.id = ANY(%(terms)s) AND v.df > 0)"
            " SELECT p.chunk_id, sum(q.idf * p.tf / (p.tf + %(k1)s * (1 - %(b)s + %(b)s * p.dl / st.avgdl))) AS score"
            " FROM postings p JOIN q ON p.term_id = q.id CROSS JOIN st"
            " WHERE p.chunk_id IN (SELECT id FROM chunks WHERE doc_id = ANY(%(docs)s))"
            " GROUP BY p.chunk_id ORDER BY score DESC, p.chunk_id LIMIT %(k)s",
            {"terms": terms, "k": k, "k1": K1, "b": B, "docs": list(doc_ids)},
        )
        return np.asarray([r[0] for r in rows], np.int64), np.asarray([r[1] for r in rows], np.float32)

    def term_stats(self, term_ids: Sequence[int]) -> TermStats:
        terms = list(dict.fromkeys(int(t) for t in term_ids))
        memo = self._memo()
        if memo is not None and memo.corpus is not None and memo.df_of.issuperset(terms):
            n, total = memo.corpus
            df = {t: memo.df[t] for t in terms if t in memo.df}
        else:
            rows = self._q(
                "SELECT NULL::int, passages, total_length FROM corpus UNION ALL"
                " SELECT id, df::bigint, NULL FROM vocab WHERE id = ANY(%s) AND df > 0",
                (terms,),
            )
            n, total = rows[0][1], rows[0][2]
            df = {r[0]: int(r[1]) for r in rows[1:]}
            if memo is not None:
                memo.corpus = (int(n), float(total))
        return TermStats(passages=int(n), avgdl=float(total) / n if n else 0.0, df=df)

    # ---- learning of other processes' commits --------------------------------------------
    def _listen(self):
        if self._listener is None:
            self._listener = self._connect(register=False)
            self._listener.execute(f"LISTEN {CHANNEL}")
        return self._listener

    def listen(self) -> None:
        """Start listening now: a commit after this call is reported by the next wait_for_change."""
        self._listen()

    def wait_for_change(self, timeout: float | None = None) -> int | None:
        """Block until another connection commits (NOTIFY), up to `timeout` seconds; returns the
        generation it committed, or None on timeout."""
        conn = self._listen()
        for note in conn.notifies(timeout=timeout, stop_after=1):
            return int(note.payload)
        return None

    def subscribe(self, callback: Callable[[int], None], *, poll: float = 1.0) -> Callable[[], None]:
        """Call `callback(generation)` from a daemon thread after each commit; returns a stop function."""
        self._listen()
        stop = threading.Event()

        def run() -> None:
            while not stop.is_set():
                try:
                    gen = self.wait_for_change(poll)
                except self._psycopg.Error:
                    return  # closed
                if gen is not None and not stop.is_set():
                    callback(gen)

        thread = threading.Thread(target=run, name="verbatim-listen", daemon=True)
        thread.start()

        def cancel() -> None:
            stop.set()
            thread.join(poll + 1.0)

        return cancel

    # ---- what the engine reads besides the protocol's core (index.search.searcher) -------------
    @property
    def seen(self) -> int:
        return self._seen if self._seen >= 0 and not self._changed else self.refresh()

    @contextmanager
    def reading(self) -> Iterator[None]:
        """The reads of one question in one read-only repeatable-read transaction on this thread's
        connection: a commit landing meanwhile is not half seen. Re-entrant."""
        local = self._local
        depth = getattr(local, "reading", 0)
        local.reading = depth + 1
        try:
            if depth:
                yield
                return
            conn = self._r()
            if conn.isolation_level != self._psycopg.IsolationLevel.REPEATABLE_READ:
                conn.isolation_level, conn.read_only = self._psycopg.IsolationLevel.REPEATABLE_READ, True
            with conn.transaction():  # BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY
                # the snapshot's generation: what this question's reads reflect (no extra round trip)
                self._seen = max(self._seen, self.generation)
                local.memo = _Memo()
                yield
        finally:
            local.reading = depth
            if not depth:
                local.memo = None

    def _memo(self) -> _Memo | None:
        """What this thread's reads already fetched in its current snapshot (None outside reading()): one
        snapshot never changes, so a read served from it is the read the database would answer."""
        return getattr(self._local, "memo", None)

    def chunk_docs(self, chunk_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
        if not chunk_ids:
            return {}
        rows = self._q(
            "SELECT c.id, c.doc_id, coalesce(a.date, '') FROM chunks c JOIN articles a ON a.doc_id = c.doc_id"
            " WHERE c.id = ANY(%s)",
            (list(map(int, chunk_ids)),),
        )
        return {r[0]: (r[1], r[2]) for r in rows}

    def chunk_terms(self, chunk_ids: Sequence[int]) -> dict[int, np.ndarray]:
        if not chunk_ids:
            return {}
        rows = self._q(
            "SELECT chunk_id, array_agg(term_id) FROM postings WHERE chunk_id = ANY(%s) GROUP BY chunk_id",
            (list(map(int, chunk_ids)),),
        )
        return {c: np.asarray(t, np.int32) for c, t in rows}

    def claim_speakers(self, chunk_ids: Sequence[int]) -> dict[int, list[str]]:
        if not chunk_ids:
            return {}
        rows = self._q(
            "SELECT DISTINCT chunk_id, speaker FROM claims WHERE speaker IS NOT NULL AND speaker != ''"
            " AND chunk_id = ANY(%s)",
            (list(map(int, chunk_ids)),),
        )
        out: dict[int, list[str]] = {}
        for chunk_id, speaker in rows:
            out.setdefault(chunk_id, []).append(speaker)
        return out

    def outlets(self) -> list[str]:
        return [r[0] for r in self._q("SELECT DISTINCT source FROM articles WHERE source IS NOT NULL")]

    def chunk_ids_where(
        self, sources: Sequence[str] = (), since: str | None = None, until: str | None = None
    ) -> list[int]:
        where, args = _article_filter(sources, since, until)
        rows = self._q(  # packed: a broad filter holds tens of thousands
            "SELECT string_agg(int8send(c.id), ''::bytea ORDER BY c.id) FROM chunks c JOIN articles a"
            f" ON a.doc_id = c.doc_id WHERE {where}",
            args,
            binary=True,
        )
        return np.frombuffer(bytes(rows[0][0]), ">i8").astype(np.int64).tolist() if rows[0][0] else []
