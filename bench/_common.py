"""Shared helpers for the bench scripts: loading data, building/reusing indexes,
dumping the ranker's candidate features.

Nothing here copies evaluation data into the repository: every path comes from the
command line, and indexes / feature dumps go under --work (default /work/benchwork).
"""

from __future__ import annotations

import gzip
import json
import random
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from index.models import Article  # noqa: E402

DEFAULT_WORK = Path("/work/benchwork")

# Obviously out-of-corpus questions for both a news and a Wikipedia corpus.
UNRELATED = [
    "What is the capital of Australia?",
    "How many legs does a spider have?",
    "What is the boiling point of water at sea level in Fahrenheit?",
    "Who wrote Pride and Prejudice?",
    "What is the chemical symbol for gold?",
    "How do I bake sourdough bread at home?",
    "What is the square root of 144?",
    "Which planet is known as the Red Planet?",
    "How do you say thank you in Japanese?",
    "What is the tallest mountain in Africa?",
    "Who painted the Mona Lisa?",
    "What is the speed of light in a vacuum?",
    "How many bones are in the adult human body?",
    "What programming language is used to write Linux kernel modules?",
    "What's a good recipe for banana pancakes?",
    "What is the longest river in South America?",
    "Who discovered penicillin?",
    "What is the freezing point of mercury?",
    "How many players are on a cricket team?",
    "What is the largest desert in the world?",
]


def open_jsonl(path: Path):
    path = Path(path)
    return gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else open(path, encoding="utf-8")


def read_jsonl(path: Path, limit: int | None = None) -> Iterator[dict[str, Any]]:
    with open_jsonl(path) as fh:
        for n, line in enumerate(fh):
            if limit is not None and n >= limit:
                return
            if line.strip():
                yield json.loads(line)


def load_articles(path: Path, limit: int | None = None) -> list[Article]:
    out = []
    for row in read_jsonl(path, limit):
        out.append(Article(
            id=str(row["id"]), title=row.get("title") or str(row["id"]), source=row.get("source"),
            date=row.get("date"), url=row.get("url"), text=row["text"],
        ))
    return out


def load_questions(path: Path, sample: int | None = None, seed: int = 0, limit: int | None = None) -> list[dict]:
    rows = list(read_jsonl(path))
    if sample is not None and sample < len(rows):
        rows = random.Random(seed).sample(rows, sample)
    if limit is not None:
        rows = rows[:limit]
    return rows


def wanted_docs(row: dict) -> set[str]:
    out = set(row.get("silver_doc_ids") or [])
    if row.get("doc_id"):
        out.add(row["doc_id"])
    return out


def real_embedder(batch_size: int = 64):
    from index.embed import SentenceTransformerEmbedder
    from index.settings import Settings

    settings = Settings()
    return SentenceTransformerEmbedder(
        batch_size=batch_size, batch_tokens=settings.batch_tokens, int8_queries=settings.int8_queries,
        query_encoder=settings.query_encoder, query_threads=settings.query_threads,
    )


def open_retriever(folder: Path, embedder=None, max_words: int = 200, database: str | None = None):
    """A Retriever on the index folder, or on the PostgreSQL database at `database` (`folder` then holds
    only local state)."""
    from index.retriever import Retriever
    from index.settings import Settings

    extra = {"database_url": database} if database else {}
    settings = Settings(index=Path(folder), max_words=max_words, **extra)
    return Retriever.open(settings, embedder=embedder, build_default=False)


class UnderName:
    """The bundled model's question encoder under another index's model name: for timing a Retriever on
    an index of stand-in (hash) passage vectors, which refuses an embedder of another name. The vectors it
    searches with are meaningless there; the work is the real one."""

    def __init__(self, inner, name: str, dim: int) -> None:
        self.inner, self.name, self.dim = inner, name, dim

    def encode_query(self, text: str):
        return self.inner.encode_query(text)

    def encode(self, texts, *, progress=None):
        raise RuntimeError("this benchmark only answers")

    encode_spans = encode


def index_model(folder: Path, database: str | None = None) -> str:
    """The embedding model an index was built with: the database's meta, or the folder's manifest."""
    if database:
        import psycopg

        with psycopg.connect(database) as conn:
            return conn.execute("SELECT value FROM meta WHERE key = 'model'").fetchone()[0]
    return str(json.loads((Path(folder) / "manifest.json").read_text())["model"])


