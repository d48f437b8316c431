"""Privacy requests: everything stored about one customer, exported as JSON or erased.

A customer is named by e-mail address (every ticket of that address) or by a ticket id (that ticket,
plus every other ticket of its customer's address). Their data is the ticket files in the tickets
folder and, in the desk database, the stored tickets and their messages, the ticket status, sent replies, outbox entries, audit events,
working drafts and cached assist results of those tickets. Erase deletes it; audit events are kept
as anonymous numbers (text removed, ticket id replaced) so leads' metrics survive.
"""
from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import Connection, Table, delete, select, update

from core.tickets import TicketFormatError, load_ticket
from core.types import Ticket
from desk import tables
from desk.encryption import EncryptionKeyError
from desk.retention import anonymise_audit
from desk.store import DeskStore
from desk.ticket_store import customer_tickets, get_ticket

ERASED_PREFIX = "erased-"
_PER_TICKET = (tables.ticket_state, tables.sent_replies, tables.outbox, tables.working_state, tables.feedback)
_TEXT_COLUMNS = {"sent_replies": ("text",), "outbox": ("text",), "audit_events": ("suggested", "sent", "question"),
                 "working_state": ("text", "suggestion"), "feedback": ("suggested", "comment")}


class UnknownCustomer(LookupError):
    """No ticket file and no stored row belongs to the customer named."""


@dataclass
class CustomerData:
    """The tickets of one customer: their files and ids."""

    customer: str
    tickets: list[Ticket] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    ticket_ids: list[str] = field(default_factory=list)


def find_customer(customer: str, tickets_folder: Path, store: DeskStore) -> CustomerData:
    """The tickets of the customer named by e-mail or ticket id, from the folder and the database."""
    wanted = customer.strip()
    if not wanted:
        raise UnknownCustomer("name the customer by e-mail address or ticket id")
    found = ticket_files(tickets_folder)
    tickets, files = {tid: ticket for tid, (ticket, _) in found.items()}, {tid: path for tid, (_, path) in found.items()}
    emails = {wanted.casefold()} if "@" in wanted else set()
    if wanted in tickets and tickets[wanted].customer.email:
        emails.add(tickets[wanted].customer.email.casefold())
    ids = [tid for tid, t in tickets.items() if tid == wanted or (t.customer.email.casefold() in emails and emails)]
    stored = _stored_tickets(store, wanted, emails)
    ids += [tid for tid in stored if tid not in ids]
    for tid, ticket in stored.items():
        tickets.setdefault(tid, ticket)
    if wanted not in ids and _has_rows(store, wanted):
        ids.append(wanted)
    if not ids:
        raise UnknownCustomer(f"no ticket in {tickets_folder} and no stored record belongs to {wanted!r}")
    return CustomerData(customer=wanted, tickets=[tickets[i] for i in ids if i in tickets],
                        files=[files[i] for i in ids if i in files], ticket_ids=sorted(ids))


def _stored_tickets(store: DeskStore, wanted: str, emails: set[str]) -> dict[str, Ticket]:
    """The customer's tickets in the desk database (imported, synced or seeded), by id; naming one ticket by id
    brings every ticket of its customer's e-mail."""
    named = get_ticket(store, wanted)
    if named is not None and named.ticket.customer.email:
        emails.add(named.ticket.customer.email.casefold())
    found = {named.ticket.id: named.ticket} if named is not None else {}
    for email in sorted(emails):
        found.update({s.ticket.id: s.ticket for s in customer_tickets(store, email)})
    return found


def export_customer(data: CustomerData, store: DeskStore) -> dict:
    """Everything stored about the customer, as JSON-ready data (stored text decrypted)."""
    with store.engine.connect() as connection:
        rows = {table.name: _rows(connection, table, data.ticket_ids, store) for table in
                (*_PER_TICKET, tables.audit_events)}
        rows["assist_cache"] = _cached_results(connection, data.ticket_ids, store)
    return {"customer": data.customer, "exported_at": datetime.now(timezone.utc).isoformat(),
            "ticket_ids": data.ticket_ids, "ticket_files": [str(path) for path in data.files],
            "tickets": [ticket.model_dump(mode="json") for ticket in data.tickets], **rows}


