"""Where an index lives, and the backends behind it.

`folder.py` is the embedded index folder (manifest, SQLite store, FAISS and BM25 snapshots, change-log
replay, writer lock); `protocol.py` is what the engine needs from storage and search, `embedded.py`
wraps the embedded store + FAISS + BM25 in it and `postgres.py` is PostgreSQL + pgvector; `migrate.py`
copies an index between them. Nothing heavy is imported here.
"""
