"""Past replies the desk has sent, as candidates for "similar past tickets": the customer's question (masked when
it was recorded) and the reply an agent sent to it, newest first, one per ticket."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from desk import tables
from desk.store import DeskStore

DEFAULT_LIMIT = 300  # the newest replies searched; enough for a team's recent history, cheap to embed once


@dataclass(frozen=True)
class PastReply:
    """A reply sent on another ticket, with the question it answered."""

    audit_id: int
    ticket_id: str
    question: str
    sent: str
    intent: str
    language: str
    agent: str
    sent_at: datetime


def past_replies(store: DeskStore, exclude_ticket_id: str | None = None, limit: int = DEFAULT_LIMIT) -> list[PastReply]:
    """The newest sent reply of each of the latest tickets (not `exclude_ticket_id`) that recorded a question."""
    table = tables.audit_events
    query = (select(table.c.id, table.c.ticket_id, table.c.question, table.c.sent, table.c.intent, table.c.language,
                    table.c.agent, table.c.sent_at)
             .where(table.c.question != "")
             .order_by(table.c.sent_at.desc(), table.c.id.desc()).limit(limit * 3))
    if exclude_ticket_id is not None:
        query = query.where(table.c.ticket_id != exclude_ticket_id)
    with store.connection() as connection:
        rows = connection.execute(query).all()
    cipher, seen, found = store.cipher, set(), []
    for row in rows:
        if row.ticket_id in seen:
            continue
        seen.add(row.ticket_id)
        question, sent = cipher.open(row.question, "audit text"), cipher.open(row.sent, "audit text")
        if question.strip() and sent.strip():
            found.append(PastReply(audit_id=row.id, ticket_id=row.ticket_id, question=question, sent=sent,
                                   intent=row.intent or "", language=row.language or "", agent=row.agent,
                                   sent_at=tables.as_utc(row.sent_at)))
        if len(found) >= limit:
            break
    return found
