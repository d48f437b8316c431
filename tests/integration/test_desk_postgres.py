"""The desk store against a real PostgreSQL, in a throwaway schema; replicas share it and send exactly once."""
from __future__ import annotations

import logging
import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError

from alembic.script import ScriptDirectory

from core.settings import load_settings
from core.types import AuditEvent
from desk.db import StoreError
from desk.migrate import alembic_config
from desk.records import ChosenSuggestion, InvalidField
from desk.send import SendPolicy, send_reply
from desk.store import DeskStore, open_store
from tests.unit.test_desk_outbox import (
    SUGGESTION, FailingSender, RecordingSender, assert_each_reply_recorded_and_delivered_once,
    claim_concurrently, double_click_plan, flaky_webhook, insert_old_draft, migrate,
    recorded_counts, send_concurrently, ticket_for,
)

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
FAST = SendPolicy(attempts=2, first_backoff=0)
KEYED = load_settings({"ASSIST_ENCRYPTION_KEY": Fernet.generate_key().decode()})


def postgres_unavailable(reason: str) -> None:
    """Skip when PostgreSQL is missing locally; on CI a missing database is a failure."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"PostgreSQL is required on CI: {reason}")
    pytest.skip(f"PostgreSQL not reachable: {reason}")


@pytest.fixture(scope="module")
def admin_engine():
    url = make_url(os.environ.get("ASSIST_TEST_PG_URL", DEFAULT_PG_URL))
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    engine = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            pass
    except OperationalError as exc:
        engine.dispose()
        postgres_unavailable(str(exc.orig).strip().splitlines()[0])
    yield engine
    engine.dispose()


@pytest.fixture
def pg_url(admin_engine):
    schema = f"desk_test_{uuid.uuid4().hex[:12]}"
    with admin_engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    yield admin_engine.url.update_query_dict({"options": f"-csearch_path={schema}"})
    with admin_engine.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture
def store(pg_url):
    desk_store = open_store(pg_url)
    yield desk_store
    desk_store.dispose()


def audit_event(ticket_id="T-1", sent_at=T0, **changes) -> AuditEvent:
    fields = dict(
        ticket_id=ticket_id, agent="alex", engine="llm", model="openai:gpt-4o-mini",
        suggested="Your refund is on its way.", sent="Your refund is on its way today.",
        tone="concise", edit_distance=0.18, similarity=0.83, citations=["kb-12#2"],
        flags=["unedited"], rating=-1, prompt_versions={"draft": "draft@3f2a1c"},
        suggested_at=sent_at - timedelta(minutes=1), sent_at=sent_at,
    )
    return AuditEvent(**(fields | changes))


def test_postgres_migrations_create_tables_in_the_test_schema(store, pg_url):
    engine = create_engine(pg_url)
    with engine.connect() as connection:
        tables = set(inspect(connection).get_table_names())
    engine.dispose()
    assert {"audit_events", "ticket_state", "sent_replies", "working_state", "outbox",
            "assist_cache", "alembic_version"} <= tables


def test_postgres_store_round_trip(store):
    first = store.record_audit(audit_event(sent_at=T0))
    second = store.record_audit(audit_event(sent_at=T0 + timedelta(minutes=3)))
    events = store.audit_events("T-1")
    assert [event.id for event in events] == [second, first]
    assert events[0].model_dump(exclude={"id"}) == audit_event(
        sent_at=T0 + timedelta(minutes=3)
    ).model_dump(exclude={"id"})
    assert store.status("T-1") == "open"
    store.set_status("T-1", "replied")
    assert store.statuses() == {"T-1": "replied"}
    store.add_sent_reply("T-1", "alex", "later", T0 + timedelta(hours=1))
    store.add_sent_reply("T-1", "alex", "earlier", T0)
    assert [reply.text for reply in store.sent_replies("T-1")] == ["earlier", "later"]
    store.save_working_draft("T-1", "alex", "draft one")
    store.save_working_draft("T-1", "alex", "draft two")
    assert store.working_draft("T-1", "alex") == "draft two"
    store.clear_working_draft("T-1", "alex")
    assert store.working_draft("T-1", "alex") is None


def test_postgres_cache_first_writer_wins(pg_url):
    with open_store(pg_url, KEYED) as store:
        store.cache_put("sha256:abc", '{"n": 1}')
        store.cache_put("sha256:abc", '{"n": 2}')
        assert store.cache_get("sha256:abc") == '{"n": 1}'


def test_postgres_two_replicas_see_each_others_writes(pg_url):
    with open_store(pg_url, KEYED) as replica_a, open_store(pg_url, KEYED) as replica_b:
        audit_id = replica_a.record_audit(audit_event("T-9"))
        replica_b.cache_put("sha256:shared", '"from b"')
        replica_a.cache_put("sha256:shared", '"from a"')
        assert [event.id for event in replica_b.audit_events("T-9")] == [audit_id]
        assert replica_a.cache_get("sha256:shared") == '"from b"'
        replica_b.set_status("T-9", "replied")
        assert replica_a.status("T-9") == "replied"


def test_postgres_concurrent_opens_migrate_once(pg_url):
    with ThreadPoolExecutor(max_workers=4) as pool:
        stores = list(pool.map(lambda _: open_store(pg_url), range(4)))
    engine = create_engine(pg_url)
    with engine.connect() as connection:
        versions = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    engine.dispose()
    for each in stores:
        each.dispose()
    assert versions == [(ScriptDirectory.from_config(alembic_config()).get_current_head(),)]


def test_postgres_send_reply_concurrent_double_clicks_through_a_flaky_webhook_deliver_each_key_once(
    store,
):
    plan = double_click_plan(threads=4, replies_per_thread=3)
    with flaky_webhook(["late", 500]) as webhook:
        outcomes = send_concurrently(store, webhook, plan)
    assert_each_reply_recorded_and_delivered_once(store, webhook, plan, outcomes)


def test_postgres_claim_delivery_concurrent_claims_have_exactly_one_winner(store):
    failed = send_reply(ticket_for("T-1"), "Hello", "alex", SUGGESTION, FailingSender(), store,
                        policy=FAST)
    assert failed.delivery == "failed"
    assert claim_concurrently(store, failed.outbox_id, threads=8) == 1


@pytest.mark.parametrize(("ticket_id", "agent", "text", "expected"), [
    ("T-1", "alex", "Hi \x00 there", "The reply contains a NUL character"),
    ("T" * 256, "alex", "Hi", "The ticket id is 256 characters long; the limit is 255."),
    ("T-1", "a" * 256, "Hi", "The agent name is 256 characters long; the limit is 255."),
])
def test_postgres_send_reply_refuses_nul_and_over_long_fields_instead_of_dropping_them(
    store, ticket_id, agent, text, expected
):
    sender = RecordingSender()
    outcome = send_reply(ticket_for(ticket_id), text, agent, SUGGESTION, sender, store)
    assert not outcome.ok and outcome.error.startswith(expected)
    assert sender.calls == [] and recorded_counts(store) == (0, 0, 0)


def test_postgres_store_writes_refuse_nul_with_a_message(store):
    with pytest.raises(InvalidField, match="NUL character"):
        store.add_sent_reply("T-1", "alex", "Hi\x00", T0)
    with pytest.raises(InvalidField, match="limit is 255"):
        store.set_status("T" * 300, "replied")


def test_postgres_read_only_database_records_and_delivers_nothing(store, pg_url):
    options = pg_url.query["options"] + " -cdefault_transaction_read_only=on"
    read_only = open_store(pg_url.update_query_dict({"options": options}))
    sender = RecordingSender()
    outcome = send_reply(ticket_for("T-1"), "Hello", "alex", SUGGESTION, sender, read_only)
    read_only.dispose()
    assert (outcome.ok, outcome.delivery) == (False, "not_sent")
    assert outcome.error.startswith("Not sent and not recorded: ") and "read-only" in outcome.error
    assert sender.calls == [] and recorded_counts(store) == (0, 0, 0)


def test_postgres_unreachable_database_records_and_delivers_nothing():
    unreachable = DeskStore(create_engine(
        "postgresql+psycopg://desk:hunter2@127.0.0.1:9/assist", connect_args={"connect_timeout": 2}
    ))
    sender = RecordingSender()
    outcome = send_reply(ticket_for("T-1"), "Hello", "alex", SUGGESTION, sender, unreachable)
    unreachable.dispose()
    assert not outcome.ok and "the desk database is unavailable (OperationalError" in outcome.error
    assert "hunter2" not in outcome.error and sender.calls == []


def test_postgres_working_state_round_trip_and_same_key_sends_once(store):
    chosen = ChosenSuggestion(engine="llm", model="openai:gpt-4o-mini", text="Hi!", suggested_at=T0)
    store.save_working_state("T-1", "alex", text="Hi! Edited.", suggestion=chosen, rating=-1)
    key = store.ensure_idempotency_key("T-1", "alex")
    state = store.working_state("T-1", "alex")
    assert (state.text, state.suggestion, state.rating, state.idempotency_key) == (
        "Hi! Edited.", chosen, -1, key)
    sender = RecordingSender()
    record = state.suggestion.as_record(state.rating)
    first = send_reply(ticket_for("T-1"), state.text, "alex", record, sender, store, key)
    second = send_reply(ticket_for("T-1"), state.text, "alex", record, sender, store, key)
    assert first.ok and second.ok and first.outbox_id == second.outbox_id
    assert len(sender.calls) == 1 and recorded_counts(store) == (1, 1, 1)
    [event] = store.audit_events("T-1")
    assert (event.suggested, event.rating) == ("Hi!", -1)
    assert store.working_state("T-1", "alex") is None


def test_postgres_migration_0002_moves_working_draft_text_into_working_state(pg_url):
    migrate(pg_url, "0001")
    insert_old_draft(pg_url, "T-1", "alex", "안녕하세요, 확인 중입니다.")
    with open_store(pg_url) as upgraded:
        state = upgraded.working_state("T-1", "alex")
    assert (state.text, state.suggestion, state.updated_at) == ("안녕하세요, 확인 중입니다.", None, T0)


SECRET = "card 4111 1111 1111 1111, RRN 123456789012"


def test_postgres_encrypted_store_tables_hold_no_plaintext_and_read_back(pg_url):
    with open_store(pg_url, KEYED) as store:
        outcome = send_reply(ticket_for("T-7"), SECRET, "alex", SUGGESTION, RecordingSender(), store, policy=FAST)
        store.save_working_state("T-8", "alex", text=SECRET, suggestion=ChosenSuggestion(engine="offline", model="m", text=SECRET))
        store.cache_put("sha256:abc", SECRET)
        assert outcome.ok and store.sent_replies("T-7")[0].text == SECRET and store.audit_events()[0].sent == SECRET
        assert store.working_state("T-8", "alex").suggestion.text == SECRET and store.cache_get("sha256:abc") == SECRET
        with store.engine.connect() as connection:
            dumped = [str(value) for table in ("audit_events", "sent_replies", "outbox", "working_state", "assist_cache")
                      for row in connection.execute(text(f"SELECT * FROM {table}")) for value in row]
    assert dumped and not any("4111" in value or "123456789012" in value for value in dumped)
    with pytest.raises(StoreError, match="ASSIST_ENCRYPTION_KEY is not set"):
        open_store(pg_url)


def test_postgres_failed_write_never_logs_or_shows_the_reply_text(store, caplog):
    with store.engine.begin() as connection:  # PostgreSQL's DETAIL line repeats a rejected row in full
        connection.execute(text("ALTER TABLE sent_replies ADD CONSTRAINT short_text CHECK (length(text) < 5)"))
    caplog.set_level(logging.DEBUG)
    outcome = send_reply(ticket_for("T-1"), SECRET, "alex", SUGGESTION, RecordingSender(), store, policy=FAST)
    with pytest.raises(IntegrityError) as caught:
        store.add_sent_reply("T-1", "alex", SECRET, T0)
    assert not outcome.ok and 'violates check constraint "short_text"' in outcome.message
    assert SECRET not in outcome.message and SECRET not in caplog.text
    assert SECRET not in str(caught.value) and SECRET not in str(caught.value.orig)


def test_postgres_lead_report_feedback_and_export_agree(store):
    from desk.demo_seed import seed_demo
    from desk.export import export_bytes
    from desk.feedback import Feedback, list_feedback, save_feedback
    from desk.report import AuditFilter, events_page, lead_report

    summary = seed_demo(store, weeks=4, replies=300, seed=5)
    window = AuditFilter(since=summary.since, until=summary.until + timedelta(seconds=1))
    report = lead_report(store, window, baseline_until=summary.baseline_until)
    everything = lead_report(store, window)
    save_feedback(store, Feedback(suggestion_key="k", user="alex", ticket_id="T-1", rating=-1, reason="wrong_tone"))
    save_feedback(store, Feedback(suggestion_key="k", user="alex", ticket_id="T-1", rating=1))

    assert everything["replies"] == 300
    assert report["baseline"]["source"] == "period" and report["baseline"]["replies"] > 0
    assert report["replies"] + report["baseline"]["replies"] == 300
    assert events_page(store, AuditFilter(ratings=(-1,))).total == sum(g["thumbs_down"] for g in everything["by_agent"].values())
    assert export_bytes(store, window, "csv").decode("utf-8-sig").count("DEMO-") >= 300
    assert [(f.user, f.rating) for f in list_feedback(store) if f.suggestion_key == "k"] == [("alex", 1)]
