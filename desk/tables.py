"""Table definitions the store queries; the schema itself is created by the migrations."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    Boolean, CheckConstraint, Column, DateTime, Float, ForeignKey, Index, Integer, MetaData, String, Table, Text,
    TypeDecorator, UniqueConstraint,
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
    Column("feedback_reason", String(32), nullable=False, default=""),
    Column("intent", String(64), nullable=False, default="", index=True),
    Column("language", String(16), nullable=False, default=""),
    Column("abstained", Boolean, nullable=False, default=False),
    Column("question", Text, nullable=False, default=""),
    Column("cost_usd", Float, nullable=False, default=0.0),
    Column("used_suggestion", Boolean, nullable=False, default=True),
    Column("unedited", Boolean, nullable=False, default=False),
    Column("opened_at", UtcDateTime, nullable=True),
    Column("first_typed_at", UtcDateTime, nullable=True),
    Column("handle_seconds", Float, nullable=True),
    Index("ix_audit_events_report", "sent_at", "agent", "intent", "engine", "prompt_versions", "used_suggestion",
          "unedited", "edit_distance", "handle_seconds", "cost_usd", "rating", "feedback_reason"),
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
    Column("opened_at", UtcDateTime, nullable=True),
    Column("first_typed_at", UtcDateTime, nullable=True),
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

FEEDBACK_REASONS = ("wrong_facts", "not_relevant", "wrong_tone", "missing_information", "other")

feedback = Table(
    "feedback", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("suggestion_key", String(64), nullable=False),
    Column("user", String(255), nullable=False),
    Column("ticket_id", String(255), nullable=False, index=True),
    Column("rating", Integer, nullable=False),
    Column("reason", String(32), nullable=False, default=""),
    Column("comment", Text, nullable=False, default=""),
    Column("suggested", Text, nullable=False, default=""),
    Column("engine", String(16), nullable=False, default=""),
    Column("model", String(255), nullable=False, default=""),
    Column("tone", String(64), nullable=False, default=""),
    Column("intent", String(64), nullable=False, default=""),
    Column("prompt_versions", Text, nullable=False, default="{}"),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False, index=True),
    UniqueConstraint("suggestion_key", "user", name="uq_feedback_suggestion_user"),
    CheckConstraint("rating IN (-1, 1)", name="ck_feedback_rating"),
)

baseline_handle_times = Table(
    "baseline_handle_times", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("replied_at", UtcDateTime, nullable=False, index=True),
    Column("handle_seconds", Float, nullable=False),
    Column("agent", String(255), nullable=False, default=""),
    Column("intent", String(64), nullable=False, default=""),
    Column("source", String(255), nullable=False, default=""),
)

TICKET_STATUSES = ("open", "pending", "solved")

tickets = Table(
    "tickets", metadata,
    Column("id", String(255), primary_key=True),
    Column("source", String(64), nullable=False),
    Column("external_id", String(255), nullable=False),
    Column("subject", Text, nullable=False, default=""),  # sealed
    Column("channel", String(64), nullable=False, default="email"),
    Column("customer_name", Text, nullable=False, default=""),  # sealed
    Column("customer_email", Text, nullable=False, default=""),  # sealed
    Column("language", String(16), nullable=True),
    Column("status", String(16), nullable=False, default="open"),
    Column("assignee", String(255), nullable=True, index=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False, index=True),
    UniqueConstraint("source", "external_id", name="uq_tickets_source_external_id"),
    CheckConstraint("status IN ('open', 'pending', 'solved')", name="ck_tickets_status"),
)

ticket_messages = Table(
    "ticket_messages", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ticket_id", String(255), ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("external_id", String(255), nullable=False),  # the source's comment id, else a hash of the message
    Column("role", String(16), nullable=False),
    Column("author", Text, nullable=False, default=""),  # sealed
    Column("text", Text, nullable=False),  # sealed
    Column("at", UtcDateTime, nullable=True),
    UniqueConstraint("ticket_id", "external_id", name="uq_ticket_messages_external_id"),
    CheckConstraint("role IN ('customer', 'agent', 'note')", name="ck_ticket_messages_role"),
)

user_preferences = Table(
    "user_preferences", metadata,
    Column("user", String(255), primary_key=True),
    Column("ui_language", String(8), nullable=True),
    Column("updated_at", UtcDateTime, nullable=False),
)

ticket_presence = Table(
    "ticket_presence", metadata,
    Column("ticket_id", String(255), primary_key=True),
    Column("user", String(255), primary_key=True),
    Column("seen_at", UtcDateTime, nullable=False, index=True),
)

sync_state = Table(
    "sync_state", metadata,
    Column("source", String(64), primary_key=True),
    Column("cursor", Text, nullable=False, default=""),  # the helpdesk's own incremental cursor
    Column("updated_at", UtcDateTime, nullable=False),
)

macros = Table(
    "macros", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(120), nullable=False, unique=True),
    Column("text", Text, nullable=False),  # placeholders such as {first_name} and {order_number}
    Column("intent", String(64), nullable=False, default=""),
    Column("language", String(16), nullable=False, default=""),
    Column("created_by", String(255), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)
