"""The desk store: append-only audit log, ticket status, sent replies, outbox, working state, assist cache."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from enum import Enum

from sqlalchemy import Connection, Engine, Insert, Table, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError

from core.settings import Settings, load_settings
from core.types import AuditEvent, Message, TicketStatus
from desk import outbox, tables
from desk.db import StoreError, create_store_engine, resolve_url, safe_url, scrub_error
from desk.encryption import NO_ENCRYPTION, EncryptionKeyError, TextCipher, cipher_from_settings, is_sealed
from desk.migrate import MigrationError, upgrade_to_head
from desk.records import (
    DEFAULT_STALE_AFTER, ChosenSuggestion, InvalidField, OutboxEntry, OutboxStatus, OutgoingReply,
    WorkingState, check_row, new_idempotency_key,
)
from desk.rows import (
    audit_from_row, audit_row, check_stored_text_opens, delete_working_state, handle_timing, insert_audit, plain,
    working_state_from_row,
)

DEFAULT_STATUS: TicketStatus = "open"
STATUSES: tuple[TicketStatus, ...] = ("open", "replied")
RATINGS = (-1, 1, None)


class Unset(Enum):
    """Marks a working-state field the caller did not pass (None is a value: "no suggestion")."""

    UNSET = "unset"


UNSET = Unset.UNSET


def open_store(url: str | URL | None = None, settings: Settings | None = None) -> DeskStore:
    """Open (and migrate) the desk store at `url`, else ASSIST_DATABASE_URL, else var/assist.db under ASSIST_HOME;
    text is encrypted at rest with ASSIST_ENCRYPTION_KEY when it is set."""
    settings = settings or load_settings()
    cipher = cipher_from_settings(settings)
    resolved = resolve_url(url, settings)
    engine = None
    try:
        engine = create_store_engine(resolved)
        upgrade_to_head(engine)
        check_stored_text_opens(engine, cipher)
    except EncryptionKeyError:
        engine.dispose()
        raise
    except (SQLAlchemyError, MigrationError, OSError) as exc:
        if engine is not None:
            engine.dispose()
        message = f"cannot open the desk store at {safe_url(resolved)}: {_first_line(exc)}"
        raise StoreError(message) from None
    return DeskStore(engine, cipher)


def _first_line(exc: BaseException) -> str:
    """The driver's own explanation, without SQLAlchemy's statement and parameter dump."""
    cause = getattr(exc, "orig", None) or exc
    return (str(cause).strip().splitlines() or [type(cause).__name__])[0]


def _now() -> datetime:
    """The current time in UTC."""
    return datetime.now(timezone.utc)


class DeskStore:
    """Reads and writes desk records; the audit log can only be appended to and listed (and its text
    purged). Reply, draft, audit and cached assist text go through the cipher on their way in and out."""

    def __init__(self, engine: Engine, cipher: TextCipher = NO_ENCRYPTION) -> None:
        self._engine = engine
        self._cipher = cipher

    def __repr__(self) -> str:
        return f"DeskStore(url={safe_url(self._engine.url)!r}, encrypted={self._cipher.enabled})"

    def __enter__(self) -> DeskStore:
        return self

    def __exit__(self, *exc_info) -> None:
        self.dispose()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self._engine.dispose()

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine, for modules that keep their own tables in the same database."""
        return self._engine

    @property
    def cipher(self) -> TextCipher:
        """How stored text is sealed and opened, for modules that read or rewrite it (purge, privacy)."""
        return self._cipher

    # Audit log (append-only)

    def record_audit(self, event: AuditEvent) -> int:
        """Append an audit event and return the id the database gave it."""
        row = audit_row(event, self._cipher)
        with self._begin() as connection:
            return insert_audit(connection, row)

    def audit_events(self, ticket_id: str | None = None, limit: int = 500) -> list[AuditEvent]:
        """Audit events, newest first, optionally for one ticket."""
        table = tables.audit_events
        query = select(table).order_by(table.c.sent_at.desc(), table.c.id.desc()).limit(limit)
        if ticket_id is not None:
            query = query.where(table.c.ticket_id == ticket_id)
        with self._connect() as connection:
            return [audit_from_row(row._asdict(), self._cipher) for row in connection.execute(query)]

    # Ticket status

    def set_status(self, ticket_id: str, status: TicketStatus) -> None:
        """Mark a ticket open or replied."""
        if status not in STATUSES:
            raise ValueError(f"unknown ticket status {status!r}; expected one of {STATUSES}")
        values = {"ticket_id": ticket_id, "status": status, "updated_at": _now()}
        check_row(tables.ticket_state, values)
        with self._begin() as connection:
            connection.execute(self._upsert(tables.ticket_state, values, keys=("ticket_id",)))
            if status == "replied":  # the queue's ticket now waits for the customer
                table = tables.tickets
                connection.execute(update(table).where(table.c.id == ticket_id).values(
                    status="pending", updated_at=values["updated_at"]))

    def status(self, ticket_id: str) -> TicketStatus:
        """A ticket's status; tickets never touched are open."""
        table = tables.ticket_state
        query = select(table.c.status).where(table.c.ticket_id == ticket_id)
        with self._connect() as connection:
            return connection.execute(query).scalar_one_or_none() or DEFAULT_STATUS

    def statuses(self) -> dict[str, TicketStatus]:
        """Every recorded ticket status by ticket id (tickets missing here are open)."""
        table = tables.ticket_state
        with self._connect() as connection:
            rows = connection.execute(select(table.c.ticket_id, table.c.status))
            return {ticket_id: status for ticket_id, status in rows}

    # Sent replies

    def add_sent_reply(self, ticket_id: str, agent: str, text: str, sent_at: datetime) -> Message:
        """Record a reply that went out, so it shows in the ticket thread."""
        reply = Message(role="agent", author=agent, text=text, at=tables.as_utc(sent_at))
        values = {"ticket_id": ticket_id, "agent": agent, "text": text, "sent_at": reply.at}
        check_row(tables.sent_replies, values)
        values["text"] = self._cipher.seal(text)
        with self._begin() as connection:
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
        with self._connect() as connection:
            return [
                Message(role="agent", author=agent, text=self._cipher.open(text, "sent reply"), at=sent_at)
                for agent, text, sent_at in connection.execute(query)
            ]

    # Sending: record first, then deliver through the outbox

    def record_send(self, reply: OutgoingReply, event: AuditEvent) -> tuple[OutboxEntry, bool]:
        """Record a reply before delivery, in one transaction: pending outbox row, sent reply, ticket
        replied, audit event, working state cleared. A key seen before records nothing: (its entry, False)."""
        queued = reply.model_dump() | {"status": "pending", "attempts": 0, "created_at": event.sent_at,
                                       "updated_at": event.sent_at}
        sent = {"ticket_id": reply.ticket_id, "agent": reply.agent, "text": reply.text,
                "sent_at": event.sent_at}
        replied = {"ticket_id": reply.ticket_id, "status": "replied", "updated_at": event.sent_at}
        check_row(tables.outbox, queued)
        audit_values = audit_row(event, self._cipher)
        queued["text"] = sent["text"] = self._cipher.seal(reply.text)
        with self._begin() as connection:
            outbox_id = outbox.insert_pending(connection, self._insert(tables.outbox), queued)
            if outbox_id is None:
                return self._entry_for_known_key(connection, reply.idempotency_key), False
            audit_values |= handle_timing(connection, reply.ticket_id, reply.agent, event.sent_at)
            connection.execute(tables.sent_replies.insert().values(**sent))
            connection.execute(self._upsert(tables.ticket_state, replied, keys=("ticket_id",)))
            outbox.link_audit(connection, outbox_id, insert_audit(connection, audit_values))
            connection.execute(delete_working_state(reply.ticket_id, reply.agent))
            return outbox.entry_by_id(connection, outbox_id, self._cipher), True

    def outbox_entry(self, outbox_id: int) -> OutboxEntry | None:
        """The outbox entry with this id, if any."""
        with self._connect() as connection:
            return outbox.entry_by_id(connection, outbox_id, self._cipher)

    def outbox_entry_for_key(self, idempotency_key: str) -> OutboxEntry | None:
        """The outbox entry recorded under this idempotency key, if any."""
        with self._connect() as connection:
            return outbox.entry_by_key(connection, idempotency_key, self._cipher)

    def claim_delivery(self, outbox_id: int, stale_after: timedelta = DEFAULT_STALE_AFTER) -> bool:
        """Take the entry for delivery (pending, failed or abandoned); only the caller that gets True delivers."""
        now = _now()
        with self._begin() as connection:
            return outbox.claim(connection, outbox_id, now, now - stale_after)

    def note_attempt(self, outbox_id: int) -> bool:
        """Count a delivery attempt on a claimed entry; False means the claim was lost."""
        with self._begin() as connection:
            return outbox.note_attempt(connection, outbox_id, _now())

    def mark_delivered(self, outbox_id: int) -> bool:
        """A claimed entry reached the customer's channel."""
        with self._begin() as connection:
            return outbox.finish(connection, outbox_id, "delivered", _now())

    def mark_failed(self, outbox_id: int, reason: str) -> bool:
        """A claimed entry could not be delivered; `reason` is short and never the reply text."""
        with self._begin() as connection:
            return outbox.finish(connection, outbox_id, "failed", _now(), reason)

    def undelivered(
        self, ticket_id: str | None = None, stale_after: timedelta = DEFAULT_STALE_AFTER
    ) -> list[OutboxEntry]:
        """Entries a Retry could deliver now (pending, failed, abandoned while sending), oldest first."""
        query = outbox.undelivered_query(ticket_id, _now() - stale_after)
        with self._connect() as connection:
            return [outbox.entry_from_row(row._asdict(), self._cipher) for row in connection.execute(query)]

    def delivery_status(self, audit_id: int) -> OutboxStatus | None:
        """How delivery of the reply behind an audit event went; None for events without an outbox entry."""
        table = tables.outbox
        query = select(table.c.status).where(table.c.audit_id == audit_id)
        with self._connect() as connection:
            return connection.execute(query).scalar_one_or_none()

    def delivery_statuses(self, ticket_id: str | None = None) -> dict[int, OutboxStatus]:
        """Delivery status by audit event id, optionally for one ticket."""
        table = tables.outbox
        query = select(table.c.audit_id, table.c.status).where(table.c.audit_id.is_not(None))
        if ticket_id is not None:
            query = query.where(table.c.ticket_id == ticket_id)
        with self._connect() as connection:
            return {audit_id: status for audit_id, status in connection.execute(query)}

    def _entry_for_known_key(self, connection: Connection, key: str) -> OutboxEntry:
        """The entry that made an insert under `key` conflict."""
        entry = outbox.entry_by_key(connection, key, self._cipher)
        if entry is None:
            raise StoreError("the outbox reported a duplicate key but holds no entry for it")
        return entry

    # Working state (what an agent is composing)

    def save_working_state(
        self,
        ticket_id: str,
        agent: str,
        *,
        text: str | Unset = UNSET,
        suggestion: ChosenSuggestion | dict | None | Unset = UNSET,
        rating: int | None | Unset = UNSET,
        idempotency_key: str | None | Unset = UNSET,
    ) -> None:
        """Change only the given fields of the agent's working state on a ticket, creating it if needed."""
        given = {"text": text, "suggestion": suggestion, "rating": rating,
                 "idempotency_key": idempotency_key}
        changes = {field: value for field, value in given.items() if value is not UNSET}
        if "rating" in changes and changes["rating"] not in RATINGS:
            raise InvalidField(f"The rating must be -1, 1 or None, not {changes['rating']!r}.")
        if changes.get("suggestion") is not None:
            changes["suggestion"] = ChosenSuggestion.model_validate(changes["suggestion"])
        now = _now()
        values = {"ticket_id": ticket_id, "agent": agent, "text": "", **changes, "updated_at": now}
        check_row(tables.working_state, plain(values))
        if values.get("suggestion") is not None:
            values["suggestion"] = self._cipher.seal(values["suggestion"].model_dump_json())
        typed = bool(str(changes.get("text") or "").strip())
        values["text"] = self._cipher.seal(values["text"])
        values |= {"opened_at": now} | ({"first_typed_at": now} if typed else {})
        table = tables.working_state
        statement = self._insert(table).values(**values)
        updates = {column: statement.excluded[column] for column in (*changes, "updated_at")}
        updates["opened_at"] = func.coalesce(table.c.opened_at, statement.excluded.opened_at)
        if typed:
            updates["first_typed_at"] = func.coalesce(table.c.first_typed_at, statement.excluded.first_typed_at)
        statement = statement.on_conflict_do_update(index_elements=["ticket_id", "agent"], set_=updates)
        with self._begin() as connection:
            connection.execute(statement)

    def note_opened(self, ticket_id: str, agent: str) -> None:
        """Remember, on the server clock, when the agent first opened the ticket for the reply being
        composed (the start of its handle time); opening it again changes nothing."""
        now = _now()
        table = tables.working_state
        values = {"ticket_id": ticket_id, "agent": agent, "text": self._cipher.seal(""), "updated_at": now,
                  "opened_at": now}
        check_row(table, {"ticket_id": ticket_id, "agent": agent})
        statement = self._insert(table).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=["ticket_id", "agent"],
            set_={"opened_at": func.coalesce(table.c.opened_at, statement.excluded.opened_at)},
        )
        with self._begin() as connection:
            connection.execute(statement)

    def working_state(self, ticket_id: str, agent: str) -> WorkingState | None:
        """The agent's working state on a ticket, if any."""
        table = tables.working_state
        query = select(table).where(table.c.ticket_id == ticket_id, table.c.agent == agent)
        with self._connect() as connection:
            row = connection.execute(query).first()
        return None if row is None else working_state_from_row(row._asdict(), self._cipher)

    def clear_working_state(self, ticket_id: str, agent: str) -> None:
        """Forget what the agent was composing on a ticket."""
        with self._begin() as connection:
            connection.execute(delete_working_state(ticket_id, agent))

    def ensure_idempotency_key(self, ticket_id: str, agent: str) -> str:
        """The key of the reply the agent is composing, made and stored on first use (safe across replicas)."""
        table = tables.working_state
        values = {"ticket_id": ticket_id, "agent": agent, "text": "",
                  "idempotency_key": new_idempotency_key(), "updated_at": _now()}
        check_row(table, values)
        statement = self._insert(table).values(**values)
        kept = func.coalesce(table.c.idempotency_key, statement.excluded.idempotency_key)
        statement = statement.on_conflict_do_update(
            index_elements=["ticket_id", "agent"], set_={"idempotency_key": kept}
        ).returning(table.c.idempotency_key)
        with self._begin() as connection:
            return connection.execute(statement).scalar_one()

    def save_working_draft(self, ticket_id: str, agent: str, text: str) -> None:
        """Keep the agent's current reply text (the rest of the working state stays)."""
        self.save_working_state(ticket_id, agent, text=text)

    def working_draft(self, ticket_id: str, agent: str) -> str | None:
        """The agent's saved reply text for a ticket, if any."""
        state = self.working_state(ticket_id, agent)
        return None if state is None else state.text

    def clear_working_draft(self, ticket_id: str, agent: str) -> None:
        """Forget the agent's working state for a ticket (text, suggestion, rating and key)."""
        self.clear_working_state(ticket_id, agent)

    # Assist cache

    # Results hold the customer's restored details (card numbers, order ids), so they are only kept
    # encrypted: without ASSIST_ENCRYPTION_KEY the shared cache is off (each process keeps its own memo).

    def cache_get(self, key: str) -> str | None:
        """The cached JSON payload for a content-hash key, if any replica stored one this store can open."""
        if not self._cipher.enabled:
            return None
        table = tables.assist_cache
        query = select(table.c.payload).where(table.c.key == key)
        with self._connect() as connection:
            payload = connection.execute(query).scalar_one_or_none()
        try:
            return self._cipher.open(payload) if payload and is_sealed(payload) else None
        except EncryptionKeyError:  # sealed with a retired key: useless to every replica with this key set
            with self._begin() as connection:
                connection.execute(delete(table).where(table.c.key == key))
            return None

    def cache_put(self, key: str, payload: str) -> None:
        """Store a JSON payload encrypted; when the key already exists the first writer's payload stays.
        Without an encryption key nothing is stored."""
        if not self._cipher.enabled:
            return
        values = {"key": key, "payload": payload, "created_at": _now()}
        check_row(tables.assist_cache, values)
        values["payload"] = self._cipher.seal(payload)
        statement = self._insert(tables.assist_cache).values(**values).on_conflict_do_nothing()
        with self._begin() as connection:
            connection.execute(statement)

    # For modules that keep their own queries on the store's tables (feedback, reports)

    def connection(self):
        """A read connection whose database errors never carry row values."""
        return self._connect()

    def transaction(self):
        """A transaction whose database errors never carry row values."""
        return self._begin()

    def insert(self, table: Table) -> Insert:
        """This backend's insert construct, which supports ON CONFLICT."""
        return self._insert(table)

    # Helpers

    @contextmanager
    def _connect(self) -> Iterator[Connection]:
        """A connection whose database errors never carry row values (see `scrub_error`)."""
        try:
            with self._engine.connect() as connection:
                yield connection
        except SQLAlchemyError as exc:
            raise scrub_error(exc)

    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        """A transaction whose database errors never carry row values (see `scrub_error`)."""
        try:
            with self._engine.begin() as connection:
                yield connection
        except SQLAlchemyError as exc:
            raise scrub_error(exc)

    def _insert(self, table: Table) -> Insert:
        """A backend insert construct that supports ON CONFLICT."""
        dialect = postgresql if self._engine.dialect.name == "postgresql" else sqlite
        return dialect.insert(table)

    def _upsert(
        self, table: Table, values: dict, keys: tuple[str, ...], changing: tuple[str, ...] = ()
    ) -> Insert:
        """An insert that, when a row with the same key columns exists, updates that row's `changing`
        columns (by default every non-key column given)."""
        statement = self._insert(table).values(**values)
        columns = changing or [column for column in values if column not in keys]
        changes = {column: statement.excluded[column] for column in columns}
        return statement.on_conflict_do_update(index_elements=list(keys), set_=changes)
