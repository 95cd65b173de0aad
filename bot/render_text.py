"""Answers for the terminal: readable text and JSON. Pure functions, no I/O."""

from __future__ import annotations

import json
import textwrap

from bot.labels import claim_label
from index.models import Answer, Claim, Hit
from index.search.filters import describe

# Shown under a declined question: fixed text, never generated.
NEXT_STEPS = (
    "What you can do:",
    "  - run 'verbatim sources' to see which articles the corpus holds;",
    "  - ask with the names or terms those articles use, or a shorter question (a name alone works);",
    "  - narrow or widen the search with --source OUTLET, --since DATE, --until DATE.",
)


def answer_json(answer: Answer) -> str:
    return json.dumps(answer.model_dump(mode="json"), ensure_ascii=False)


def source_line(hit: Hit) -> str:
    parts = [
        hit.source or "outlet unknown",
        hit.date or "date unknown",
        hit.url or "no link",
        f"paragraph {hit.paragraph} of {hit.paragraphs}",
    ]
    return " · ".join(parts)


def render_answer(answer: Answer, *, explain: bool = False, width: int = 100) -> str:
    lines = [f"Q: {answer.question}"]
    if answer.filters:
        lines.append(f"   within: {describe(answer.filters)}")
    lines.append("")
    if not answer.answered:
        lines.append(answer.message or "")
        lines.append("")
        lines.extend(NEXT_STEPS)
        return "\n".join(lines) + "\n"
    for hit in answer.results:
        lines.append(f"[{hit.rank}] {hit.title}")
        lines.append(f"    {source_line(hit)}")
        lines.append("")
        for claim in hit.claims or []:
            label = claim_label(claim)
            prefix = f"    [{label}] " if label else "    "
            body = textwrap.fill(
                claim.text,
                width=width,
                initial_indent=prefix,
                subsequent_indent="      ",
                break_long_words=False,
                break_on_hyphens=False,
            )
            lines.append(body)
            if explain:
                lines.extend(_explain(claim))
        if not hit.claims:
            lines.append(textwrap.indent(hit.passage, "    "))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _explain(claim: Claim) -> list[str]:
    out = []
    if claim.verdict:
        v = claim.verdict
        out.append(
            f"        verdict: {v.rating} — by {v.author or 'unknown'}, {v.date or 'date unknown'}, "
            f"{v.url or 'no link'}"
        )
    if claim.status:
        out.append(f"        why {claim.status}: cue {claim.cue!r}, speaker {claim.speaker or 'the outlet'}")
    for e in claim.corroborated_by:
        out.append(f"        corroborated by {e.source or e.doc_id} ({e.date or 'date unknown'}): {e.text}")
    for e in claim.conflicts_with:
        value = f"{e.value} — " if e.value else ""
        out.append(f"        conflicts with {value}{e.source or e.doc_id} ({e.date or 'date unknown'}): {e.text}")
    return out
