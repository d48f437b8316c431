"""Exactly-once sending on SQLite: record first, deliver through the outbox, retry under the same key.

The flaky-webhook harness at the bottom is shared with the PostgreSQL tests in tests/integration.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from alembic import command
from sqlalchemy import Column, MetaData, String, Table, Text, create_engine, func, select
from sqlalchemy.exc import IntegrityError

from core.types import Message, SuggestionRecord, Ticket
from desk import tables
from desk.migrate import alembic_config
from desk.records import ChosenSuggestion, new_idempotency_key
from desk.send import (
    RecordSender, SendError, SendOutcome, SendPolicy, WebhookSender, retry_delivery, send_reply,
)
from desk.store import DeskStore, open_store

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
FAST = SendPolicy(attempts=3, first_backoff=0.01, max_backoff=0.05)
WEBHOOK_TIMEOUT = 0.2
LATE_BY = 0.4  # the flaky webhook answers a "late" POST after the sender has given up
SECRET_REPLY = "Your new card number is on its way; the PIN is 4711."
SUGGESTION = SuggestionRecord(engine="offline", model="offline-grounded", suggested="Hello!", tone="warm")


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "desk.db"


@pytest.fixture
def store(db_path):
    desk_store = open_store(f"sqlite:///{db_path}")
    yield desk_store
    desk_store.dispose()


@pytest.fixture
def ticket() -> Ticket:
    return ticket_for("T-1042")


def ticket_for(ticket_id: str) -> Ticket:
    return Ticket(id=ticket_id, channel="chat",
                  messages=[Message(role="customer", author="Minji Park", text="Where is my card?")])


class RecordingSender:
    """Accepts every reply and remembers what it was given."""

    def __init__(self):
        self.calls = []

    def send(self, ticket, text, agent, idempotency_key):
        self.calls.append((ticket.id, text, agent, idempotency_key))


class FailingSender(RecordingSender):
    """Remembers each reply, then refuses it the way a down helpdesk would."""

    def send(self, ticket, text, agent, idempotency_key):
        super().send(ticket, text, agent, idempotency_key)
        raise SendError("the helpdesk answered HTTP 503")


class LeakyFailingStore:
    """A real store whose record-first transaction fails with SQLAlchemy's parameter dump in the message."""

    def __init__(self, store):
        self._store = store

    def __getattr__(self, name):
        return getattr(self._store, name)

    def record_send(self, reply, event):
        raise IntegrityError("INSERT INTO outbox ...", {"text": reply.text}, Exception("constraint failed"))


def row_count(store: DeskStore, table: Table) -> int:
    with store.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table)).scalar_one()


def recorded_counts(store: DeskStore) -> tuple[int, int, int]:
    """Rows in the outbox, the sent replies and the audit log."""
    return tuple(row_count(store, t) for t in (tables.outbox, tables.sent_replies, tables.audit_events))


# -- record first ----------------------------------------------------------------------------------
@pytest.mark.parametrize("unavailable_url", [
    lambda path: f"sqlite:///{path.parent / 'gone' / 'desk.db'}",  # the database cannot be opened
    lambda path: f"sqlite:///file:{path}?mode=ro&uri=true",  # the database is read-only
])
def test_send_reply_database_unavailable_records_and_delivers_nothing(
    store, db_path, ticket, caplog, unavailable_url
):
    store.save_working_draft(ticket.id, "alex", SECRET_REPLY)
    unavailable = DeskStore(create_engine(unavailable_url(db_path)))
    sender = RecordingSender()
    with caplog.at_level(logging.DEBUG, logger="desk"):
        outcome = send_reply(ticket, SECRET_REPLY, "alex", SUGGESTION, sender, unavailable)
    unavailable.dispose()
    assert (outcome.ok, outcome.recorded, outcome.delivery) == (False, False, "not_sent")
    assert outcome.error.startswith("Not sent and not recorded: the desk database is unavailable "
                                    "(OperationalError: ")
    assert outcome.error.endswith("; your text is kept.")
    assert sender.calls == []
    assert recorded_counts(store) == (0, 0, 0) and store.status(ticket.id) == "open"
    assert store.working_draft(ticket.id, "alex") == SECRET_REPLY
    assert SECRET_REPLY not in caplog.text


