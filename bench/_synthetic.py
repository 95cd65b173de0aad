"""Generated articles and questions for the fault and load benchmarks (hash model).

Deterministic for a seed. Words are pronounceable nonsense drawn from a vocabulary of a
few thousand, so BM25 and the hash embedder separate articles, and every question is a
handful of words taken from one paragraph of one article (so it is normally answered).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

_ONSETS = [
    "b",
    "br",
    "c",
    "d",
    "dr",
    "f",
    "g",
    "gl",
    "h",
    "k",
    "l",
    "m",
    "n",
    "p",
    "pl",
    "r",
    "s",
    "st",
    "t",
    "tr",
    "v",
    "z",
]
_VOWELS = ["a", "e", "i", "o", "u", "ai", "ou"]
_CODAS = ["", "n", "r", "s", "l", "m", "x", "nd"]


def vocabulary(size: int = 3000, seed: int = 0, prefix: str = "") -> list[str]:
    syllables = [o + v + c for o, v, c in itertools.product(_ONSETS, _VOWELS, _CODAS)]
    rng = random.Random(seed)
    words: set[str] = set()
    while len(words) < size:
        words.add(prefix + "".join(rng.choice(syllables) for _ in range(rng.randint(2, 3))))
    return sorted(words)


def article_text(rng: random.Random, words: list[str], i: int, paragraphs: int = 6) -> str:
    topic = rng.sample(words, 12)  # each article leans on its own dozen words
    paras = []
    for _ in range(paragraphs):
        n = rng.randint(25, 60)
        body = [rng.choice(topic) if rng.random() < 0.4 else rng.choice(words) for _ in range(n)]
        paras.append(" ".join(body).capitalize() + ".")
    return f"Story {i}: {' '.join(topic[:3])}\n\n" + "\n\n".join(paras)


def write_articles(folder: Path, n: int, seed: int, prefix: str = "art", vocab_prefix: str = "") -> list[str]:
    """n .txt articles in `folder` (ids = file stems); returns the ids."""
    rng = random.Random(seed)
    words = vocabulary(seed=seed, prefix=vocab_prefix)
    folder.mkdir(parents=True, exist_ok=True)
    ids = []
    for i in range(n):
        doc_id = f"{prefix}{i:04d}"
        (folder / f"{doc_id}.txt").write_text(article_text(rng, words, i))
        ids.append(doc_id)
    return ids


def write_jsonl(path: Path, n: int, seed: int, prefix: str = "art", vocab_prefix: str = "") -> list[str]:
    rng = random.Random(seed)
    words = vocabulary(seed=seed, prefix=vocab_prefix)
    ids = []
    with open(path, "w") as fh:
        for i in range(n):
            doc_id = f"{prefix}{i:04d}"
            fh.write(
                json.dumps({"id": doc_id, "title": f"Story {i}", "text": article_text(rng, words, i)}) + "\n"
            )
            ids.append(doc_id)
    return ids


def questions(folder_or_texts: Path | list[str], n: int, seed: int = 1) -> Iterator[str]:
    """n questions (a generator): 3-6 words from one paragraph of one article, with a question frame."""
    if isinstance(folder_or_texts, Path):
        texts = [p.read_text() for p in sorted(folder_or_texts.glob("*.txt"))]
    else:
        texts = folder_or_texts
    paragraphs = [p for t in texts for p in t.split("\n\n")[1:]]
    rng = random.Random(seed)
    frames = ["What about {}?", "Did {} happen?", "{}", "Who said {}?", "Why {}?"]
    for _ in range(n):
        words = rng.choice(paragraphs).rstrip(".").lower().split()
        pick = rng.sample(words, min(len(words), rng.randint(3, 6)))
        yield rng.choice(frames).format(" ".join(pick))


def cli_env(index: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    return {**env, "VERBATIM_MODEL": "hash:64", "VERBATIM_INDEX": str(index), **extra}


def verbatim(*args: str) -> list[str]:
    return [sys.executable, "-m", "bot.cli", *args]
