"""Tickets in the database: imported or synced tickets upserted by (source, external id) with their messages
deduplicated, listed for the queue, looked up by customer, and their status (open, pending, solved) kept.
Customer text (subject, name, email, message authors and texts) is sealed like every other stored text."""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import Connection, func, select, update

from core.settings import DEMO_TICKETS
from core.tickets import load_ticket_folder, natural_key
from core.types import Customer, Message, Ticket
from desk import tables
from desk.encryption import TextCipher
from desk.records import InvalidField, check_row
from desk.store import DeskStore

DEMO_SOURCE = "demo"
SEALED_TICKET_FIELDS = ("subject", "customer_name", "customer_email")


@dataclass(frozen=True)
class StoredTicket:
    """A ticket as the desk keeps it: the thread, where it came from, its status and who has it."""

    ticket: Ticket
    source: str
    external_id: str
    status: str
    assignee: str | None
    created_at: datetime
    updated_at: datetime


@dataclass
class ImportReport:
    """What an import or sync did, with a reason for every row it skipped."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    messages_added: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (where, why)

    def add(self, other: ImportReport) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.messages_added += other.messages_added
        self.skipped.extend(other.skipped)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["skipped"] = [{"where": where, "why": why} for where, why in self.skipped]
        return data


def message_key(message: Message) -> str:
    """A message's identity when its source gives none: the same message imported twice has the same key."""
    stamp = message.at.isoformat() if message.at else ""
    digest = hashlib.sha256("\x1f".join((message.role, message.author, stamp, message.text)).encode("utf-8"))
    return "sha256:" + digest.hexdigest()[:40]


def upsert_tickets(
    store: DeskStore, tickets: Iterable[Ticket], source: str,
    external_ids: Mapping[str, str] | None = None,
    message_ids: Mapping[str, list[str | None]] | None = None,
    statuses: Mapping[str, str] | None = None,
    skipped: Iterable[tuple[str, str]] = (),
) -> ImportReport:
    """Create or update each ticket; importing the same tickets again changes nothing.

    `external_ids` maps a ticket id to the source's own id (default: the ticket id); `message_ids` gives the
    source's id of each message, position by position (default: a hash of the message); `statuses` is the
    source's status of a ticket (default: open for a new ticket, reopened when the customer wrote again)."""
    report = ImportReport(skipped=list(skipped))
    for ticket in tickets:
        external = (external_ids or {}).get(ticket.id, ticket.id)
        ids = (message_ids or {}).get(ticket.id) or []
        keys = [(ids[n] if n < len(ids) and ids[n] else None) or message_key(m) for n, m in enumerate(ticket.messages)]
        status = (statuses or {}).get(ticket.id)
        try:
            with store.transaction() as connection:
                outcome = _upsert_one(connection, store.cipher, ticket, source, external, keys, status)
        except InvalidField as exc:
            outcome = str(exc)
        if isinstance(outcome, str):
            report.skipped.append((ticket.id, outcome))
            continue
        kind, added = outcome
        setattr(report, kind, getattr(report, kind) + 1)
        report.messages_added += added
    return report


def _upsert_one(connection: Connection, cipher: TextCipher, ticket: Ticket, source: str, external: str,
                keys: list[str], status: str | None) -> tuple[str, int] | str:
    """('created' | 'updated' | 'unchanged', messages added), or why the ticket was skipped."""
    table = tables.tickets
    if status is not None and status not in tables.TICKET_STATUSES:
        return f"status {status!r} is not one of {', '.join(tables.TICKET_STATUSES)}"
    row = connection.execute(select(table).where(table.c.id == ticket.id)).first()
    if row is not None and (row.source, row.external_id) != (source, external):
        return f"the id {ticket.id} is already used by a ticket from {row.source} ({row.external_id})"
    now = datetime.now(timezone.utc)
    fields = _ticket_fields(ticket)
    if row is None:
        values = {"id": ticket.id, "source": source, "external_id": external, **fields,
                  "status": status or "open", "assignee": None, "created_at": _first_time(ticket) or now,
                  "updated_at": now}
        check_row(table, values)
        connection.execute(table.insert().values(**_sealed(values, cipher)))
        return "created", _add_messages(connection, cipher, ticket.id, ticket.messages, keys)
    added_messages = _new_messages(connection, ticket.id, ticket.messages, keys)
    changes = {name: value for name, value in fields.items() if _stored_value(row, name, cipher) != value}
    if status is not None and status != row.status:
        changes["status"] = status
    elif status is None and row.status != "open" and any(m.role == "customer" for m, _ in added_messages):
        changes["status"] = "open"  # the customer wrote again
    added = _add_messages(connection, cipher, ticket.id, [m for m, _ in added_messages],
                          [k for _, k in added_messages])
    if not changes and not added:
        return "unchanged", 0
    changes["updated_at"] = now
    check_row(table, changes)
    connection.execute(update(table).where(table.c.id == ticket.id).values(**_sealed(changes, cipher)))
    return "updated", added


def _ticket_fields(ticket: Ticket) -> dict:
    return {"subject": ticket.subject, "channel": ticket.channel, "customer_name": ticket.customer.name,
            "customer_email": ticket.customer.email, "language": ticket.language}


def _first_time(ticket: Ticket) -> datetime | None:
    times = [m.at for m in ticket.messages if m.at is not None]
    return min(times) if times else None


def _sealed(values: dict, cipher: TextCipher) -> dict:
    return {name: cipher.seal(value) if name in SEALED_TICKET_FIELDS else value for name, value in values.items()}


def _stored_value(row, name: str, cipher: TextCipher):
    value = getattr(row, name)
    return cipher.open(value, "ticket field") if name in SEALED_TICKET_FIELDS else value


