"""Answers for Telegram: HTML messages, keyboards and callback data. Pure functions, no I/O.

Every piece of corpus text goes through `html.escape`, so an article containing `<b>` or `&`
shows literally. Inside a quote the only markup added is one `<i> ⟨label⟩</i>` after each
claim; removing the `<i>` elements and unescaping gives back the passage exactly (Telegram
allows italic inside a blockquote, not code). Telegram limits a message to 4,096 characters
after entity parsing; we limit the raw HTML, counted in UTF-16 code units as Telegram counts,
which is stricter. A message is split between passages, or, for one passage too long alone,
between claims into consecutive complete quotes, the source line after the last part.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.render_text import LABELS
from index.models import NO_ANSWER, Answer, Claim, Evidence, Hit

if TYPE_CHECKING:
    from index.retriever import Status

LIMIT = 4096
CALLBACK_VERSION = "v1"
MAX_CALLBACK_BYTES = 64
MAX_OFFSET = 200  # deepest page "More results" reaches
SOURCES_PER_PAGE = 10
NO_MORE = "No further passages answer this question."
QUOTE_OPEN, QUOTE_CLOSE = "<blockquote>", "</blockquote>"

# ---- the label vocabulary (bot.render_text's, in lower case) and its legend ------------------
LEGEND: dict[str, str] = {
    "confirmed": "a named official or institution confirms it, or states evidence for it",
    "reported": "attributed to a named source with a neutral verb (say, report, according to)",
    "unverified": "explicitly distanced: allegedly, purportedly, could not be independently verified",
    "denied": "a party rejects or refutes it",
    "forecast": "a future event, expectation, estimate or condition (expected to, could, if)",
    "opinion": "a judgement, not a checkable fact",
    "stated": "the outlet's own plain assertion, with no attribution or hedge",
    "fact-checked": "a maintainer's fact-check verdict (ClaimReview) matched to the claim, shown first",
    "corroborated": "corroborated by n other independent outlets in the corpus",
    "conflicts": "n articles in the corpus give a different figure or account",
}
assert set(LABELS) <= set(LEGEND)

COMMANDS: list[tuple[str, str]] = [
    ("start", "what this bot does"),
    ("help", "how to read the labels"),
    ("ask", "ask a question (in groups: /ask your question)"),
    ("more", "more passages for the last question"),
    ("sources", "the articles the answers come from"),
    ("about", "corpus size and last update"),
]
ADMIN_COMMANDS: list[tuple[str, str]] = [("remove", "remove articles: /remove ID ...")]


def esc(text: str) -> str:
    """Text content for Telegram HTML: only <, > and & need escaping."""
    return html.escape(text, quote=False)


def size(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def short(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def human_size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1_000_000 else f"{max(n, 1000) / 1e3:.0f} KB"


def claim_label(claim: Claim) -> str:
    """Plain-text label, verdict first, then framing and speaker, then corpus evidence; '' if none."""
    bits = []
    if claim.verdict:
        bits.append(f"fact-checked: {short(claim.verdict.rating, 40)}")
    if claim.status:
        bits.append(claim.status)
    if claim.speaker:
        bits.append(short(claim.speaker, 60))
    if claim.corroborated_by:
        bits.append(f"corroborated by {len(_outlets(claim.corroborated_by))}")
    if claim.conflicts_with:
        bits.append(f"conflicts: {len(claim.conflicts_with)}")
    return " · ".join(bits)


def label_html(claim: Claim) -> str:
    label = claim_label(claim)
    return f"<i> ⟨{esc(label)}⟩</i>" if label else ""


def _outlets(evidence: Iterable[Evidence]) -> list[str]:
    return sorted({e.source or e.doc_id for e in evidence})


def safe_url(url: str | None) -> str | None:
    """An http(s) link fit for <a href>, or None."""
    if not url or len(url) > 1000 or any(ch.isspace() or ord(ch) < 32 for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def source_line(hit: Hit, number: int | None = None) -> str:
    link = safe_url(hit.url)
    parts = [
        f"<b>{esc(short(hit.title, 150))}</b>",
        esc(short(hit.source, 80)) if hit.source else "outlet unknown",
        esc(short(hit.date, 40)) if hit.date else "date unknown",
        *([f'<a href="{html.escape(link, quote=True)}">link</a>'] if link else []),
        f"paragraph {hit.paragraph} of {hit.paragraphs}",
    ]
    return (f"<b>[{number}]</b> " if number is not None else "") + " · ".join(parts)


# ---- quotes ------------------------------------------------------------------------------------
def _units(hit: Hit) -> list[tuple[str, str, str]]:
    """(text, label, gap) triples covering the passage in order: a claim, its label, the whitespace
    or unclaimed text after it. Overlapping or out-of-range claims stay unlabelled text."""
    text, pos, out = hit.passage, 0, []
    for claim in sorted(hit.claims, key=lambda c: (c.start, c.end)):
        s, e = claim.start - hit.start, claim.end - hit.start
        if s < pos or e > len(text) or e <= s:
            continue
        if s > pos:
            if out and not text[pos:s].strip():
                out[-1] = (out[-1][0], out[-1][1], out[-1][2] + text[pos:s])
            else:
                out.append((text[pos:s], "", ""))
        out.append((text[s:e], label_html(claim), ""))
        pos = e
    if pos < len(text):
        if out and not text[pos:].strip():
            out[-1] = (out[-1][0], out[-1][1], out[-1][2] + text[pos:])
        else:
            out.append((text[pos:], "", ""))
    return out


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


def quote_parts(hit: Hit, budget: int) -> list[str]:
    """The passage as one or more complete <blockquote> elements, each at most `budget` long."""
    inner = budget - size(QUOTE_OPEN + QUOTE_CLOSE)
    htmls: list[str] = []
    for text, label, gap in _units(hit):
        whole = esc(text) + label + esc(gap)
        if size(whole) <= inner:
            htmls.append(whole)
            continue
        if size(esc(gap)) > inner // 2:  # a huge gap: its own unlabelled pieces
            htmls.extend(esc(p) for p in _cut(text, inner - size(label)))
            htmls[-1] += label
            htmls.extend(esc(p) for p in _cut(gap, inner))
            continue
        pieces = _cut(text, inner - size(label) - size(esc(gap)))
        htmls.extend(esc(p) for p in pieces[:-1])
        htmls.append(esc(pieces[-1]) + label + esc(gap))
    parts, current = [], ""
    for piece in htmls:
        if current and size(current) + size(piece) > inner:
            parts.append(current)
            current = ""
        current += piece
    if current or not parts:
        parts.append(current)
    return [QUOTE_OPEN + p + QUOTE_CLOSE for p in parts]


def hit_blocks(hit: Hit, number: int | None = None, limit: int = LIMIT) -> list[str]:
    """One passage: its quote part(s), the source line under the last one."""
    src = source_line(hit, number)
    parts = quote_parts(hit, limit - size(src) - 1)
    parts[-1] += "\n" + src
    return parts


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


def render_answer(answer: Answer, *, heading: str | None = None, limit: int = LIMIT) -> list[str]:
    """An answer as Telegram HTML messages, each at most `limit` long."""
    if not answer.answered:
        return [esc(answer.message or NO_ANSWER)]
    if not answer.results:
        return [esc(NO_MORE)]
    blocks = [heading] if heading else []
    for hit in answer.results:
        blocks.extend(hit_blocks(hit, hit.rank, limit))
    return pack(blocks, limit)


def render_passages(hits: Sequence[tuple[str, Hit]], *, limit: int = LIMIT) -> list[str]:
    """Passages under short headings ("Before", "After"), e.g. for context and deep links."""
    blocks: list[str] = []
    for heading, hit in hits:
        parts = hit_blocks(hit, None, limit - size(heading) - 1 if heading else limit)
        if heading:
            parts[0] = f"<b>{esc(heading)}</b>\n{parts[0]}"
        blocks.extend(parts)
    return pack(blocks, limit)


def render_single(hit: Hit, limit: int = LIMIT) -> str:
    """One message for an inline result: the quote, cut between claims with […] if too long."""
    src = source_line(hit)
    parts = quote_parts(hit, limit - size(src) - 6)
    return parts[0] + ("\n[…]" if len(parts) > 1 else "") + "\n" + src


# ---- explanations ------------------------------------------------------------------------------
def why_messages(hit: Hit, limit: int = LIMIT) -> list[str]:
    """The evidence behind each claim's label: cue, speaker, corroborating and conflicting outlets,
    verdict. Claim and evidence texts are verbatim (long ones shortened with …)."""
    blocks = [f"<b>Why these labels</b> — {source_line(hit)}"]
    if not hit.claims:
        blocks.append("This passage has no analysed claims.")
    for i, claim in enumerate(hit.claims, 1):
        lines = [f"<b>{i}.</b> “{esc(short(claim.text, 300))}”"]
        label = claim_label(claim)
        lines.append(f"label: <i>⟨{esc(label)}⟩</i>" if label else "label: none (no framing cue found)")
        if claim.status:
            cue = f" — cue “{esc(short(claim.cue, 60))}”" if claim.cue else ""
            lines.append(f"framing: {esc(claim.status)}{cue}")
        lines.append(f"who says: {esc(short(claim.speaker, 80)) if claim.speaker else 'the outlet itself'}")
        if v := claim.verdict:
            link = safe_url(v.url)
            href = f', <a href="{html.escape(link, quote=True)}">link</a>' if link else ""
            lines.append(
                f"fact-check: {esc(short(v.rating, 40))} — by {esc(short(v.author or 'unknown', 80))}, "
                f"{esc(v.date or 'date unknown')}{href}"
            )
        lines.extend(_evidence_lines("corroborated by", claim.corroborated_by))
        lines.extend(_evidence_lines("conflicts with", claim.conflicts_with))
        if not (claim.corroborated_by or claim.conflicts_with):
            lines.append("no other outlet in the corpus corroborates or contradicts it")
        blocks.extend(pack(lines, limit, "\n"))
    return pack(blocks, limit)


def _evidence_lines(verb: str, evidence: Sequence[Evidence], most: int = 5) -> list[str]:
    lines = []
    for e in evidence[:most]:
        value = f" ({esc(short(e.value, 30))})" if e.value else ""
        lines.append(
            f"{verb} {esc(short(e.source or e.doc_id, 80))}, {esc(e.date or 'date unknown')}{value}: "
            f"“{esc(short(e.text, 200))}”"
        )
    if len(evidence) > most:
        lines.append(f"{verb} {len(evidence) - most} more")
    return lines


def help_text() -> str:
    lines = [
        "<b>Verbatim</b> answers only with passages quoted word for word from its news corpus, "
        "each with its source, and a label after every sentence saying how the article presents it.",
        "",
        "<b>Labels</b> <i>⟨…⟩</i>",
        *[f"<i>{esc(word)}</i> — {esc(meaning)}" for word, meaning in LEGEND.items()],
        "A name after the label is who says it. No label: no framing cue was found.",
        "",
        "<b>Commands</b>",
        *[f"/{name} — {esc(what)}" for name, what in COMMANDS],
        "",
        "Reply to one of my answers to ask within its articles. Buttons under an answer show the "
        "context, why each label was given, and let you follow a passage: I tell you if its labels "
        "or evidence change. In groups, use /ask, mention me, or reply to me. Inline: type my "
        "@username and a question in any chat.",
    ]
    return "\n".join(lines)


def maintainer_help() -> str:
    return (
        "<b>Maintainers</b>: send a .txt, .md, .html or .jsonl file to add articles, a .json "
        "ClaimReview file for fact-check verdicts, or a link to add a web page; "
        "/remove ID ... removes articles (ids are listed by /sources)."
    )


def start_text(articles: int, outlets: int) -> str:
    return (
        f"I answer questions with passages quoted word for word from {articles:,} news articles "
        f"from {outlets:,} outlets, each with its source. Ask me anything, for example "
        "<i>What did NATO confirm?</i>\n/help explains the labels after each sentence."
    )


def about_text(s: Status) -> str:
    return "\n".join(
        [
            "<b>Verbatim</b>: answers only in the corpus's own words; nothing is generated.",
            f"Corpus: {s.articles:,} articles from {s.outlets:,} outlets, {s.passages:,} passages, "
            f"{s.claims:,} claims, {s.verdicts:,} fact-check verdicts.",
            f"Last update: {esc(s.updated_at or 'never')}.",
            f"Model: {esc(s.model)}.",
        ]
    )


def sources_page(rows: Sequence[dict], page: int, per_page: int = SOURCES_PER_PAGE) -> tuple[str, int, int]:
    """(text, page, pages) for /sources; `page` is clamped into range."""
    pages = max(1, -(-len(rows) // per_page))
    page = min(max(page, 0), pages - 1)
    outlets = len({r["source"] for r in rows})
    head = f"<b>Sources</b>: {len(rows):,} articles from {outlets:,} outlets (page {page + 1} of {pages})"
    lines = [head, ""]
    for r in rows[page * per_page : (page + 1) * per_page]:
        lines.append(
            f"• <b>{esc(short(r['source'] or 'outlet unknown', 60))}</b> — {esc(short(r['title'], 120))} "
            f"({esc(r['date'] or 'date unknown')}) · id <code>{esc(short(r['id'], 80))}</code> · "
            f"{r['passages']} passages"
        )
    if not rows:
        lines.append("The corpus is empty.")
    return "\n".join(lines), page, pages


def add_summary(
    origin: str,
    added: int,
    replaced: int,
    unchanged: int,
    passages: int,
    rejected: Sequence[tuple[str, str]],
    most: int = 15,
) -> str:
    lines = [
        f"{esc(short(origin, 100))}: added {added}, replaced {replaced}, unchanged {unchanged}, "
        f"rejected {len(rejected)} ({passages} passages indexed)."
    ]
    lines += [f"rejected {esc(short(o, 100))}: {esc(short(r, 200))}" for o, r in rejected[:most]]
    if len(rejected) > most:
        lines.append(f"and {len(rejected) - most} more rejected")
    return "\n".join(lines)


def change_notice(hit: Hit, claim: Claim | None, before: str, after: str) -> str:
    what = f"“{esc(short(claim.text, 300))}”" if claim else "a passage you follow"
    return (
        f"<b>Update</b> on {what}\nlabel was <i>⟨{esc(before or 'none')}⟩</i>, "
        f"now <i>⟨{esc(after or 'none')}⟩</i>\n{source_line(hit)}"
    )


def removed_notice(title: str) -> str:
    return (
        f"<b>Update</b>: a passage you follow from “{esc(short(title, 150))}” was changed or removed "
        "from the corpus, so I stopped following it."
    )


# ---- buttons ---------------------------------------------------------------------------------
ACTIONS = frozenset({"more", "ctx", "why", "sub", "src", "psg"})
_CALLBACK = re.compile(r"v1\|([a-z]{2,4})\|(\d{1,12})")


def callback(action: str, arg: int) -> str:
    data = f"{CALLBACK_VERSION}|{action}|{arg}"
    assert action in ACTIONS and len(data.encode()) <= MAX_CALLBACK_BYTES, data
    return data


def parse_callback(data: str | None) -> tuple[str, int] | None:
    """(action, argument) of a button we made, or None for anything tampered, old or unknown."""
    m = _CALLBACK.fullmatch(data or "")
    if not m or m.group(1) not in ACTIONS:
        return None
    action, arg = m.group(1), int(m.group(2))
    if action in ("more", "src") and arg > MAX_OFFSET:
        return None
    return action, arg


@dataclass(frozen=True)
class Button:
    text: str
    data: str


def _markup(rows: Sequence[Sequence[Button]]) -> InlineKeyboardMarkup | None:
    rows = [row for row in rows if row]
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.text, callback_data=b.data) for b in row] for row in rows]
    )


def answer_keyboard(hits: Sequence[Hit], next_offset: int | None) -> InlineKeyboardMarkup | None:
    rows = [
        [
            Button(f"Context {h.rank}", callback("ctx", h.chunk_id)),
            Button(f"Why? {h.rank}", callback("why", h.chunk_id)),
            Button(f"Tell me if {h.rank} changes", callback("sub", h.chunk_id)),
        ]
        for h in hits
    ]
    if next_offset is not None and next_offset <= MAX_OFFSET:
        rows.append([Button("More results", callback("more", next_offset))])
    return _markup(rows)


def passage_keyboard(hit: Hit, before: Hit | None, after: Hit | None) -> InlineKeyboardMarkup | None:
    return _markup(
        [
            [
                *([Button("◀ Previous", callback("psg", before.chunk_id))] if before else []),
                *([Button("Next ▶", callback("psg", after.chunk_id))] if after else []),
            ],
            [
                Button("Why?", callback("why", hit.chunk_id)),
                Button("Tell me if this changes", callback("sub", hit.chunk_id)),
            ],
        ]
    )


def context_keyboard(before: Hit | None, after: Hit | None) -> InlineKeyboardMarkup | None:
    return _markup(
        [
            [
                *([Button("◀ Earlier", callback("ctx", before.chunk_id))] if before else []),
                *([Button("Later ▶", callback("ctx", after.chunk_id))] if after else []),
            ]
        ]
    )


def why_keyboard(hit: Hit) -> InlineKeyboardMarkup | None:
    return _markup([[Button("Tell me if this changes", callback("sub", hit.chunk_id))]])


def sources_keyboard(page: int, pages: int) -> InlineKeyboardMarkup | None:
    return _markup(
        [
            [
                *([Button("◀ Previous", callback("src", page - 1))] if page > 0 else []),
                *(
                    [Button("Next ▶", callback("src", page + 1))]
                    if page + 1 < pages and page + 1 <= MAX_OFFSET
                    else []
                ),
            ]
        ]
    )


def open_keyboard(username: str | None, chunk_id: int) -> InlineKeyboardMarkup | None:
    """For inline results: a link that opens the passage in a private chat with the bot."""
    if not username:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton("Open in Verbatim", url=deep_link(username, chunk_id))]]
    )


def deep_link(username: str, chunk_id: int) -> str:
    return f"https://t.me/{username}?start=p{chunk_id}"


def parse_start_payload(payload: str | None) -> int | None:
    m = re.fullmatch(r"p(\d{1,12})", payload or "")
    return int(m.group(1)) if m else None
