"""Finding the claims that new articles corroborate, contradict, or that verdicts judge.

Runs inside an add, before its transaction, on the vectors the add just computed:
new passages look up their nearest passages (the backend's `dense_search_many` against
the index, one FAISS search within the batch), and only the claims of those neighbours are
compared (index.evidence decides). The links go into the same transaction as the
articles, so corroboration never refers to something half-added, and the older
claims that gain evidence are re-evaluated by that same link.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from index import evidence
from index.evidence import ClaimInfo
from index.lexical import Analyzer
from index.storage.protocol import StorageBackend
from index.store import ClaimKey, Link, PreparedArticle
from index.vectors import VectorIndex

NEIGHBOURS = 24  # nearest passages whose claims are compared with a new passage's
VERDICT_SCORE = 0.62  # combined cosine/overlap score for a verdict to apply to a claim


def _stems(analyzer: Analyzer, text: str) -> frozenset[str]:
    return frozenset(s for s in analyzer(text) if len(s) > 2)


def claim_links(prepared: Sequence[PreparedArticle], backend: StorageBackend, analyzer: Analyzer) -> list[Link]:
    """Links between the batch's claims and the corpus's (and among the batch's own)."""
    chunks: list[tuple[list[ClaimInfo], np.ndarray]] = []  # per new chunk: claims, claim vectors
    chunk_vecs = []
    chunk_docs = []
    for prep in prepared:
        a = prep.article
        for i, claims in enumerate(prep.claims):
            infos = [
                ClaimInfo(
                    (a.id, c.start, c.end),
                    a.id,
                    a.text[c.start : c.end],
                    c.status,
                    _stems(analyzer, a.text[c.start : c.end]),
                )
                for c in claims
                if c.vector is not None
            ]
            vecs = (
                np.stack([c.vector for c in claims if c.vector is not None]).astype(np.float32)
                if infos
                else np.zeros((0, 1), np.float32)
            )
            chunks.append((infos, vecs))
            chunk_vecs.append(prep.vectors[i])
            chunk_docs.append(a.id)
    if not chunks:
        return []
    batch_docs = set(chunk_docs)
    mat = np.ascontiguousarray(np.stack(chunk_vecs), dtype=np.float32)
    links: list[Link] = []

    # Against the stored corpus: one batched search, then the neighbours' claims.
    neighbours = backend.dense_search_many(mat, NEIGHBOURS + 4)
    wanted = sorted({int(c) for row in neighbours for c in row if c >= 0})
    found: dict[int, list[tuple[ClaimInfo, np.ndarray]]] = {}
    for cid, chunk, doc, _s, _e, status, text, vec in backend.claim_infos(wanted):
        if doc in batch_docs:
            continue  # being replaced in this very add
        found.setdefault(chunk, []).append((ClaimInfo(cid, doc, text, status, _stems(analyzer, text)), vec))
    # each stored passage's claims and their vectors, stacked once (not once per new neighbour)
    stored = {chunk: ([o for o, _ in rows], np.stack([v for _, v in rows])) for chunk, rows in found.items()}
    for (infos, vecs), row in zip(chunks, neighbours, strict=True):
        if not infos:
            continue
        for chunk in row[:NEIGHBOURS]:
            other = stored.get(int(chunk))
            if other:
                links.extend(_links(infos, vecs, other[0], other[1]))

    # Within the batch: each unordered pair of passages once.
    if len(chunks) > 1:
        local = VectorIndex(mat.shape[1])
        local.add(list(range(len(chunks))), mat)
        near = {
            (min(i, int(j)), max(i, int(j)))
            for i, row in enumerate(local.search_many(mat, NEIGHBOURS + 1))
            for j in row
            if j >= 0 and chunk_docs[int(j)] != chunk_docs[i]
        }
        for i, j in sorted(near):
            (a_infos, a_vecs), (b_infos, b_vecs) = chunks[i], chunks[j]
            if a_infos and b_infos:
                links.extend(_links(a_infos, a_vecs, b_infos, b_vecs))
    return links


def _links(a: list[ClaimInfo], av: np.ndarray, b: list[ClaimInfo], bv: np.ndarray) -> list[Link]:
    out: list[Link] = []
    for x, y, kind, value, score in evidence.pairs(a, av, b, bv):
        value_x = None
        if kind == evidence.CONFLICTS and value is not None:
            value_x = next((f.raw for f in evidence.figures(x.text)), None)
        out.append((x.key, y.key, kind, score, value_x, value))
    return out


def verdict_matches(
    review_vec: np.ndarray, review_text: str, backend: StorageBackend, analyzer: Analyzer
) -> list[tuple[int, float]]:
    """Stored claims a fact-check's `claimReviewed` states, with their match scores."""
    ids, _ = backend.dense_search(review_vec, 20)
    stems = _stems(analyzer, review_text)
    out = []
    for cid, _chunk, _doc, _s, _e, _status, text, vec in backend.claim_infos([int(i) for i in ids]):
        score = 0.5 * float(vec @ review_vec) + 0.5 * evidence.overlap(stems, _stems(analyzer, text))
        if score >= VERDICT_SCORE:
            out.append((cid, score))
    return out


def new_claim_verdicts(
    prepared: Sequence[PreparedArticle], backend: StorageBackend, analyzer: Analyzer
) -> list[tuple[ClaimKey, str, float]]:
    """Recorded verdicts that the batch's new claims state."""
    ids, mat = backend.verdict_vectors()
    if mat is None:
        return []
    reviews = {r["id"]: r for r in backend.all_verdicts()}
    review_stems = {vid: _stems(analyzer, reviews.get(vid, {}).get("claim_reviewed", "")) for vid in ids}
    out = []
    for prep in prepared:
        a = prep.article
        for claims in prep.claims:
            for c in claims:
                if c.vector is None:
                    continue
                sims = mat @ np.asarray(c.vector, np.float32)
                stems = _stems(analyzer, a.text[c.start : c.end])
                for vid, sim in zip(ids, sims, strict=True):
                    score = 0.5 * float(sim) + 0.5 * evidence.overlap(stems, review_stems[vid])
                    if score >= VERDICT_SCORE:
                        out.append(((a.id, c.start, c.end), vid, score))
    return out
