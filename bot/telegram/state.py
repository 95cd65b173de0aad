"""What the bot remembers per chat, in `bot.sqlite` next to the index, so it survives restarts.

    chats          chat id -> last question, the offset of its next page, its article scope
    answers        (chat id, message id) -> question, offset of the next page, chunk ids, doc ids,
                   scope: what a reply to that message or a button under it works on
    last_answers   chat id -> the message of the chat's last answered question (what "search my
                   last answer's articles" searches, after a question was declined)
    subscriptions  who (chat and user: in a group, the member who pressed Follow) follows which
                   claim (chunk id, claim start/end) and the fingerprint of its status, speaker,
                   corroboration, conflicts and verdict when they subscribed
    meta           the index generation last checked for changed subscriptions

Flood counters are in memory (`FloodGate`): losing them on restart is harmless.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from index.errors import StorageError
from index.models import Claim, Hit

FILE = "bot.sqlite"
SCHEMA_VERSION = 2  # 2: subscriptions belong to (chat, user), with the user's name; last_answers
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chats(
    chat_id INTEGER PRIMARY KEY, question TEXT NOT NULL, next_offset INTEGER NOT NULL,
    scope TEXT, updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS answers(
    chat_id INTEGER NOT NULL, message_id INTEGER NOT NULL, question TEXT NOT NULL,
    next_offset INTEGER NOT NULL, chunk_ids TEXT NOT NULL, doc_ids TEXT NOT NULL, scope TEXT,
    created REAL NOT NULL, PRIMARY KEY(chat_id, message_id));
CREATE INDEX IF NOT EXISTS answers_created ON answers(created);
CREATE TABLE IF NOT EXISTS last_answers(chat_id INTEGER PRIMARY KEY, message_id INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS subscriptions(
    id INTEGER PRIMARY KEY, chat_id INTEGER NOT NULL, user_id INTEGER NOT NULL, chunk_id INTEGER NOT NULL,
    doc_id TEXT NOT NULL, title TEXT NOT NULL, claim_start INTEGER NOT NULL, claim_end INTEGER NOT NULL,
    fingerprint TEXT NOT NULL, label TEXT NOT NULL, created REAL NOT NULL, user_name TEXT,
    UNIQUE(chat_id, user_id, chunk_id, claim_start, claim_end));
CREATE INDEX IF NOT EXISTS subscriptions_chunk ON subscriptions(chunk_id);
"""
_MIGRATE_1 = """
ALTER TABLE subscriptions RENAME TO subscriptions_v1;
DROP INDEX IF EXISTS subscriptions_chunk;
"""
_COPY_1 = """
INSERT INTO subscriptions(id, chat_id, user_id, chunk_id, doc_id, title, claim_start, claim_end,
    fingerprint, label, created)
SELECT id, chat_id, COALESCE(user_id, chat_id), chunk_id, doc_id, title, claim_start, claim_end,
    fingerprint, label, created FROM subscriptions_v1;
DROP TABLE subscriptions_v1;
"""


@dataclass(frozen=True)
class LastQuestion:
    question: str
    next_offset: int
    scope: list[str] | None  # doc ids the question was limited to


@dataclass(frozen=True)
class AnswerContext:
    question: str
    next_offset: int
    chunk_ids: list[int]
    doc_ids: list[str]
    scope: list[str] | None


@dataclass(frozen=True)
class Subscription:
    id: int
    chat_id: int
    user_id: int
    chunk_id: int
    doc_id: str
    title: str
    start: int
    end: int
    fingerprint: str
    label: str
    user_name: str | None = None


