"""What every helpdesk connector offers, and the sync that drives one: pull a batch, upsert it, keep the cursor."""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Protocol

from sqlalchemy import select

from desk import tables
from desk.store import DeskStore

log = logging.getLogger(__name__)


class ConnectorError(RuntimeError):
    """The helpdesk could not be read or written; the message says why, without credentials.
    `retry_after` is the helpdesk's own wait in seconds when it asked for one (HTTP 429)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass
class PullBatch:
    """One page of changes: a bundle the Zendesk importer reads, the cursor after it, and whether more follow."""

    bundle: dict
    cursor: str
    done: bool


class Connector(Protocol):
    """A helpdesk that hands out changed tickets page by page from an opaque cursor ('' = from the start)."""

    source: str

    def pull(self, cursor: str) -> PullBatch:
        """The next page of changed tickets after `cursor`; raises ConnectorError."""


Upsert = Callable[[dict], dict]  # a bundle in, counts out


@dataclass
class SyncResult:
    """What one sync pass did."""

    batches: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, counts: dict) -> None:
        self.batches += 1
        for key, value in counts.items():
            if isinstance(value, int):
                self.counts[key] = self.counts.get(key, 0) + value


def saved_cursor(store: DeskStore, source: str) -> str:
    """Where the last sync of this source stopped ('' before the first)."""
    table = tables.sync_state
    with store.connection() as connection:
        return connection.execute(select(table.c.cursor).where(table.c.source == source)).scalar_one_or_none() or ""


def save_cursor(store: DeskStore, source: str, cursor: str) -> None:
    """Remember where this source's sync stopped."""
    table = tables.sync_state
    statement = store.insert(table).values(source=source, cursor=cursor, updated_at=datetime.now(timezone.utc))
    statement = statement.on_conflict_do_update(index_elements=["source"], set_={
        "cursor": statement.excluded.cursor, "updated_at": statement.excluded.updated_at})
    with store.transaction() as connection:
        connection.execute(statement)


def sync_once(store: DeskStore, connector: Connector, upsert: Upsert, max_batches: int = 100) -> SyncResult:
    """Pull every page of changes since the saved cursor, upserting each before its cursor is saved, so an
    interrupted sync resumes where it stopped and never loses or duplicates a ticket."""
    result, cursor = SyncResult(), saved_cursor(store, connector.source)
    for _ in range(max_batches):
        batch = connector.pull(cursor)
        result.add(upsert(batch.bundle))
        cursor = batch.cursor
        save_cursor(store, connector.source, cursor)
        if batch.done:
            break
    return result


def sync_loop(store: DeskStore, connector: Connector, upsert: Upsert, interval: float = 60.0,
              first_retry: float = 5.0, max_backoff: float = 900.0, stop: threading.Event | None = None,
              sleep: Callable[[float], None] = time.sleep, report: Callable[[str], None] = log.info) -> None:
    """Sync every `interval` seconds until `stop` is set. After a failure retry in `first_retry` seconds, twice
    as long after each further failure (at most `max_backoff`; what the helpdesk asks for when it says), and back
    to the interval once a pass succeeds."""
    stop = stop or threading.Event()
    failures = 0
    while not stop.is_set():
        try:
            result = sync_once(store, connector, upsert)
            failures, wait = 0, interval
            report(f"{connector.source}: {result.batches} page(s), " +
                   ", ".join(f"{k} {v}" for k, v in sorted(result.counts.items())))
        except ConnectorError as exc:
            failures += 1
            wait = min(max_backoff, exc.retry_after or first_retry * 2 ** (failures - 1))
            report(f"{connector.source}: sync failed ({exc}); next try in {wait:.0f} s")
        if stop.is_set():
            break
        sleep(wait)