def erase_customer(data: CustomerData, store: DeskStore, dry_run: bool = False, delete_files: bool = True) -> dict[str, int]:
    """Delete the customer's rows and (with `delete_files`) ticket files, anonymise their audit events and
    delete their cached results; counts by kind. A dry run counts and changes nothing."""
    ids = data.ticket_ids
    with store.engine.connect() as connection:
        counts = {table.name: connection.execute(delete(table).where(table.c.ticket_id.in_(ids))).rowcount
                  for table in _PER_TICKET}
        counts["audit_events"] = _anonymise_audit_events(connection, ids, store)
        counts["assist_cache"] = len(_cached_results(connection, ids, store, delete_them=True))
        counts["ticket_presence"] = connection.execute(
            delete(tables.ticket_presence).where(tables.ticket_presence.c.ticket_id.in_(ids))).rowcount
        counts["ticket_messages"] = connection.execute(
            delete(tables.ticket_messages).where(tables.ticket_messages.c.ticket_id.in_(ids))).rowcount
        counts["tickets"] = connection.execute(delete(tables.tickets).where(tables.tickets.c.id.in_(ids))).rowcount
        connection.rollback() if dry_run else connection.commit()
    counts["ticket_files"] = len(data.files) if delete_files else 0
    if delete_files and not dry_run:
        for path in data.files:
            path.unlink(missing_ok=True)
    return counts


def write_export(export: dict, out: Path) -> None:
    """Write the export to a new file readable by its owner only; an existing file is never overwritten."""
    with open(out, "x", encoding="utf-8", opener=_private_opener) as handle:
        json.dump(export, handle, ensure_ascii=False, indent=1, default=str)
        handle.write("\n")


def _private_opener(path: str, flags: int) -> int:
    """Open a new file with mode 0600 (an export holds personal data)."""
    return os.open(path, flags, 0o600)


def ticket_files(folder: Path) -> dict[str, tuple[Ticket, Path]]:
    """Every readable ticket of the folder by id, with its file (the first file by name wins, as in the queue)."""
    if not folder.is_dir():
        raise UnknownCustomer(f"the ticket folder {folder} does not exist; check ASSIST_TICKETS_DIR")
    found: dict[str, tuple[Ticket, Path]] = {}
    for path in sorted(folder.glob("*.json")):
        try:
            ticket = load_ticket(path)
        except (TicketFormatError, OSError):
            continue
        found.setdefault(ticket.id, (ticket, path))
    return found


def _has_rows(store: DeskStore, ticket_id: str) -> bool:
    """Whether any desk table holds a row for this ticket id."""
    with store.engine.connect() as connection:
        return any(connection.execute(select(table.c.ticket_id).where(table.c.ticket_id == ticket_id).limit(1)).first()
                   for table in (*_PER_TICKET, tables.audit_events))


def _rows(connection: Connection, table: Table, ids: list[str], store: DeskStore) -> list[dict]:
    """The table's rows for these tickets, text columns decrypted."""
    result = []
    for row in connection.execute(select(table).where(table.c.ticket_id.in_(ids))):
        values = row._asdict()
        for column in _TEXT_COLUMNS.get(table.name, ()):
            values[column] = store.cipher.open_optional(values[column], f"{table.name} text")
        if table.name == "working_state" and values["suggestion"]:
            values["suggestion"] = json.loads(values["suggestion"])
        result.append({key: value.isoformat() if isinstance(value, datetime) else value for key, value in values.items()})
    return result


def _anonymise_audit_events(connection: Connection, ids: list[str], store: DeskStore) -> int:
    """Remove the text of the tickets' audit events and give each ticket an anonymous id."""
    table = tables.audit_events
    found = connection.execute(select(table.c.id).where(table.c.ticket_id.in_(ids))).all()
    anonymise_audit(connection, store.cipher, table.c.ticket_id.in_(ids))
    for ticket_id in ids:
        anonymous = ERASED_PREFIX + uuid.uuid4().hex[:12]
        connection.execute(update(table).where(table.c.ticket_id == ticket_id).values(ticket_id=anonymous))
    return len(found)


def _cached_results(connection: Connection, ids: list[str], store: DeskStore, delete_them: bool = False) -> list[dict]:
    """Cached assist results for these tickets (decrypted); unreadable entries count when deleting, since
    nobody can tell whose they are."""
    table, found = tables.assist_cache, []
    for key, payload in connection.execute(select(table.c.key, table.c.payload)).all():
        try:
            result = json.loads(store.cipher.open(payload, "cached assist result"))
        except (EncryptionKeyError, ValueError):
            result = None
        if result is None and not delete_them:
            continue
        if result is None or (isinstance(result, dict) and result.get("ticket_id") in ids):
            found.append({"key": key, "result": result})
            if delete_them:
                connection.execute(delete(table).where(table.c.key == key))
    return found
