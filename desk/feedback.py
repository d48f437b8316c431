"""Feedback on suggestions: a thumbs rating with a reason and a comment, one per user and suggestion.

A suggestion is a draft as shown: the same ticket, engine, tone and text make the same suggestion, so an
agent and a lead who rate it each have their own row, and changing a rating updates that row.
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

from pydantic import Field
from sqlalchemy import func, select

from desk import tables
from desk.records import DeskRecord, InvalidField, check_row
from desk.store import DeskStore

REASONS = tables.FEEDBACK_REASONS
MAX_COMMENT_CHARS = 2000


class Feedback(DeskRecord):
    """One user's rating of one suggestion."""

    suggestion_key: str
    user: str
    ticket_id: str
    rating: int = Field(ge=-1, le=1)
    reason: str = ""
    comment: str = ""
    suggested: str = ""
    engine: str = ""
    model: str = ""
    tone: str = ""
    intent: str = ""
    prompt_versions: dict[str, str] = Field(default_factory=dict)
    created_at: datetime | None = None
    updated_at: datetime | None = None


def suggestion_key(ticket_id: str, engine: str, tone: str, text: str) -> str:
    """The stable key of a suggestion as shown (32 hex characters)."""
    digest = hashlib.sha256("\x1f".join((ticket_id, engine, tone, text)).encode("utf-8"))
    return digest.hexdigest()[:32]


def check_feedback(feedback: Feedback) -> None:
    """Raise InvalidField for a rating, reason or comment the store cannot keep."""
    if feedback.rating not in (-1, 1):
        raise InvalidField("The rating must be thumbs up (1) or thumbs down (-1).")
    if feedback.reason and feedback.reason not in REASONS:
        raise InvalidField(f"Unknown feedback reason {feedback.reason!r}; expected one of {', '.join(REASONS)}.")
    if len(feedback.comment) > MAX_COMMENT_CHARS:
        raise InvalidField(f"The comment is {len(feedback.comment):,} characters long; the limit is "
                           f"{MAX_COMMENT_CHARS:,}.")


def save_feedback(store: DeskStore, feedback: Feedback) -> None:
    """Record or update this user's feedback on the suggestion (never a second row)."""
    check_feedback(feedback)
    now = datetime.now(timezone.utc)
    values = feedback.model_dump(exclude={"created_at", "updated_at"})
    check_row(tables.feedback, values)
    values["prompt_versions"] = json.dumps(values["prompt_versions"], ensure_ascii=False, sort_keys=True)
    values["suggested"] = store.cipher.seal(values["suggested"])
    values["comment"] = store.cipher.seal(values["comment"])
    table = tables.feedback
    statement = store.insert(table).values(**values, created_at=now, updated_at=now)
    changing = ("rating", "reason", "comment", "updated_at")
    statement = statement.on_conflict_do_update(
        index_elements=["suggestion_key", "user"], set_={c: statement.excluded[c] for c in changing})
    with store.transaction() as connection:
        connection.execute(statement)


def feedback_for(store: DeskStore, key: str, user: str) -> Feedback | None:
    """This user's feedback on the suggestion, if any."""
    table = tables.feedback
    query = select(table).where(table.c.suggestion_key == key, table.c.user == user)
    with store.connection() as connection:
        row = connection.execute(query).first()
    return None if row is None else _from_row(row._asdict(), store)


def list_feedback(store: DeskStore, since: datetime | None = None, until: datetime | None = None,
                  rating: int | None = None, limit: int | None = None) -> list[Feedback]:
    """Feedback rows, newest change first, optionally by time window and rating."""
    table = tables.feedback
    query = select(table).order_by(table.c.updated_at.desc(), table.c.id.desc())
    if since is not None:
        query = query.where(table.c.updated_at >= since)
    if until is not None:
        query = query.where(table.c.updated_at < until)
    if rating is not None:
        query = query.where(table.c.rating == rating)
    if limit is not None:
        query = query.limit(limit)
    with store.connection() as connection:
        return [_from_row(row._asdict(), store) for row in connection.execute(query)]


def count_feedback(store: DeskStore) -> int:
    """How many feedback rows there are."""
    with store.connection() as connection:
        return connection.execute(select(func.count()).select_from(tables.feedback)).scalar_one()


def _from_row(row: dict, store: DeskStore) -> Feedback:
    row.pop("id", None)
    row["prompt_versions"] = json.loads(row["prompt_versions"] or "{}")
    row["suggested"] = store.cipher.open(row["suggested"], "feedback text")
    row["comment"] = store.cipher.open(row["comment"], "feedback comment")
    return Feedback.model_validate(row)
