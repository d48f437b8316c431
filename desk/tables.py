"""Table definitions the store queries; the schema itself is created by the migrations."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    Column, DateTime, Float, Integer, MetaData, String, Table, Text, TypeDecorator,
)


class UtcDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them without a zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        """Store UTC; a naive datetime is taken to be UTC already."""
        return None if value is None else as_utc(value)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        """Return UTC-aware datetimes whatever the backend gave back."""
        return None if value is None else as_utc(value)


def as_utc(value: datetime) -> datetime:
    """The same instant in UTC; naive values are read as UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


metadata = MetaData()

audit_events = Table(
    "audit_events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ticket_id", String(255), nullable=False, index=True),
    Column("agent", String(255), nullable=False),
    Column("engine", String(16), nullable=False),
    Column("model", String(255), nullable=False),
    Column("suggested", Text, nullable=False),
    Column("sent", Text, nullable=False),
    Column("tone", String(64), nullable=False),
    Column("edit_distance", Float, nullable=False),
    Column("similarity", Float, nullable=False),
    Column("citations", Text, nullable=False),
    Column("flags", Text, nullable=False),
    Column("rating", Integer, nullable=True),
    Column("prompt_versions", Text, nullable=False),
    Column("suggested_at", UtcDateTime, nullable=True),
    Column("sent_at", UtcDateTime, nullable=False, index=True),
)

ticket_state = Table(
    "ticket_state", metadata,
    Column("ticket_id", String(255), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

sent_replies = Table(
    "sent_replies", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ticket_id", String(255), nullable=False, index=True),
    Column("agent", String(255), nullable=False),
    Column("text", Text, nullable=False),
    Column("sent_at", UtcDateTime, nullable=False),
)

working_drafts = Table(
    "working_drafts", metadata,
    Column("ticket_id", String(255), primary_key=True),
    Column("agent", String(255), primary_key=True),
    Column("text", Text, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

assist_cache = Table(
    "assist_cache", metadata,
    Column("key", String(255), primary_key=True),
    Column("payload", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)
