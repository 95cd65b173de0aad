"""Narrowing a question by outlet and date: from flags, JSON fields, or the words of the question itself.

Pure functions: the outlets the index holds are passed in. `parse_question` finds recognised outlet names
("What did CNN report ...", "according to USA Today") and month / year / date ranges ("in October 2024",
"since 2024-10-01", "between March and May 2024") and returns the filters plus the question text without
those words, which is what gets searched. `describe` gives the short label shown with an answer
("CNN · October 2024").
"""

from __future__ import annotations

import calendar
import re
from datetime import date
from functools import lru_cache

from index.errors import InputError
from index.models import Filters

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS |= {name.lower(): i for i, name in enumerate(calendar.month_abbr) if name}
MONTHS["sept"] = 9
_MONTH = r"(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_YEAR = r"(?:19|20)\d\d"
_ISO = r"\d{4}-\d{2}-\d{2}"


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", name.lower()).strip()


def _aliases(outlet: str) -> set[str]:
    """Ways a reader names an outlet: as stored, without "the", without a bracketed or trailing
    qualifier ("The Week (UK)" -> "the week", "week"; "BBC News" -> "bbc")."""
    base = _norm(re.sub(r"\(.*?\)", " ", outlet))
    out = {_norm(outlet), base}
    for form in list(out):
        if form.startswith("the "):
            out.add(form[4:])
        for tail in (" news", " online", " com"):
            if form.endswith(tail) and len(form) > len(tail) + 2:
                out.add(form[: -len(tail)])
    return {a for a in out if a}


def resolve_sources(names: list[str], outlets: list[str]) -> tuple[str, ...]:
    """Outlet names as given (flags, JSON) -> the outlets stored in the index; an unknown one is an InputError."""
    table = {alias: o for o in outlets for alias in _aliases(o)}
    out = []
    for name in names:
        found = table.get(_norm(name))
        if found is None:
            known = ", ".join(sorted(outlets)) or "none (the index has no outlet names)"
            raise InputError(f"No article in the index is from '{name}'; the outlets are: {known}.")
        out.append(found)
    return tuple(dict.fromkeys(out))


def parse_day(value: str, *, end: bool = False) -> str:
    """'2024-10-05', '2024-10' or '2024' -> an ISO day (the first, or with end=True the last, of the period)."""
    text = str(value).strip()
    m = re.fullmatch(r"(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?", text)
    try:
        if not m:
            raise ValueError(text)
        year, month, day = int(m[1]), int(m[2] or (12 if end else 1)), m[3]
        if day is None:
            day = calendar.monthrange(year, month)[1] if end else 1
        return date(year, month, int(day)).isoformat()
    except ValueError:
        raise InputError(
            f"'{text}' is not a date; write it as YYYY-MM-DD (or YYYY-MM, or YYYY), e.g. 2024-10-31."
        ) from None


def make_filters(
    sources: list[str] | tuple[str, ...] | str | None, since: str | None, until: str | None, outlets: list[str]
) -> Filters:
    """Filters from explicit values (CLI flags, JSON fields), checked against the index."""
    if isinstance(sources, str):
        sources = [sources]
    found = resolve_sources([s for s in sources or [] if str(s).strip()], outlets) if sources else ()
    lo = parse_day(since) if since else None
    hi = parse_day(until, end=True) if until else None
    if lo and hi and lo > hi:
        raise InputError(f"The date range is empty: {lo} is after {hi}.")
    return Filters(sources=found, since=lo, until=hi)


def merge(a: Filters | None, b: Filters | None) -> Filters:
    """Explicit filters win over ones read from the question; sources are combined."""
    a, b = a or Filters(), b or Filters()
    return Filters(sources=a.sources or b.sources, since=a.since or b.since, until=a.until or b.until)


# ---- reading filters out of a question -------------------------------------------------------
_REPORT = r"(?:report(?:ed|s)?|say|said|says|write|wrote|writes|cover(?:ed|s)?|tell|told|publish(?:ed)?|claim(?:ed)?)"


@lru_cache(maxsize=16)
def _outlet_patterns(outlets: tuple[str, ...]) -> list[tuple[re.Pattern, str]]:
    out = []
    for outlet in outlets:
        for alias in sorted(_aliases(outlet), key=len, reverse=True):
            words = r"[\s.]+".join(re.escape(w) for w in alias.split())
            name = rf"(?:the\s+)?{words}(?:'s|’s)?"
            # the outlet must be introduced as a source, not be the subject ("Who owns CNN?")
            pattern = (
                rf"\b(?:according\s+to|from|by|in|on|per)\s+{name}\b"
                rf"|\b{name}\s+(?=(?:{_REPORT}|report|reports|article|coverage|story|stories)\b)"
            )
            out.append((re.compile(pattern, re.IGNORECASE), outlet))
    return out


_PERIOD = rf"(?:{_ISO}|{_MONTH}\s+{_YEAR}|{_MONTH}\s+\d{{1,2}},?\s+{_YEAR}|{_YEAR})"


