"""Chunking: one article -> passages of whole sentences, with exact offsets.

Consecutive body paragraphs are packed into a passage while it stays within
`max_words`; a paragraph longer than that is cut between sentences; a single
sentence longer than that is cut between words (never inside one). Captions are
passages of their own; headlines and bylines are metadata, not passages. A passage
never crosses an article boundary (it is made from one article's text) nor a
section heading.
"""

from __future__ import annotations

from collections.abc import Sequence

from index.models import Article, Chunk, Paragraph, Role, Sentence
from index.segment import paragraphs as split_paragraphs
from index.segment import sentences as split_sentences
from index.segment import word_count, word_spans

INDEXED_ROLES = (Role.BODY, Role.CAPTION)


def chunk_article(article: Article, max_words: int = 200) -> list[Chunk]:
    """All passages of an article, in order."""
    paras = split_paragraphs(article.text, title=article.title)
    return chunk_paragraphs(article.id, article.text, paras, max_words=max_words)


def chunk_paragraphs(
    doc_id: str, text: str, paras: Sequence[Paragraph], max_words: int = 200
) -> list[Chunk]:
    pieces: list[tuple[int, Role, list[Sentence]]] = []  # (paragraph index, role, sentences)
    for i, para in enumerate(paras):
        if para.role not in INDEXED_ROLES:
            pieces.append((i, para.role, []))
            continue
        sents = _bounded(text, split_sentences(text, para.start, para.end), max_words)
        pieces.append((i, para.role, sents))

    chunks: list[Chunk] = []
    group: list[tuple[int, Sentence]] = []
    words = 0
    group_role = Role.BODY

    def flush() -> None:
        nonlocal group, words
        if group:
            chunks.append(_make(doc_id, len(chunks), group, len(paras), group_role))
        group, words = [], 0

    for index, role, sents in pieces:
        if role not in INDEXED_ROLES:
            flush()  # a heading or byline ends the passage before it
            continue
        para_words = sum(word_count(text, s.start, s.end) for s in sents)
        if role is not group_role or role is Role.CAPTION or words + para_words > max_words:
            flush()  # captions stand alone; otherwise prefer whole paragraphs
        group_role = role
        for sent in sents:
            n = word_count(text, sent.start, sent.end)
            if group and words + n > max_words:
                flush()
            group.append((index, sent))
            words += n
    flush()
    return chunks


def _make(
    doc_id: str, ordinal: int, group: list[tuple[int, Sentence]], n_paras: int, role: Role
) -> Chunk:
    return Chunk(
        doc_id=doc_id,
        ordinal=ordinal,
        start=group[0][1].start,
        end=group[-1][1].end,
        paragraph=group[0][0] + 1,
        paragraph_end=group[-1][0] + 1,
        paragraphs=n_paras,
        role=role,
        sentences=tuple(s for _, s in group),
    )


def _bounded(text: str, sents: list[Sentence], max_words: int) -> list[Sentence]:
    """Cut any sentence longer than max_words between words."""
    out: list[Sentence] = []
    for sent in sents:
        if word_count(text, sent.start, sent.end) <= max_words:
            out.append(sent)
            continue
        spans = list(word_spans(text, sent.start, sent.end))
        for i in range(0, len(spans), max_words):
            part = spans[i : i + max_words]
            out.append(Sentence(start=part[0][0], end=part[-1][1]))
    return out
