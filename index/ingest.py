"""Ingestion in batches: plan (segment, chunk, claims, terms) -> encode -> link + commit.

`plan` and `encode` are pure but for the one call into the embedder. `stream` runs the
stages over batches of a bounded number of passages, each stage in its own thread, so
planning the next batch (pure Python) and linking and committing the previous one overlap
the model's encoding of the current one (torch releases the GIL inside its kernels; the
encoding runs on every core: index.threads). At most three batches are in memory at once.

Claim analysis sits behind one seam, `analyse_batch`, which takes a batch of articles.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from index.chunk import chunk_paragraphs
from index.embed import Embedder
from index.errors import VerbatimError
from index.lexical import Analyzer, term_counts
from index.models import Article, Chunk, Paragraph, Role, Sentence
from index.segment import paragraphs as split_paragraphs
from index.segment import sentences as split_sentences
from index.store import ClaimRow, PreparedArticle

Job = tuple[str, Sequence[Paragraph], list[Sentence]]  # (article text, paragraphs, sentences)


def content_hash(article: Article) -> str:
    """Changes when the text or any metadata changes; identical re-adds are skipped."""
    h = hashlib.sha256()
    for part in (article.title, article.source, article.date, article.url, article.language, article.text):
        h.update((part or "").encode())
        h.update(b"\x00")
    return h.hexdigest()


def analyse_batch(jobs: Sequence[Job]) -> list[list]:
    """Claim framings (index.claims `Framing`s) for each (text, paragraphs, sentences) job.

    The one seam between ingestion and claim analysis: a batch in, one list per job out, the
    batch's body sentences parsed in one batched parser call. If claim analysis cannot be
    imported, the add fails with one sentence; it never stores claims without their framing."""
    try:
        from index.claims import analyse_many
    except ImportError as err:
        raise VerbatimError(
            f"Claim analysis could not be loaded ({err}); nothing was added. Reinstall Verbatim "
            "(pip install -e .) and add the articles again."
        ) from err
    return analyse_many(jobs)


def passages(article: Article, max_words: int = 180) -> tuple[list[Paragraph], list[Chunk]]:
    """Paragraphs and passages of an article. An article whose every paragraph is a heading or
    byline (a one-line article, a one-paragraph page whose line is its title) is indexed as
    its paragraphs, so nothing added is unfindable."""
    paras = split_paragraphs(article.text, title=article.title)
    chunks = chunk_paragraphs(article.id, article.text, paras, max_words=max_words)
    if not chunks and paras:
        paras = [Paragraph(start=p.start, end=p.end, role=Role.BODY) for p in paras]
        chunks = chunk_paragraphs(article.id, article.text, paras, max_words=max_words)
    return paras, chunks


def _claim_sentences(article: Article, paras: Sequence[Paragraph], chunks: Sequence[Chunk]) -> list[Sentence]:
    """Every sentence, headings included (a heading closes the scope of "the reports could not
    be verified"); claims outside passages are dropped afterwards."""
    sents = [s for c in chunks for s in c.sentences]
    covered = {(s.start, s.end) for s in sents}
    inside = [(c.start, c.end) for c in chunks]
    for p in paras:
        if not any(a <= p.start and p.end <= b for a, b in inside):
            sents.extend(s for s in split_sentences(article.text, p.start, p.end) if (s.start, s.end) not in covered)
    sents.sort(key=lambda s: s.start)
    return sents


def _claim_rows(framed: Sequence, chunks: Sequence[Chunk]) -> list[ClaimRow]:
    inside = [(c.start, c.end) for c in chunks]
    return [
        ClaimRow(start=f.start, end=f.end, status=f.status, cue=f.cue, speaker=f.speaker)
        for f in framed
        if any(a <= f.start and f.end <= b for a, b in inside)
    ]


def framings(article: Article, paras: Sequence[Paragraph], chunks: Sequence[Chunk]) -> list[ClaimRow]:
    """Claim spans with their framing for one article (see index.claims)."""
    [framed] = analyse_batch([(article.text, paras, _claim_sentences(article, paras, chunks))])
    return _claim_rows(framed, chunks)


@dataclass
class Planned:
    """One article after planning: everything but the vectors."""

    article: Article
    hash: str
    paragraphs: int
    chunks: list[Chunk]
    claims: list[list[ClaimRow]]  # per chunk, without vectors
    terms: list[tuple[np.ndarray, np.ndarray]]

    def texts(self) -> list[str]:
        return [self.article.text[c.start : c.end] for c in self.chunks]

    def spans(self) -> list[list[tuple[int, int]]]:
        pairs = zip(self.chunks, self.claims, strict=True)
        return [[(c.start - ch.start, c.end - ch.start) for c in cl] for ch, cl in pairs]


def plan(
    articles: Sequence[Article],
    analyzer: Analyzer,
    vocab: dict[str, int],
    *,
    max_words: int = 180,
    cut: Sequence[tuple[list[Paragraph], list[Chunk]]] | None = None,
) -> list[Planned]:
    """Segment, chunk, analyse claims (one batch) and count terms; new stems join `vocab`.
    `cut` holds the articles' `passages()` when the caller has them already."""
    cut = list(cut) if cut is not None else [passages(a, max_words) for a in articles]
    jobs = [(a.text, p, _claim_sentences(a, p, c)) for a, (p, c) in zip(articles, cut, strict=True)]
    out = []
    for article, (paras, chunks), framed in zip(articles, cut, analyse_batch(jobs), strict=True):
        claims = _claim_rows(framed, chunks)
        per_chunk = [[c for c in claims if ch.start <= c.start and c.end <= ch.end] for ch in chunks]
        terms = [
            term_counts(analyzer(_lexical_text(article, article.text[ch.start : ch.end])), vocab) for ch in chunks
        ]
        out.append(Planned(article, content_hash(article), len(paras), list(chunks), per_chunk, terms))
    return out


def encode(
    planned: Sequence[Planned], embedder: Embedder, progress: Callable[[int], None] | None = None
) -> list[PreparedArticle]:
    """One batched model pass over every passage of the planned articles."""
    texts = [t for p in planned for t in p.texts()]
    spans = [s for p in planned for s in p.spans()]
    vectors, claim_vectors = embedder.encode_spans(texts, spans, progress=progress)
    out = []
    row = 0
    for p in planned:
        n = len(p.chunks)
        claims = [
            [
                ClaimRow(c.start, c.end, c.status, c.cue, c.speaker, vec)
                for c, vec in zip(cl, claim_vectors[row + i], strict=True)
            ]
            for i, cl in enumerate(p.claims)
        ]
        out.append(
            PreparedArticle(
                article=p.article,
                hash=p.hash,
                paragraphs=p.paragraphs,
                chunks=p.chunks,
                vectors=vectors[row : row + n] if n else np.zeros((0, embedder.dim), np.float32),
                terms=p.terms,
                claims=claims,
            )
        )
        row += n
    return out


def prepare(
    articles: Sequence[Article],
    embedder: Embedder,
    analyzer: Analyzer,
    vocab: dict[str, int],
    *,
    max_words: int = 180,
    progress: Callable[[int, int], None] | None = None,
) -> list[PreparedArticle]:
    """Plan and encode in one go (one batch). `progress(done, total)` counts encoded passages."""
    planned = plan(articles, analyzer, vocab, max_words=max_words)
    total = sum(len(p.chunks) for p in planned)
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, total)

    return encode(planned, embedder, tick)


