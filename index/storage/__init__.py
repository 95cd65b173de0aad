"""Storage backends: the protocol the engine needs (protocol.py) and its implementations.

`embedded.py` wraps today's SQLite store + FAISS + BM25; `postgres.py` is PostgreSQL + pgvector;
`migrate.py` copies an index between them. Nothing heavy is imported here.
"""
