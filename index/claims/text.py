"""Small text helpers shared by the claim rules: typo-tolerant hedges, quotations, word shapes."""

from __future__ import annotations

import re
from functools import lru_cache

from index.claims.lexicon import (
    _ALPHA,
    _HEDGES,
    _LY_WORDS,
    _MULTIWORD,
    _NATIONALITIES,
    _NOT_TYPOS,
    _TRAILING,
    _VERB_FORMS,
)


def _osa(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (Levenshtein plus adjacent transpositions)."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


@lru_cache(maxsize=8192)
def _typo_hedge(word: str) -> bool:
    """A misspelt hedge: "purporetdly", "supposidly", "unconfimred" (same first letter)."""
    w = word.lower()
    if w in _NOT_TYPOS or w in _HEDGES:
        return False
    return any(w[0] == h[0] and _osa(w, h, 2) <= (1 if len(h) <= 10 else 2) for h in _HEDGES)


def _quote_spans(p: str) -> list[tuple[int, int]]:
    """Quoted regions (interiors) of one paragraph, tolerant of mixed and unclosed quote marks."""
    spans: list[tuple[int, int]] = []
    start = -1
    for i, ch in enumerate(p):
        if ch not in '"“”':
            continue
        before = p[i - 1] if i else " "
        after = p[i + 1] if i + 1 < len(p) else " "
        if ch == "“":  # a “ followed by a space closes a quote opened with a straight mark
            opener = not (start >= 0 and (after.isspace() or after in ".,;:!?"))
        elif ch == "”":
            opener = False
        else:
            opener = start < 0 and (before.isspace() or before in "([—–-:;,") and not after.isspace()
            if start >= 0 and before == " " and p[max(0, i - 2)] in ".!?" and after.isalnum():
                # BBC copy: the next paragraph of the same quotation, on the same line ("…leave. "Private…")
                spans.append((start, i - 1))
                start = i + 1
                continue
        if opener and start < 0:
            start = i + 1
        elif not opener and start >= 0:
            spans.append((start, i))
            start = -1
    if start >= 0:
        spans.append((start, len(p)))
    return spans


def _is_cap(tok: str) -> bool:
    return tok[:1].isupper()


def _bare(tok: str) -> str:
    return re.sub(r"[’']s?$", "", tok).lower().rstrip(".")


def _possessive(tok: str) -> bool:
    return bool(re.search(r"[’']s$", tok))


def _nationality(w: str) -> bool:
    return _bare(w) in _NATIONALITIES


def _adverb(w: str) -> bool:
    lw = w.lower()
    return lw in _TRAILING or (lw.endswith("ly") and w[:1].islower() and len(lw) > 4 and lw not in _LY_WORDS)


def _verbs(masked: str, c0: int, c1: int) -> list[tuple[int, int, str]]:
    """Reporting-verb forms in a span, case-sensitive ("the United States" holds no verb)."""
    out = []
    for m in _ALPHA.finditer(masked, c0, c1):
        w = m.group()
        for full in _MULTIWORD.get(w, ()):
            end = m.start() + len(full)
            if masked.startswith(full, m.start()) and (end == len(masked) or not masked[end].isalpha()):
                out.append((m.start(), end, full))
                break
        else:
            if w in _VERB_FORMS:
                out.append((m.start(), m.end(), w))
    return out
