"""Sending a reply: recorded first, delivered once, failures that lose nothing, and the webhook adapter."""
from __future__ import annotations

import base64
import json
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from core.types import Message, Ticket
from desk.send import (
    RecordSender,
    SendError,
    SendOutcome,
    SendPolicy,
    SuggestionRecord,
    WebhookSender,
    send_reply,
)
from desk.store import open_store

SUGGESTED = "Hi Minji, your refund for order #48213 was issued today."


@pytest.fixture
def store(tmp_path):
    desk_store = open_store(f"sqlite:///{tmp_path / 'desk.db'}")
    yield desk_store
    desk_store.dispose()


@pytest.fixture
def ticket() -> Ticket:
    return Ticket(
        id="T-1042", subject="Refund not received", channel="chat",
        messages=[Message(role="customer", author="Minji Park", text="Where is my refund?")],
    )


@pytest.fixture
def suggestion() -> SuggestionRecord:
    return SuggestionRecord(
        engine="offline", model="offline-grounded", suggested=SUGGESTED, tone="warm",
        citations=["refunds#1"], flags=["abstained"], prompt_versions={"draft": "draft@3f2a1c"},
        suggested_at=datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc), rating=1,
    )


KEY = "0f3c9a1e2b4d4c6e8a0b1c2d3e4f5a6b"
FAST = SendPolicy(attempts=2, first_backoff=0)


class RecordingSender:
    """Accepts every reply and remembers what it was given."""

    def __init__(self):
        self.calls = []

    def send(self, ticket, text, agent, idempotency_key):
        self.calls.append((ticket.id, text, agent, idempotency_key))


class FailingSender:
    """Refuses every reply the way a down helpdesk would, counting the attempts."""

    def __init__(self):
        self.calls = 0

    def send(self, ticket, text, agent, idempotency_key):
        self.calls += 1
        raise SendError("the helpdesk answered HTTP 503")


class BrokenSender:
    """An adapter with a bug: raises something other than SendError."""

    def send(self, ticket, text, agent, idempotency_key):
        raise KeyError("oops")


class RecordFailingStore:
    """A real store whose record-first transaction fails."""

    def __init__(self, store):
        self._store = store

    def __getattr__(self, name):
        return getattr(self._store, name)

    def record_send(self, reply, event):
        raise RuntimeError("disk full")


def test_send_reply_edited_reply_is_recorded_audited_and_delivered(ticket, suggestion, store):
    store.save_working_draft(ticket.id, "alex", "work in progress")
    edited = SUGGESTED + " It should arrive within 3 days."
    sender = RecordingSender()
    outcome = send_reply(ticket, edited, "alex", suggestion, sender, store, KEY)
    assert outcome.ok and outcome.error == ""
    assert (outcome.recorded, outcome.delivery) == (True, "delivered")
    assert sender.calls == [("T-1042", edited, "alex", KEY)]
    assert store.status(ticket.id) == "replied"
    assert [reply.text for reply in store.sent_replies(ticket.id)] == [edited]
    assert outcome.reply is not None and outcome.reply.text == edited
    assert store.working_draft(ticket.id, "alex") is None
    [event] = store.audit_events(ticket.id)
    assert event.id == outcome.audit_id
    assert (event.suggested, event.sent) == (SUGGESTED, edited)
    assert 0 < event.edit_distance < 1 and 0 < event.similarity < 1
    assert "unedited" not in event.flags
    assert event.citations == ["refunds#1"] and event.rating == 1
    assert event.prompt_versions == {"draft": "draft@3f2a1c"}
    assert store.delivery_status(outcome.audit_id) == "delivered"


def test_send_reply_unchanged_suggestion_is_flagged_unedited(ticket, suggestion, store):
    outcome = send_reply(ticket, SUGGESTED, "alex", suggestion, RecordSender(), store)
    [event] = store.audit_events(ticket.id)
    assert outcome.ok
    assert event.edit_distance == 0.0 and event.similarity == 1.0
    assert event.flags == ["abstained", "unedited"]


def test_send_reply_from_a_used_drafts_customer_copy_keeps_its_citations_and_counts_as_unedited(ticket, store):
    from desk.records import ChosenSuggestion

    customer_copy = "Your refund reaches your card within five business days."
    chosen = ChosenSuggestion(engine="offline", model="offline-grounded", text=customer_copy, tone="concise",
                              citations=["refunds#1", "refunds#2"], markers=[1, 2])

    send_reply(ticket, customer_copy, "alex", chosen.as_record(), RecordSender(), store)

    [event] = store.audit_events(ticket.id)
    assert event.citations == ["refunds#1", "refunds#2"] and event.suggested == customer_copy
    assert (event.edit_distance, event.similarity) == (0.0, 1.0) and "unedited" in event.flags


