"""The agent's queue: views (mine, unassigned, all) by status, sorted by priority, age or waiting time; claiming
and assigning tickets; and who else has a ticket open right now (so two agents do not answer the same customer)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Literal

from sqlalchemy import delete, select, update

from core.types import Ticket
from desk import tables
from desk.store import DeskStore

View = Literal["mine", "unassigned", "all"]
Sort = Literal["priority", "age", "waiting"]
PRIORITY_ORDER = {"urgent": 0, "high": 1, "normal": 2, "low": 3}
PRESENCE_WINDOW = timedelta(minutes=2)  # an agent whose page checked in this recently still has the ticket open


@dataclass(frozen=True)
class QueueEntry:
    """A ticket as the queue lists it."""

    ticket: Ticket
    status: str
    assignee: str | None
    priority: str = "normal"


def claim(store: DeskStore, ticket_id: str, user: str) -> bool:
    """Take an unassigned ticket; False when someone else already has it (only one claim ever wins)."""
    table = tables.tickets
    statement = update(table).where(table.c.id == ticket_id, table.c.assignee.is_(None)).values(
        assignee=user, updated_at=datetime.now(timezone.utc))
    with store.transaction() as connection:
        if connection.execute(statement).rowcount:
            return True
        owner = connection.execute(select(table.c.assignee).where(table.c.id == ticket_id)).scalar_one_or_none()
    return owner == user


def assign(store: DeskStore, ticket_id: str, user: str | None) -> None:
    """Give a ticket to `user` (None: back to unassigned), whoever had it."""
    table = tables.tickets
    with store.transaction() as connection:
        connection.execute(update(table).where(table.c.id == ticket_id).values(
            assignee=user, updated_at=datetime.now(timezone.utc)))


def assignees(store: DeskStore) -> dict[str, str]:
    """Who has each assigned ticket."""
    table = tables.tickets
    with store.connection() as connection:
        rows = connection.execute(select(table.c.id, table.c.assignee).where(table.c.assignee.is_not(None)))
        return dict(rows.all())


def touch_presence(store: DeskStore, ticket_id: str, user: str, now: datetime | None = None) -> None:
    """Note that `user` has the ticket open now."""
    table = tables.ticket_presence
    values = {"ticket_id": ticket_id, "user": user, "seen_at": now or datetime.now(timezone.utc)}
    statement = store.insert(table).values(**values)
    statement = statement.on_conflict_do_update(index_elements=["ticket_id", "user"],
                                                set_={"seen_at": statement.excluded.seen_at})
    with store.transaction() as connection:
        connection.execute(statement)


def leave(store: DeskStore, ticket_id: str, user: str) -> None:
    """`user` closed the ticket (switched away or sent)."""
    table = tables.ticket_presence
    with store.transaction() as connection:
        connection.execute(delete(table).where(table.c.ticket_id == ticket_id, table.c.user == user))


def others_viewing(store: DeskStore, ticket_id: str, user: str, now: datetime | None = None,
                   window: timedelta = PRESENCE_WINDOW) -> list[str]:
    """The other users who have this ticket open (checked in within `window`), by name."""
    table = tables.ticket_presence
    since = (now or datetime.now(timezone.utc)) - window
    query = select(table.c.user).where(table.c.ticket_id == ticket_id, table.c.user != user,
                                       table.c.seen_at >= since).order_by(table.c.user)
    with store.connection() as connection:
        return list(connection.execute(query).scalars())


def waiting_since(ticket: Ticket) -> datetime | None:
    """When the customer's unanswered message arrived: the first customer message after the last agent reply."""
    waiting = None
    for message in ticket.messages:
        if message.role == "agent":
            waiting = None
        elif message.role == "customer" and waiting is None:
            waiting = message.at
    return waiting


def opened_at(ticket: Ticket) -> datetime | None:
    """When the ticket's first message was written."""
    times = [m.at for m in ticket.messages if m.at is not None]
    return min(times) if times else None


def queue_view(entries: list[QueueEntry], user: str, view: View = "all", statuses: tuple[str, ...] = (),
               sort: Sort = "priority") -> list[QueueEntry]:
    """The entries a view shows, in the chosen order (ties: longest waiting first, then id)."""
    shown = [e for e in entries if (not statuses or e.status in statuses) and _in_view(e, user, view)]
    far_future = datetime.max.replace(tzinfo=timezone.utc)  # not waiting, or no time known: last

    def key(entry: QueueEntry):
        waited = waiting_since(entry.ticket) or far_future
        started = opened_at(entry.ticket) or far_future
        first = {"priority": PRIORITY_ORDER.get(entry.priority, 2), "age": started, "waiting": waited}[sort]
        return first, waited, entry.ticket.id

    return sorted(shown, key=key)


def _in_view(entry: QueueEntry, user: str, view: View) -> bool:
    if view == "mine":
        return entry.assignee == user
    if view == "unassigned":
        return entry.assignee is None
    return True
