"""Desk rows and the records they hold: audit events and working state in and out of their tables, text
sealed on the way in and opened on the way out; and the check that the configured key opens stored text."""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Connection, Engine, delete, select

from core.types import AuditEvent
from desk import tables
from desk.encryption import PREFIX, TextCipher
from desk.records import UNEDITED_FLAG, ChosenSuggestion, WorkingState, check_row

JSON_FIELDS = ("citations", "flags", "prompt_versions")
AUDIT_TEXT_FIELDS = ("suggested", "sent", "question")
SEALED_COLUMNS = (  # (table, text column, order column): where sealed text lives
    (tables.audit_events, "sent", "id"), (tables.sent_replies, "text", "id"), (tables.outbox, "text", "id"),
    (tables.working_state, "text", "updated_at"),
)


def check_stored_text_opens(engine: Engine, cipher: TextCipher) -> None:
    """Open the oldest and newest sealed text of each table, so a missing or wrong ASSIST_ENCRYPTION_KEY is
    a clear error when the store opens rather than on some page later (raises EncryptionKeyError)."""
    with engine.connect() as connection:
        for table, column, order in SEALED_COLUMNS:
            sealed = select(table.c[column]).where(table.c[column].startswith(PREFIX)).limit(1)
            for query in (sealed.order_by(table.c[order]), sealed.order_by(table.c[order].desc())):
                value = connection.execute(query).scalar_one_or_none()
                if value is not None:
                    cipher.open(value, f"{table.name.replace('_', ' ')} text")


def audit_row(event: AuditEvent, cipher: TextCipher) -> dict:
    """An audit event as a checked table row, its lists and dicts as JSON text, its texts sealed."""
    row = event.model_dump(exclude={"id"})
    check_row(tables.audit_events, row)
    row["used_suggestion"] = event.used_suggestion
    row["unedited"] = UNEDITED_FLAG in event.flags or (event.used_suggestion and event.sent == event.suggested)
    for field in JSON_FIELDS:
        row[field] = json.dumps(row[field], ensure_ascii=False, sort_keys=True)
    for field in AUDIT_TEXT_FIELDS:
        row[field] = cipher.seal(row[field])
    return row


def insert_audit(connection: Connection, row: dict) -> int:
    """Append an audit row and return its id."""
    result = connection.execute(tables.audit_events.insert().values(**row))
    return int(result.inserted_primary_key[0])


def delete_working_state(ticket_id: str, agent: str):
    """The statement that forgets one agent's working state on a ticket."""
    table = tables.working_state
    return delete(table).where(table.c.ticket_id == ticket_id, table.c.agent == agent)


def plain(values: dict) -> dict:
    """Values with pydantic records turned into plain data, so every string in them can be checked."""
    return {key: value.model_dump() if isinstance(value, ChosenSuggestion) else value
            for key, value in values.items()}


def working_state_from_row(row: dict, cipher: TextCipher) -> WorkingState:
    """Turn a stored working-state row back into a WorkingState."""
    row["text"] = cipher.open(row["text"], "working draft")
    if row["suggestion"] is not None:
        row["suggestion"] = ChosenSuggestion.model_validate_json(cipher.open(row["suggestion"], "chosen suggestion"))
    return WorkingState.model_validate(row)


def audit_from_row(row: dict, cipher: TextCipher) -> AuditEvent:
    """Turn a stored audit row back into an AuditEvent."""
    for field in JSON_FIELDS:
        row[field] = json.loads(row[field])
    for field in AUDIT_TEXT_FIELDS:
        row[field] = cipher.open(row[field], "audit text")
    for derived in ("used_suggestion", "unedited"):
        row.pop(derived, None)
    return AuditEvent.model_validate(row)


def handle_timing(connection: Connection, ticket_id: str, agent: str, sent_at: datetime) -> dict:
    """When the agent opened the ticket and first typed, from the working state, and the handle time
    (sent - opened, in seconds); empty when the reply was composed without a working state."""
    table = tables.working_state
    query = select(table.c.opened_at, table.c.first_typed_at).where(
        table.c.ticket_id == ticket_id, table.c.agent == agent)
    row = connection.execute(query).first()
    if row is None or row.opened_at is None:
        return {}
    opened = tables.as_utc(row.opened_at)
    return {"opened_at": opened, "first_typed_at": row.first_typed_at,
            "handle_seconds": max(0.0, (tables.as_utc(sent_at) - opened).total_seconds())}
