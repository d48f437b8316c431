"""The desk store against a real PostgreSQL, in a throwaway schema; two replicas share it."""
from __future__ import annotations

import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from core.types import AuditEvent
from desk.store import open_store

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)


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
    assert {"audit_events", "ticket_state", "sent_replies", "working_drafts",
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


def test_postgres_cache_first_writer_wins(store):
    store.cache_put("sha256:abc", '{"n": 1}')
    store.cache_put("sha256:abc", '{"n": 2}')
    assert store.cache_get("sha256:abc") == '{"n": 1}'


def test_postgres_two_replicas_see_each_others_writes(pg_url):
    with open_store(pg_url) as replica_a, open_store(pg_url) as replica_b:
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
    assert versions == [("0001",)]
