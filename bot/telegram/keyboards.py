"""Keyboards and callback data. Pure functions, no I/O.

Buttons carry compact, versioned callback data ("v1|ctx|42": an action and one number, a chunk id,
an offset or a page), validated on every press, so buttons on old messages keep working after a
restart. Each action has its own `CallbackQueryHandler(pattern=...)`; anything else gets one
polite sentence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from index.models import Hit

if TYPE_CHECKING:
    from bot.telegram.state import Subscription

MAX_CALLBACK_BYTES = 64
CALLBACK_VERSION = "v1"
MAX_OFFSET = 200  # deepest page "More" reaches


# ---- buttons ---------------------------------------------------------------------------------
# action -> what its argument is: a chunk id, an offset, a page, or nothing (0)
ACTIONS = frozenset({"more", "pick", "back", "ctx", "why", "sub", "stop", "src", "srcs", "psg", "in"})
PAGED = frozenset({"more", "src"})
_CALLBACK = re.compile(r"v1\|([a-z]{2,4})\|(\d{1,12})")


def pattern(action: str) -> str:
    """The CallbackQueryHandler pattern of one action's buttons."""
    assert action in ACTIONS
    return rf"^v1\|{action}\|\d{{1,12}}$"


def callback(action: str, arg: int = 0) -> str:
    data = f"{CALLBACK_VERSION}|{action}|{arg}"
    assert action in ACTIONS and len(data.encode()) <= MAX_CALLBACK_BYTES, data
    return data


def parse_callback(data: str | None) -> tuple[str, int] | None:
    """(action, argument) of a button we made, or None for anything tampered, old or unknown."""
    m = _CALLBACK.fullmatch(data or "")
    if not m or m.group(1) not in ACTIONS:
        return None
    action, arg = m.group(1), int(m.group(2))
    if action in PAGED and arg > MAX_OFFSET:
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
    return InlineKeyboardMarkup([[InlineKeyboardButton(b.text, callback_data=b.data) for b in row] for row in rows])


def answer_keyboard(
    chunk_ids: Sequence[int], first: int, next_offset: int | None, previous_offset: int | None = None
) -> InlineKeyboardMarkup | None:
    """One row: ◀ (a page back, when paged), the passage numbers (from `first`), More ▸ (when there
    may be more)."""
    row = [Button("◀", callback("more", previous_offset))] if previous_offset is not None else []
    row += [Button(str(first + i), callback("pick", c)) for i, c in enumerate(chunk_ids)]
    if next_offset is not None and next_offset <= MAX_OFFSET:
        row.append(Button("More ▸", callback("more", next_offset)))
    return _markup([row])


def passage_actions(hit: Hit, number: int, *, follow: bool = True, back: bool = True) -> InlineKeyboardMarkup | None:
    """What one passage of an answer offers, in place of the numbers."""
    return _markup(
        [
            [
                Button(f"{number} · Context", callback("ctx", hit.chunk_id)),
                Button("Why these labels?", callback("why", hit.chunk_id)),
            ],
            [
                *([Button("Follow", callback("sub", hit.chunk_id))] if follow else []),
                *([Button("◀ Back", callback("back"))] if back else []),
            ],
        ]
    )


def context_keyboard(hit: Hit, before: Hit | None, after: Hit | None) -> InlineKeyboardMarkup | None:
    return _markup(
        [
            [
                *([Button("◀ Earlier", callback("ctx", before.chunk_id))] if before else []),
                *([Button("Later ▶", callback("ctx", after.chunk_id))] if after else []),
            ],
            [
                Button("Why these labels?", callback("why", hit.chunk_id)),
                Button("Follow", callback("sub", hit.chunk_id)),
            ],
        ]
    )


def single_keyboard(hit: Hit) -> InlineKeyboardMarkup | None:
    """Under one passage on its own (deep links, Open): its context, labels explained, follow."""
    return _markup(
        [
            [
                Button("Context", callback("ctx", hit.chunk_id)),
                Button("Why these labels?", callback("why", hit.chunk_id)),
            ],
            [Button("Follow", callback("sub", hit.chunk_id))],
        ]
    )


def why_keyboard(hit: Hit, following: bool = False) -> InlineKeyboardMarkup | None:
    return _markup([[Button("Follow", callback("sub", hit.chunk_id))]] if not following else [])


def notice_keyboard(chunk_id: int, removed: bool = False) -> InlineKeyboardMarkup | None:
    """Under a change notice: open the passage, see why, stop following."""
    if removed:
        return None
    return _markup(
        [
            [
                Button("Open", callback("psg", chunk_id)),
                Button("Why", callback("why", chunk_id)),
                Button("Stop", callback("stop", chunk_id)),
            ]
        ]
    )


def following_keyboard(subs: Sequence[Subscription]) -> InlineKeyboardMarkup | None:
    rows = [
        [Button(f"Open {i}", callback("psg", s.chunk_id)), Button(f"Stop {i}", callback("stop", s.chunk_id))]
        for i, s in enumerate(subs, 1)
    ]
    return _markup(rows[:50])


def decline_keyboard(can_scope: bool) -> InlineKeyboardMarkup | None:
    return _markup(
        [
            [Button("Search my last answer's articles", callback("in"))] if can_scope else [],
            [Button("List the sources", callback("srcs"))],
        ]
    )


def sources_keyboard(page: int, pages: int) -> InlineKeyboardMarkup | None:
    return _markup(
        [
            [
                *([Button("◀ Previous", callback("src", page - 1))] if page > 0 else []),
                *([Button("Next ▶", callback("src", page + 1))] if page + 1 < pages and page + 1 <= MAX_OFFSET else []),
            ]
        ]
    )


def open_keyboard(username: str | None, chunk_id: int) -> InlineKeyboardMarkup | None:
    """For inline results: a link that opens the passage in a private chat with the bot."""
    if not username:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton("Open in Verbatim", url=deep_link(username, chunk_id))]])


def deep_link(username: str, chunk_id: int) -> str:
    return f"https://t.me/{username}?start=p{chunk_id}"


def parse_start_payload(payload: str | None) -> int | None:
    m = re.fullmatch(r"p(\d{1,12})", payload or "")
    return int(m.group(1)) if m else None


def buttons_of(markup: InlineKeyboardMarkup | None) -> int:
    return sum(len(row) for row in markup.inline_keyboard) if markup else 0
