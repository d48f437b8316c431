"""Sending a reply: sender adapters and `send_reply`, which records the send and its audit event."""
from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from typing import Callable, Protocol, TypeVar
from urllib.parse import unquote, urlsplit, urlunsplit

import httpx
from pydantic import BaseModel, ConfigDict

from core.types import AuditEvent, Message, SuggestionRecord, Ticket
from desk.store import DeskStore
from desk.text_metrics import normalized_edit_distance, similarity

__all__ = [
    "RecordSender", "SendError", "SendOutcome", "Sender", "SuggestionRecord", "WebhookSender",
    "build_audit_event", "send_reply",
]

log = logging.getLogger(__name__)
T = TypeVar("T")

EMPTY_REPLY_ERROR = "The reply is empty. Write a reply before sending."
UNEDITED_FLAG = "unedited"
JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8"}


class SendError(RuntimeError):
    """The reply could not be delivered; the message says why, without credentials."""


class Sender(Protocol):
    """Delivers a reply to the customer's channel."""

    def send(self, ticket: Ticket, text: str, agent: str) -> None:
        """Deliver `text` on `ticket`, or raise SendError."""


class RecordSender:
    """Delivers nowhere: recording the reply in the desk store is the send (demo, offline use)."""

    def send(self, ticket: Ticket, text: str, agent: str) -> None:
        """Accept the reply; the caller's record is the only trace."""

    def __repr__(self) -> str:
        return "RecordSender()"


class WebhookSender:
    """POSTs each reply as JSON {ticket_id, agent, text, channel} to a helpdesk webhook.

    One httpx client per sender keeps connections open between sends; redirects are not followed,
    because a redirected POST is not a delivered reply.
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

    def send(self, ticket: Ticket, text: str, agent: str) -> None:
        """POST the reply; a network error, a timeout or a non-2xx answer raises SendError."""
        body = {"ticket_id": ticket.id, "agent": agent, "text": text, "channel": ticket.channel}
        try:
            response = self._client.post(self._url, content=_json_bytes(body), headers=JSON_HEADERS)
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


class SendOutcome(BaseModel):
    """What happened when the agent pressed send; `error` is shown to the agent as is."""

    model_config = ConfigDict(extra="forbid")

    ok: bool
    error: str = ""
    audit_id: int | None = None
    reply: Message | None = None


def send_reply(
    ticket: Ticket,
    text: str,
    agent: str,
    suggestion: SuggestionRecord,
    sender: Sender,
    store: DeskStore,
) -> SendOutcome:
    """Send the reply, then record it, mark the ticket replied and append the audit event."""
    if not text.strip():
        return SendOutcome(ok=False, error=EMPTY_REPLY_ERROR)
    try:
        sender.send(ticket, text, agent)
    except SendError as exc:
        return SendOutcome(ok=False, error=f"The reply was not sent: {exc}. Your text is kept.")
    return _record_sent_reply(ticket, text, agent, suggestion, store)


def _record_sent_reply(
    ticket: Ticket, text: str, agent: str, suggestion: SuggestionRecord, store: DeskStore
) -> SendOutcome:
    """Store everything about a reply that already went out; storage failures become warnings."""
    warnings: list[str] = []
    sent_at = datetime.now(timezone.utc)
    reply = _attempt(
        "record the reply", warnings, lambda: store.add_sent_reply(ticket.id, agent, text, sent_at)
    )
    _attempt("mark the ticket replied", warnings, lambda: store.set_status(ticket.id, "replied"))
    audit_id = _attempt(
        "write the audit log",
        warnings,
        lambda: store.record_audit(build_audit_event(ticket.id, agent, text, suggestion, sent_at)),
    )
    if reply is not None:  # keep the draft when the reply itself could not be recorded
        _attempt(
            "clear the working draft", warnings, lambda: store.clear_working_draft(ticket.id, agent)
        )
    return SendOutcome(ok=True, error=" ".join(warnings), audit_id=audit_id, reply=reply)


def _attempt(step: str, warnings: list[str], action: Callable[[], T]) -> T | None:
    """Run a post-send storage step; a failure is logged and noted, never raised."""
    try:
        return action()
    except Exception as exc:  # the reply is already out: report, don't lose it
        log.warning("reply sent, but could not %s: %s", step, type(exc).__name__, exc_info=True)
        warnings.append(f"Sent, but could not {step} ({type(exc).__name__}).")
        return None


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
    )