def claim_fingerprint(claim: Claim | None) -> str:
    """Changes when a claim's status, speaker, corroborating or conflicting articles or verdict do."""
    if claim is None:
        return "-"
    data = {
        "status": claim.status,
        "speaker": claim.speaker,
        "corroborated": sorted({(e.doc_id, e.source or "") for e in claim.corroborated_by}),
        "conflicts": sorted({(e.doc_id, e.value or "") for e in claim.conflicts_with}),
        "verdict": [claim.verdict.id, claim.verdict.rating] if claim.verdict else None,
    }
    return hashlib.sha1(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def followed_claims(hit: Hit) -> list[tuple[int, int, Claim | None]]:
    """(start, end, claim) of everything a subscription to this passage follows: its claims, or the
    passage itself when it has none."""
    return [(c.start, c.end, c) for c in hit.claims] or [(hit.start, hit.end, None)]


class ChatState:
    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.db = sqlite3.connect(path, timeout=10, check_same_thread=False, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
            old = self.db.execute("SELECT 1 FROM sqlite_master WHERE name='subscriptions'").fetchone()
            if old and version < 2:  # follows were per chat: each becomes the follow of who pressed it
                self.db.executescript("BEGIN;" + _MIGRATE_1 + _SCHEMA + _COPY_1 + "COMMIT;")
            self.db.executescript(_SCHEMA)
            self.db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except sqlite3.Error as err:
            raise StorageError(f"The bot's state file {path} cannot be opened ({err}).") from err

    @classmethod
    def open(cls, folder: Path) -> ChatState:
        return cls(folder / FILE)

    def close(self) -> None:
        self.db.close()

    # ---- meta -----------------------------------------------------------------------------
    def seen_generation(self) -> int | None:
        row = self.db.execute("SELECT value FROM meta WHERE key='seen_generation'").fetchone()
        return int(row[0]) if row else None

    def set_seen_generation(self, generation: int) -> None:
        self.db.execute(
            "INSERT INTO meta(key, value) VALUES('seen_generation', ?)"
            " ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            (str(generation),),
        )

    # ---- questions and answers ------------------------------------------------------------
    def remember_question(self, chat_id: int, question: str, next_offset: int, scope: Sequence[str] | None) -> None:
        self.db.execute(
            "INSERT INTO chats(chat_id, question, next_offset, scope, updated) VALUES(?, ?, ?, ?, ?)"
            " ON CONFLICT(chat_id) DO UPDATE SET question=excluded.question,"
            " next_offset=excluded.next_offset, scope=excluded.scope, updated=excluded.updated",
            (chat_id, question, next_offset, _dump(scope), time.time()),
        )

    def last_question(self, chat_id: int) -> LastQuestion | None:
        row = self.db.execute("SELECT question, next_offset, scope FROM chats WHERE chat_id=?", (chat_id,)).fetchone()
        return LastQuestion(row[0], row[1], _load(row[2])) if row else None

    def remember_answer(
        self,
        chat_id: int,
        message_ids: Iterable[int],
        *,
        question: str,
        next_offset: int,
        chunk_ids: Sequence[int],
        doc_ids: Sequence[str],
        scope: Sequence[str] | None,
    ) -> None:
        now = time.time()
        rows = [
            (
                chat_id,
                m,
                question,
                next_offset,
                json.dumps(list(chunk_ids)),
                json.dumps(list(doc_ids)),
                _dump(scope),
                now,
            )
            for m in message_ids
        ]
        self.db.executemany("INSERT OR REPLACE INTO answers VALUES(?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def answer_context(self, chat_id: int, message_id: int) -> AnswerContext | None:
        row = self.db.execute(
            "SELECT question, next_offset, chunk_ids, doc_ids, scope FROM answers WHERE chat_id=? AND message_id=?",
            (chat_id, message_id),
        ).fetchone()
        if row is None:
            return None
        return AnswerContext(row[0], row[1], json.loads(row[2]), json.loads(row[3]), _load(row[4]))

    def remember_last_answer(self, chat_id: int, message_id: int) -> None:
        self.db.execute(
            "INSERT INTO last_answers VALUES(?, ?) ON CONFLICT(chat_id) DO UPDATE SET message_id=excluded.message_id",
            (chat_id, message_id),
        )

    def last_answer_id(self, chat_id: int) -> int | None:
        row = self.db.execute("SELECT message_id FROM last_answers WHERE chat_id=?", (chat_id,)).fetchone()
        return row[0] if row else None

    def last_answer(self, chat_id: int) -> AnswerContext | None:
        """The chat's last answered question, if its context is still remembered."""
        row = self.db.execute("SELECT message_id FROM last_answers WHERE chat_id=?", (chat_id,)).fetchone()
        return self.answer_context(chat_id, row[0]) if row else None

    def prune(self, older_than_days: float = 180.0) -> None:
        """Forget answer contexts older than this (their buttons then ask to re-ask)."""
        self.db.execute("DELETE FROM answers WHERE created < ?", (time.time() - older_than_days * 86400,))

    # ---- subscriptions --------------------------------------------------------------------
    def subscribe(
        self,
        chat_id: int,
        user_id: int,
        hit: Hit,
        labels: dict[tuple[int, int], str],
        user_name: str | None = None,
    ) -> int:
        """Follow every claim of the passage for one person in one chat; returns how many were not
        followed before."""
        now = time.time()
        before = self.db.total_changes
        self.db.executemany(
            "INSERT OR IGNORE INTO subscriptions(chat_id, user_id, chunk_id, doc_id, title, claim_start,"
            " claim_end, fingerprint, label, created, user_name) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    chat_id,
                    user_id,
                    hit.chunk_id,
                    hit.doc_id,
                    hit.title,
                    s,
                    e,
                    claim_fingerprint(c),
                    labels.get((s, e), ""),
                    now,
                    user_name,
                )
                for s, e, c in followed_claims(hit)
            ],
        )
        return self.db.total_changes - before

    def subscriptions(self) -> list[Subscription]:
        rows = self.db.execute(f"SELECT {_SUB} FROM subscriptions ORDER BY chunk_id, claim_start, id").fetchall()
        return [Subscription(*r) for r in rows]

    def following(self, chat_id: int, user_id: int) -> list[Subscription]:
        """The passages one person follows in one chat (one row per passage, oldest first)."""
        rows = self.db.execute(
            f"SELECT {_SUB} FROM subscriptions WHERE chat_id=? AND user_id=? GROUP BY chunk_id"
            " ORDER BY MIN(created), chunk_id",
            (chat_id, user_id),
        ).fetchall()
        return [Subscription(*r) for r in rows]

    def follows(self, chat_id: int, user_id: int, chunk_id: int) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM subscriptions WHERE chat_id=? AND user_id=? AND chunk_id=? LIMIT 1",
            (chat_id, user_id, chunk_id),
        ).fetchone()
        return row is not None

    def stop(self, chat_id: int, user_id: int, chunk_id: int) -> int:
        """Stop one person following one passage in one chat; returns the claims no longer followed."""
        before = self.db.total_changes
        self.db.execute(
            "DELETE FROM subscriptions WHERE chat_id=? AND user_id=? AND chunk_id=?", (chat_id, user_id, chunk_id)
        )
        return self.db.total_changes - before

    def update_subscription(self, sub_id: int, fingerprint: str, label: str) -> None:
        self.db.execute("UPDATE subscriptions SET fingerprint=?, label=? WHERE id=?", (fingerprint, label, sub_id))

    def unsubscribe(self, sub_ids: Iterable[int]) -> None:
        self.db.executemany("DELETE FROM subscriptions WHERE id=?", [(i,) for i in sub_ids])