def _period(text: str) -> tuple[str, str] | None:
    """One period as written -> (first day, last day)."""
    t = text.strip().rstrip(",").lower().replace(",", "")
    if re.fullmatch(_ISO, t):
        return parse_day(t), parse_day(t, end=True)
    if re.fullmatch(_YEAR, t):
        return parse_day(t), parse_day(t, end=True)
    parts = t.split()
    month = MONTHS.get(parts[0].rstrip("."))
    if month is None:
        return None
    if len(parts) == 1:
        return None
    if len(parts) == 3:
        d = f"{parts[2]}-{month:02d}-{int(parts[1]):02d}"
        return parse_day(d), parse_day(d, end=True)
    return parse_day(f"{parts[1]}-{month:02d}"), parse_day(f"{parts[1]}-{month:02d}", end=True)


_BETWEEN = re.compile(rf"\b(?:between|from)\s+({_PERIOD}|{_MONTH})\s+(?:and|to|until|-)\s+({_PERIOD})\b", re.I)
_SINCE = re.compile(rf"\b(?:since|after)\s+({_PERIOD})\b", re.I)
_UNTIL = re.compile(rf"\b(?:until|till|before|up\s+to)\s+({_PERIOD})\b", re.I)
_IN = re.compile(
    rf"\b(?:in|during|on|of|for)\s+((?:{_ISO}|{_MONTH}\s+\d{{1,2}},?\s+{_YEAR}|{_MONTH}\s+{_YEAR}|{_YEAR}))\b", re.I
)
_BARE = re.compile(rf"\b({_ISO}|{_MONTH}\s+{_YEAR})\b", re.I)


def _dates(text: str) -> tuple[str | None, str | None, str]:
    m = _BETWEEN.search(text)
    if m:
        hi = _period(m[2])
        first = m[1].strip()
        lo = _period(first) or (_period(f"{first} {hi[0][:4]}") if hi else None)
        if lo and hi:
            return lo[0], hi[1], _cut(text, m)
    lo_m, hi_m = _SINCE.search(text), _UNTIL.search(text)
    if lo_m or hi_m:
        lo = _period(lo_m[1]) if lo_m else None
        hi = _period(hi_m[1]) if hi_m else None
        for m in sorted([x for x in (lo_m, hi_m) if x], key=lambda x: -x.start()):
            text = _cut(text, m)
        before = hi_m is not None and hi_m[0].lower().startswith("before")
        after = lo_m is not None and lo_m[0].lower().startswith("after")
        since = (lo[1] if after else lo[0]) if lo else None
        until = (hi[0] if before else hi[1]) if hi else None
        if after and since:
            since = date.fromordinal(date.fromisoformat(since).toordinal() + 1).isoformat()
        if before and until:
            until = date.fromordinal(date.fromisoformat(until).toordinal() - 1).isoformat()
        return since, until, text
    m = _IN.search(text) or _BARE.search(text)
    if m:
        span = _period(m[1])
        if span:
            return span[0], span[1], _cut(text, m)
    return None, None, text


def _cut(text: str, m: re.Match) -> str:
    return re.sub(r"\s{2,}", " ", text[: m.start()] + " " + text[m.end() :]).strip()


_ABOUT_NEWS = re.compile(
    rf"\b(?:{_REPORT}|news|articles?|coverage|stor(?:y|ies)|headlines?|press)\b", re.IGNORECASE
)


def parse_question(question: str, outlets: list[str]) -> tuple[Filters, str]:
    """Filters named in a question, and the question without them (what gets searched).

    A date narrows only a question about the reporting ("What did CNN report in October 2024", "news
    since 2024-10-01"): in "How many interceptions did the Panthers make in 2015?" the year is part of
    what is asked, not when it was published. A question that would be left empty keeps its words."""
    text = question
    found: list[str] = []
    for pattern, outlet in _outlet_patterns(tuple(sorted(outlets))):
        m = pattern.search(text)
        if m:
            found.append(outlet)
            text = _cut(text, m)
    since = until = None
    if found or _ABOUT_NEWS.search(question):
        try:
            since, until, text = _dates(text)
        except InputError:  # "February 30, 2024": not a date, leave the words alone
            since = until = None
    text = re.sub(r"\s+([?.!,])", r"\1", text).strip().lstrip(",;: ").strip()
    if not re.search(r"\w\w", text):
        return Filters(), question
    return Filters(sources=tuple(dict.fromkeys(found)), since=since, until=until), text


def describe(f: Filters | None) -> str:
    """'CNN · October 2024', 'USA Today · 2024', 'since 2024-10-01' ..."""
    if not f:
        return ""
    parts = [", ".join(f.sources)] if f.sources else []
    if f.since or f.until:
        parts.append(_describe_dates(f.since, f.until))
    return " · ".join(parts)


def _describe_dates(since: str | None, until: str | None) -> str:
    if since and until:
        a, b = date.fromisoformat(since), date.fromisoformat(until)
        last = calendar.monthrange(b.year, b.month)[1]
        if a.day == 1 and b.day == last:
            if (a.month, b.month) == (1, 12) and a.year == b.year:
                return str(a.year)
            if (a.year, a.month) == (b.year, b.month):
                return f"{calendar.month_name[a.month]} {a.year}"
            return f"{calendar.month_name[a.month]} {a.year} – {calendar.month_name[b.month]} {b.year}"
        return since if since == until else f"{since} – {until}"
    return f"since {since}" if since else f"until {until}"
