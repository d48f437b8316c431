"""Desk-only records: outbox entries, send policy and outcome, the agent's working state, and the
limits every stored field obeys."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterator, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import String, Table

from core.types import Engine, Message, SuggestionRecord

OutboxStatus = Literal["pending", "sending", "delivered", "failed"]
Delivery = Literal["delivered", "failed", "pending", "not_sent"]
WorkingRating = Literal[-1, 1]
DEFAULT_STALE_AFTER = timedelta(minutes=5)  # a 'sending' entry this old was abandoned

NUL = "\x00"
UNEDITED_FLAG = "unedited"  # an audit flag: the reply went out exactly as suggested
TEXT_REMOVED_FLAG = "text_removed"  # an audit flag: retention or a privacy erase removed the event's text
REMOVED_TEXT = "[removed]"  # what removed reply and draft text reads as
_LABELS = {
    "ticket_id": "ticket id", "agent": "agent name", "idempotency_key": "idempotency key",
    "text": "reply", "sent": "reply", "suggested": "suggestion", "key": "cache key",
}


class InvalidField(ValueError):
    """A value the store cannot keep as given; the message names the field, never its content."""


class DeskRecord(BaseModel):
    """Base of desk-only records: an unknown field is an error, never silently dropped."""

    model_config = ConfigDict(extra="forbid")


class OutboxEntry(DeskRecord):
    """One reply waiting for, or done with, delivery; its key makes every send of it the same send."""

    id: int
    idempotency_key: str
    ticket_id: str
    agent: str
    text: str
    channel: str
    status: OutboxStatus
    attempts: int = 0
    last_error: str = ""
    created_at: datetime
    updated_at: datetime
    delivered_at: datetime | None = None
    audit_id: int | None = None


class OutgoingReply(DeskRecord):
    """A reply about to be recorded in the outbox under its idempotency key."""

    idempotency_key: str
    ticket_id: str
    agent: str
    text: str
    channel: str


class ChosenSuggestion(DeskRecord):
    """The suggested draft an agent picked, kept on the server so a reload does not forget it.

    `text` is the customer's copy (no [n] markers), so the audit compares the sent reply with what the agent
    was given; `citations` keep the chunk ids the draft cited and `markers` their [n] numbers, which Send
    strips should the agent's text still hold them."""

    engine: Engine
    model: str
    text: str
    tone: str = ""
    citations: list[str] = Field(default_factory=list)
    markers: list[int] = Field(default_factory=list)
    flags: list[str] = Field(default_factory=list)
    prompt_versions: dict[str, str] = Field(default_factory=dict)
    suggested_at: datetime | None = None

    def as_record(self, rating: int | None = None) -> SuggestionRecord:
        """The SuggestionRecord the audit event is built from, with the agent's rating."""
        fields = self.model_dump(exclude={"text", "markers"})
        return SuggestionRecord(suggested=self.text, rating=rating, **fields)


class WorkingState(DeskRecord):
    """What an agent is composing on a ticket: text, chosen suggestion, rating and the reply's key."""

    ticket_id: str
    agent: str
    text: str = ""
    suggestion: ChosenSuggestion | None = None
    rating: WorkingRating | None = None
    idempotency_key: str | None = None
    updated_at: datetime
    opened_at: datetime | None = None
    first_typed_at: datetime | None = None


@dataclass(frozen=True)
class SendPolicy:
    """Limits and retry pacing for sending; tests pass a policy without backoff."""

    max_reply_chars: int = 20_000
    attempts: int = 3
    first_backoff: float = 0.5  # seconds before the second attempt; doubles after each failure
    max_backoff: float = 4.0
    deadline: float = 30.0  # no new attempt starts this many seconds after the first one
    stale_after: timedelta = DEFAULT_STALE_AFTER

    def __post_init__(self) -> None:
        """Refuse a policy that could never deliver or never accept a reply."""
        if self.attempts < 1 or self.max_reply_chars < 1:
            raise ValueError("a send policy needs at least one attempt and room for a reply")

    def backoff(self, retry: int) -> float:
        """Seconds to wait before retry number `retry` (1 = the second attempt)."""
        return min(self.first_backoff * 2 ** (retry - 1), self.max_backoff)


DEFAULT_POLICY = SendPolicy()


class SendOutcome(DeskRecord):
    """What happened when the agent pressed Send (or Retry); `message` states it for the agent in English,
    `codes` and `params` name the same sentences for an interface that translates them."""

    recorded: bool
    delivery: Delivery
    message: str
    codes: list[str] = Field(default_factory=list)
    params: dict[str, str] = Field(default_factory=dict)
    audit_id: int | None = None
    outbox_id: int | None = None
    idempotency_key: str | None = None
    reply: Message | None = None

    @property
    def ok(self) -> bool:
        """The reply is recorded (and so will never be lost or recorded twice)."""
        return self.recorded

    @property
    def error(self) -> str:
        """What to show besides success: why nothing happened, or why delivery is not done; else ""."""
        return "" if self.recorded and self.delivery == "delivered" else self.message


def new_idempotency_key() -> str:
    """A fresh key for one composed reply (32 hex characters)."""
    return uuid.uuid4().hex


def check_row(table: Table, values: dict) -> None:
    """Raise InvalidField when a value has a NUL character or is longer than its column allows."""
    for column, value in values.items():
        label = _LABELS.get(column, column.replace("_", " "))
        if any(NUL in text for text in _strings(value)):
            raise InvalidField(f"The {label} contains a NUL character (\\0), which cannot be stored.")
        limit = _length_limit(table, column)
        if isinstance(value, str) and limit is not None and len(value) > limit:
            raise InvalidField(
                f"The {label} is {len(value):,} characters long; the limit is {limit:,}."
            )


def _length_limit(table: Table, column: str) -> int | None:
    """The declared maximum length of a String column, if it has one."""
    if column not in table.c:
        return None
    column_type = table.c[column].type
    return column_type.length if isinstance(column_type, String) else None


def _strings(value) -> Iterator[str]:
    """Every string inside a value, looking into lists, tuples and dicts (keys included)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
