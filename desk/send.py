"""Sending a reply: record it first, then deliver it exactly once through the outbox and a sender.

`send_reply` records the reply, its audit event and the ticket status in one transaction under the
reply's idempotency key, and only then delivers it; `retry_delivery` re-attempts an undelivered entry.
A key that was recorded before is never recorded or delivered again.
"""
from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Protocol
from urllib.parse import unquote, urlsplit, urlunsplit

import httpx
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError

from core.types import AuditEvent, Message, SuggestionRecord, Ticket
from desk import tables
from desk.db import StoreError
from desk.records import (
    DEFAULT_POLICY, UNEDITED_FLAG, Delivery, InvalidField, OutboxEntry, OutgoingReply, SendOutcome, SendPolicy,
    check_row, new_idempotency_key,
)
from desk.store import DeskStore
from desk.text_metrics import normalized_edit_distance, similarity

__all__ = [
    "DEFAULT_POLICY", "RecordSender", "SendError", "SendOutcome", "SendPolicy", "Sender",
    "SuggestionRecord", "WebhookSender", "build_audit_event", "new_idempotency_key",
    "reply_problem", "retry_delivery", "send_reply",
]

log = logging.getLogger(__name__)

NOTHING_DONE = "Nothing was sent or recorded; your text is kept."
# What Send and Retry say, by code; the interface translates the same codes (assist_ui/catalogs/send.py).
OUTCOME_MESSAGES: dict[str, str] = {
    "empty": "The reply is empty. Write a reply before sending. " + NOTHING_DONE,
    "empty_key": "The reply has an empty idempotency key. " + NOTHING_DONE,
    "too_long": "The reply is {length} characters long; the limit is {limit}. Shorten it before sending. " + NOTHING_DONE,
    "invalid": "{reason}. " + NOTHING_DONE,
    "key_reused": "This reply's idempotency key was already used for a different reply. " + NOTHING_DONE,
    "not_recorded": "Not sent and not recorded: {reason}; your text is kept.",
    "not_retried": "Not retried: {reason}; nothing was sent.",
    "no_entry": "There is no outbox entry {outbox_id}; nothing was sent.",
    "other_ticket": "Outbox entry {outbox_id} belongs to another ticket; nothing was sent.",
    "already_delivered": "Already delivered; nothing was sent again.",
    "claim_failed": "Recorded, but not delivered yet: {reason}. Retry from the outbox when the database is back.",
    "elsewhere": "Recorded; this reply is being delivered by another send right now.",
    "stopped": "Recorded, but delivery stopped: {reason}. Retry from the outbox once the database is back.",
    "recorded_only": "Reply recorded. No delivery channel is set up for this ticket, so it did not reach the customer: "
                     "send it from your helpdesk.",
    "delivered": "Reply recorded and delivered.",
    "failed": "Recorded, but not delivered: {reason}. It is kept in the outbox; Retry delivers it (never twice).",
    "unnoted": "The outbox could not note this yet.",
    "known_delivered": "Already recorded and delivered; nothing was sent again.",
    "known_failed": "Already recorded, but not delivered: {reason}. Retry from the outbox delivers it.",
    "known_pending": "Already recorded; its delivery is in progress.",
}
EMPTY_REPLY_ERROR = OUTCOME_MESSAGES["empty"]


@dataclass(frozen=True)
class Said:
    """One or more outcome sentences (codes of OUTCOME_MESSAGES) and the values they mention."""

    codes: tuple[str, ...]
    params: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return " ".join(OUTCOME_MESSAGES[code].format(**self.params) for code in self.codes)


def said(*codes: str, **params: object) -> Said:
    return Said(codes, {name: str(value) for name, value in params.items()})
JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8"}
IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_REASON_CHARS = 160


class SendError(RuntimeError):
    """The reply could not be delivered; the message says why, without credentials."""


