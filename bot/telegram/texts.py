"""The bot's other texts: help and its legend, /start, /about, /sources, /following, notices,
maintainers' summaries, declining. Pure functions, no I/O; corpus text is escaped."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.labels import MARKERS, MEANING, TIERS, short
from bot.telegram.render import (
    QUOTE_CLOSE,
    QUOTE_OPEN,
    esc,
    filters_header,
    quoted,
    readable_date,
    readable_time,
    source_line,
)
from index.models import NO_ANSWER, Answer, Claim, Hit

if TYPE_CHECKING:
    from bot.telegram.state import Subscription
    from index.retriever import Status

SOURCES_PER_PAGE = 10
DECLINE_NEXT = "You can search within the articles of your last answer, or see which articles I have."
COMMANDS: list[tuple[str, str]] = [
    ("start", "what this bot does"),
    ("help", "how to ask and how to read the labels"),
    ("ask", "ask a question (in groups: /ask your question)"),
    ("more", "more passages for the last question"),
    ("following", "the passages you follow, with Stop buttons"),
    ("sources", "the articles the answers come from"),
    ("about", "corpus size and last update"),
]
ADMIN_COMMANDS: list[tuple[str, str]] = [("remove", "remove articles: /remove ID ...")]
DESCRIPTION = (
    "Ask a question about the news. I answer only with passages quoted word for word from my articles, "
    "each with its outlet and date and a label saying how the article presents it. Nothing is generated."
)
SHORT_DESCRIPTION = "News answers quoted word for word from the articles, with sources. Nothing generated."


# ---- other texts ---------------------------------------------------------------------------------
def legend() -> str:
    """What every label means, grouped by how established the article presents the claim."""
    lines = ["A label line under each passage says how the article presents its sentences:"]
    for tier in (2, 1, 0):
        words = [f"<i>{s.value}</i> — {esc(m)}" for s, m in MEANING.items() if s.tier == tier]
        lines += [f"<b>{TIERS[tier]}</b>", *words]
    lines.append("<b>Evidence</b>")
    lines += [f"<i>{esc(marker)}</i> — {esc(meaning)}" for marker, meaning in MARKERS]
    lines.append("A name in brackets is who says it. “Why these labels?” shows every sentence's label and why.")
    return "\n".join(lines)


def help_text(username: str | None, admin: bool = False) -> str:
    at = f"@{username}" if username else "my name"
    lines = [
        "<b>Verbatim</b> answers with passages quoted word for word from news articles, each with its "
        "outlet and date. Nothing is generated.",
        "",
        f"Ask a question here. In groups: /ask, mention me or reply to me. In any chat: type {esc(at)} and a question.",
        "Tap a passage number under an answer for its context, its labels explained, or to follow it. "
        "/following lists what you follow.",
        "",
        f"<b>Labels</b>{QUOTE_OPEN}{legend()}{QUOTE_CLOSE}",
        "/sources · /about · /more",
    ]
    if admin:
        lines.append(maintainer_help())
    return "\n".join(lines)


def maintainer_help() -> str:
    return (
        "<b>Maintainers</b>: send a .txt, .md, .html or .jsonl file to add articles, a .json "
        "ClaimReview file for fact-check verdicts, or a link to add a web page; "
        "/remove ID ... removes articles (ids are listed by /sources)."
    )


def start_text(articles: int, outlets_: int) -> str:
    return (
        f"I answer questions with passages quoted word for word from {articles:,} news articles "
        f"from {outlets_:,} outlets, each with its source. Ask me anything, for example "
        "<i>What did NATO confirm?</i>\n/help explains the labels."
    )


def about_text(s: Status) -> str:
    return "\n".join(
        [
            "<b>Verbatim</b>: answers only in the corpus's own words; nothing is generated.",
            f"Corpus: {s.articles:,} articles from {s.outlets:,} outlets, {s.passages:,} passages, "
            f"{s.claims:,} claims, {s.verdicts:,} fact-check verdicts.",
            f"Last update: {esc(readable_time(s.updated_at))}.",
            f"Model: {esc(s.model)}.",
        ]
    )


def sources_page(rows: Sequence[dict], page: int, per_page: int = SOURCES_PER_PAGE) -> tuple[str, int, int]:
    """(text, page, pages) for /sources; `page` is clamped into range."""
    pages = max(1, -(-len(rows) // per_page))
    page = min(max(page, 0), pages - 1)
    n_outlets = len({r["source"] for r in rows})
    head = f"<b>Sources</b>: {len(rows):,} articles from {n_outlets:,} outlets (page {page + 1} of {pages})"
    lines = [head, ""]
    for r in rows[page * per_page : (page + 1) * per_page]:
        lines.append(
            f"• <b>{esc(short(r['source'] or 'outlet unknown', 60))}</b>, {esc(readable_date(r['date']))} — "
            f"{esc(short(r['title'], 120))} · id <code>{esc(short(r['id'], 80))}</code> · {r['passages']} passages"
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


def change_notice(hit: Hit, changes: Sequence[tuple[Claim, str, str]], mention: str = "") -> str:
    """One followed passage whose claims' labels or evidence changed: (claim, before, after)."""
    lines = [f"{mention}<b>Update</b> on a passage you follow", source_line(hit)]
    for claim, before, after in changes:
        lines.append(
            f"{quoted(claim.text)}\nlabel was <i>{esc(before or 'none')}</i>, now <i>{esc(after or 'none')}</i>"
        )
    return "\n".join(lines)


def removed_notice(title: str, mention: str = "") -> str:
    return (
        f"{mention}<b>Update</b>: a passage you follow from “{esc(short(title, 150))}” was changed or removed "
        "from the corpus, so I stopped following it."
    )


def mention(user_id: int | None, name: str | None) -> str:
    """A link naming a group member (notices in groups say whose follow it is)."""
    if not user_id:
        return ""
    return f'<a href="tg://user?id={int(user_id)}">{esc(short(name or "you", 40))}</a>: '


def following_text(subs: Sequence[Subscription], hits: dict[int, Hit] | None = None) -> str:
    """/following: each followed passage's source line (or its title, once it left the corpus)."""
    if not subs:
        return "You follow no passages. Tap a passage number under an answer, then Follow."
    lines = [f"<b>You follow {len(subs)} passage{'s' * (len(subs) != 1)}</b>"]
    for i, s in enumerate(subs[:50], 1):
        hit = (hits or {}).get(s.chunk_id)
        lines.append(source_line(hit, i) if hit else f"<b>{i}</b> · {esc(short(s.title, 100))}")
    return "\n".join(lines)


def decline_text(answer: Answer, can_scope: bool) -> str:
    header = filters_header(answer.filters)
    sentence = esc(answer.message or NO_ANSWER)
    tail = DECLINE_NEXT if can_scope else "You can see which articles I have."
    return "\n".join([*([header] if header else []), sentence, esc(tail)])