def test_send_reply_without_key_makes_a_fresh_one_per_call(ticket, suggestion, store):
    first = send_reply(ticket, "Hello", "alex", suggestion, RecordSender(), store)
    second = send_reply(ticket, "Hello", "alex", suggestion, RecordSender(), store)
    assert first.idempotency_key and second.idempotency_key
    assert first.idempotency_key != second.idempotency_key
    assert len(store.sent_replies(ticket.id)) == 2


def test_send_reply_record_sender_counts_as_delivered(ticket, suggestion, store):
    outcome = send_reply(ticket, "Hello", "alex", suggestion, RecordSender(), store, KEY)
    entry = store.outbox_entry(outcome.outbox_id)
    assert outcome.delivery == "delivered" and entry.status == "delivered"
    assert entry.attempts == 1 and entry.delivered_at is not None


def test_send_reply_failing_sender_is_recorded_and_reported_undelivered(ticket, suggestion, store):
    store.save_working_draft(ticket.id, "alex", "my edited reply")
    sender = FailingSender()
    outcome = send_reply(ticket, "my edited reply", "alex", suggestion, sender, store, KEY, FAST)
    assert outcome.ok and outcome.delivery == "failed"
    assert "not delivered" in outcome.error and "HTTP 503" in outcome.error
    assert sender.calls == 2
    assert [reply.text for reply in store.sent_replies(ticket.id)] == ["my edited reply"]
    assert len(store.audit_events()) == 1 and store.status(ticket.id) == "replied"
    [entry] = store.undelivered(ticket.id)
    assert (entry.status, entry.attempts, entry.last_error) == (
        "failed", 2, "the helpdesk answered HTTP 503"
    )


def test_send_reply_broken_sender_fails_the_entry_instead_of_holding_it(ticket, suggestion, store):
    outcome = send_reply(ticket, "Hello", "alex", suggestion, BrokenSender(), store, KEY, FAST)
    assert outcome.ok and outcome.delivery == "failed" and "KeyError" in outcome.error
    assert store.outbox_entry(outcome.outbox_id).status == "failed"


@pytest.mark.parametrize("blank", ["", "   \n\t"])
def test_send_reply_blank_text_is_rejected_before_sending(ticket, suggestion, store, blank):
    sender = RecordingSender()
    outcome = send_reply(ticket, blank, "alex", suggestion, sender, store)
    assert not outcome.ok and "empty" in outcome.error and outcome.delivery == "not_sent"
    assert sender.calls == [] and store.audit_events() == [] and store.sent_replies(ticket.id) == []


def test_send_reply_record_failure_delivers_nothing_and_keeps_the_draft(ticket, suggestion, store):
    store.save_working_draft(ticket.id, "alex", "Sent anyway?")
    sender = RecordingSender()
    outcome = send_reply(ticket, "Sent anyway?", "alex", suggestion, sender,
                         RecordFailingStore(store))
    assert not outcome.ok and outcome.delivery == "not_sent"
    assert outcome.error.startswith("Not sent and not recorded:") and "text is kept" in outcome.error
    assert sender.calls == []
    assert store.sent_replies(ticket.id) == [] and store.status(ticket.id) == "open"
    assert store.working_draft(ticket.id, "alex") == "Sent anyway?"


def test_send_outcome_error_is_empty_only_when_recorded_and_delivered():
    delivered = SendOutcome(recorded=True, delivery="delivered", message="Reply recorded and delivered.")
    failed = SendOutcome(recorded=True, delivery="failed", message="Recorded, but not delivered: x.")
    refused = SendOutcome(recorded=False, delivery="not_sent", message="The reply is empty.")
    assert (delivered.ok, delivered.error) == (True, "")
    assert (failed.ok, failed.error) == (True, "Recorded, but not delivered: x.")
    assert (refused.ok, refused.error) == (False, "The reply is empty.")


def test_send_policy_backoff_doubles_up_to_its_cap():
    policy = SendPolicy(first_backoff=0.5, max_backoff=1.5)
    assert [policy.backoff(retry) for retry in (1, 2, 3, 4)] == [0.5, 1.0, 1.5, 1.5]


class WebhookHandler(BaseHTTPRequestHandler):
    """Answers with the server's `status` once `answer` is set, and remembers each request."""

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.requests.append((dict(self.headers), json.loads(body), self.client_address))
        self.server.answer.wait(timeout=5)
        self.send_response(self.server.status)
        if 300 <= self.server.status < 400:
            self.send_header("Location", "/somewhere-else")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class KeepAliveWebhookHandler(WebhookHandler):
    """The same webhook speaking HTTP/1.1, so a client may reuse the connection."""

    protocol_version = "HTTP/1.1"