def test_send_reply_failed_write_never_shows_or_logs_the_reply_text(store, ticket, caplog):
    with caplog.at_level(logging.DEBUG, logger="desk"):
        outcome = send_reply(ticket, SECRET_REPLY, "alex", SUGGESTION, RecordingSender(),
                             LeakyFailingStore(store))
    assert not outcome.ok
    assert outcome.message == ("Not sent and not recorded: the desk database reported an error "
                               "(Exception: constraint failed); your text is kept.")
    assert SECRET_REPLY not in outcome.message and SECRET_REPLY not in caplog.text


def test_send_reply_after_a_database_outage_records_and_delivers_once(store, db_path, ticket):
    key, sender = new_idempotency_key(), RecordingSender()
    unavailable = DeskStore(create_engine(f"sqlite:///file:{db_path}?mode=ro&uri=true"))
    down = send_reply(ticket, "Hello", "alex", SUGGESTION, sender, unavailable, key)
    unavailable.dispose()
    back = send_reply(ticket, "Hello", "alex", SUGGESTION, sender, store, key)
    again = send_reply(ticket, "Hello", "alex", SUGGESTION, sender, store, key)
    assert (down.recorded, back.recorded, again.recorded) == (False, True, True)
    assert (back.delivery, again.delivery) == ("delivered", "delivered")
    assert "Already recorded" in again.message and again.outbox_id == back.outbox_id
    assert sender.calls == [(ticket.id, "Hello", "alex", key)]
    assert recorded_counts(store) == (1, 1, 1)


def test_send_reply_same_key_twice_records_and_delivers_once(store, ticket):
    key, sender = new_idempotency_key(), RecordingSender()
    first = send_reply(ticket, "Hello", "alex", SUGGESTION, sender, store, key)
    second = send_reply(ticket, "Hello", "alex", SUGGESTION, sender, store, key)
    assert first.ok and second.ok and first.error == "" and second.error == ""
    assert (first.outbox_id, first.audit_id) == (second.outbox_id, second.audit_id)
    assert len(sender.calls) == 1 and recorded_counts(store) == (1, 1, 1)


def test_send_reply_same_key_after_a_failed_delivery_sends_nothing_again(store, ticket):
    key = new_idempotency_key()
    failed = send_reply(ticket, "Hello", "alex", SUGGESTION, FailingSender(), store, key, FAST)
    later = RecordingSender()
    again = send_reply(ticket, "Hello", "alex", SUGGESTION, later, store, key, FAST)
    assert (failed.delivery, again.delivery) == ("failed", "failed")
    assert again.error.startswith("Already recorded, but not delivered: the helpdesk answered HTTP 503")
    assert later.calls == [] and recorded_counts(store) == (1, 1, 1)


def test_send_reply_key_reused_for_a_different_reply_records_and_sends_nothing(store, ticket):
    key, sender = new_idempotency_key(), RecordingSender()
    send_reply(ticket, "First reply", "alex", SUGGESTION, sender, store, key)
    reused = send_reply(ticket, "Second, different reply", "alex", SUGGESTION, sender, store, key)
    assert (reused.ok, reused.delivery) == (False, "not_sent")
    assert reused.error.startswith("This reply's idempotency key was already used for a different reply.")
    assert len(sender.calls) == 1 and recorded_counts(store) == (1, 1, 1)


def test_send_reply_clears_the_working_state_only_when_recorded(store, ticket):
    store.save_working_state(ticket.id, "alex", text="Hello", rating=1)
    refused = send_reply(ticket, "Hello\x00", "alex", SUGGESTION, RecordSender(), store)
    assert not refused.ok and store.working_state(ticket.id, "alex").rating == 1
    sent = send_reply(ticket, "Hello", "alex", SUGGESTION, FailingSender(), store, policy=FAST)
    assert sent.ok and sent.delivery == "failed"
    assert store.working_state(ticket.id, "alex") is None


