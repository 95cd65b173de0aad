"""Maintainers' fact-check verdicts as schema.org ClaimReview (JSON-LD).

Pure parsing and export: a file may hold one ClaimReview object, a list of them, or
a JSON-LD `@graph`. Each becomes a flat record (the fields of `models.Verdict` plus
the original object under `raw`, so export gives back what was recorded).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from index.errors import InputError


def parse_claim_reviews(data: bytes | str, origin: str = "the file") -> list[dict[str, Any]]:
    """ClaimReview records from JSON-LD text; one clear sentence when it is not one."""
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
        doc = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError(f"{origin} is not valid JSON ({err}).") from err
    items = doc.get("@graph", [doc]) if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        raise InputError(f"{origin} holds no ClaimReview objects.")
    out = []
    for n, item in enumerate(items, start=1):
        if not isinstance(item, dict) or "ClaimReview" not in _types(item):
            continue
        out.append(_record(item, f"{origin} item {n}"))
    if not out:
        raise InputError(f'{origin} holds no ClaimReview objects (JSON-LD with "@type": "ClaimReview").')
    return out


def _types(item: dict) -> list[str]:
    t = item.get("@type", [])
    return [t] if isinstance(t, str) else [x for x in t if isinstance(x, str)]


def _name(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name")
    return str(value).strip() if value not in (None, "") else None


def _number(value: Any) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _record(item: dict, where: str) -> dict[str, Any]:
    claim = item.get("claimReviewed")
    if isinstance(claim, dict):
        claim = claim.get("text") or claim.get("name")
    rating = item.get("reviewRating") or {}
    if not isinstance(rating, dict):
        rating = {}
    label = rating.get("alternateName") or rating.get("name")
    if not isinstance(claim, str) or not claim.strip():
        raise InputError(f"{where} has no claimReviewed text.")
    if not isinstance(label, str) or not label.strip():
        raise InputError(f'{where} has no reviewRating.alternateName (the verdict, e.g. "False").')
    url = item.get("url") if isinstance(item.get("url"), str) else None
    author = _name(item.get("author"))
    date = item.get("datePublished") if isinstance(item.get("datePublished"), str) else None
    key = url or f"{claim.strip()}|{author or ''}|{date or ''}"
    return {
        "id": "cr-" + hashlib.sha1(key.encode()).hexdigest()[:16],
        "claim_reviewed": claim.strip(),
        "rating": label.strip(),
        "rating_value": _number(rating.get("ratingValue")),
        "best_rating": _number(rating.get("bestRating")),
        "worst_rating": _number(rating.get("worstRating")),
        "author": author,
        "date": date[:10] if date else None,
        "url": url,
        "raw": item,
    }


def export_claim_reviews(records: list[dict[str, Any]]) -> str:
    """The recorded verdicts as one JSON-LD document (a list of ClaimReview objects)."""
    items = []
    for r in records:
        item = dict(r.get("raw") or {})
        item.setdefault("@context", "https://schema.org")
        item.setdefault("@type", "ClaimReview")
        item.setdefault("claimReviewed", r["claim_reviewed"])
        rating = dict(item.get("reviewRating") or {})
        rating.setdefault("@type", "Rating")
        rating.setdefault("alternateName", r["rating"])
        for key, field in (
            ("ratingValue", "rating_value"),
            ("bestRating", "best_rating"),
            ("worstRating", "worst_rating"),
        ):
            if r.get(field) is not None:
                rating.setdefault(key, r[field])
        item["reviewRating"] = rating
        if r.get("author"):
            item.setdefault("author", {"@type": "Organization", "name": r["author"]})
        if r.get("date"):
            item.setdefault("datePublished", r["date"])
        if r.get("url"):
            item.setdefault("url", r["url"])
        items.append(item)
    return json.dumps(items, ensure_ascii=False, indent=2)


def verdict_fields(record: dict[str, Any], score: float | None = None) -> dict[str, Any]:
    """The fields of models.Verdict from a stored record."""
    keys = ("id", "claim_reviewed", "rating", "rating_value", "best_rating", "worst_rating", "author", "date", "url")
    out = {k: record.get(k) for k in keys}
    out["score"] = None if score is None else round(score, 4)
    return out