def build_or_reuse(folder: Path, articles: Sequence[Article], embedder, batch: int = 200,
                   log=print, max_words: int = 200) -> dict[str, Any]:
    """Index `articles` into `folder` unless a finished build marker is there.

    Returns build stats (also stored in folder/bench-build.json)."""
    folder = Path(folder)
    marker = folder / "bench-build.json"
    if marker.exists():
        info = json.loads(marker.read_text())
        info["reused"] = True
        return info
    r = open_retriever(folder, embedder, max_words)
    t0 = time.perf_counter()
    passages = 0
    for lo in range(0, len(articles), batch):
        part = articles[lo : lo + batch]
        t = time.perf_counter()
        rep = r.add_articles(part)
        passages += rep.passages
        el = time.perf_counter() - t0
        log(f"  {min(lo + batch, len(articles))}/{len(articles)} articles, {passages} passages, "
            f"{el:.0f}s, batch {rep.passages / max(time.perf_counter() - t, 1e-9):.1f} passages/s, "
            f"overall {passages / el:.1f} passages/s")
    r.save_snapshot()
    elapsed = time.perf_counter() - t0
    counts = r.store.counts()
    r.close()
    info = {"articles": counts["articles"], "passages": counts["passages"], "seconds": elapsed,
            "passages_per_s": counts["passages"] / elapsed, "model": embedder.name, "reused": False}
    marker.write_text(json.dumps(info, indent=2))
    return info


# ---- candidate features ----------------------------------------------------------------
def candidate_features(r, question: str, want: int = 50) -> dict[str, np.ndarray]:
    """What the ranker sees for one question: the candidates of `Searcher.features` (the code `ask`
    runs, filters read from the question included), plus per-candidate lexical coverage and doc ids."""
    from index.retriever import clean_question
    from index.search.searcher import lexical_question

    s = r.searcher
    q, _, allowed = s.narrow(clean_question(question))
    _, cand, _ = s.features(q, allowed, want)
    stems = r.analyzer(lexical_question(q))
    known = r.store.term_map(stems)
    ids = [int(i) for i in cand.ids]
    docs = np.asarray(list(cand.docs), dtype=str)
    present = {cid: set(t.tolist()) for cid, t in r.store.chunk_terms(ids).items()}
    n = max(len(r.lexical), 1)
    idfs = []
    for stem in dict.fromkeys(stems):
        tid = known.get(stem)
        df = float(r.lexical.df[tid]) if tid is not None and tid < len(r.lexical.df) else 0.0
        idfs.append((tid, float(np.log(1.0 + (n - df + 0.5) / (df + 0.5)))))
    total = sum(v for _, v in idfs)
    cov = np.asarray(
        [(sum(v for t, v in idfs if t is not None and t in present.get(i, ())) / total) if total else 0.0
         for i in ids], np.float32)
    zeros = np.zeros(len(ids), np.float32)
    return {"ids": np.asarray(ids, np.int64), "dense": cand.dense.astype(np.float32),
            "lexical": cand.lexical.astype(np.float32), "sentence": cand.sentence.astype(np.float32),
            "entity": cand.entity if cand.entity is not None else zeros,
            "speaker": cand.speaker if cand.speaker is not None else zeros,
            "coverage": cov, "doc": docs}


class FeatureWriter:
    """Per-question candidate arrays, flattened with offsets, saved as one npz."""

    def __init__(self) -> None:
        self.cols: dict[str, list[np.ndarray]] = {k: [] for k in
                                                   ("ids", "dense", "lexical", "sentence", "entity", "speaker", "coverage", "doc",
                                                    "hit")}
        self.offsets = [0]
        self.qid: list[str] = []
        self.group: list[str] = []
        self.answered: list[bool] = []
        self.ask_rank: list[int] = []

    def add(self, qid: str, group: str, feats: dict[str, np.ndarray], wanted: set[str],
            answered: bool, ask_rank: int | None) -> None:
        hit = np.asarray([d in wanted for d in feats["doc"]], bool)
        for k in ("ids", "dense", "lexical", "sentence", "entity", "speaker", "coverage", "doc"):
            self.cols[k].append(feats[k])
        self.cols["hit"].append(hit)
        self.offsets.append(self.offsets[-1] + len(feats["ids"]))
        self.qid.append(qid)
        self.group.append(group)
        self.answered.append(answered)
        self.ask_rank.append(ask_rank or 0)

    def save(self, path: Path, **meta: str) -> None:
        arrays = {k: (np.concatenate(v) if v else np.zeros(0)) for k, v in self.cols.items()}
        arrays["doc"] = arrays["doc"].astype(str)
        np.savez_compressed(
            path, offsets=np.asarray(self.offsets, np.int64), qid=np.asarray(self.qid, str),
            group=np.asarray(self.group, str), answered=np.asarray(self.answered, bool),
            ask_rank=np.asarray(self.ask_rank, np.int64),
            meta=np.asarray(json.dumps(meta)), **arrays,
        )


# ---- tables and timing -----------------------------------------------------------------
def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str = "{:.3f}") -> str:
    def cell(x: Any) -> str:
        return fmt.format(x) if isinstance(x, float) else str(x)

    body = [[cell(x) for x in r] for r in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in body)) if body else len(str(h)) for i, h in enumerate(headers)]
    line = "| " + " | ".join(str(h).ljust(w) for h, w in zip(headers, widths, strict=True)) + " |"
    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    out = [line, sep]
    for r in body:
        out.append("| " + " | ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) + " |")
    return "\n".join(out)


def pct(values: Sequence[float], q: float) -> float:
    v = sorted(values)
    if not v:
        return float("nan")
    i = min(len(v) - 1, max(0, round(q / 100 * (len(v) - 1))))
    return v[i]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")
