"""Retention: reply and draft text older than ASSIST_RETENTION_DAYS is removed, the numbers stay.

Audit events keep every number and time (edit distance, similarity, rating, when it was suggested and
sent) so leads' metrics survive; their text is replaced by REMOVED_TEXT and the event gets the
TEXT_REMOVED flag (plus `unedited` when the reply went out as suggested). This is the one change the
audit log ever sees. Sent replies and delivered outbox entries keep their row with the text replaced;
an undelivered entry keeps its text so a retry still sends the real reply. Feedback keeps its rating and reason
without the rated draft and the comment. Working drafts and cached assist results are deleted.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, fields
from datetime import datetime, timedelta, timezone

from sqlalchemy import Connection, ColumnElement, delete, func, select, update

from desk import tables
from desk.encryption import TextCipher
from desk.records import REMOVED_TEXT, TEXT_REMOVED_FLAG, UNEDITED_FLAG
from desk.store import DeskStore


@dataclass
class RemovalCounts:
    """How many rows had their text removed (or were deleted), by kind."""

    audit_events: int = 0
    sent_replies: int = 0
    outbox_replies: int = 0
    undelivered_kept: int = 0
    working_drafts: int = 0
    cached_results: int = 0
    feedback_texts: int = 0

    def lines(self) -> list[str]:
        """One line per kind, for the command's report."""
        return [
            f"  audit events anonymised: {self.audit_events} (edit distance, similarity, rating and times kept)",
            f"  sent replies anonymised: {self.sent_replies}",
            f"  delivered outbox replies anonymised: {self.outbox_replies}",
            f"  undelivered outbox replies kept for a retry: {self.undelivered_kept}",
            f"  working drafts deleted: {self.working_drafts}",
            f"  cached assist results deleted: {self.cached_results}",
            f"  feedback anonymised: {self.feedback_texts} (rating and reason kept)",
        ]

    def total(self) -> int:
        """Rows changed or deleted, all kinds together (undelivered entries kept do not count)."""
        return sum(getattr(self, f.name) for f in fields(self) if f.name != "undelivered_kept")


def purge_text(store: DeskStore, older_than: timedelta, dry_run: bool = False,
               now: datetime | None = None) -> tuple[datetime, RemovalCounts]:
    """Remove text older than `older_than` (dry run: count only, change nothing); returns the cutoff and counts."""
    cutoff = (now or datetime.now(timezone.utc)) - older_than
    with store.engine.connect() as connection:
        counts = RemovalCounts(
            audit_events=anonymise_audit(connection, store.cipher, tables.audit_events.c.sent_at < cutoff),
            sent_replies=anonymise_sent_replies(connection, tables.sent_replies.c.sent_at < cutoff),
            outbox_replies=anonymise_delivered_outbox(connection, tables.outbox.c.created_at < cutoff),
            undelivered_kept=_count(connection, tables.outbox, (tables.outbox.c.created_at < cutoff)
                                    & (tables.outbox.c.status != "delivered")),
            working_drafts=_delete(connection, tables.working_state, tables.working_state.c.updated_at < cutoff),
            cached_results=_delete(connection, tables.assist_cache, tables.assist_cache.c.created_at < cutoff),
            feedback_texts=anonymise_feedback(connection, tables.feedback.c.updated_at < cutoff),
        )
        connection.rollback() if dry_run else connection.commit()
    return cutoff, counts


def anonymise_audit(connection: Connection, cipher: TextCipher, where: ColumnElement) -> int:
    """Replace the text of matching audit events not anonymised yet, keeping numbers and times."""
    table = tables.audit_events
    query = select(table.c.id, table.c.suggested, table.c.sent, table.c.flags).where(where, table.c.sent != REMOVED_TEXT)
    rows = connection.execute(query).all()
    for row in rows:
        suggested, sent = cipher.open(row.suggested, "audit text"), cipher.open(row.sent, "audit text")
        flags = json.loads(row.flags)
        added = [TEXT_REMOVED_FLAG] + ([UNEDITED_FLAG] if sent == suggested else [])
        flags += [flag for flag in added if flag not in flags]
        values = {"suggested": REMOVED_TEXT if suggested else "", "sent": REMOVED_TEXT, "question": "",
                  "flags": json.dumps(flags, ensure_ascii=False, sort_keys=True)}
        connection.execute(update(table).where(table.c.id == row.id).values(**values))
    return len(rows)


def anonymise_feedback(connection: Connection, where: ColumnElement) -> int:
    """Replace the rated draft and the comment of matching feedback; the rating and the reason stay."""
    table = tables.feedback
    statement = update(table).where(where, table.c.suggested != REMOVED_TEXT)
    return connection.execute(statement.values(suggested=REMOVED_TEXT, comment="")).rowcount


def anonymise_sent_replies(connection: Connection, where: ColumnElement) -> int:
    """Replace the text of matching sent replies; the thread keeps who replied when."""
    table = tables.sent_replies
    statement = update(table).where(where, table.c.text != REMOVED_TEXT).values(text=REMOVED_TEXT)
    return connection.execute(statement).rowcount


def anonymise_delivered_outbox(connection: Connection, where: ColumnElement) -> int:
    """Replace the text of matching delivered outbox entries (undelivered ones still need theirs)."""
    table = tables.outbox
    statement = update(table).where(where, table.c.status == "delivered", table.c.text != REMOVED_TEXT)
    return connection.execute(statement.values(text=REMOVED_TEXT)).rowcount


def _delete(connection: Connection, table, where: ColumnElement) -> int:
    """Delete matching rows and count them."""
    return connection.execute(delete(table).where(where)).rowcount


def _count(connection: Connection, table, where: ColumnElement) -> int:
    """Count matching rows."""
    return connection.execute(select(func.count()).select_from(table).where(where)).scalar_one()
