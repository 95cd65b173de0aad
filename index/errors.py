"""Verbatim's own exceptions. The front ends turn each into one clear sentence.

    VerbatimError
    ├── InputError            a file, URL or question the user gave cannot be used
    │   └── RejectedArticle   one article was refused (the reason is the message)
    ├── IndexError_           the index on disk cannot be used as it is
    │   ├── ModelMismatch     built with another embedding model or dimension
    │   └── IndexDamaged      a file is missing, truncated or of another version
    ├── NotFound              an id that is not in the index
    └── StorageError          the disk refused a write (full, read-only); nothing was changed
"""

from __future__ import annotations


class VerbatimError(Exception):
    """Base of every error a user can cause or meet; str(err) is one clear sentence."""


class InputError(VerbatimError):
    pass


class RejectedArticle(InputError):
    def __init__(self, origin: str, reason: str) -> None:
        super().__init__(f"{origin}: {reason}")
        self.origin = origin
        self.reason = reason


class IndexError_(VerbatimError):  # noqa: N801 - avoid shadowing the builtin IndexError
    pass


class ModelMismatch(IndexError_):
    pass


class IndexDamaged(IndexError_):
    pass


class NotFound(VerbatimError):
    pass


class StorageError(VerbatimError):
    pass
