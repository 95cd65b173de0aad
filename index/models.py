"""Small typed values that cross module boundaries.

Data flows load -> chunk -> claims -> embed -> store -> search -> rank -> format.
Each stage hands the next one of these frozen values; nothing here does I/O.

Offsets (`start`, `end`) are always character offsets into `Article.text`, the
stored article text, so `article.text[start:end]` is exactly what is quoted.
"""

from __future__ import annotations

from enum import Enum

from pydantic import BaseModel, ConfigDict, Field


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Role(str, Enum):
    """What a paragraph is, so captions and bylines are never glued into body passages."""

    BODY = "body"
    HEADLINE = "headline"  # the article's title line, or a section heading inside it
    CAPTION = "caption"  # photo caption, usually ending in a credit such as "© NIS"
    BYLINE = "byline"  # "· France 24", "By Jane Doe, CNN"
    BOILERPLATE = "boilerplate"  # credits, newsletter sign-ups, "More: <headline>" and read-more links


class Status(str, Enum):
    """A claim's framing (CLAIM-STATUS.md), most to least hedged: the order is the precedence
    "lowest commitment wins". Claims, evidence, both renderers and the legend use this one enum."""

    DENIED = "denied"
    UNVERIFIED = "unverified"
    FORECAST = "forecast"
    OPINION = "opinion"
    REPORTED = "reported"
    CONFIRMED = "confirmed"
    STATED = "stated"

    @property
    def tier(self) -> int:
        """How established the article presents the claim: 2 stated/confirmed, 1 reported, 0 hedged.
        Showing a claim in a higher tier than the article gives it is an overclaim."""
        return {Status.STATED: 2, Status.CONFIRMED: 2, Status.REPORTED: 1}.get(self, 0)


class Filters(Frozen):
    """What a question was narrowed to: outlets and a date range (inclusive, ISO dates)."""

    sources: tuple[str, ...] = ()
    since: str | None = None
    until: str | None = None

    def __bool__(self) -> bool:
        return bool(self.sources or self.since or self.until)


class Article(Frozen):
    """One article as stored: verbatim text plus its metadata."""

    id: str
    title: str
    source: str | None = None  # the outlet, e.g. "France 24"; None when unknown
    date: str | None = None  # ISO date (YYYY-MM-DD) as published; None when unknown
    url: str | None = None
    language: str | None = None
    text: str


class Paragraph(Frozen):
    start: int
    end: int
    role: Role


class Sentence(Frozen):
    """A sentence span inside the article text; claims are sentences (or clauses)."""

    start: int
    end: int


class Chunk(Frozen):
    """A passage: whole sentences of one article, never across article boundaries."""

    doc_id: str
    ordinal: int  # 0-based position of the chunk in its article
    start: int
    end: int
    paragraph: int  # 1-based index of the paragraph the passage starts in
    paragraph_end: int  # 1-based index of the paragraph it ends in
    paragraphs: int  # number of paragraphs in the article
    role: Role
    sentences: tuple[Sentence, ...]


class Evidence(Frozen):
    """Another article's claim that corroborates or contradicts a claim."""

    doc_id: str
    source: str | None = None
    date: str | None = None
    title: str | None = None
    url: str | None = None
    text: str  # the matching claim, verbatim
    start: int | None = None
    end: int | None = None
    value: str | None = None  # for figure conflicts: the figure as written ("3,000")
    score: float | None = None


class Verdict(Frozen):
    """A maintainer's fact-check (schema.org ClaimReview) matched to a claim."""

    id: str
    claim_reviewed: str
    rating: str  # reviewRating.alternateName, e.g. "False"
    rating_value: float | None = None
    best_rating: float | None = None
    worst_rating: float | None = None
    author: str | None = None
    date: str | None = None
    url: str | None = None
    score: float | None = None


class Claim(Frozen):
    text: str
    start: int
    end: int
    status: str | None = None
    speaker: str | None = None
    cue: str | None = None
    corroborated_by: list[Evidence] = Field(default_factory=list)
    conflicts_with: list[Evidence] = Field(default_factory=list)
    verdict: Verdict | None = None


class Hit(Frozen):
    rank: int
    score: float
    doc_id: str
    title: str
    source: str | None
    date: str | None
    url: str | None
    passage: str
    start: int
    end: int
    paragraph: int
    paragraphs: int
    claims: list[Claim]
    chunk_id: int
    role: Role = Role.BODY


class Answer(Frozen):
    question: str
    answered: bool
    results: list[Hit]
    message: str | None = None  # the fixed sentence shown when nothing answers
    filters: Filters | None = None  # what the question was narrowed to, when anything


NO_ANSWER = "The corpus has no passage that answers this question."
