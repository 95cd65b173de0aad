"""The value the claim analysis returns, and the precedence of its labels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from index.models import Status

STATUSES = tuple(s.value for s in Status)  # denied … stated, most to least hedged
_RANK = {s: len(STATUSES) - i for i, s in enumerate(STATUSES)}  # denied 7 … stated 1


@dataclass(frozen=True)
class Framing:
    start: int  # claim span in the article text: a sentence, or a clause of one
    end: int
    status: str | None  # a Status value; None asserts nothing (headline, byline, question)
    cue: str | None  # the words of the text that decided it, verbatim
    speaker: str | None  # who the claim is attributed to; None = the outlet's own voice


def lowest_commitment(statuses: Sequence[str | None]) -> str | None:
    """The label that wins when several apply (None when none applies)."""
    known = [s for s in statuses if s]
    return max(known, key=_RANK.__getitem__) if known else None
