"""Lexical retrieval: an incremental BM25 index (Lucene variant).

bm25s precomputes per-document scores, which depend on corpus-wide idf, so it can
only be built from scratch. Verbatim grows the corpus incrementally, so this module
keeps raw term frequencies in log-structured CSC segments and scores at query
time with bm25s's own term-frequency component (`_score_tfc_lucene`, Kamphuis et
al. ECIR 2020) and Lucene idf. Tokenisation follows bm25s: `\\b\\w\\w+\\b`,
lower-case, bm25s's English stop words, Snowball (PyStemmer) stems.

Rows are passages; `ids[row]` maps a row to its chunk id. Removing marks rows dead
and corrects document frequencies; segments are merged (dead rows dropped) when
they pile up. Only `save`/`load` touch the disk (npz, no pickle).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from bm25s.scoring import _score_tfc_lucene
from bm25s.stopwords import STOPWORDS_EN
from scipy import sparse

_TOKEN = re.compile(r"(?u)\b\w\w+\b")
_STOP = frozenset(STOPWORDS_EN)
MAX_SEGMENTS = 8


class Analyzer:
    """Text -> stems, cached per word (stemming is the slow part)."""

    def __init__(self) -> None:
        import Stemmer

        self._stem = Stemmer.Stemmer("english").stemWord
        self._cache: dict[str, str | None] = {}

    def __call__(self, text: str) -> list[str]:
        out = []
        cache = self._cache
        for word in _TOKEN.findall(text.lower()):
            stem = cache.get(word, "")
            if stem == "":
                stem = None if word in _STOP else self._stem(word)
                if len(cache) < 500_000:
                    cache[word] = stem
            if stem is not None:
                out.append(stem)
        return out


def term_counts(stems: Sequence[str], vocab: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """Stems -> (term ids, counts), adding new stems to the vocabulary."""
    counts = Counter(stems)
    ids = np.fromiter((vocab.setdefault(s, len(vocab)) for s in counts), dtype=np.int32)
    tfs = np.fromiter(counts.values(), dtype=np.float32)
    return ids, tfs


class LexicalIndex:
    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.ids = np.zeros(0, dtype=np.int64)  # row -> chunk id
        self.lengths = np.zeros(0, dtype=np.float32)
        self.alive = np.zeros(0, dtype=bool)
        self.df = np.zeros(0, dtype=np.int64)
        self.segments: list[tuple[int, sparse.csc_matrix]] = []  # (first row, rows x terms)
        self._row_of: dict[int, int] = {}
        self._avg: float | None = None  # mean length of the live rows, until the next change

    # ---- mutation -------------------------------------------------------------------
    def add(self, chunk_ids: Sequence[int], docs: Sequence[tuple[np.ndarray, np.ndarray]]) -> None:
        """Add passages given as (term ids, counts); an id already present is replaced."""
        self.remove([c for c in chunk_ids if c in self._row_of])
        if not chunk_ids:
            return
        self._avg = None
        first = len(self.ids)
        n_terms = max([len(self.df)] + [int(t.max()) + 1 for t, _ in docs if len(t)])
        indptr = np.zeros(len(docs) + 1, dtype=np.int64)
        indptr[1:] = np.cumsum([len(t) for t, _ in docs])
        cols = np.concatenate([t for t, _ in docs]) if docs else np.zeros(0, np.int32)
        vals = np.concatenate([f for _, f in docs]) if docs else np.zeros(0, np.float32)
        seg = sparse.csr_matrix((vals, cols, indptr), shape=(len(docs), n_terms)).tocsc()
        self.segments.append((first, seg))
        self.ids = np.concatenate([self.ids, np.asarray(chunk_ids, dtype=np.int64)])
        lengths = np.asarray([f.sum() for _, f in docs], dtype=np.float32)
        self.lengths = np.concatenate([self.lengths, lengths])
        self.alive = np.concatenate([self.alive, np.ones(len(docs), dtype=bool)])
        if n_terms > len(self.df):
            self.df = np.concatenate([self.df, np.zeros(n_terms - len(self.df), np.int64)])
        np.add.at(self.df, cols, 1)
        for i, c in enumerate(chunk_ids):
            self._row_of[int(c)] = first + i
        if len(self.segments) > MAX_SEGMENTS:
            self.compact()

    def remove(self, chunk_ids: Iterable[int]) -> None:
        rows = [r for r in (self._row_of.pop(int(c), None) for c in chunk_ids) if r is not None]
        if not rows:
            return
        rows_arr = np.asarray(sorted(rows), dtype=np.int64)
        self.alive[rows_arr] = False
        self._avg = None
        for first, seg in self.segments:
            local = rows_arr[(rows_arr >= first) & (rows_arr < first + seg.shape[0])] - first
            if len(local):
                np.subtract.at(self.df, seg[local].tocoo().col, 1)

    def compact(self) -> None:
        """Merge all segments into one, dropping dead rows."""
        if not self.segments:
            return
        width = len(self.df)
        mats = [sparse.csr_matrix(seg) for _, seg in self.segments]
        mats = [sparse.csr_matrix((m.data, m.indices, m.indptr), shape=(m.shape[0], width)) for m in mats]
        merged = sparse.vstack(mats, format="csr")[self.alive]
        self.ids = self.ids[self.alive]
        self.lengths = self.lengths[self.alive]
        self.alive = np.ones(len(self.ids), dtype=bool)
        self._avg = None
        self.segments = [(0, merged.tocsc())] if len(self.ids) else []
        self._row_of = {int(c): i for i, c in enumerate(self.ids)}

    # ---- queries --------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._row_of)

    def __contains__(self, chunk_id: int) -> bool:
        return int(chunk_id) in self._row_of

    def search(self, term_ids: Sequence[int], limit: int) -> tuple[np.ndarray, np.ndarray]:
        """Top passages for a query given as known term ids: (chunk ids, scores)."""
        n = len(self)
        terms = [t for t in dict.fromkeys(term_ids) if 0 <= t < len(self.df) and self.df[t] > 0]
        if n == 0 or not terms:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        if self._avg is None:
            self._avg = float(self.lengths[self.alive].mean())
        avg = self._avg
        scores = np.zeros(len(self.ids), dtype=np.float32)
        for t in terms:
            df = float(self.df[t])
            idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5))
            for first, seg in self.segments:
                if t >= seg.shape[1]:
                    continue
                lo, hi = seg.indptr[t], seg.indptr[t + 1]
                rows = seg.indices[lo:hi] + first
                tfc = _score_tfc_lucene(seg.data[lo:hi], self.lengths[rows], avg, self.k1, self.b)
                scores[rows] += idf * tfc
        if n != len(self.ids):  # some rows are dead
            scores[~self.alive] = 0.0
        hits = np.flatnonzero(scores != 0)  # (a bool array: numpy finds its nonzeros ~10x faster than a float one)
        if len(hits) > limit:
            hits = hits[np.argpartition(-scores[hits], limit - 1)[:limit]]
        hits = hits[np.argsort(-scores[hits], kind="stable")]
        return self.ids[hits], scores[hits]

    # ---- persistence ----------------------------------------------------------------
    def save(self, path: Path) -> None:
        self.compact()
        seg = self.segments[0][1] if self.segments else sparse.csc_matrix((0, len(self.df)))
        with open(path, "wb") as fh:
            np.savez(
                fh, ids=self.ids, lengths=self.lengths, df=self.df, data=seg.data,
                indices=seg.indices, indptr=seg.indptr, shape=np.asarray(seg.shape),
                params=np.asarray([self.k1, self.b]),
            )

    @classmethod
    def load(cls, path: Path) -> LexicalIndex:
        # our own file handle: np.load(path) leaks its handle when the file is not a valid zip
        with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as z:
            k1, b = (float(x) for x in z["params"])
            index = cls(k1=k1, b=b)
            index.ids = z["ids"]
            index.lengths = z["lengths"]
            index.df = z["df"]
            index.alive = np.ones(len(index.ids), dtype=bool)
            shape = tuple(int(x) for x in z["shape"])
            if len(index.ids):
                seg = sparse.csc_matrix((z["data"], z["indices"], z["indptr"]), shape=shape)
                index.segments = [(0, seg)]
        index._row_of = {int(c): i for i, c in enumerate(index.ids)}
        return index
