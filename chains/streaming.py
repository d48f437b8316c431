"""`stream_assist()`: `assist()` for a page that shows the first draft while the provider writes it.

The page iterates over the text pieces of the first tone's draft, then takes the result. The cache lookup,
fallback and degraded-result rules are those of `assist()`, which runs in a worker thread here.
"""
from __future__ import annotations

import queue
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Iterator

from chains.models import engine_of
from chains.pipeline import AssistDeps, assist, cache_key, cached_result
from core.types import AssistResult, Ticket

POLL_SECONDS = 0.05


class AssistStream:
    """One ticket's assist run. `streams` says whether there is text to show while it runs."""

    def __init__(self, ticket: Ticket, deps: AssistDeps) -> None:
        self.ticket, self.deps = ticket, deps
        self.tone = deps.tones[0] if deps.tones else ""
        self.cached = cached_result(cache_key(ticket, deps), deps)
        self.streams = self.cached is None and bool(self.tone) and engine_of(deps.model) == "llm"
        self._future: Future | None = None

    def pieces(self) -> Iterator[str]:
        """The first draft's text as it arrives (placeholders already restored); nothing when not streaming."""
        if not self.streams or self._future is not None:
            return
        pieces: queue.Queue[str] = queue.Queue()
        pool = ThreadPoolExecutor(max_workers=1)
        self._future = pool.submit(assist, self.ticket, self.deps,
                                   lambda tone, piece: pieces.put(piece) if tone == self.tone else None)
        pool.shutdown(wait=False)
        while True:
            try:
                yield pieces.get(timeout=POLL_SECONDS)
            except queue.Empty:
                if self._future.done() and pieces.empty():
                    return

    def result(self) -> AssistResult:
        """The assist result (waiting for the run started by `pieces`, or running it now)."""
        if self.cached is not None:
            return self.cached
        if self._future is not None:
            return self._future.result()
        return assist(self.ticket, self.deps)


def stream_assist(ticket: Ticket, deps: AssistDeps) -> AssistStream:
    return AssistStream(ticket, deps)
