"""Preparing articles for the store: chunk -> claims -> embed -> terms.

Pure except for the one call into the embedder, which is batched across every
article of an add so the model runs at full batch size.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

import numpy as np

from index.chunk import chunk_paragraphs
from index.embed import Embedder
from index.lexical import Analyzer, term_counts
from index.models import Article, Chunk, Paragraph
from index.segment import paragraphs as split_paragraphs
from index.segment import sentences as split_sentences
from index.store import ClaimRow, PreparedArticle


def content_hash(article: Article) -> str:
    """Changes when the text or any metadata changes; identical re-adds are skipped."""
    h = hashlib.sha256()
    for part in (article.title, article.source, article.date, article.url, article.language, article.text):
        h.update((part or "").encode())
        h.update(b"\x00")
    return h.hexdigest()


def framings(article: Article, paras: Sequence[Paragraph], chunks: Sequence[Chunk]) -> list[ClaimRow]:
    """Claim spans with their framing for the whole article (see index.claims).

    The analysis sees every sentence, headings included (a heading closes the scope of
    "the reports could not be verified"); only claims inside passages are kept.
    """
    sents = [s for c in chunks for s in c.sentences]
    covered = {(s.start, s.end) for s in sents}
    inside = [(c.start, c.end) for c in chunks]
    for p in paras:
        if not any(a <= p.start and p.end <= b for a, b in inside):
            sents.extend(s for s in split_sentences(article.text, p.start, p.end) if (s.start, s.end) not in covered)
    sents.sort(key=lambda s: s.start)
    try:
        from index.claims import analyse
    except ImportError:  # claim analysis not installed: claims are plain sentences
        return [ClaimRow(start=s.start, end=s.end) for s in sents]
    return [
        ClaimRow(start=f.start, end=f.end, status=f.status, cue=f.cue, speaker=f.speaker)
        for f in analyse(article.text, paras, sents)
        if any(a <= f.start and f.end <= b for a, b in inside)
    ]


def prepare(
    articles: Sequence[Article],
    embedder: Embedder,
    analyzer: Analyzer,
    vocab: dict[str, int],
    *,
    max_words: int = 180,
    progress: Callable[[int, int], None] | None = None,
) -> list[PreparedArticle]:
    """Chunk, analyse, embed (one batched pass) and tokenise every article.

    `progress(done, total)` is called as passages are encoded."""
    plans = []
    texts: list[str] = []
    spans: list[list[tuple[int, int]]] = []
    for article in articles:
        paras = split_paragraphs(article.text, title=article.title)
        chunks = chunk_paragraphs(article.id, article.text, paras, max_words=max_words)
        claims = framings(article, paras, chunks)
        per_chunk = [[c for c in claims if ch.start <= c.start and c.end <= ch.end] for ch in chunks]
        plans.append((article, paras, chunks, per_chunk))
        for ch, cl in zip(chunks, per_chunk, strict=True):
            texts.append(article.text[ch.start : ch.end])
            spans.append([(c.start - ch.start, c.end - ch.start) for c in cl])

    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, len(texts))

    vectors, claim_vectors = embedder.encode_spans(texts, spans, progress=tick)

    out = []
    row = 0
    for article, paras, chunks, per_chunk in plans:
        n = len(chunks)
        claims = [
            [
                ClaimRow(c.start, c.end, c.status, c.cue, c.speaker, vec)
                for c, vec in zip(cl, claim_vectors[row + i], strict=True)
            ]
            for i, cl in enumerate(per_chunk)
        ]
        terms = [term_counts(analyzer(_lexical_text(article, t)), vocab) for t in texts[row : row + n]]
        out.append(
            PreparedArticle(
                article=article,
                hash=content_hash(article),
                paragraphs=len(paras),
                chunks=list(chunks),
                vectors=vectors[row : row + n] if n else np.zeros((0, vectors.shape[1]), np.float32),
                terms=terms,
                claims=claims,
            )
        )
        row += n
    return out


def _lexical_text(article: Article, passage: str) -> str:
    """What BM25 indexes for a passage: its text plus its article's title."""
    return f"{article.title}\n{passage}"
