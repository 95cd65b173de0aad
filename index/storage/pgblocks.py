"""Packed postings for the PostgreSQL backend's lexical search: pure numpy, no connections.

The `postings` table (one row per term and passage) stays the source of truth; beside it,
`term_blocks` holds each term's postings packed into bytea blocks (one per commit that
brought the term, merged by concatenation when a term has MAX_BLOCKS of them). A question
reads its terms' blocks in one statement and is scored here with exactly the formula of
index.lexical (Lucene BM25, float64), which is several times faster than a GROUP BY over
the rows in SQL: PostgreSQL only has to hand over the bytes.

Removed passages are not cut out of the blocks; their ids go to `dead_chunks` and are
dropped from the ranking here, until there are enough of them to rebuild the blocks from
`postings` (REBUILD_SQL). Their terms' document frequencies and the corpus length are
corrected at removal, so the scores stay exact.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# int4send(chunk_id) || int2send(tf) || int2send(dl): 8 bytes a posting. Term counts and passage lengths
# are whole numbers (passages hold at most a few hundred words), so the scores are those of the rows.
POSTING = np.dtype([("chunk", ">i4"), ("tf", ">i2"), ("dl", ">i2")])
_LIMITS = {"chunk": 2**31 - 1, "tf": 2**15 - 1, "dl": 2**15 - 1}
MAX_BLOCKS = 8  # a term's blocks are merged into one past this many
DEAD_MIN = 2000  # removed passages kept as tombstones before a rebuild (or 2% of the corpus, if more)

REBUILD_SQL = """
DELETE FROM term_blocks;
DELETE FROM dead_chunks;
UPDATE corpus SET dead = 0;
INSERT INTO term_blocks SELECT term_id, 0,
  string_agg(int4send(chunk_id::int) || int2send(tf::int2) || int2send(dl::int2), ''::bytea ORDER BY chunk_id)
  FROM postings GROUP BY term_id;
UPDATE vocab SET blocks = CASE WHEN df > 0 THEN 1 ELSE 0 END WHERE blocks <> CASE WHEN df > 0 THEN 1 ELSE 0 END
"""


def pack(terms: np.ndarray, chunks: np.ndarray, tfs: np.ndarray, dls: np.ndarray) -> list[tuple[int, bytes]]:
    """(term id, packed postings sorted by chunk id) for each term among the given postings.
    Raises ValueError for a count, length or id the 8-byte format cannot hold exactly."""
    if not len(terms):
        return []
    for name, values in (("chunk", chunks), ("tf", tfs), ("dl", dls)):
        values = np.asarray(values)
        if values.min() < 0 or values.max() > _LIMITS[name] or not np.array_equal(values, np.round(values)):
            raise ValueError(f"{name} values must be whole numbers from 0 to {_LIMITS[name]}")
    order = np.lexsort((chunks, terms))
    rows = np.empty(len(terms), dtype=POSTING)
    rows["chunk"], rows["tf"], rows["dl"] = chunks[order], tfs[order], dls[order]
    sorted_terms = np.asarray(terms)[order]
    starts = np.flatnonzero(np.r_[True, sorted_terms[1:] != sorted_terms[:-1]])
    ends = np.r_[starts[1:], len(rows)]
    data = rows.tobytes()
    size = POSTING.itemsize
    return [(int(sorted_terms[s]), data[s * size : e * size]) for s, e in zip(starts, ends, strict=True)]


def chunk_ids(data: bytes) -> np.ndarray:
    """The passage ids of one packed block (removed passages included: see `dead`), as a view of it."""
    return np.frombuffer(data, POSTING)["chunk"]


DENSE_SPAN = 64  # sum in an array over the id range when it is at most this many times the postings


def top_k(
    blocks: Sequence[tuple[float, bytes]], avgdl: float, k: int, dead: bytes | None, k1: float, b: float
) -> tuple[np.ndarray, np.ndarray]:
    """Top k (chunk ids, BM25 scores) from (idf, packed postings) blocks; ties by ascending id;
    passages listed in `dead` (packed big-endian int8) are left out. Each passage's terms are summed in
    the blocks' order (float64), into an array over the id range (no sort of the postings) unless
    the range is far wider than the postings (then by a stable sort of the ids)."""
    parts = [(w, np.frombuffer(data, POSTING)) for w, data in blocks if data]
    if k <= 0 or not parts:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    size = sum(len(p) for _, p in parts)
    span = max(int(p["chunk"].max()) for _, p in parts) + 1
    if span <= DENSE_SPAN * size + 1024:
        acc = np.zeros(span, np.float64)
        for w, p in parts:  # a block holds a passage once: one posting per term and passage
            tf, dl = p["tf"].astype(np.float64), p["dl"].astype(np.float64)
            acc[p["chunk"].astype(np.intp)] += w * tf / (tf + k1 * (1 - b + b * dl / avgdl))
        ids = np.flatnonzero(acc != 0)  # every posting scores > 0; a bool array is scanned ~10x faster
        score = acc[ids]
        ids = ids.astype(np.int64)
    else:
        postings = np.concatenate([p for _, p in parts])
        idf = np.repeat(np.asarray([w for w, _ in parts], np.float64), [len(p) for _, p in parts])
        tf, dl = postings["tf"].astype(np.float64), postings["dl"].astype(np.float64)
        score = idf * tf / (tf + k1 * (1 - b + b * dl / avgdl))
        ids = postings["chunk"].astype(np.int64)
        order = np.argsort(ids, kind="stable")  # runs of sorted ids: timsort merges them
        ids, score = ids[order], score[order]
        starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
        ids, score = ids[starts], np.add.reduceat(score, starts)
    if dead:
        keep = ~np.isin(ids, np.frombuffer(dead, ">i8").astype(np.int64))
        ids, score = ids[keep], score[keep]
    if len(ids) > k:  # everything tied with the k-th score, then the exact order
        cut = np.partition(score, len(score) - k)[len(score) - k]
        sel = np.flatnonzero(score >= cut)
        ids, score = ids[sel], score[sel]
    top = np.lexsort((ids, -score))[:k]
    return ids[top], score[top].astype(np.float32)
