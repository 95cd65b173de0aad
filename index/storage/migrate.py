"""Moving an index between the embedded backend and PostgreSQL, without re-encoding anything.

`to_postgres(index_dir, url)` copies an index folder's store.sqlite (articles, passages with
their vectors and terms, claims with theirs, links, verdicts, the vocabulary and the meta
values such as the last update time) into an empty database: one transaction, rows
COPY'd before the HNSW index is built, passage and claim ids kept so links stay valid.
`to_sqlite(url, index_dir)` writes the database back as an index folder (store.sqlite and
manifest.json); FAISS and BM25 are rebuilt from it when the folder is opened.

The CLI (`verbatim migrate --to URL|FOLDER [--replace]`) only needs to call one of these;
`replace=True` first removes an index already at the target.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from index.errors import IndexDamaged, ModelMismatch, StorageError
from index.storage.pgschema import MIGRATIONS, HalfVector, Vector, redact
from index.storage.postgres import WRITER_KEY, PostgresBackend, _psycopg
from index.storage.protocol import WriterBusy
from index.store import Store

BATCH = 5000
_OWN_META = ("dim", "model", "hnsw")  # describe the database itself; never copied across


def _manifest(index_dir: Path) -> dict:
    try:
        manifest = json.loads((index_dir / "manifest.json").read_text())
        return {"model": str(manifest["model"]), "dim": int(manifest["dim"]), "version": str(manifest["version"])}
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise IndexDamaged(f"{index_dir} is not a Verbatim index folder (its manifest.json cannot be read).") from err


def _batches(cursor, size: int = BATCH) -> Iterator[list[tuple]]:
    while rows := cursor.fetchmany(size):
        yield rows


def drop_postgres(url: str) -> None:
    """Remove the Verbatim index (every table of the schema) from the database at `url`, under the writer lock."""
    psycopg = _psycopg()
    try:
        conn = psycopg.connect(url, autocommit=True)
    except psycopg.OperationalError as err:
        raise StorageError(f"The database {redact(url)} cannot be reached ({' '.join(str(err).split())}).") from err
    tables = ["schema_version"] + [t for _, sql in MIGRATIONS for t in re.findall(r"CREATE TABLE (\w+)", sql)]
    with conn:
        if not conn.execute("SELECT pg_try_advisory_lock(%s)", (WRITER_KEY,)).fetchone()[0]:
            raise WriterBusy(f"Another process is changing the index in {redact(url)}; try again when it has finished.")
        with conn.transaction():
            conn.execute(f"DROP TABLE IF EXISTS {', '.join(dict.fromkeys(tables))} CASCADE")


def drop_folder(index_dir: Path) -> None:
    """Remove an index folder's index files (other files, such as the bot's chat state, stay)."""
    names = ["store.sqlite", "store.sqlite-wal", "store.sqlite-shm", "manifest.json", "snapshot.json"]
    for path in [*(index_dir / n for n in names), *index_dir.glob("vectors-*.faiss"), *index_dir.glob("lexical-*.npz")]:
        try:
            path.unlink(missing_ok=True)
        except OSError as err:
            raise StorageError(f"{path} cannot be removed ({err.strerror}); nothing was copied.") from err


def to_postgres(
    index_dir: Path, url: str, *, hnsw: str = "halfvec", progress: Callable[[int, int], None] | None = None,
    replace: bool = False,
) -> dict[str, int]:  # fmt: skip
    """Copy the index folder into the (empty) database at `url`; returns its counts. `replace` first
    removes an index the database holds."""
    manifest = _manifest(index_dir)
    if not (index_dir / "store.sqlite").exists():
        raise IndexDamaged(f"{index_dir} has no store.sqlite to copy.")
    if replace:
        drop_postgres(url)
    store = Store(index_dir / "store.sqlite", readonly=True)
    try:
        pg = PostgresBackend(url, dim=manifest["dim"], model=manifest["model"], hnsw=hnsw)
    except ModelMismatch as err:
        store.close()
        raise StorageError(
            f"The database {redact(url)} already holds an index of vectors of another dimension than this "
            f"index's {manifest['dim']}; pass --replace to overwrite it, or copy into an empty database."
        ) from err
    except BaseException:
        store.close()
        raise
    try:
        if pg.generation or pg.counts()["articles"]:
            raise StorageError(
                f"The database {pg.location} already holds an index; pass --replace to overwrite it, or copy "
                "into an empty database."
            )
        total = store.counts()["passages"]
        db = store.db
        with pg.writer(blocking=False), pg._transaction() as conn:
            conn.execute("DROP INDEX IF EXISTS chunks_hnsw")  # COPY first, build the index once at the end
            with conn.cursor() as cur:
                cur.executemany("INSERT INTO vocab(id, term) VALUES (%s, %s)", db.execute("SELECT id, term FROM vocab"))
            with conn.cursor().copy("COPY articles FROM STDIN") as copy:
                for row in db.execute("SELECT * FROM articles ORDER BY doc_id"):
                    copy.write_row(row)
            done = 0
            cur = db.execute(
                "SELECT id, doc_id, ordinal, start, end, paragraph, paragraph_end, paragraphs, role, vector, terms,"
                " tfs FROM chunks ORDER BY id"
            )
            for rows in _batches(cur):
                chunks, postings = [], []
                for *head, vec, terms, tfs in rows:
                    tf = np.frombuffer(tfs, np.float32)
                    length = float(tf.sum())
                    chunks.append((*head, length, Vector(np.frombuffer(vec, np.float32))))
                    postings.append((np.frombuffer(terms, np.int32), head[0], tf, length))
                pg.copy_chunks(conn, chunks)
                pg.copy_postings(conn, postings)
                done += len(rows)
                if progress:
                    progress(done, total)
            cur = db.execute(
                "SELECT id, chunk_id, doc_id, start, end, status, cue, speaker, vector FROM claims ORDER BY id"
            )
            for rows in _batches(cur):
                pg.copy_claims(
                    conn,
                    [(*r[:8], None if r[8] is None else HalfVector(np.frombuffer(r[8], np.float16))) for r in rows],
                )
            with conn.cursor() as cur2:  # columns the store declares but nothing fills yet
                cur2.executemany(
                    "UPDATE claims SET evidence = %s, verdict = %s WHERE id = %s",
                    db.execute(
                        "SELECT evidence, verdict, id FROM claims WHERE evidence IS NOT NULL OR verdict IS NOT NULL"
                    ),
                )
            for table, query in (
                ("claim_links", "SELECT claim_id, other_id, kind, score, value FROM claim_links"),
                ("verdict_links", "SELECT claim_id, verdict_id, score FROM verdict_links"),
            ):
                with conn.cursor().copy(f"COPY {table} FROM STDIN") as copy:
                    for row in db.execute(query):
                        copy.write_row(row)
            with conn.cursor() as cur2:
                cur2.executemany(
                    "INSERT INTO verdicts VALUES (%s, %s, %s, %s)",
                    [(i, r, Vector(np.frombuffer(v, np.float32)), t)
                     for i, r, v, t in db.execute("SELECT id, review, vector, added_at FROM verdicts")],
                )  # fmt: skip
            meta = {k: v for k, v in db.execute("SELECT key, value FROM meta") if k not in _OWN_META}
            meta["manifest_version"] = manifest["version"]
            meta["model"] = manifest["model"]  # an empty index made for another model takes this one's
            pg._set_meta(conn, meta)
            for table in ("chunks", "claims"):
                conn.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'), greatest(coalesce((SELECT max(id) FROM "
                    f"{table}), 0), 1), (SELECT count(*) > 0 FROM {table}))",
                    (table,),
                )
            pg.build_hnsw(conn)
            conn.execute("SELECT pg_notify('verbatim_changes', %s)", (str(store.generation),))
        pg._w.execute("ANALYZE")
        return pg.counts()
    finally:
        pg.close()
        store.close()


def to_sqlite(url: str, index_dir: Path, *, replace: bool = False) -> dict[str, int]:
    """Write the database at `url` out as a new index folder; returns its counts. `replace` first removes
    an index the folder holds."""
    if (index_dir / "store.sqlite").exists() and not replace:
        raise StorageError(
            f"{index_dir} already holds an index; pass --replace to overwrite it, or write into a new folder."
        )
    pg = PostgresBackend(url)
    if replace:
        drop_folder(index_dir)
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        store = Store(index_dir / "store.sqlite")
        read = pg._r()
        try:
            with read.transaction(), store._write():  # one snapshot of the database, one SQLite transaction
                db = store.db  # inside _write(): the writer connection
                read.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                db.executemany("INSERT INTO vocab(id, term) VALUES (?, ?)", read.execute("SELECT id, term FROM vocab"))
                db.executemany(
                    "INSERT INTO articles VALUES (?,?,?,?,?,?,?,?,?,?)", read.execute("SELECT * FROM articles")
                )
                rows = read.cursor(name="chunks", binary=True)
                rows.execute(
                    'SELECT c.id, doc_id, ordinal, start, "end", paragraph, paragraph_end, paragraphs, role, vector,'
                    " array_agg(p.term_id ORDER BY p.term_id), array_agg(p.tf ORDER BY p.term_id) FROM chunks c"
                    " LEFT JOIN postings p ON p.chunk_id = c.id GROUP BY c.id ORDER BY c.id"
                )
                for batch in _batches(rows):
                    db.executemany(
                        "INSERT INTO chunks(id, doc_id, ordinal, start, end, paragraph, paragraph_end, paragraphs,"
                        " role, vector, terms, tfs) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                        [(*r[:9], r[9].tobytes(),
                          np.asarray([t for t in r[10] if t is not None], np.int32).tobytes(),
                          np.asarray([f for f in r[11] if f is not None], np.float32).tobytes()) for r in batch],
                    )  # fmt: skip
                rows.close()
                rows = read.cursor(name="claims", binary=True)
                rows.execute(
                    'SELECT id, chunk_id, doc_id, start, "end", status, cue, speaker, vector, evidence, verdict'
                    " FROM claims ORDER BY id"
                )
                for batch in _batches(rows):
                    db.executemany(
                        "INSERT INTO claims(id, chunk_id, doc_id, start, end, status, cue, speaker, vector, evidence,"
                        " verdict) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                        [(*r[:8], None if r[8] is None else np.asarray(r[8], np.float16).tobytes(), r[9], r[10])
                         for r in batch],
                    )  # fmt: skip
                rows.close()
                db.executemany("INSERT INTO claim_links VALUES (?,?,?,?,?)", read.execute("SELECT * FROM claim_links"))
                db.executemany("INSERT INTO verdict_links VALUES (?,?,?)", read.execute("SELECT * FROM verdict_links"))
                db.executemany(
                    "INSERT INTO verdicts VALUES (?,?,?,?)",
                    [(i, r, v.tobytes(), t)
                     for i, r, v, t in read.execute("SELECT id, review, vector, added_at FROM verdicts", binary=True)],
                )  # fmt: skip
                meta = dict(read.execute("SELECT key, value FROM meta").fetchall())
                version = meta.pop("manifest_version", "1")
                store._set_meta({k: v for k, v in meta.items() if k not in _OWN_META})
            counts = store.counts()
        finally:
            store.close()
        manifest = {"model": pg.model, "dim": pg.dim, "version": version}
        (index_dir / "manifest.json").write_text(json.dumps(manifest, indent=2))
        return counts
    finally:
        pg.close()
