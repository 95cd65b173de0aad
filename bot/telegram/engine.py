"""The retriever, awaited. The model and SQLite block, so every call runs in a worker thread; the
handlers call these methods instead of wrapping each call in `asyncio.to_thread` themselves.
Changes (adds, removes, verdicts) run one at a time under `write_lock`; questions go on meanwhile
(the retriever encodes outside its reader lock)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import TypeVar

from index.models import Answer, Hit
from index.retriever import Retriever, Status

T = TypeVar("T")


class Engine:
    def __init__(self, retriever: Retriever) -> None:
        self.retriever = retriever
        self.write_lock = asyncio.Lock()

    @property
    def generation(self) -> int:
        return self.retriever.generation

    async def run(self, fn: Callable[..., T], *args: object, **kwargs: object) -> T:
        return await asyncio.to_thread(fn, *args, **kwargs)

    async def ask(self, question: str, k: int, *, offset: int = 0, scope: Sequence[str] | None = None) -> Answer:
        return await self.run(self.retriever.ask, question, k, offset=offset, doc_ids=scope)

    async def passage(self, chunk_id: int) -> Hit:
        return await self.run(self.retriever.passage, chunk_id)

    async def neighbours(self, chunk_id: int) -> tuple[Hit | None, Hit | None]:
        return await self.run(self.retriever.neighbours, chunk_id)

    async def passage_in_context(self, chunk_id: int) -> tuple[Hit | None, Hit, Hit | None]:
        def both() -> tuple[Hit | None, Hit, Hit | None]:
            hit = self.retriever.passage(chunk_id)
            before, after = self.retriever.neighbours(chunk_id)
            return before, hit, after

        return await self.run(both)

    async def sources(self) -> list[dict]:
        return await self.run(self.retriever.sources)

    async def status(self) -> Status:
        return await self.run(self.retriever.status)

    async def refresh(self) -> None:
        await self.run(self.retriever.refresh)

    async def change(self, work: Callable[[Retriever], str]) -> str:
        """A maintainer's change, one at a time; returns its summary."""
        async with self.write_lock:
            return await self.run(work, self.retriever)