def _lexical_text(article: Article, passage: str) -> str:
    """What BM25 indexes for a passage: its text plus its article's title."""
    return f"{article.title}\n{passage}"


OVERLAP = True
P = TypeVar("P")
E = TypeVar("E")


def stream(
    next_batch: Callable[[], P | None], encode_batch: Callable[[P], E], commit_batch: Callable[[E], None]
) -> None:
    """Run batches through three overlapping stages: `next_batch()` (read and plan; None at
    the end) in a worker thread one batch ahead, `encode_batch` in this thread, and
    `commit_batch` in a worker thread one batch behind. Commits happen in order; the first
    error of any stage stops the stream and is raised here, after the commit in flight
    (a whole batch) has finished."""
    if not OVERLAP:
        while (batch := next_batch()) is not None:
            commit_batch(encode_batch(batch))
        return
    pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="verbatim-add")
    committing: Future | None = None
    try:
        planning: Future = pool.submit(next_batch)
        while (batch := planning.result()) is not None:
            planning = pool.submit(next_batch)
            encoded = encode_batch(batch)
            del batch
            if committing is not None:
                committing.result()
            committing = pool.submit(commit_batch, encoded)
            del encoded
        if committing is not None:
            committing.result()
    except BaseException:
        if committing is not None:  # an encoded batch is still committed whole
            with contextlib.suppress(BaseException):
                committing.result()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
