"""Replies that point at a missing or weak knowledge-base article: the assistant abstained, the agent wrote
without a suggestion, or the agent rewrote most of the suggestion.

The choice is made in the database (the lead's `AuditFilter` plus the gap condition); only the texts of the
chosen replies are opened.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import and_, false, or_, select, true

from desk import tables
from desk.report import AuditFilter
from desk.store import DeskStore

GapReason = Literal["abstained", "no_suggestion", "heavy_edit"]
GAP_REASONS: tuple[GapReason, ...] = ("abstained", "no_suggestion", "heavy_edit")
HEAVY_EDIT = 0.5  # normalised character edit distance from which a suggestion counts as rewritten
DEFAULT_LIMIT = 2000


@dataclass(frozen=True)
class GapCandidate:
    """One sent reply that suggests the knowledge base lacks (or poorly covers) what the customer asked."""

    audit_id: int
    why: GapReason
    question: str  # the customer's latest message, personal data masked when it was recorded
    sent: str
    intent: str
    language: str
    ticket_id: str
    agent: str
    sent_at: datetime


def gap_condition(heavy_edit: float = HEAVY_EDIT):
    """WHERE: abstained, or written without a suggestion, or a suggestion edited by at least `heavy_edit`."""
    table = tables.audit_events
    return or_(table.c.abstained == true(), table.c.used_suggestion == false(),
               and_(table.c.used_suggestion == true(), table.c.edit_distance >= heavy_edit))


def gap_reason(abstained: bool, used_suggestion: bool) -> GapReason:
    """Why a reply matched the gap condition; an abstention counts first, then a missing suggestion."""
    if abstained:
        return "abstained"
    return "heavy_edit" if used_suggestion else "no_suggestion"


def gap_candidates(store: DeskStore, audit_filter: AuditFilter = AuditFilter(), heavy_edit: float = HEAVY_EDIT,
                   limit: int = DEFAULT_LIMIT) -> list[GapCandidate]:
    """The newest `limit` replies matching the lead's filter and the gap condition, texts opened."""
    table, box = tables.audit_events, tables.outbox
    columns = [table.c[name] for name in ("id", "ticket_id", "agent", "sent_at", "intent", "language", "abstained",
                                          "used_suggestion", "question", "sent")]
    query = (select(*columns).select_from(table.outerjoin(box, box.c.audit_id == table.c.id))
             .where(and_(true(), *audit_filter.conditions(), gap_condition(heavy_edit)))
             .order_by(table.c.sent_at.desc(), table.c.id.desc()).limit(limit))
    with store.connection() as connection:
        rows = connection.execute(query).all()
    cipher = store.cipher
    return [GapCandidate(audit_id=row.id, why=gap_reason(bool(row.abstained), bool(row.used_suggestion)),
                         question=cipher.open(row.question or "", "audit text"), sent=cipher.open(row.sent, "audit text"),
                         intent=row.intent or "", language=row.language or "", ticket_id=row.ticket_id, agent=row.agent,
                         sent_at=tables.as_utc(row.sent_at)) for row in rows]
