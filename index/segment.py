"""Segmentation: article text -> paragraphs with roles -> sentence spans.

Pure functions over the stored text; every span is a pair of character offsets
into it, trimmed of surrounding whitespace, so `text[start:end]` is verbatim.

Paragraphs are non-empty lines (news text separates paragraphs with one or two
newlines). Each paragraph gets a role so captions, headlines and bylines are never
glued into body passages. Sentences are found by a fast rule-based splitter
(abbreviations, initials, decimals, quotes); a regex scan stays linear even on
megabyte-long lines, which pysbd does not.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from index.models import Paragraph, Role, Sentence

_CREDIT = re.compile(
    r"(©|\(Photo[^)]*\)|Photo(?:graph)?:|Getty Images|AP Photo|Reuters/|AFP\)?$|"
    r"/ ?AFP|Image:|Credit:|\(Image credit)",
    re.IGNORECASE,
)
_BYLINE = re.compile(
    r"^(?:·\s*\S.*|By\s+[A-Z][\w.'’-]*(?:\s+[\w.'’-]+){0,8}|[A-Z][A-Za-z ]{1,30}\s+[—–-]{1,2}|"
    r"(?:Source|Written by|Reporting by)\s*:.*)$"
)
# Author notes at the end of news copy: "Jane Doe is a breaking news reporter for USA TODAY.",
# "Reach her at ...", "Follow him on X @...", "Contributing: Reuters".
_AUTHOR_NOTE = re.compile(
    r"^(?:(?:Reach|Contact|Email|Follow)\s+(?:him|her|them|me)\b|Contributing:|Contributors?:|"
    r"[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){0,3}\s+(?:is|covers)\s+(?:a|an|the)\s+[^.]{0,80}?"
    r"\b(?:reporter|correspondent|writer|editor|journalist|columnist|producer)\b)"
)
# Boilerplate: credits ("Reporting by …; Editing by …", "Contributing: Reuters"), newsletter and sign-up
# promos, "More: <headline>" / "Read more" / "Watch:" link lines, corrections notes. Neither claims nor
# passages. Matched on whole lines only (a line of body text that merely mentions a newsletter stays body).
_BOILERPLATE = re.compile(
    r"^(?:(?:Additional\s+)?(?:Reporting|Editing|Writing|Compiled|Research|Graphics|Produced)\s+by\b|"
    r"Contributing\s*:|Contributors?\s*:|(?:More|Read\s+more|READ\s+MORE|Related|See\s+also|Also\s+read|"
    r"Watch|WATCH|Listen|Recommended|Trending)\s*:|Read\s+more\b|Corrections?\s+(?:and|&)\s+clarifications|"
    r"Editor[’']s\s+[Nn]ote\s*:|Skip\s+advert\s*$|Advertisement\s*$|A\s+version\s+of\s+this\s+(?:story|article)\b|"
    r"(?:Sign|Signing)\s+up\b|Subscribe\b|Get\s+(?:the|our)\s+[\w\s’']{0,40}newsletter|"
    r"Watch\s+(?:CNN|the\s+video|video|live)\b|Click\s+here\b|Follow\s+(?:us|along)\b|"
    r"(?:Find|Click|Read|Watch|Search|See|Subscribe|Follow|Get|Listen|Download|Learn|Check\s+out|To\s+get)\b"
    r".{0,200}\b(?:here|below|newsletter|inbox)[.!]?$)"
    r"|\b(?:sign\s+up|subscribe)\b[^.]{0,80}\b(?:newsletter|inbox|here)\b"
)
_WORD = re.compile(r"\S+")
# A sentence ends at . ! ? or … (plus closing quotes/brackets) followed by space.
_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s+)")
_ABBREV = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "sr",
        "jr",
        "st",
        "mt",
        "ft",
        "gen",
        "col",
        "lt",
        "sgt",
        "capt",
        "cmdr",
        "adm",
        "gov",
        "sen",
        "rep",
        "rev",
        "hon",
        "pres",
        "vs",
        "etc",
        "inc",
        "ltd",
        "co",
        "corp",
        "dept",
        "univ",
        "no",
        "nos",
        "fig",
        "approx",
        "est",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "mon",
        "tue",
        "wed",
        "thu",
        "fri",
        "sat",
        "sun",
        "u.s",
        "u.k",
        "u.n",
        "e.g",
        "i.e",
        "a.m",
        "p.m",
        "d.c",
        "u.s.a",
        "ph.d",
        "al",
        "ave",
        "blvd",
        "rd",
    ]
)


def paragraphs(text: str, title: str | None = None) -> list[Paragraph]:
    """Split text into non-empty lines, each with its role."""
    out: list[Paragraph] = []
    seen_body = False
    for start, end in _lines(text):
        line = text[start:end]
        role = _role(line, title=title, seen_body=seen_body)
        seen_body = seen_body or role is Role.BODY
        out.append(Paragraph(start=start, end=end, role=role))
    return out


def sentences(text: str, start: int, end: int) -> list[Sentence]:
    """Sentence spans inside text[start:end] (one paragraph), covering all of its words."""
    spans: list[Sentence] = []
    cursor = start
    for match in _END.finditer(text, start, end):
        stop = match.end()
        if not _is_boundary(text, cursor, match.start(), stop, end):
            continue
        spans.extend(_trimmed(text, cursor, stop))
        cursor = stop
    spans.extend(_trimmed(text, cursor, end))
    return spans


def word_count(text: str, start: int = 0, end: int | None = None) -> int:
    return len(_WORD.findall(text, start, len(text) if end is None else end))


def word_spans(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    for m in _WORD.finditer(text, start, end):
        yield m.start(), m.end()


def _lines(text: str) -> Iterator[tuple[int, int]]:
    pos = 0
    n = len(text)
    while pos < n:
        nl = text.find("\n", pos)
        stop = n if nl < 0 else nl
        for span in _trimmed(text, pos, stop):
            yield span.start, span.end
        pos = stop + 1


def _trimmed(text: str, start: int, end: int) -> list[Sentence]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return [Sentence(start=start, end=end)] if start < end else []


def _role(line: str, *, title: str | None, seen_body: bool) -> Role:
    words = len(line.split())
    m = _BOILERPLATE.search(line)
    if m and words <= 40 and (m.start() == 0 or words <= 30):
        return Role.BOILERPLATE
    if (_BYLINE.match(line) and words <= 10) or (_AUTHOR_NOTE.match(line) and words <= 60):
        return Role.BYLINE
    tail = line[-80:]
    if _CREDIT.search(tail) and words >= 3:
        return Role.CAPTION
    if title and _norm(line) == _norm(title):
        return Role.HEADLINE
    last = line.rstrip("\"'”’) ")[-1:]
    if words <= 14 and last not in ".!:;,…" and not line.startswith(("“", '"', "‘")):
        # Short lines without closing punctuation are headings ("Immediate desertions?").
        return Role.HEADLINE
    return Role.BODY


def _norm(s: str) -> str:
    return re.sub(r"\W+", " ", s).strip().lower()


def _is_boundary(text: str, sent_start: int, dot: int, stop: int, end: int) -> bool:
    """Is the punctuation at text[dot:stop] the end of a sentence?"""
    nxt = stop
    while nxt < end and text[nxt].isspace():
        nxt += 1
    if nxt >= end:
        return True
    follower = text[nxt]
    if not (follower.isupper() or follower.isdigit() or follower in "\"'“‘(["):
        return False
    if text[dot] != ".":
        return True
    # The word that carries the period: abbreviations and initials do not end sentences.
    w = dot
    while w > sent_start and not text[w - 1].isspace() and text[w - 1] not in '("“‘':
        w -= 1
    word = text[w:dot].lower()
    if word in _ABBREV:
        return False
    if len(word) == 1 and word.isalpha():  # "John F. Kennedy"
        return False
    return not ("." in word and len(word) <= 5 and word.replace(".", "").isalpha())  # "U.S."