@pytest.mark.parametrize(("ticket_id", "agent", "text", "key", "expected"), [
    ("T-1", "alex", "Hi \x00 there", None, "The reply contains a NUL character"),
    ("T-1", "al\x00ex", "Hi", None, "The agent name contains a NUL character"),
    ("T-\x00", "alex", "Hi", None, "The ticket id contains a NUL character"),
    ("T" * 256, "alex", "Hi", None, "The ticket id is 256 characters long; the limit is 255."),
    ("T-1", "a" * 256, "Hi", None, "The agent name is 256 characters long; the limit is 255."),
    ("T-1", "alex", "x" * 101, None, "The reply is 101 characters long; the limit is 100."),
    ("T-1", "alex", "Hi", "k" * 65, "The idempotency key is 65 characters long; the limit is 64."),
    ("T-1", "alex", "Hi", " ", "The reply has an empty idempotency key."),
])
def test_send_reply_refuses_nul_and_over_long_fields_with_a_message(
    store, ticket_id, agent, text, key, expected
):
    sender = RecordingSender()
    policy = SendPolicy(max_reply_chars=100)
    outcome = send_reply(ticket_for(ticket_id), text, agent, SUGGESTION, sender, store, key, policy)
    assert (outcome.ok, outcome.delivery) == (False, "not_sent")
    assert outcome.error.startswith(expected)
    assert outcome.error.endswith("Nothing was sent or recorded; your text is kept.")
    assert sender.calls == [] and recorded_counts(store) == (0, 0, 0)


def test_send_reply_suggestion_with_nul_is_refused_before_anything_is_recorded(store, ticket):
    poisoned = SUGGESTION.model_copy(update={"suggested": "Hel\x00lo"})
    sender = RecordingSender()
    outcome = send_reply(ticket, "Hello", "alex", poisoned, sender, store)
    assert not outcome.ok and outcome.error.startswith("The suggestion contains a NUL character")
    assert sender.calls == [] and recorded_counts(store) == (0, 0, 0)


# -- delivery and retries --------------------------------------------------------------------------
def test_send_reply_webhook_500_then_200_is_delivered_on_retry_in_one_row(store, ticket):
    with flaky_webhook([500]) as webhook:
        outcome = send_reply(ticket, "Hello", "alex", SUGGESTION, webhook.sender(), store, policy=FAST)
    assert outcome.ok and outcome.delivery == "delivered" and outcome.error == ""
    entry = store.outbox_entry(outcome.outbox_id)
    assert (entry.status, entry.attempts, entry.last_error) == ("delivered", 2, "")
    assert webhook.answers() == {outcome.idempotency_key: [500, 200]}
    assert recorded_counts(store) == (1, 1, 1)


def test_send_reply_webhook_timing_out_after_receipt_keeps_one_row_and_one_key(store, ticket):
    with flaky_webhook(["late", "late"]) as webhook:
        policy = SendPolicy(attempts=2, first_backoff=0.01)
        failed = send_reply(ticket, "Hello", "alex", SUGGESTION, webhook.sender(), store, policy=policy)
        assert failed.ok and failed.delivery == "failed" and "did not answer within" in failed.error
        retried = retry_delivery(failed.outbox_id, ticket, webhook.sender(), store, FAST)
    assert retried.ok and retried.delivery == "delivered" and retried.outbox_id == failed.outbox_id
    assert webhook.answers() == {failed.idempotency_key: ["late", "late", 200]}
    assert webhook.header_keys() == [failed.idempotency_key] * 3
    assert recorded_counts(store) == (1, 1, 1)
    assert store.outbox_entry(failed.outbox_id).attempts == 3


def test_send_reply_retries_stop_at_the_policy_deadline(store, ticket):
    sender = FailingSender()
    policy = SendPolicy(attempts=5, first_backoff=0.2, deadline=0.1)
    started = time.monotonic()
    outcome = send_reply(ticket, "Hello", "alex", SUGGESTION, sender, store, policy=policy)
    assert outcome.delivery == "failed" and len(sender.calls) == 1
    assert time.monotonic() - started < 1


def test_retry_delivery_of_a_failed_entry_delivers_it_under_the_same_key(store, ticket):
    failed = send_reply(ticket, "Hello", "alex", SUGGESTION, FailingSender(), store, policy=FAST)
    assert [entry.id for entry in store.undelivered(ticket.id)] == [failed.outbox_id]
    assert store.delivery_status(failed.audit_id) == "failed"
    sender = RecordingSender()
    retried = retry_delivery(failed.outbox_id, ticket, sender, store, FAST)
    assert (retried.ok, retried.delivery, retried.error) == (True, "delivered", "")
    assert sender.calls == [(ticket.id, "Hello", "alex", failed.idempotency_key)]
    assert store.undelivered() == [] and store.delivery_status(failed.audit_id) == "delivered"
    assert recorded_counts(store) == (1, 1, 1)


