"""Table definitions the store queries; the schema itself is created by the migrations."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    CheckConstraint, Column, DateTime, Float, ForeignKey, Integer, MetaData, String, Table, Text,
    TypeDecorator,
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

working_state = Table(
    "working_state", metadata,
    Column("ticket_id", String(255), primary_key=True),
    Column("agent", String(255), primary_key=True),
    Column("text", Text, nullable=False),
    Column("suggestion", Text, nullable=True),  # ChosenSuggestion as JSON
    Column("rating", Integer, nullable=True),
    Column("idempotency_key", String(64), nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
    CheckConstraint("rating IN (-1, 1)", name="ck_working_state_rating"),
)

OUTBOX_STATUSES = ("pending", "sending", "delivered", "failed")
MAX_LAST_ERROR_CHARS = 300

outbox = Table(
    "outbox", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("idempotency_key", String(64), nullable=False, unique=True),
    Column("ticket_id", String(255), nullable=False, index=True),
    Column("agent", String(255), nullable=False),
    Column("text", Text, nullable=False),
    Column("channel", String(255), nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("attempts", Integer, nullable=False),
    Column("last_error", String(MAX_LAST_ERROR_CHARS), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("delivered_at", UtcDateTime, nullable=True),
    Column("audit_id", Integer, ForeignKey("audit_events.id"), nullable=True, index=True),
    CheckConstraint(
        "status IN ('pending', 'sending', 'delivered', 'failed')", name="ck_outbox_status"
    ),
)

assist_cache = Table(
    "assist_cache", metadata,
    Column("key", String(255), primary_key=True),
    Column("payload", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)
