"""Finding the claims that new articles corroborate, contradict, or that verdicts judge.

Runs inside an add, before its transaction, on the vectors the add just computed:
new passages look up their nearest passages (the backend's `dense_search_many` against
the index, one FAISS search within the batch), and only the claims of those neighbours are
compared (index.evidence decides). The links go into the same transaction as the
articles, so corroboration never refers to something half-added, and the older
claims that gain evidence are re-evaluated by that same link.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

import numpy as np

from index import evidence
from index.evidence import ClaimInfo
from index.lexical import Analyzer
from index.storage.protocol import StorageBackend
from index.store import ClaimKey, Link, PreparedArticle
from index.vectors import VectorIndex

NEIGHBOURS = 24  # nearest passages whose claims are compared with a new passage's
GROUP = 256  # new passages whose stored neighbours' claims are read together
HELD = 4_000  # stored passages whose claims linking keeps between groups (~6 claims each)
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

    # Against the stored corpus: one batched search, then the neighbours' claims, read for a group of
    # new passages at a time and held for at most HELD stored passages (bounded memory).
    neighbours = backend.dense_search_many(mat, NEIGHBOURS + 4)
    need = [
        [int(c) for c in row[:NEIGHBOURS] if c >= 0] if infos else []
        for (infos, _), row in zip(chunks, neighbours, strict=True)
    ]
    held = _NeighbourClaims(backend, analyzer, batch_docs, need)
    for lo in range(0, len(chunks), GROUP):
        held.load(range(lo, min(lo + GROUP, len(chunks))))
        for i in range(lo, min(lo + GROUP, len(chunks))):
            infos, vecs = chunks[i]
            for chunk in need[i]:
                other = held.get(chunk)
                if other:
                    links.extend(_links(infos, vecs, other[0], other[1]))
        held.done(range(lo, min(lo + GROUP, len(chunks))))

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


class _NeighbourClaims:
    """The stored neighbours' claims (ClaimInfo list, stacked vectors), read from the backend for a
    group of new passages at a time. Of the passages already read, at most HELD are kept for later
    groups: first dropped are those no later group needs, then those needed furthest ahead (the
    future is known: every new passage's neighbours are). A batch of 2,000 new passages against a
    large corpus otherwise held every neighbour's claims at once: 58k claims, +250 MB at 14.6k
    stored passages, growing with the corpus (bench/README.md, issue 10n)."""

    def __init__(self, backend: StorageBackend, analyzer: Analyzer, skip_docs: set[str], need: list[list[int]]):
        self.backend, self.analyzer, self.skip_docs, self.need = backend, analyzer, skip_docs, need
        self.uses: dict[int, deque[int]] = {}  # stored passage -> the new passages needing it, in order
        for i, row in enumerate(need):
            for chunk in row:
                uses = self.uses.setdefault(chunk, deque())
                if not uses or uses[-1] != i:
                    uses.append(i)
        self.held: dict[int, tuple[list[ClaimInfo], np.ndarray] | None] = {}
        self.reads = 0  # stored passages read (a passage dropped and needed again is read again)

    def load(self, group: range) -> None:
        missing = sorted({c for i in group for c in self.need[i] if c not in self.held})
        self.reads += len(missing)
        found: dict[int, list[tuple[ClaimInfo, np.ndarray]]] = {}
        for cid, chunk, doc, _s, _e, status, text, vec in self.backend.claim_infos(missing):
            if doc in self.skip_docs:
                continue  # being replaced in this very add
            info = ClaimInfo(cid, doc, text, status, _stems(self.analyzer, text))
            found.setdefault(chunk, []).append((info, vec))
        for chunk in missing:  # each stored passage's claims stacked once (not once per new neighbour)
            rows = found.pop(chunk, None)
            self.held[chunk] = ([o for o, _ in rows], np.stack([v for _, v in rows])) if rows else None

    def get(self, chunk: int) -> tuple[list[ClaimInfo], np.ndarray] | None:
        return self.held.get(chunk)

    def done(self, group: range) -> None:
        for chunk in {c for i in group for c in self.need[i]}:
            uses = self.uses[chunk]
            while uses and uses[0] < group.stop:
                uses.popleft()
        if len(self.held) <= HELD:
            return
        later = sorted(self.held, key=lambda c: self.uses[c][0] if self.uses[c] else len(self.need))
        for chunk in later[HELD:]:
            del self.held[chunk]


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
