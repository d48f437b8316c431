"""Outbox rows on an open connection: insert once per key, claim for delivery, finish, list.

Every state change is one conditional UPDATE, so concurrent senders (threads, replicas) agree on who
delivers without locks held across the network call.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Insert, Select, or_, select, update

from desk import tables
from desk.encryption import NO_ENCRYPTION, TextCipher
from desk.records import OutboxEntry, OutboxStatus

CLAIMABLE: tuple[OutboxStatus, ...] = ("pending", "failed")
_TABLE = tables.outbox


def insert_pending(connection: Connection, insert: Insert, values: dict) -> int | None:
    """Insert a pending row and return its id, or None when a row with the same key already exists."""
    statement = insert.values(**values).on_conflict_do_nothing(index_elements=["idempotency_key"])
    return connection.execute(statement.returning(_TABLE.c.id)).scalar_one_or_none()


def link_audit(connection: Connection, outbox_id: int, audit_id: int) -> None:
    """Remember which audit event the outbox row belongs to."""
    connection.execute(update(_TABLE).where(_TABLE.c.id == outbox_id).values(audit_id=audit_id))


def entry_by_id(connection: Connection, outbox_id: int, cipher: TextCipher = NO_ENCRYPTION) -> OutboxEntry | None:
    """The outbox row with this id, if any."""
    row = connection.execute(select(_TABLE).where(_TABLE.c.id == outbox_id)).first()
    return None if row is None else entry_from_row(row._asdict(), cipher)


def entry_by_key(connection: Connection, key: str, cipher: TextCipher = NO_ENCRYPTION) -> OutboxEntry | None:
    """The outbox row recorded under this idempotency key, if any."""
    row = connection.execute(select(_TABLE).where(_TABLE.c.idempotency_key == key)).first()
    return None if row is None else entry_from_row(row._asdict(), cipher)


def claim(connection: Connection, outbox_id: int, now: datetime, stale_before: datetime) -> bool:
    """Mark the row 'sending' if it is pending, failed or stuck sending since before `stale_before`."""
    statement = (
        update(_TABLE)
        .where(_TABLE.c.id == outbox_id, _claimable(stale_before))
        .values(status="sending", updated_at=now)
    )
    return connection.execute(statement).rowcount == 1


def note_attempt(connection: Connection, outbox_id: int, now: datetime) -> bool:
    """Count one delivery attempt on a row this caller holds; False when it no longer holds it."""
    statement = (
        update(_TABLE)
        .where(_TABLE.c.id == outbox_id, _TABLE.c.status == "sending")
        .values(attempts=_TABLE.c.attempts + 1, updated_at=now)
    )
    return connection.execute(statement).rowcount == 1


def finish(
    connection: Connection, outbox_id: int, status: OutboxStatus, now: datetime, error: str = ""
) -> bool:
    """Move a row this caller holds from 'sending' to delivered or failed."""
    values = {"status": status, "updated_at": now, "last_error": error[: tables.MAX_LAST_ERROR_CHARS]}
    if status == "delivered":
        values |= {"delivered_at": now, "last_error": None}
    statement = (
        update(_TABLE).where(_TABLE.c.id == outbox_id, _TABLE.c.status == "sending").values(**values)
    )
    return connection.execute(statement).rowcount == 1


def undelivered_query(ticket_id: str | None, stale_before: datetime) -> Select:
    """Rows a retry could deliver now (pending, failed, or stuck sending), oldest first."""
    query = select(_TABLE).where(_claimable(stale_before)).order_by(_TABLE.c.created_at, _TABLE.c.id)
    if ticket_id is not None:
        query = query.where(_TABLE.c.ticket_id == ticket_id)
    return query


def _claimable(stale_before: datetime):
    """Rows nobody is delivering: pending, failed, or 'sending' with no sign of life since `stale_before`."""
    stuck = (_TABLE.c.status == "sending") & (_TABLE.c.updated_at < stale_before)
    return or_(_TABLE.c.status.in_(CLAIMABLE), stuck)


def entry_from_row(row: dict, cipher: TextCipher = NO_ENCRYPTION) -> OutboxEntry:
    """Turn a stored outbox row into an OutboxEntry, its text opened."""
    return OutboxEntry.model_validate(row | {"last_error": row["last_error"] or "",
                                             "text": cipher.open(row["text"], "outbox reply")})