def _new_messages(connection: Connection, ticket_id: str, messages: list[Message],
                  keys: list[str]) -> list[tuple[Message, str]]:
    """The messages not stored yet (and not repeated within this import)."""
    table = tables.ticket_messages
    known = set(connection.execute(select(table.c.external_id).where(table.c.ticket_id == ticket_id)).scalars())
    fresh = []
    for message, key in zip(messages, keys):
        if key not in known:
            known.add(key)
            fresh.append((message, key))
    return fresh


def _add_messages(connection: Connection, cipher: TextCipher, ticket_id: str, messages: list[Message],
                  keys: list[str]) -> int:
    rows, seen = [], set()
    for message, key in zip(messages, keys):
        if key in seen:
            continue
        seen.add(key)
        values = {"ticket_id": ticket_id, "external_id": key[:255], "role": message.role, "author": message.author,
                  "text": message.text, "at": message.at}
        check_row(tables.ticket_messages, values)
        rows.append({**values, "author": cipher.seal(message.author), "text": cipher.seal(message.text)})
    if rows:
        connection.execute(tables.ticket_messages.insert(), rows)
    return len(rows)


# -- reading ---------------------------------------------------------------------------------------
def list_tickets(store: DeskStore, ids: Iterable[str] | None = None) -> list[StoredTicket]:
    """Every stored ticket (or those with the given ids), sorted by id (T-2 before T-10)."""
    table, messages = tables.tickets, tables.ticket_messages
    ticket_query, message_query = select(table), select(messages).order_by(messages.c.ticket_id, messages.c.id)
    if ids is not None:
        wanted = list(ids)
        ticket_query = ticket_query.where(table.c.id.in_(wanted))
        message_query = message_query.where(messages.c.ticket_id.in_(wanted))
    with store.connection() as connection:
        rows = connection.execute(ticket_query).all()
        threads: dict[str, list[Message]] = {}
        for message in connection.execute(message_query):
            threads.setdefault(message.ticket_id, []).append(_message_from_row(message, store.cipher))
    stored = [_stored_from_row(row, threads.get(row.id, []), store.cipher) for row in rows]
    return sorted((s for s in stored if s is not None), key=lambda s: natural_key(s.ticket.id))


def get_ticket(store: DeskStore, ticket_id: str) -> StoredTicket | None:
    found = list_tickets(store, [ticket_id])
    return found[0] if found else None


def customer_tickets(store: DeskStore, email: str, exclude: str | None = None) -> list[StoredTicket]:
    """The tickets of the customer with this email (compared without case), newest first. Emails are sealed,
    so they are compared after opening; a desk has few enough tickets per page load for that."""
    wanted = email.strip().casefold()
    if not wanted:
        return []
    table = tables.tickets
    with store.connection() as connection:
        rows = connection.execute(select(table.c.id, table.c.customer_email)).all()
    ids = [row.id for row in rows if row.id != exclude
           and store.cipher.open(row.customer_email, "customer email").strip().casefold() == wanted]
    if not ids:
        return []
    return sorted(list_tickets(store, ids), key=lambda s: (s.updated_at, s.created_at), reverse=True)


def ticket_count(store: DeskStore) -> int:
    with store.connection() as connection:
        return int(connection.execute(select(func.count()).select_from(tables.tickets)).scalar_one())


def set_ticket_status(store: DeskStore, ticket_id: str, status: str) -> None:
    """Mark a ticket open, pending (waiting for the customer) or solved."""
    if status not in tables.TICKET_STATUSES:
        raise ValueError(f"unknown ticket status {status!r}; expected one of {', '.join(tables.TICKET_STATUSES)}")
    table = tables.tickets
    with store.transaction() as connection:
        connection.execute(update(table).where(table.c.id == ticket_id).values(
            status=status, updated_at=datetime.now(timezone.utc)))


def _message_from_row(row, cipher: TextCipher) -> Message:
    return Message(role=row.role, author=cipher.open(row.author, "message author"),
                   text=cipher.open(row.text, "message text"), at=row.at)


def _stored_from_row(row, messages: list[Message], cipher: TextCipher) -> StoredTicket | None:
    if not messages:
        return None
    if all(m.at is not None for m in messages):
        messages = sorted(messages, key=lambda m: m.at)
    ticket = Ticket(id=row.id, subject=cipher.open(row.subject, "ticket subject"), channel=row.channel,
                    customer=Customer(name=cipher.open(row.customer_name, "customer name"),
                                      email=cipher.open(row.customer_email, "customer email")),
                    messages=messages, language=row.language)
    return StoredTicket(ticket=ticket, source=row.source, external_id=row.external_id, status=row.status,
                        assignee=row.assignee, created_at=row.created_at, updated_at=row.updated_at)


# -- the demo --------------------------------------------------------------------------------------
def seed_demo_tickets(store: DeskStore, folder: str | Path, answered: str | None = None) -> ImportReport:
    """Import a folder of ticket files into an empty desk (a fresh install's queue); a desk that already has
    tickets is left alone. Conversations whose last word is the agent's start `answered`: by default solved for
    the shipped demo (its earlier conversations are history) and pending for any other folder (the customer
    may still answer)."""
    if ticket_count(store):
        return ImportReport()
    if answered is None:
        answered = "solved" if Path(folder).resolve() == DEMO_TICKETS.resolve() else "pending"
    tickets, problems = load_ticket_folder(folder)
    statuses = {t.id: answered for t in tickets if t.messages[-1].role == "agent"}
    return upsert_tickets(store, tickets, DEMO_SOURCE, statuses=statuses, skipped=problems)
