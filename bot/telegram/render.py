"""Answers for Telegram: HTML messages and keyboards. Pure functions, no I/O.

An answer is one compact message: an optional header naming the question's filters ("CNN ·
October 2024"), then per passage its source first ("1 · USA Today, 25 Oct 2024 — title (¶13/36)",
the title linked when the article has a URL), the passage in `<blockquote expandable>` (collapsed to
a few lines on a phone) and one quiet label line in italics outside the quote. Every piece of corpus
text goes through `html.escape`, so an article containing `<b>` or `&` shows literally, and the
quote holds the passage's words and nothing else.

Telegram limits a message to 4,096 characters after entity parsing; we limit the raw HTML,
counted in UTF-16 code units as Telegram counts, which is stricter. Passages that do not fit go to
the next page; a first passage too long alone is split into consecutive complete quotes (one per
message, the source line first), never inside a quote.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlsplit

from bot.labels import claim_label, passage_label, short, strongest
from index.models import NO_ANSWER, Answer, Claim, Evidence, Filters, Hit

LIMIT = 4096
NO_MORE = "No further passages answer this question."
QUOTE_OPEN, QUOTE_CLOSE = "<blockquote expandable>", "</blockquote>"
WITHIN = "<i>Within the articles of that answer</i>"

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
FULL_MONTHS = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]  # fmt: skip


def esc(text: str) -> str:
    """Text content for Telegram HTML: only <, > and & need escaping."""
    return html.escape(text, quote=False)


def size(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def human_size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1_000_000 else f"{max(n, 1000) / 1e3:.0f} KB"


def safe_url(url: str | None) -> str | None:
    """An http(s) link fit for <a href>, or None."""
    if not url or len(url) > 1000 or any(ch.isspace() or ord(ch) < 32 for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def _href(url: str) -> str:
    return html.escape(url, quote=True)


# ---- dates -------------------------------------------------------------------------------------
def readable_date(value: str | None) -> str:
    """'2024-10-25' -> '25 Oct 2024', '2024-10' -> 'Oct 2024'; anything else as it is written."""
    if not value:
        return "date unknown"
    m = re.fullmatch(r"(\d{4})-(\d{2})(?:-(\d{2}))?(?:[T ].*)?", value.strip())
    if m and 1 <= int(m.group(2)) <= 12:
        month = MONTHS[int(m.group(2)) - 1]
        return f"{int(m.group(3))} {month} {m.group(1)}" if m.group(3) else f"{month} {m.group(1)}"
    return short(value, 40)


def readable_time(value: str | None) -> str:
    """An ISO timestamp as '1 Dec 2026, 15:36 UTC' (the index records UTC)."""
    if not value:
        return "never"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return short(value, 40)
    return f"{readable_date(moment.date().isoformat())}, {moment:%H:%M} UTC"


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def date_range(since: str | None, until: str | None) -> str:
    """'October 2024', '2024', '1 Oct – 15 Nov 2024', 'since 1 Oct 2024', 'until 31 Oct 2024'."""
    a, b = (_day(since) if since else None), (_day(until) if until else None)
    if a and b:
        month_end = (date(a.year + (a.month == 12), a.month % 12 + 1, 1) - a).days + a.day - 1
        if a.day == 1 and (b.year, b.month, b.day) == (a.year, a.month, month_end):
            return f"{FULL_MONTHS[a.month - 1]} {a.year}"
        if (a.month, a.day, b.month, b.day) == (1, 1, 12, 31) and a.year == b.year:
            return str(a.year)
        if a == b:
            return readable_date(a.isoformat())
        left = f"{a.day} {MONTHS[a.month - 1]}" + (f" {a.year}" if a.year != b.year else "")
        return f"{left} – {readable_date(b.isoformat())}"
    if since:
        return f"since {readable_date(since)}"
    if until:
        return f"until {readable_date(until)}"
    return ""


def filters_header(filters: Filters | None) -> str | None:
    """The line naming what a question was narrowed to, e.g. '<i>CNN · October 2024</i>'."""
    if not filters:
        return None
    parts = [", ".join(short(s, 40) for s in filters.sources)] if filters.sources else []
    when = date_range(filters.since, filters.until)
    return "<i>" + esc(" · ".join([*parts, *([when] if when else [])])) + "</i>"


# ---- one passage -------------------------------------------------------------------------------
def source_line(hit: Hit, number: int | None = None) -> str:
    """'<b>1 · USA Today</b>, 25 Oct 2024 — <a href=…>title</a> (¶13/36)': outlet and date first."""
    outlet = esc(short(hit.source, 60)) if hit.source else "outlet unknown"
    head = f"<b>{number} · {outlet}</b>" if number is not None else f"<b>{outlet}</b>"
    title = esc(short(hit.title, 70))
    link = safe_url(hit.url)
    title = f'<a href="{_href(link)}">{title}</a>' if link else title
    return f"{head}, {esc(readable_date(hit.date))} — {title} (¶{hit.paragraph}/{hit.paragraphs})"


def label_line(hit: Hit) -> str:
    text, _ = passage_label(hit.claims)
    return f"<i>{esc(text)}</i>" if text else ""


def labels_shown(hit: Hit) -> int:
    return passage_label(hit.claims)[1]


def _cut(text: str, budget: int) -> list[str]:
    """Cut text into pieces whose escaped size fits `budget`, after whitespace where possible."""
    pieces: list[str] = []
    while size(esc(text)) > budget:
        lo, hi = 1, len(text)  # the longest prefix that fits
        while lo < hi:
            mid = (lo + hi + 1) // 2
            lo, hi = (mid, hi) if size(esc(text[:mid])) <= budget else (lo, mid - 1)
        cut = max(text.rfind(" ", 0, lo), text.rfind("\n", 0, lo)) + 1
        cut = cut if cut > lo // 2 else lo
        pieces.append(text[:cut])
        text = text[cut:]
    return [*pieces, text] if text else pieces


def _claim_ends(hit: Hit) -> list[int]:
    return sorted({c.end - hit.start for c in hit.claims if 0 < c.end - hit.start < len(hit.passage)})


def quote_parts(hit: Hit, budget: int) -> list[str]:
    """The passage as one or more complete quotes, each at most `budget` long, cut after a claim
    (with the whitespace that follows it) where possible, else between words."""
    inner = budget - size(QUOTE_OPEN + QUOTE_CLOSE)
    text = hit.passage
    if size(esc(text)) <= inner:
        return [QUOTE_OPEN + esc(text) + QUOTE_CLOSE]
    ends = _claim_ends(hit)
    pieces: list[str] = []
    pos = 0
    while pos < len(text):
        rest = text[pos:]
        if size(esc(rest)) <= inner:
            pieces.append(rest)
            break
        best = None
        for end in ends:
            if end <= pos:
                continue
            stop = end
            while stop < len(text) and text[stop].isspace():
                stop += 1
            if size(esc(text[pos:stop])) > inner:
                break
            best = stop
        if best is None:
            best = pos + len(_cut(rest, inner)[0])
        pieces.append(text[pos:best])
        pos = best
    return [QUOTE_OPEN + esc(p) + QUOTE_CLOSE for p in pieces]


def passage_block(hit: Hit, number: int | None = None) -> str:
    """Source line, quote, label line: one passage as it appears in an answer."""
    label = label_line(hit)
    return (
        source_line(hit, number) + "\n" + QUOTE_OPEN + esc(hit.passage) + QUOTE_CLOSE + ("\n" + label if label else "")
    )


def passage_messages(hit: Hit, number: int | None, limit: int, heading: str = "") -> list[str]:
    """A passage too long for one message: consecutive complete quotes, the source line and the
    heading on the first, the label line on the last."""
    src = (heading + "\n" if heading else "") + source_line(hit, number)
    label = label_line(hit)
    parts = quote_parts(hit, limit - max(size(src), size(label)) - 1)
    out = [p for p in parts]
    out[0] = src + "\n" + out[0]
    if label:
        if size(out[-1]) + 1 + size(label) <= limit:
            out[-1] += "\n" + label
        else:
            out.append(label)
    return out


def pack(blocks: Sequence[str], limit: int = LIMIT, sep: str = "\n\n") -> list[str]:
    """Join blocks into as few messages as fit; a block is never split."""
    messages: list[str] = []
    current = ""
    for block in blocks:
        if current and size(current) + size(sep) + size(block) <= limit:
            current += sep + block
        else:
            if current:
                messages.append(current)
            current = block
    if current:
        messages.append(current)
    return messages


# ---- answers -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Page:
    messages: list[str]
    shown: list[Hit]  # the passages on this page (those that did not fit wait for the next one)


def answer_page(answer: Answer, *, heading: str | None = None, limit: int = LIMIT) -> Page:
    """An answer as one message. When the passages do not all fit, the longest are shortened to a
    fair share of the message (each still a verbatim prefix, ended after a claim where possible and
    marked […]; Context and Open show them whole)."""
    if not answer.answered:
        return Page([esc(answer.message or NO_ANSWER)], [])
    if not answer.results:
        return Page([esc(NO_MORE)], [])
    head = "\n".join(h for h in (heading, filters_header(answer.filters)) if h)
    hits = answer.results
    blocks = [passage_block(hit, hit.rank) for hit in hits]
    room = limit - (size(head) + 1 if head else 0) - 2 * (len(hits) - 1)
    allot = _shares([size(b) for b in blocks], room)
    for i, hit in enumerate(hits):
        if size(blocks[i]) > allot[i]:
            blocks[i] = shortened_block(hit, hit.rank, allot[i])
    shown = list(hits)
    while True:  # many passages in a small limit: fewer passages, the rest on the next page
        text = (head + "\n" if head else "") + "\n\n".join(blocks)
        if size(text) <= limit or len(shown) == 1:
            break
        shown, blocks = shown[:-1], blocks[:-1]
    return Page([text], shown)


def _shares(sizes: Sequence[int], room: int) -> list[int]:
    """Water-filling: blocks smaller than an equal share keep their size, the rest split what is left."""
    allot = list(sizes)
    left, order = room, sorted(range(len(sizes)), key=lambda i: sizes[i])
    for n, i in enumerate(order):
        share = left // (len(order) - n)
        allot[i] = min(sizes[i], share)
        left -= allot[i]
    return allot


def shortened_block(hit: Hit, number: int | None, budget: int) -> str:
    """A passage block within `budget`: the quote cut after a claim (or between words), then […]."""
    label = label_line(hit)
    src = source_line(hit, number)
    if size(src) > budget // 2:
        src = source_line(hit.model_copy(update={"title": short(hit.title, 30)}), number)
    quote_budget = max(budget - size(src) - size(label) - len("\n\n[…]"), 80)
    first = quote_parts(hit, quote_budget)[0]
    return src + "\n" + first + "\n[…]" + ("\n" + label if label else "")


def render_answer(answer: Answer, *, heading: str | None = None, limit: int = LIMIT) -> list[str]:
    return answer_page(answer, heading=heading, limit=limit).messages


def render_context(before: Hit | None, hit: Hit, after: Hit | None, limit: int = LIMIT) -> list[str]:
    """The passage between its neighbours: 'Before', 'This passage' (open), 'After' (collapsed)."""
    blocks = [f"{source_line(hit)}"]
    for name, near in (("Before", before), ("This passage", hit), ("After", after)):
        if near is None:
            continue
        label = label_line(near) if near is hit else ""
        opener = "<blockquote>" if near is hit else QUOTE_OPEN
        blocks.append(f"<b>{name}</b>\n{opener}{esc(near.passage)}{QUOTE_CLOSE}" + (f"\n{label}" if label else ""))
    messages = pack(blocks, limit, "\n\n")
    if all(size(m) <= limit for m in messages):
        return messages
    out: list[str] = []  # a huge neighbour: each passage in its own complete quotes
    for name, near in (("Before", before), ("This passage", hit), ("After", after)):
        if near is not None:
            out.extend(passage_messages(near, None, limit, f"<b>{name}</b>"))
    return out


def render_passage(hit: Hit, limit: int = LIMIT) -> list[str]:
    """One passage on its own (deep links, notices' Open)."""
    block = passage_block(hit)
    return [block] if size(block) <= limit else passage_messages(hit, None, limit)


def render_single(hit: Hit, limit: int = LIMIT) -> str:
    """One message for an inline result: the quote, cut after a claim with […] if too long."""
    src, label = source_line(hit), label_line(hit)
    parts = quote_parts(hit, limit - size(src) - size(label) - 8)
    return src + "\n" + parts[0] + ("\n[…]" if len(parts) > 1 else "") + (f"\n{label}" if label else "")


def inline_description(hit: Hit) -> str:
    """Outlet, date and the strongest label, then the passage's opening words."""
    outlet = short(hit.source or "outlet unknown", 60)
    return f"{outlet} · {readable_date(hit.date)} · {strongest(hit.claims)}\n{short(hit.passage, 120)}"


# ---- why these labels ----------------------------------------------------------------------------
def quoted(text: str, n: int = 300) -> str:
    """Verbatim text between quote marks, unless it already opens with one (no doubled marks)."""
    text = esc(short(text, n))
    return text if text[:1] in "“\"‘'«„" else f"“{text}”"


def why_messages(hit: Hit, number: int | None = None, limit: int = LIMIT) -> list[str]:
    """The evidence behind each claim's label: the claim, its label, cue, speaker, verdict,
    corroborating and conflicting outlets. Claim and evidence texts are verbatim."""
    blocks = [f"<b>Why these labels</b>\n{source_line(hit, number)}"]
    if not hit.claims:
        blocks.append("This passage has no analysed claims.")
    previous = None
    for i, claim in enumerate(hit.claims, 1):
        lines = [f"<b>{i}.</b> {quoted(claim.text)}"]
        label = claim_label(claim, previous_speaker=previous)
        lines.append(f"<i>{esc(label)}</i>" if label else "<i>no label</i>")
        lines.extend(_why_lines(claim))
        previous = claim.speaker
        blocks.extend(pack(lines, limit, "\n"))
    return pack(blocks, limit)


def _why_lines(claim: Claim) -> list[str]:
    lines = []
    if claim.status:
        cue = f", cue {quoted(claim.cue, 60)}" if claim.cue else ""
        lines.append(f"framing: {esc(claim.status)}{cue}")
    else:
        lines.append("framing: none found")
    lines.append(f"who says: {esc(short(claim.speaker, 80)) if claim.speaker else 'the outlet itself'}")
    if v := claim.verdict:
        link = safe_url(v.url)
        href = f', <a href="{_href(link)}">link</a>' if link else ""
        lines.append(
            f"fact-check: {esc(short(v.rating, 40))} — by {esc(short(v.author or 'unknown', 80))}, "
            f"{esc(readable_date(v.date))}{href}"
        )
    lines.extend(_evidence_lines("said also by", claim.corroborated_by))
    lines.extend(_evidence_lines("differs:", claim.conflicts_with))
    if not (claim.corroborated_by or claim.conflicts_with):
        lines.append("no other outlet in the corpus says the same or differs")
    return lines


def _evidence_lines(verb: str, evidence: Sequence[Evidence], most: int = 5) -> list[str]:
    lines = []
    for e in evidence[:most]:
        value = f" ({esc(short(e.value, 30))})" if e.value else ""
        lines.append(
            f"{verb} {esc(short(e.source or e.doc_id, 80))}, {esc(readable_date(e.date))}{value}: {quoted(e.text, 200)}"
        )
    if len(evidence) > most:
        lines.append(f"{verb} {len(evidence) - most} more")
    return lines
