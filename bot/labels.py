"""The claim labels both front ends show (terminal and Telegram), and the legend that explains them.

Quiet by design: `stated` (the outlet's own plain assertion, the default) gets no label; corpus
evidence becomes a short marker ("+2 outlets", "≠ 1 figure"), a maintainer's verdict comes first
("✓ fact-checked: False"). Every label is a fixed word or a count, plus names and ratings copied
from the corpus; nothing is generated. Pure functions, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from index.models import Claim, Evidence, Status

MEANING: dict[Status, str] = {
    Status.CONFIRMED: "a named official or institution confirms it, or states evidence for it",
    Status.STATED: "the outlet's own plain assertion, with no attribution or hedge (shown without a label)",
    Status.REPORTED: "attributed to a named source with a neutral verb (say, report, according to)",
    Status.DENIED: "a party rejects or refutes it",
    Status.UNVERIFIED: "explicitly distanced: allegedly, purportedly, could not be independently verified",
    Status.FORECAST: "a future event, expectation, estimate or condition (expected to, could, if)",
    Status.OPINION: "a judgement, not a checkable fact",
}
TIERS = {2: "Presented as established", 1: "Attributed", 0: "Hedged or disputed"}
MARKERS: list[tuple[str, str]] = [
    ("✓ fact-checked: False", "a maintainer's fact-check verdict (ClaimReview) matched to the claim"),
    ("+2 outlets", "two other independent outlets in the corpus say the same"),
    ("≠ 1 figure", "one article in the corpus gives a different figure (≠ 1 account: a different account)"),
]


def status_of(value: str | None) -> Status | None:
    try:
        return Status(value) if value else None
    except ValueError:
        return None


def short(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def outlets(evidence: Iterable[Evidence]) -> list[str]:
    return sorted({e.source or e.doc_id for e in evidence})


def evidence_markers(corroborated: Sequence[Evidence], conflicts: Sequence[Evidence]) -> list[str]:
    """'+2 outlets' (distinct other outlets saying the same), '≠ 1 figure' / '≠ 2 accounts'."""
    bits = []
    if corroborated:
        n = len(outlets(corroborated))
        bits.append(f"+{n} outlet{'s' * (n != 1)}")
    if conflicts:
        n = len(conflicts)
        word = "figure" if any(e.value for e in conflicts) else "account"
        bits.append(f"≠ {n} {word}{'s' * (n != 1)}")
    return bits


def claim_label(claim: Claim, *, previous_speaker: str | None = None) -> str:
    """One claim's label: verdict first, then framing and speaker (omitted when it is the speaker of
    the claim before), then corpus evidence; '' for a plain stated claim with no evidence."""
    bits = []
    if claim.verdict:
        bits.append(f"✓ fact-checked: {short(claim.verdict.rating, 40)}")
    status = status_of(claim.status)
    if status is not None and status is not Status.STATED:
        bits.append(status.value)
    elif claim.status and status is None:
        bits.append(claim.status)
    if claim.speaker and claim.speaker != previous_speaker and (status is not Status.STATED or bits):
        bits.append(short(claim.speaker, 60))
    bits += evidence_markers(claim.corroborated_by, claim.conflicts_with)
    return " · ".join(bits)


def passage_label(claims: Sequence[Claim], most: int = 2) -> tuple[str, int]:
    """A passage's framing in one line, and how many labels it shows (at most `most`), in this order
    of precedence: a verdict, the passage's weakest framing other than stated (lowest commitment
    wins, the order of `Status`) with its speakers named once and how many other framings the passage
    has ("unverified (John Kirby) and 1 more"), a different figure or account ("≠ 1 figure"), other
    outlets saying the same ("+2 outlets"). The "why" view lists every sentence with all of it."""
    items = list(dict.fromkeys(f"✓ fact-checked: {short(c.verdict.rating, 40)}" for c in claims if c.verdict))
    present = [s for s in Status if s is not Status.STATED and any(status_of(c.status) is s for c in claims)]
    if present:
        weakest = present[0]
        speakers = list(dict.fromkeys(c.speaker for c in claims if c.speaker and status_of(c.status) is weakest))
        who = f" ({', '.join(short(s, 40) for s in speakers[:2])}{', …' if len(speakers) > 2 else ''})"
        others = f" and {len(present) - 1} more" if len(present) > 1 else ""
        items.append(weakest.value + (who if speakers else "") + others)
    markers = evidence_markers(
        [e for c in claims for e in c.corroborated_by], [e for c in claims for e in c.conflicts_with]
    )
    items += sorted(markers, key=lambda m: not m.startswith("≠"))
    return " · ".join(items[:most]), len(items[:most])


def strongest(claims: Sequence[Claim]) -> str:
    """The label that says most about a passage, for a one-line summary (inline results): a verdict,
    else the framing of the highest tier (confirmed before stated before reported before hedges)."""
    for c in claims:
        if c.verdict:
            return f"fact-checked: {short(c.verdict.rating, 40)}"
    statuses = [s for c in claims if (s := status_of(c.status))]
    if not statuses:
        return "no framing found"
    order = [Status.CONFIRMED, Status.STATED, Status.REPORTED] + [s for s in Status if s.tier == 0]
    return min(statuses, key=order.index).value