_SUB = "id, chat_id, user_id, chunk_id, doc_id, title, claim_start, claim_end, fingerprint, label, user_name"


def _dump(scope: Sequence[str] | None) -> str | None:
    return json.dumps(list(scope)) if scope else None


def _load(value: str | None) -> list[str] | None:
    return json.loads(value) if value else None


class FloodGate:
    """At most `limit` events per user in a sliding window of `window` seconds."""

    def __init__(self, limit: int, window: float, clock=time.monotonic) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._events: dict[int, deque[float]] = {}
        self._warned: dict[int, float] = {}

    def allow(self, user_id: int) -> bool:
        now = self.clock()
        events = self._events.setdefault(user_id, deque())
        while events and events[0] <= now - self.window:
            events.popleft()
        if len(events) >= self.limit:
            return False
        events.append(now)
        if len(self._events) > 10_000:  # forget idle users
            for uid in [u for u, ev in self._events.items() if not ev or ev[-1] <= now - self.window]:
                self._events.pop(uid, None)
                self._warned.pop(uid, None)
        return True

    def should_warn(self, user_id: int) -> bool:
        """True once per window for a user who is refused, so the bot does not spam refusals."""
        now = self.clock()
        if self._warned.get(user_id, -1e18) > now - self.window:
            return False
        self._warned[user_id] = now
        return True