class Sender(Protocol):
    """Delivers a reply to the customer's channel."""

    def send(self, ticket: Ticket, text: str, agent: str, idempotency_key: str) -> None:
        """Deliver `text` on `ticket`, or raise SendError; the same key means the same reply."""


class RecordSender:
    """Delivers nowhere: recording the reply in the desk store is the send (demo, offline use)."""

    def send(self, ticket: Ticket, text: str, agent: str, idempotency_key: str) -> None:
        """Accept the reply; the caller's record is the only trace."""

    def delivers_to(self, ticket: Ticket) -> bool:
        """Nothing reaches the customer: the agent is told the reply was recorded, not delivered."""
        return False

    def __repr__(self) -> str:
        return "RecordSender()"


class WebhookSender:
    """POSTs each reply as JSON {ticket_id, agent, text, channel, idempotency_key} to a helpdesk webhook.

    The key also goes in an `Idempotency-Key` header, so the helpdesk can drop a retried POST it
    already accepted. One httpx client per sender keeps connections open between sends; redirects
    are not followed, because a redirected POST is not a delivered reply.
    """

    def __init__(self, url: str, timeout: float = 10) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("the webhook URL must be an http:// or https:// URL with a host")
        netloc = _netloc_without_credentials(parts)
        self._url = urlunsplit(parts._replace(netloc=netloc))
        self._display = urlunsplit((parts.scheme, netloc, parts.path, "", ""))
        self.timeout = timeout
        self._client = httpx.Client(
            auth=_basic_auth(parts.username, parts.password),
            timeout=timeout,
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"WebhookSender(url={self._display!r}, timeout={self.timeout})"

    def send(self, ticket: Ticket, text: str, agent: str, idempotency_key: str) -> None:
        """POST the reply; a network error, a timeout or a non-2xx answer raises SendError."""
        body = {"ticket_id": ticket.id, "agent": agent, "text": text, "channel": ticket.channel,
                "idempotency_key": idempotency_key}
        headers = JSON_HEADERS | {IDEMPOTENCY_HEADER: idempotency_key}
        try:
            response = self._client.post(self._url, content=_json_bytes(body), headers=headers)
        except httpx.TimeoutException:
            raise SendError(
                f"the webhook {self._display} did not answer within {self.timeout} s"
            ) from None
        except (httpx.HTTPError, OSError) as exc:
            reason = str(exc) or type(exc).__name__
            raise SendError(f"the webhook {self._display} could not be reached: {reason}") from None
        if not response.is_success:
            raise SendError(f"the webhook {self._display} answered HTTP {response.status_code}")

    def close(self) -> None:
        """Close the sender's open connections."""
        self._client.close()


def _json_bytes(body: dict) -> bytes:
    """The body as UTF-8 JSON, non-ASCII text kept as is."""
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def _netloc_without_credentials(parts) -> str:
    """host[:port] of a split URL, dropping any user:password@ prefix."""
    return parts.netloc.rpartition("@")[2]


def _basic_auth(username: str | None, password: str | None) -> httpx.BasicAuth | None:
    """Basic auth from credentials given in the URL (percent-decoded), or None without any."""
    if username is None:
        return None
    return httpx.BasicAuth(unquote(username), unquote(password or ""))


@dataclass(frozen=True)
class _DeliveryRun:
    """How one delivery run ended: delivered, failed (with the sender's reason) or left pending."""

    delivery: Delivery
    reason: str = ""
    recorded_only: bool = False  # "delivered" by a sender that reaches no customer


def send_reply(
    ticket: Ticket,
    text: str,
    agent: str,
    suggestion: SuggestionRecord,
    sender: Sender,
    store: DeskStore,
    idempotency_key: str | None = None,
    policy: SendPolicy = DEFAULT_POLICY,
) -> SendOutcome:
    """Record the reply (outbox, thread, status, audit) in one transaction, then deliver it once.

    `idempotency_key` names this composed reply; None makes a fresh one. A key recorded before
    records and delivers nothing and returns that entry's outcome.
    """
    key = new_idempotency_key() if idempotency_key is None else idempotency_key
    problem = reply_problem(ticket, text, agent, key, policy.max_reply_chars)
    if problem:
        return _refused(problem)
    reply = OutgoingReply(idempotency_key=key, ticket_id=ticket.id, agent=agent, text=text,
                          channel=ticket.channel)
    event = build_audit_event(ticket.id, agent, text, suggestion, datetime.now(timezone.utc))
    recorded = _record(reply, event, store)
    if isinstance(recorded, SendOutcome):
        return recorded
    entry, created = recorded
    if created:
        return _deliver(entry, ticket, sender, store, policy)
    if (entry.ticket_id, entry.agent, entry.text) != (reply.ticket_id, reply.agent, reply.text):
        return _refused(said("key_reused"))
    return _known_outcome(entry)


def retry_delivery(
    outbox_id: int, ticket: Ticket, sender: Sender, store: DeskStore,
    policy: SendPolicy = DEFAULT_POLICY,
) -> SendOutcome:
    """Deliver a recorded entry that is pending or failed, under its own key; never a second row."""
    try:
        entry = store.outbox_entry(outbox_id)
    except Exception as exc:  # the edge: a database outage becomes a message
        return _unrecorded("pending", said("not_retried", reason=_database_reason(exc)), outbox_id=outbox_id,
                           recorded=True)
    if entry is None:
        return _unrecorded("not_sent", said("no_entry", outbox_id=outbox_id), outbox_id=outbox_id)
    if entry.ticket_id != ticket.id:
        return _outcome(entry, _delivery_of(entry), said("other_ticket", outbox_id=outbox_id))
    if entry.status == "delivered":
        return _outcome(entry, "delivered", said("already_delivered"))
    return _deliver(entry, ticket, sender, store, policy)


def reply_problem(ticket: Ticket, text: str, agent: str, key: str, max_chars: int) -> Said | None:
    """Why this reply cannot be recorded as it is, or None when it can."""
    if not text.strip():
        return said("empty")
    if not key.strip():
        return said("empty_key")
    if len(text) > max_chars:
        return said("too_long", length=f"{len(text):,}", limit=f"{max_chars:,}")
    fields = {"ticket_id": ticket.id, "agent": agent, "idempotency_key": key, "text": text,
              "channel": ticket.channel}
    try:
        check_row(tables.outbox, fields)
    except InvalidField as exc:
        return _invalid(exc)
    return None


def _invalid(exc: InvalidField) -> Said:
    return said("invalid", reason=str(exc).rstrip(". "))


def _record(
    reply: OutgoingReply, event: AuditEvent, store: DeskStore
) -> tuple[OutboxEntry, bool] | SendOutcome:
    """Record the reply before any delivery; a failure means nothing was recorded and nothing goes out."""
    try:
        return store.record_send(reply, event)
    except InvalidField as exc:
        return _refused(_invalid(exc))
    except Exception as exc:  # the edge: database down, read-only or locked; the transaction rolled back
        reason = _database_reason(exc)
        log.warning("reply on ticket %.255s not recorded: %s", reply.ticket_id, reason)
        return _unrecorded("not_sent", said("not_recorded", reason=reason), idempotency_key=reply.idempotency_key)


def _deliver(
    entry: OutboxEntry, ticket: Ticket, sender: Sender, store: DeskStore, policy: SendPolicy
) -> SendOutcome:
    """Claim the entry, deliver it with retries, and note the result in the outbox."""
    try:
        claimed = store.claim_delivery(entry.id, policy.stale_after)
    except Exception as exc:  # the edge: the reply stays pending and can be retried later
        return _outcome(entry, "pending", said("claim_failed", reason=_database_reason(exc)))
    if not claimed:
        return _claimed_elsewhere(entry, store)
    result = _attempt_delivery(entry, ticket, sender, store, policy)
    return _outcome(entry, result.delivery, _finish(entry, result, store))


def _claimed_elsewhere(entry: OutboxEntry, store: DeskStore) -> SendOutcome:
    """The outcome when another send holds (or just finished) the delivery of this entry."""
    try:
        entry = store.outbox_entry(entry.id) or entry
    except Exception:  # the edge: the claim already told us someone else has it
        pass
    if entry.status == "delivered":
        return _outcome(entry, "delivered", said("already_delivered"))
    return _outcome(entry, "pending", said("elsewhere"))


def _attempt_delivery(
    entry: OutboxEntry, ticket: Ticket, sender: Sender, store: DeskStore, policy: SendPolicy
) -> _DeliveryRun:
    """Try the sender a few times with growing pauses, within the policy's deadline, sending exactly
    what was recorded (text, agent, channel)."""
    recorded_ticket = ticket.model_copy(update={"channel": entry.channel})
    started, reason = time.monotonic(), ""
    for attempt in range(policy.attempts):
        if attempt:
            pause = policy.backoff(attempt)
            if time.monotonic() - started + pause > policy.deadline:
                break
            time.sleep(pause)
        if not _note_attempt(entry, store):
            return _DeliveryRun("pending", "the outbox could not count the attempt")
        try:
            sender.send(recorded_ticket, entry.text, entry.agent, entry.idempotency_key)
            return _DeliveryRun("delivered", recorded_only=not delivers_to_customer(sender, recorded_ticket))
        except SendError as exc:
            reason = str(exc)
        except Exception as exc:  # a broken adapter must not leave the entry claimed forever
            reason = f"the sender failed ({type(exc).__name__})"
        log.info("delivery attempt %d of outbox entry %d failed: %s", attempt + 1, entry.id, reason)
    return _DeliveryRun("failed", reason)


def delivers_to_customer(sender: Sender, ticket: Ticket) -> bool:
    """Whether this sender really delivers replies on this ticket (a sender without `delivers_to` does)."""
    check = getattr(sender, "delivers_to", None)
    return bool(check(ticket)) if callable(check) else True


class RoutedSender:
    """Replies on tickets that came from a connected helpdesk go back there (by ticket-id prefix, such as ZD-);
    every other reply goes through the default sender."""

    def __init__(self, default: Sender, routes: dict[str, Sender]) -> None:
        self.default = default
        self.routes = dict(routes)

    def __repr__(self) -> str:
        return f"RoutedSender(default={self.default!r}, routes={self.routes!r})"

    def sender_for(self, ticket: Ticket) -> Sender:
        return next((sender for prefix, sender in self.routes.items() if ticket.id.startswith(prefix)), self.default)

    def send(self, ticket: Ticket, text: str, agent: str, idempotency_key: str) -> None:
        self.sender_for(ticket).send(ticket, text, agent, idempotency_key)

    def delivers_to(self, ticket: Ticket) -> bool:
        return delivers_to_customer(self.sender_for(ticket), ticket)


def _note_attempt(entry: OutboxEntry, store: DeskStore) -> bool:
    """Count the attempt before making it; without the database (or the claim) no attempt is made."""
    try:
        return store.note_attempt(entry.id)
    except Exception as exc:  # the entry stays 'sending' and becomes retryable once stale
        log.warning("outbox entry %d: could not count an attempt: %s", entry.id, _database_reason(exc))
        return False


def _finish(entry: OutboxEntry, result: _DeliveryRun, store: DeskStore) -> Said:
    """Note the delivery result in the outbox and say what happened."""
    if result.delivery == "pending":
        return said("stopped", reason=result.reason)
    try:
        if result.delivery == "delivered":
            store.mark_delivered(entry.id)
        else:
            store.mark_failed(entry.id, result.reason)
    except Exception as exc:  # the edge: the delivery itself already happened (or failed)
        log.warning("outbox entry %d: could not note the delivery: %s", entry.id, _database_reason(exc))
        finished = _result_message(result)
        return Said((*finished.codes, "unnoted"), finished.params)
    return _result_message(result)


def _result_message(result: _DeliveryRun) -> Said:
    """The agent's sentence for a finished delivery run."""
    if result.delivery == "delivered" and result.recorded_only:
        return said("recorded_only")
    if result.delivery == "delivered":
        return said("delivered")
    return said("failed", reason=result.reason)


def _known_outcome(entry: OutboxEntry) -> SendOutcome:
    """The outcome of a reply whose key was recorded before: nothing new was recorded or sent."""
    delivery = _delivery_of(entry)
    if delivery == "delivered":
        message = said("known_delivered")
    elif delivery == "failed":
        message = said("known_failed", reason=entry.last_error)
    else:
        message = said("known_pending")
    return _outcome(entry, delivery, message)


def _delivery_of(entry: OutboxEntry) -> Delivery:
    """The delivery state an outbox status stands for."""
    return {"delivered": "delivered", "failed": "failed"}.get(entry.status, "pending")


def _outcome(entry: OutboxEntry, delivery: Delivery, message: Said) -> SendOutcome:
    """The outcome of a recorded entry."""
    reply = Message(role="agent", author=entry.agent, text=entry.text, at=entry.created_at)
    return SendOutcome(recorded=True, delivery=delivery, message=message.text, codes=list(message.codes),
                       params=message.params, audit_id=entry.audit_id, outbox_id=entry.id,
                       idempotency_key=entry.idempotency_key, reply=reply)


def _unrecorded(delivery: Delivery, message: Said, recorded: bool = False, **ids) -> SendOutcome:
    """The outcome of a Send or Retry that has no outbox entry to report on."""
    return SendOutcome(recorded=recorded, delivery=delivery, message=message.text, codes=list(message.codes),
                       params=message.params, **ids)


def _refused(problem: Said) -> SendOutcome:
    """The outcome of a reply refused before anything was recorded or sent."""
    return _unrecorded("not_sent", problem)


def _database_reason(exc: BaseException) -> str:
    """A short reason for a failed store call: the error type and the driver's first line, never the
    statement parameters (they hold the reply text)."""
    cause = getattr(exc, "orig", None) or exc
    detail = ""
    if isinstance(exc, (SQLAlchemyError, StoreError, OSError)):
        detail = (str(cause).strip().splitlines() or [""])[0][:MAX_REASON_CHARS]
    shown = f"{type(cause).__name__}: {detail}" if detail else type(cause).__name__
    if isinstance(exc, (OperationalError, InterfaceError, StoreError, OSError)):
        return f"the desk database is unavailable ({shown})"
    return f"the desk database reported an error ({shown})"


def build_audit_event(
    ticket_id: str, agent: str, sent: str, suggestion: SuggestionRecord, sent_at: datetime
) -> AuditEvent:
    """The audit event comparing what was suggested with what the agent sent."""
    flags = list(suggestion.flags)
    if sent == suggestion.suggested and UNEDITED_FLAG not in flags:
        flags.append(UNEDITED_FLAG)
    return AuditEvent(
        ticket_id=ticket_id,
        agent=agent,
        engine=suggestion.engine,
        model=suggestion.model,
        suggested=suggestion.suggested,
        sent=sent,
        tone=suggestion.tone,
        edit_distance=normalized_edit_distance(suggestion.suggested, sent),
        similarity=similarity(suggestion.suggested, sent),
        citations=list(suggestion.citations),
        flags=flags,
        rating=suggestion.rating,
        prompt_versions=dict(suggestion.prompt_versions),
        suggested_at=suggestion.suggested_at,
        sent_at=sent_at,
        feedback_reason=suggestion.feedback_reason,
        intent=suggestion.intent,
        language=suggestion.language,
        abstained=suggestion.abstained,
        question=suggestion.question,
        cost_usd=suggestion.cost_usd,
    )