def test_retry_delivery_of_a_delivered_entry_sends_nothing(store, ticket):
    sent = send_reply(ticket, "Hello", "alex", SUGGESTION, RecordSender(), store)
    sender = RecordingSender()
    again = retry_delivery(sent.outbox_id, ticket, sender, store)
    assert again.delivery == "delivered" and "nothing was sent again" in again.message
    assert sender.calls == []


def test_retry_delivery_refuses_an_unknown_entry_or_another_ticket(store, ticket):
    failed = send_reply(ticket, "Hello", "alex", SUGGESTION, FailingSender(), store, policy=FAST)
    sender = RecordingSender()
    unknown = retry_delivery(999, ticket, sender, store)
    other = retry_delivery(failed.outbox_id, ticket_for("T-other"), sender, store)
    assert (unknown.recorded, unknown.delivery) == (False, "not_sent")
    assert "no outbox entry 999" in unknown.message
    assert other.delivery == "failed" and "another ticket" in other.message
    assert sender.calls == []


def test_claim_delivery_has_one_winner_and_abandoned_claims_expire(store, ticket):
    failed = send_reply(ticket, "Hello", "alex", SUGGESTION, FailingSender(), store, policy=FAST)
    assert store.claim_delivery(failed.outbox_id) is True
    assert store.claim_delivery(failed.outbox_id) is False
    assert store.undelivered() == []  # being delivered, not yet abandoned
    assert [e.id for e in store.undelivered(stale_after=timedelta(0))] == [failed.outbox_id]
    assert store.claim_delivery(failed.outbox_id, stale_after=timedelta(0)) is True


def test_send_reply_while_another_send_delivers_the_key_reports_pending(store, ticket):
    key = new_idempotency_key()
    failed = send_reply(ticket, "Hello", "alex", SUGGESTION, FailingSender(), store, key, FAST)
    assert store.claim_delivery(failed.outbox_id)  # another replica is delivering it right now
    sender = RecordingSender()
    retried = retry_delivery(failed.outbox_id, ticket, sender, store, FAST)
    assert (retried.ok, retried.delivery) == (True, "pending") and "another send" in retried.error
    assert sender.calls == []


def test_claim_delivery_concurrent_claims_have_exactly_one_winner(store, ticket):
    failed = send_reply(ticket, "Hello", "alex", SUGGESTION, FailingSender(), store, policy=FAST)
    assert claim_concurrently(store, failed.outbox_id, threads=8) == 1


def test_undelivered_lists_pending_and_failed_entries_oldest_first_per_ticket(store):
    first = send_reply(ticket_for("T-1"), "one", "alex", SUGGESTION, FailingSender(), store, policy=FAST)
    send_reply(ticket_for("T-1"), "two", "alex", SUGGESTION, RecordSender(), store)
    third = send_reply(ticket_for("T-2"), "three", "alex", SUGGESTION, FailingSender(), store,
                       policy=FAST)
    assert [entry.text for entry in store.undelivered("T-1")] == ["one"]
    assert [entry.id for entry in store.undelivered()] == [first.outbox_id, third.outbox_id]
    statuses = store.delivery_statuses("T-1")
    assert sorted(statuses.values()) == ["delivered", "failed"]
    assert statuses[first.audit_id] == "failed"


# -- working state ---------------------------------------------------------------------------------
def test_working_state_round_trip_survives_a_reload_with_suggestion_and_rating(db_path, store):
    chosen = ChosenSuggestion(engine="offline", model="offline-grounded", text="Your card is on its way.",
                              tone="warm", citations=["cards#1"], flags=["abstained"],
                              prompt_versions={"draft": "draft@3f2a1c"}, suggested_at=T0)
    key = new_idempotency_key()
    store.save_working_state("T-1", "alex", text="Your card is on its way today.", suggestion=chosen,
                             rating=1, idempotency_key=key)
    with open_store(f"sqlite:///{db_path}") as reloaded:
        state = reloaded.working_state("T-1", "alex")
    assert (state.text, state.suggestion, state.rating, state.idempotency_key) == (
        "Your card is on its way today.", chosen, 1, key)
    record = state.suggestion.as_record(state.rating)
    assert record == SuggestionRecord(engine="offline", model="offline-grounded",
                                      suggested="Your card is on its way.", tone="warm",
                                      citations=["cards#1"], flags=["abstained"],
                                      prompt_versions={"draft": "draft@3f2a1c"}, suggested_at=T0,
                                      rating=1)


