"""Chunking: exact offsets, whole sentences, roles, limits."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from index.chunk import chunk_article
from index.load import load_paths
from index.models import Article, Role
from index.segment import paragraphs, sentences
from tests.conftest import SEED

words = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=0, max_size=12)
sentence_st = st.lists(words, min_size=1, max_size=40).map(" ".join).map(lambda s: s + st_end(s))


def st_end(s: str) -> str:
    return "." if s and s[-1:].isalnum() else ""


articles = st.lists(st.lists(sentence_st, min_size=1, max_size=8).map(" ".join), min_size=1, max_size=12).flatmap(
    lambda paras: st.sampled_from(["\n", "\n\n", "\n \n"]).map(lambda sep: sep.join(paras))
)


@settings(max_examples=200, deadline=None)
@given(text=articles, max_words=st.integers(min_value=1, max_value=60))
def test_every_passage_is_the_text_at_its_offsets(text: str, max_words: int) -> None:
    if not text.strip():
        return
    a = Article(id="x", title="t", text=text)
    chunks = chunk_article(a, max_words=max_words)
    last_end = 0
    for c in chunks:
        passage = text[c.start : c.end]
        assert passage == passage.strip() and passage
        assert c.start >= last_end, "passages do not overlap and keep article order"
        last_end = c.end
        for s in c.sentences:
            assert c.start <= s.start < s.end <= c.end
            assert text[s.start : s.end].strip() == text[s.start : s.end]
        assert len(passage.split()) <= max(max_words, 1) or len(c.sentences) == 1


@settings(max_examples=100, deadline=None)
@given(text=articles)
def test_sentences_cover_every_word_of_a_paragraph(text: str) -> None:
    for p in paragraphs(text):
        spans = sentences(text, p.start, p.end)
        covered = " ".join(text[s.start : s.end] for s in spans)
        assert covered.split() == text[p.start : p.end].split()


def test_seed_roles_and_passages() -> None:
    seed = load_paths([SEED]).articles[0]
    paras = paragraphs(seed.text, title=seed.title)
    roles = [p.role for p in paras]
    text = seed.text
    assert roles[0] is Role.CAPTION and text[paras[0].start : paras[0].end].endswith("© KCNA via KNS, AFP")
    assert roles[1] is Role.HEADLINE
    assert roles[2] is Role.BYLINE
    assert any(text[p.start : p.end] == "Immediate desertions?" and p.role is Role.HEADLINE for p in paras)
    chunks = chunk_article(seed, max_words=180)
    body = [c for c in chunks if c.role is Role.BODY]
    # Captions are their own passages and never glued into body passages.
    assert all("© NIS" not in text[c.start : c.end] for c in body)
    assert any(c.role is Role.CAPTION and "purporetdly" in text[c.start : c.end] for c in chunks)
    assert all(c.paragraphs == len(paras) for c in chunks)
    first = body[0]
    assert text[first.start : first.end].startswith('"There is evidence that there are DPRK troops in Russia,"')
    assert first.paragraph == 4


def test_abbreviations_and_initials_do_not_end_sentences() -> None:
    text = "Mr. Smith met U.S. officials and John F. Kennedy's heirs. Then he left at 5 p.m. on Friday. OK."
    spans = [text[s.start : s.end] for s in sentences(text, 0, len(text))]
    assert spans == [
        "Mr. Smith met U.S. officials and John F. Kennedy's heirs.",
        "Then he left at 5 p.m. on Friday.",
        "OK.",
    ]


def test_overlong_sentence_is_cut_between_words() -> None:
    text = " ".join(f"word{i}" for i in range(450)) + "."
    chunks = chunk_article(Article(id="x", title="t", text=text), max_words=200)
    assert [len(text[c.start : c.end].split()) for c in chunks] == [200, 200, 50]
    assert all(text[c.start - 1] == " " for c in chunks[1:])


def test_megabyte_paragraph_is_linear() -> None:
    text = "A sentence of words here. " * 40_000  # ~1 MB, one line
    chunks = chunk_article(Article(id="x", title="t", text=text), max_words=200)
    assert sum(len(c.sentences) for c in chunks) == 40_000
