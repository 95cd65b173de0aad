"""Helpers for the storage tests: a generated corpus and an add through any backend.

Run as a script it is the writer process the crash test kills:
    python -m tests.pg_writer URL N SEED   (adds N generated articles, printing 'committing' first)
"""

from __future__ import annotations

import random
import sys
from collections.abc import Sequence

from index.embed import HashEmbedder
from index.ingest import prepare
from index.lexical import Analyzer
from index.models import Article

WORDS = ["troops", "border", "minister", "report", "army", "village", "market", "river", "council", "election", "budget", "court", "drone", "refinery", "harbour", "senator", "strike", "flood", "vaccine", "tariff", "rebels", "ceasefire", "pipeline", "verdict", "protest"]


def make_articles(n: int, seed: int, prefix: str = "art") -> list[Article]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        paras = [
            " ".join(rng.choice(WORDS) for _ in range(rng.randint(12, 40))).capitalize()
            + f". The minister said {rng.randint(2, 9000)} soldiers were there."
            for _ in range(rng.randint(2, 5))
        ]
        out.append(
            Article(id=f"{prefix}{i:04d}", title=f"Story {prefix} {i}", text="\n\n".join(paras),
                    source=rng.choice(["Wire", "Daily", None]), date=f"2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}")
        )  # fmt: skip
    return out


def add(backend, articles: Sequence[Article], remove: Sequence[str] = (), links=(), before_commit=None):
    """What an add does, in the order the retriever does it: vocabulary, prepare, commit."""
    vocab = backend.vocabulary()
    size = len(vocab)
    prepared = prepare(list(articles), HashEmbedder(), Analyzer(), vocab)
    new_terms = {t: i for t, i in vocab.items() if i >= size}
    if before_commit:
        before_commit()
    return prepared, backend.commit_batch(prepared, list(remove), new_terms, links)


def main(url: str, n: int, seed: int) -> None:
    from index.storage.postgres import PostgresBackend

    backend = PostgresBackend(url)
    with backend.writer():
        add(backend, make_articles(n, seed, prefix="big"), before_commit=lambda: print("committing", flush=True))
    print("done", flush=True)
    backend.close()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
