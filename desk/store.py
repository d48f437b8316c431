"""The desk store: append-only audit log, ticket status, sent replies, drafts and assist cache."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from alembic.util.exc import CommandError
from sqlalchemy import Engine, Insert, Table, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

from core.settings import Settings
from core.types import AuditEvent, Message, TicketStatus
from desk import tables
from desk.db import StoreError, create_store_engine, resolve_url, safe_url
from desk.migrate import upgrade_to_head

DEFAULT_STATUS: TicketStatus = "open"
STATUSES: tuple[TicketStatus, ...] = ("open", "replied")
_JSON_FIELDS = ("citations", "flags", "prompt_versions")


def open_store(url: str | URL | None = None, settings: Settings | None = None) -> DeskStore:
    """Open (and migrate) the desk store at `url`, else ASSIST_DATABASE_URL, else var/assist.db under ASSIST_HOME."""
    resolved = resolve_url(url, settings)
    engine = None
    try:
        engine = create_store_engine(resolved)
        upgrade_to_head(engine)
    except (SQLAlchemyError, CommandError, OSError) as exc:
        if engine is not None:
            engine.dispose()
        message = f"cannot open the desk store at {safe_url(resolved)}: {_first_line(exc)}"
        raise StoreError(message) from None
    return DeskStore(engine)


def _first_line(exc: BaseException) -> str:
    """The driver's own explanation, without SQLAlchemy's statement and parameter dump."""
    cause = getattr(exc, "orig", None) or exc
    return (str(cause).strip().splitlines() or [type(cause).__name__])[0]


def _now() -> datetime:
    """The current time in UTC."""
    return datetime.now(timezone.utc)


class DeskStore:
    """Reads and writes desk records; the audit log can only be appended to and listed."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def __repr__(self) -> str:
        return f"DeskStore(url={safe_url(self._engine.url)!r})"

    def __enter__(self) -> DeskStore:
        return self

    def __exit__(self, *exc_info) -> None:
        self.dispose()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self._engine.dispose()

    # Audit log (append-only)

    def record_audit(self, event: AuditEvent) -> int:
        """Append an audit event and return the id the database gave it."""
        row = event.model_dump(exclude={"id"})
        for field in _JSON_FIELDS:
            row[field] = json.dumps(row[field], ensure_ascii=False, sort_keys=True)
        with self._engine.begin() as connection:
            result = connection.execute(tables.audit_events.insert().values(**row))
            return int(result.inserted_primary_key[0])

    def audit_events(self, ticket_id: str | None = None, limit: int = 500) -> list[AuditEvent]:
        """Audit events, newest first, optionally for one ticket."""
        table = tables.audit_events
        query = select(table).order_by(table.c.sent_at.desc(), table.c.id.desc()).limit(limit)
        if ticket_id is not None:
            query = query.where(table.c.ticket_id == ticket_id)
        with self._engine.connect() as connection:
            return [_audit_from_row(row._asdict()) for row in connection.execute(query)]

    # Ticket status

    def set_status(self, ticket_id: str, status: TicketStatus) -> None:
        """Mark a ticket open or replied."""
        if status not in STATUSES:
            raise ValueError(f"unknown ticket status {status!r}; expected one of {STATUSES}")
        values = {"ticket_id": ticket_id, "status": status, "updated_at": _now()}
        self._upsert(tables.ticket_state, values, keys=("ticket_id",))

    def status(self, ticket_id: str) -> TicketStatus:
        """A ticket's status; tickets never touched are open."""
        table = tables.ticket_state
        query = select(table.c.status).where(table.c.ticket_id == ticket_id)
        with self._engine.connect() as connection:
            return connection.execute(query).scalar_one_or_none() or DEFAULT_STATUS

    def statuses(self) -> dict[str, TicketStatus]:
        """Every recorded ticket status by ticket id (tickets missing here are open)."""
        table = tables.ticket_state
        with self._engine.connect() as connection:
            rows = connection.execute(select(table.c.ticket_id, table.c.status))
            return {ticket_id: status for ticket_id, status in rows}

    # Sent replies

    def add_sent_reply(self, ticket_id: str, agent: str, text: str, sent_at: datetime) -> Message:
        """Record a reply that went out, so it shows in the ticket thread."""
        reply = Message(role="agent", author=agent, text=text, at=tables.as_utc(sent_at))
        values = {"ticket_id": ticket_id, "agent": agent, "text": text, "sent_at": reply.at}
        with self._engine.begin() as connection:
            connection.execute(tables.sent_replies.insert().values(**values))
        return reply

    def sent_replies(self, ticket_id: str) -> list[Message]:
        """Replies sent on a ticket, oldest first."""
        table = tables.sent_replies
        query = (
            select(table.c.agent, table.c.text, table.c.sent_at)
            .where(table.c.ticket_id == ticket_id)
            .order_by(table.c.sent_at, table.c.id)
        )
        with self._engine.connect() as connection:
            return [
                Message(role="agent", author=agent, text=text, at=sent_at)
                for agent, text, sent_at in connection.execute(query)
            ]

    # Working drafts

    def save_working_draft(self, ticket_id: str, agent: str, text: str) -> None:
        """Keep the agent's current reply text, replacing any earlier version."""
        values = {"ticket_id": ticket_id, "agent": agent, "text": text, "updated_at": _now()}
        self._upsert(tables.working_drafts, values, keys=("ticket_id", "agent"))

    def working_draft(self, ticket_id: str, agent: str) -> str | None:
        """The agent's saved reply text for a ticket, if any."""
        table = tables.working_drafts
        query = select(table.c.text).where(table.c.ticket_id == ticket_id, table.c.agent == agent)
        with self._engine.connect() as connection:
            return connection.execute(query).scalar_one_or_none()

    def clear_working_draft(self, ticket_id: str, agent: str) -> None:
        """Forget the agent's saved reply text for a ticket."""
        table = tables.working_drafts
        statement = delete(table).where(table.c.ticket_id == ticket_id, table.c.agent == agent)
        with self._engine.begin() as connection:
            connection.execute(statement)

    # Assist cache

    def cache_get(self, key: str) -> str | None:
        """The cached JSON payload for a content-hash key, if any replica stored one."""
        table = tables.assist_cache
        query = select(table.c.payload).where(table.c.key == key)
        with self._engine.connect() as connection:
            return connection.execute(query).scalar_one_or_none()

    def cache_put(self, key: str, payload: str) -> None:
        """Store a JSON payload; when the key already exists the first writer's payload stays."""
        values = {"key": key, "payload": payload, "created_at": _now()}
        statement = self._insert(tables.assist_cache).values(**values).on_conflict_do_nothing()
        with self._engine.begin() as connection:
            connection.execute(statement)

    # Helpers

    def _insert(self, table: Table) -> Insert:
        """A backend insert construct that supports ON CONFLICT."""
        dialect = postgresql if self._engine.dialect.name == "postgresql" else sqlite
        return dialect.insert(table)

    def _upsert(self, table: Table, values: dict, keys: tuple[str, ...]) -> None:
        """Insert a row, or update the existing row with the same key columns."""
        statement = self._insert(table).values(**values)
        changes = {column: statement.excluded[column] for column in values if column not in keys}
        statement = statement.on_conflict_do_update(index_elements=list(keys), set_=changes)
        with self._engine.begin() as connection:
            connection.execute(statement)


def _audit_from_row(row: dict) -> AuditEvent:
    """Turn a stored audit row back into an AuditEvent."""
    for field in _JSON_FIELDS:
        row[field] = json.loads(row[field])
    return AuditEvent.model_validate(row)