def serve(handler) -> HTTPServer:
    """A local webhook server on a free port, answering 200 at once."""
    server = HTTPServer(("127.0.0.1", 0), handler)
    server.status, server.requests, server.answer = 200, [], threading.Event()
    server.answer.set()
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server


def stop(server: HTTPServer) -> None:
    """Release any held answer, then stop the server and free its port."""
    server.answer.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def webhook():
    server = serve(WebhookHandler)
    yield server
    stop(server)


@pytest.fixture
def keep_alive_webhook():
    server = serve(KeepAliveWebhookHandler)
    yield server
    stop(server)


def webhook_url(server, credentials="") -> str:
    host, port = server.server_address
    return f"http://{credentials}{host}:{port}/hooks/reply"


def test_webhook_sender_posts_reply_as_json_with_its_idempotency_key(webhook, ticket):
    WebhookSender(webhook_url(webhook)).send(ticket, "Hello 민지", "alex", KEY)
    [(headers, body, _)] = webhook.requests
    assert body == {"ticket_id": "T-1042", "agent": "alex", "text": "Hello 민지", "channel": "chat",
                    "idempotency_key": KEY}
    assert headers["Content-Type"].startswith("application/json")
    assert headers["Idempotency-Key"] == KEY


def test_webhook_sender_server_error_raises_send_error(webhook, ticket):
    webhook.status = 500
    with pytest.raises(SendError, match="HTTP 500"):
        WebhookSender(webhook_url(webhook)).send(ticket, "Hello", "alex", KEY)


def test_webhook_sender_redirect_is_a_failed_send(webhook, ticket):
    webhook.status = 302
    with pytest.raises(SendError, match="HTTP 302"):
        WebhookSender(webhook_url(webhook)).send(ticket, "Hello", "alex", KEY)
    assert len(webhook.requests) == 1


def test_webhook_sender_uses_url_credentials_but_never_shows_them(webhook, ticket):
    webhook.status = 502
    sender = WebhookSender(webhook_url(webhook, credentials="desk:hunter2@"))
    with pytest.raises(SendError) as caught:
        sender.send(ticket, "Hello", "alex", KEY)
    [(headers, _, _)] = webhook.requests
    assert headers["Authorization"].startswith("Basic ")
    assert "hunter2" not in str(caught.value) and "hunter2" not in repr(sender)


def test_webhook_sender_decodes_percent_encoded_url_credentials(webhook, ticket):
    WebhookSender(webhook_url(webhook, credentials="desk:p%40ss%3Aword@")).send(ticket, "Hi", "alex", KEY)
    [(headers, _, _)] = webhook.requests
    scheme, _, token = headers["Authorization"].partition(" ")
    assert scheme == "Basic" and base64.b64decode(token).decode("utf-8") == "desk:p@ss:word"


def test_webhook_sender_without_credentials_sends_no_authorization(webhook, ticket):
    WebhookSender(webhook_url(webhook)).send(ticket, "Hi", "alex", KEY)
    [(headers, _, _)] = webhook.requests
    assert "Authorization" not in headers


def test_webhook_sender_slow_answer_is_a_timeout_without_credentials(webhook, ticket):
    webhook.answer.clear()
    sender = WebhookSender(webhook_url(webhook, credentials="desk:hunter2@"), timeout=0.2)
    with pytest.raises(SendError, match="did not answer within 0.2 s") as caught:
        sender.send(ticket, "Hello", "alex", KEY)
    assert webhook_url(webhook) in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_webhook_sender_reuses_its_connection_between_sends(keep_alive_webhook, ticket):
    sender = WebhookSender(webhook_url(keep_alive_webhook))
    try:
        sender.send(ticket, "First", "alex", KEY)
        sender.send(ticket, "Second", "alex", KEY)
    finally:
        sender.close()
    [first, second] = keep_alive_webhook.requests
    assert [first[1]["text"], second[1]["text"]] == ["First", "Second"]
    assert first[2] == second[2]  # same client address: one connection


def test_webhook_sender_unreachable_host_raises_send_error(webhook, ticket):
    url = webhook_url(webhook)
    webhook.shutdown()
    webhook.server_close()
    with pytest.raises(SendError, match="could not be reached"):
        WebhookSender(url, timeout=2).send(ticket, "Hello", "alex", KEY)


def test_webhook_sender_rejects_non_http_urls():
    with pytest.raises(ValueError, match="http"):
        WebhookSender("file:///etc/passwd")


def test_record_sender_accepts_every_reply(ticket):
    assert RecordSender().send(ticket, "Hello", "alex", KEY) is None