def test_working_state_partial_update_keeps_the_suggestion_when_only_text_changes(store):
    chosen = ChosenSuggestion(engine="llm", model="openai:gpt-4o-mini", text="Hi!")
    store.save_working_state("T-1", "alex", suggestion=chosen, rating=-1)
    store.save_working_draft("T-1", "alex", "Hi! Edited.")
    state = store.working_state("T-1", "alex")
    assert (state.text, state.suggestion, state.rating) == ("Hi! Edited.", chosen, -1)
    assert store.working_draft("T-1", "alex") == "Hi! Edited."


OLD_DRAFTS = Table(  # working_drafts as revision 0001 created it
    "working_drafts", MetaData(),
    Column("ticket_id", String(255), primary_key=True),
    Column("agent", String(255), primary_key=True),
    Column("text", Text, nullable=False),
    Column("updated_at", tables.UtcDateTime, nullable=False),
)


def migrate(url, revision: str, downgrade: bool = False) -> None:
    """Upgrade (or downgrade) the database at `url` to exactly `revision`."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            (command.downgrade if downgrade else command.upgrade)(config, revision)
            connection.commit()
    finally:
        engine.dispose()


def insert_old_draft(url, ticket_id: str, agent: str, text: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(OLD_DRAFTS.insert().values(ticket_id=ticket_id, agent=agent, text=text,
                                                      updated_at=T0))
    engine.dispose()


def test_migration_0002_moves_working_draft_text_into_working_state(db_path):
    url = f"sqlite:///{db_path}"
    migrate(url, "0001")
    insert_old_draft(url, "T-1", "alex", "안녕하세요, 확인 중입니다.")
    with open_store(url) as upgraded:
        state = upgraded.working_state("T-1", "alex")
        assert upgraded.working_draft("T-1", "alex") == "안녕하세요, 확인 중입니다."
    assert (state.suggestion, state.rating, state.idempotency_key, state.updated_at) == (
        None, None, None, T0)


def test_migration_0002_downgrade_gives_the_text_back_to_working_drafts(db_path):
    url = f"sqlite:///{db_path}"
    migrate(url, "0002")
    with open_store(url) as store:
        store.save_working_state("T-1", "alex", text="kept", rating=1)
    migrate(url, "0001", downgrade=True)
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(select(OLD_DRAFTS.c.ticket_id, OLD_DRAFTS.c.text)).all()
    engine.dispose()
    assert rows == [("T-1", "kept")]


# -- concurrency -----------------------------------------------------------------------------------
def test_send_reply_concurrent_double_clicks_through_a_flaky_webhook_deliver_each_key_once(store):
    plan = double_click_plan(threads=4, replies_per_thread=3)
    with flaky_webhook(["late", 500]) as webhook:
        outcomes = send_concurrently(store, webhook, plan)
    assert_each_reply_recorded_and_delivered_once(store, webhook, plan, outcomes)


# -- shared harness (also used by tests/integration/test_desk_postgres.py) ---------------------------
class FlakyWebhook(ThreadingHTTPServer):
    """A local helpdesk webhook that honours idempotency keys and answers each key from a script.

    For the n-th POST of a key it answers script[n] ("late": read the reply, then hang up after the
    sender's timeout without answering), and 200 once the script is used up. A 200 accepts the key.
    """

    daemon_threads = True

    def __init__(self, script):
        super().__init__(("127.0.0.1", 0), FlakyWebhookHandler)
        self.script = list(script)
        self.lock = threading.Lock()
        self.posts: list[tuple[str | None, dict, int | str]] = []  # (header key, body, answer)
        self.accepted: Counter = Counter()

    def receive(self, header_key: str | None, body: dict) -> int | str:
        """Note a POST and choose its answer."""
        key = body.get("idempotency_key")
        with self.lock:
            seen = sum(1 for _, earlier, _ in self.posts if earlier.get("idempotency_key") == key)
            answer = self.script[seen] if seen < len(self.script) else 200
            self.posts.append((header_key, body, answer))
            if answer == 200:
                self.accepted[key] += 1
        return answer

    def answers(self) -> dict[str, list]:
        """The answers given, per idempotency key, in order."""
        with self.lock:
            grouped: dict[str, list] = {}
            for _, body, answer in self.posts:
                grouped.setdefault(body["idempotency_key"], []).append(answer)
            return grouped

    def header_keys(self) -> list[str | None]:
        """The Idempotency-Key header of every POST, in order."""
        with self.lock:
            return [header for header, _, _ in self.posts]

    def sender(self) -> WebhookSender:
        host, port = self.server_address
        return WebhookSender(f"http://{host}:{port}/hooks/reply", timeout=WEBHOOK_TIMEOUT)


class FlakyWebhookHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        answer = self.server.receive(self.headers.get("Idempotency-Key"), body)
        if answer == "late":
            time.sleep(LATE_BY)
            return
        self.send_response(answer)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class flaky_webhook:
    """Run a FlakyWebhook for the duration of a with block."""

    def __init__(self, script):
        self.server = FlakyWebhook(script)

    def __enter__(self) -> FlakyWebhook:
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        return self.server

    def __exit__(self, *exc_info) -> None:
        self.server.shutdown()
        self.server.server_close()


Planned = tuple[str, str, str, str]  # (ticket id, agent, text, idempotency key)


def double_click_plan(threads: int, replies_per_thread: int) -> list[list[Planned]]:
    """Per thread, the replies it sends; each thread starts by sending its neighbour's first reply too,
    at the same moment as the neighbour, as a double click reaching two replicas would."""
    own = [
        [(f"T-{n}", f"agent-{t}", f"Reply {n} from agent {t}.", new_idempotency_key())
         for n in range(replies_per_thread)]
        for t in range(threads)
    ]
    return [[own[(t + 1) % threads][0], *replies] for t, replies in enumerate(own)]


def send_concurrently(store: DeskStore, webhook: FlakyWebhook, plan: list[list[Planned]]) -> list[SendOutcome]:
    """Every thread sends its planned replies through one shared webhook sender, all starting together."""
    sender, start = webhook.sender(), threading.Barrier(len(plan))

    def run(replies: list[Planned]) -> list[SendOutcome]:
        start.wait()
        return [send_reply(ticket_for(ticket_id), text, agent, SUGGESTION, sender, store, key, FAST)
                for ticket_id, agent, text, key in replies]

    try:
        with ThreadPoolExecutor(max_workers=len(plan)) as pool:
            return [outcome for outcomes in pool.map(run, plan) for outcome in outcomes]
    finally:
        sender.close()


def assert_each_reply_recorded_and_delivered_once(store, webhook, plan, outcomes) -> None:
    """One row per key everywhere, each key accepted by the webhook exactly once, all delivered."""
    replies = {key: (ticket_id, agent, text) for sent in plan for ticket_id, agent, text, key in sent}
    assert all(outcome.recorded for outcome in outcomes), [o.message for o in outcomes]
    assert recorded_counts(store) == (len(replies),) * 3
    for key, (ticket_id, agent, text) in replies.items():
        entry = store.outbox_entry_for_key(key)
        assert (entry.ticket_id, entry.agent, entry.text) == (ticket_id, agent, text)
        assert (entry.status, entry.attempts) == ("delivered", 3)
        of_key = [o for o in outcomes if o.idempotency_key == key]
        assert {o.outbox_id for o in of_key} == {entry.id}
        assert [o.message for o in of_key if not o.message.startswith("Already")] == [
            "Reply recorded and delivered."]  # one send recorded and delivered it; the others saw that
    thread = Counter((r.author, r.text) for t in {v[0] for v in replies.values()} for r in store.sent_replies(t))
    assert thread == Counter({(agent, text): 1 for _, agent, text in replies.values()})
    assert store.undelivered(stale_after=timedelta(0)) == []
    assert webhook.accepted == Counter(dict.fromkeys(replies, 1))
    assert webhook.answers() == {key: ["late", 500, 200] for key in replies}
    assert all(header == body["idempotency_key"] for header, body, _ in webhook.posts)


def claim_concurrently(store: DeskStore, outbox_id: int, threads: int) -> int:
    """How many of `threads` simultaneous claims on one entry succeeded."""
    start = threading.Barrier(threads)

    def claim(_) -> bool:
        start.wait()
        return store.claim_delivery(outbox_id)

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return sum(pool.map(claim, range(threads)))
