"""Retrieval quality on a maintainer's own questions: hit@k, MRR, abstentions.

A question line is {"question", "doc_id" and/or "span"}; a result is a hit when it
comes from `doc_id` (or one of `doc_ids`) and, if `span` is given, its passage
contains the span (or the span contains the passage).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from index.errors import InputError

KS = (1, 3, 5, 10)


def read_questions(path: Path) -> list[dict[str, Any]]:
    out = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as err:
                raise InputError(f"{path} line {n} is not valid JSON ({err.msg}).") from err
            if not isinstance(row, dict) or not isinstance(row.get("question"), str):
                raise InputError(f'{path} line {n} needs a "question" string.')
            if not (row.get("doc_id") or row.get("doc_ids") or row.get("span")):
                raise InputError(f'{path} line {n} needs a "doc_id" or a "span".')
            out.append(row)
    return out


def is_hit(row: dict[str, Any], doc_id: str, passage: str) -> bool:
    wanted = set(row.get("doc_ids") or []) | ({row["doc_id"]} if row.get("doc_id") else set())
    if wanted and doc_id not in wanted:
        return False
    span = row.get("span")
    return not span or span in passage or passage in span


def first_hit(row: dict[str, Any], results: list[tuple[str, str]]) -> int | None:
    """1-based rank of the first hit among (doc_id, passage) results."""
    for i, (doc_id, passage) in enumerate(results, start=1):
        if is_hit(row, doc_id, passage):
            return i
    return None


def summarise(ranks: list[int | None], abstained: int) -> dict[str, Any]:
    n = len(ranks)
    out: dict[str, Any] = {"questions": n, "abstained": abstained}
    for k in KS:
        out[f"hit@{k}"] = sum(1 for r in ranks if r is not None and r <= k) / n if n else 0.0
    out["mrr"] = sum(1.0 / r for r in ranks if r is not None) / n if n else 0.0
    return out


def evaluate(retriever: Any, questions: list[dict[str, Any]], k: int = 10) -> dict[str, Any]:
    """Ranks are taken before abstention, so quality and abstention are reported apart."""
    ranks: list[int | None] = []
    abstained = 0
    for row in questions:
        answer = retriever.ask(row["question"], k, force=True)
        abstained += 0 if answer.answered else 1
        ranks.append(first_hit(row, [(h.doc_id, h.passage) for h in answer.results]))
    return summarise(ranks, abstained)
