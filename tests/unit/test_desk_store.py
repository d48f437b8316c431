"""The desk store on SQLite: migrations, audit log, status, replies, working state, cache, limits, secrets."""
from __future__ import annotations

import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, inspect, text

from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from core.types import AuditEvent
from desk.db import StoreError, resolve_url, safe_url
from desk.migrate import SCHEMA_HEAD, alembic_config
from desk.records import ChosenSuggestion, InvalidField
from desk.store import DeskStore, open_store

DESK_TABLES = {"audit_events", "ticket_state", "sent_replies", "working_state", "outbox", "assist_cache"}
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def db_url(tmp_path, monkeypatch):
    monkeypatch.delenv("ASSIST_DATABASE_URL", raising=False)
    return f"sqlite:///{tmp_path / 'desk.db'}"


@pytest.fixture
def store(db_url):
    desk_store = open_store(db_url)
    yield desk_store
    desk_store.dispose()


def audit_event(ticket_id="T-1", sent_at=T0, **changes) -> AuditEvent:
    fields = dict(
        ticket_id=ticket_id, agent="alex", engine="offline", model="offline-grounded",
        suggested="Your refund is on its way.", sent="Your refund is on its way today.",
        tone="warm", edit_distance=0.18, similarity=0.83, citations=["kb-12#2", "kb-7#0"],
        flags=["injection_suspected"], rating=1, prompt_versions={"draft": "draft@3f2a1c"},
        suggested_at=sent_at - timedelta(minutes=2), sent_at=sent_at,
    )
    return AuditEvent(**(fields | changes))


def test_open_store_migrations_create_desk_tables(store, db_url):
    engine = create_engine(db_url)
    with engine.connect() as connection:
        tables = set(inspect(connection).get_table_names())
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    engine.dispose()
    assert DESK_TABLES <= tables
    assert "working_drafts" not in tables
    assert version == ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_open_store_reopens_an_already_migrated_database(store, db_url):
    store.save_working_draft("T-1", "alex", "kept")
    with open_store(db_url) as reopened:
        assert reopened.working_draft("T-1", "alex") == "kept"


def test_migrate_schema_head_is_the_newest_migration():
    assert SCHEMA_HEAD == ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_migrate_up_to_date_database_opens_without_loading_alembic(store, db_url):
    script = ("import sys\nfrom desk.store import open_store\n"
              f"open_store({db_url!r}).dispose()\nprint('alembic' in sys.modules)")
    opened = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert opened.stdout.strip() == "False"


def test_migrate_unknown_revision_is_refused_with_a_message(store, db_url):
    engine = create_engine(db_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(StoreError, match=r"cannot open the desk store .*9999"):
        open_store(db_url)


def test_open_store_concurrent_opens_migrate_once(db_url):
    with ThreadPoolExecutor(max_workers=4) as pool:
        stores = list(pool.map(lambda _: open_store(db_url), range(4)))
    stores[0].save_working_draft("T-1", "alex", "shared")
    assert all(other.working_draft("T-1", "alex") == "shared" for other in stores)
    for each in stores:
        each.dispose()


def test_open_store_enables_wal_on_sqlite(store, db_url):
    engine = create_engine(db_url)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
    engine.dispose()


def test_open_store_defaults_to_var_assist_db_under_assist_home(tmp_path, monkeypatch):
    monkeypatch.delenv("ASSIST_DATABASE_URL", raising=False)
    monkeypatch.setenv("ASSIST_HOME", str(tmp_path))
    with open_store():
        pass
    assert (tmp_path / "var" / "assist.db").is_file()


def test_open_store_resolves_a_relative_sqlite_file_against_assist_home(tmp_path, monkeypatch):
    monkeypatch.setenv("ASSIST_HOME", str(tmp_path))
    monkeypatch.setenv("ASSIST_DATABASE_URL", "sqlite:///data/desk.db")
    monkeypatch.chdir(tmp_path.parent)
    with open_store():
        pass
    assert (tmp_path / "data" / "desk.db").is_file()


def test_open_store_reads_url_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("ASSIST_DATABASE_URL", f"sqlite:///{tmp_path / 'from-env.db'}")
    with open_store():
        pass
    assert (tmp_path / "from-env.db").is_file()


def test_resolve_url_maps_bare_postgresql_to_psycopg():
    url = resolve_url("postgresql://postgres@127.0.0.1:5432/test")
    assert url.drivername == "postgresql+psycopg"
    assert resolve_url("postgresql+psycopg://postgres@db/test").drivername == "postgresql+psycopg"


def test_resolve_url_rejects_unsupported_backend_without_password():
    with pytest.raises(StoreError, match="unsupported database") as caught:
        resolve_url("mysql://root:hunter2@db/desk")
    assert "hunter2" not in str(caught.value)


def test_resolve_url_rejects_malformed_url_without_echoing_it():
    with pytest.raises(StoreError) as caught:
        resolve_url("not a url with hunter2")
    assert "hunter2" not in str(caught.value)


def test_record_audit_round_trip_newest_first_with_json_intact(store):
    first = store.record_audit(audit_event(sent_at=T0))
    second = store.record_audit(audit_event(sent_at=T0 + timedelta(minutes=5), rating=None))
    events = store.audit_events()
    assert [event.id for event in events] == [second, first]
    newest = events[0]
    assert newest.citations == ["kb-12#2", "kb-7#0"]
    assert newest.flags == ["injection_suspected"]
    assert newest.prompt_versions == {"draft": "draft@3f2a1c"}
    assert newest.rating is None
    assert newest.sent_at == T0 + timedelta(minutes=5)
    assert newest.suggested_at == T0 + timedelta(minutes=3)
    assert newest.model_dump(exclude={"id"}) == audit_event(
        sent_at=T0 + timedelta(minutes=5), rating=None
    ).model_dump(exclude={"id"})


def test_record_audit_assigns_its_own_id(store):
    assigned = store.record_audit(audit_event(id=999))
    assert [event.id for event in store.audit_events()] == [assigned]


def test_audit_events_filters_by_ticket_and_limits(store):
    for minute in range(3):
        store.record_audit(audit_event("T-1", sent_at=T0 + timedelta(minutes=minute)))
    store.record_audit(audit_event("T-2"))
    assert {event.ticket_id for event in store.audit_events("T-1")} == {"T-1"}
    assert len(store.audit_events("T-1")) == 3
    assert len(store.audit_events(limit=2)) == 2


def test_desk_store_offers_no_way_to_change_audit_events():
    audit_api = {name for name in dir(DeskStore) if "audit" in name and not name.startswith("_")}
    assert audit_api == {"record_audit", "audit_events"}
    mutating = [n for n in dir(DeskStore) if n.startswith(("update", "delete", "remove", "edit"))]
    assert mutating == []


def test_status_defaults_to_open_and_becomes_replied(store):
    assert store.status("T-1") == "open"
    store.set_status("T-1", "replied")
    store.set_status("T-2", "open")
    assert store.status("T-1") == "replied"
    assert store.statuses() == {"T-1": "replied", "T-2": "open"}
    store.set_status("T-1", "open")
    assert store.status("T-1") == "open"


def test_set_status_rejects_unknown_status(store):
    with pytest.raises(ValueError, match="unknown ticket status"):
        store.set_status("T-1", "closed")


def test_sent_replies_come_back_oldest_first_as_agent_messages(store):
    store.add_sent_reply("T-1", "alex", "second", T0 + timedelta(minutes=5))
    returned = store.add_sent_reply("T-1", "sam", "first", T0)
    store.add_sent_reply("T-2", "alex", "other ticket", T0)
    replies = store.sent_replies("T-1")
    assert [reply.text for reply in replies] == ["first", "second"]
    assert {reply.role for reply in replies} == {"agent"}
    assert replies[0] == returned
    assert replies[0].author == "sam" and replies[0].at == T0


def test_working_draft_is_saved_overwritten_and_cleared(store):
    assert store.working_draft("T-1", "alex") is None
    store.save_working_draft("T-1", "alex", "Hi Minji,")
    store.save_working_draft("T-1", "alex", "Hi Minji, your refund")
    store.save_working_draft("T-1", "sam", "someone else's draft")
    assert store.working_draft("T-1", "alex") == "Hi Minji, your refund"
    store.clear_working_draft("T-1", "alex")
    assert store.working_draft("T-1", "alex") is None
    assert store.working_draft("T-1", "sam") == "someone else's draft"


def test_working_state_partial_updates_change_only_the_given_fields(store):
    chosen = ChosenSuggestion(engine="offline", model="offline-grounded", text="Your refund is issued.",
                              tone="warm", citations=["kb-12#2"], flags=["abstained"],
                              prompt_versions={"draft": "draft@3f2a1c"}, suggested_at=T0)
    store.save_working_state("T-1", "alex", suggestion=chosen, text=chosen.text)
    store.save_working_state("T-1", "alex", rating=-1)
    store.save_working_state("T-1", "alex", text="Your refund is issued today.")
    state = store.working_state("T-1", "alex")
    assert (state.text, state.suggestion, state.rating) == ("Your refund is issued today.", chosen, -1)
    assert state.idempotency_key is None and state.updated_at.tzinfo is not None
    store.save_working_state("T-1", "alex", suggestion=None, rating=None)
    state = store.working_state("T-1", "alex")
    assert (state.text, state.suggestion, state.rating) == ("Your refund is issued today.", None, None)


def test_working_state_accepts_a_suggestion_as_a_dict_and_rebuilds_the_suggestion_record(store):
    chosen = {"engine": "llm", "model": "openai:gpt-4o-mini", "text": "Hi!", "tone": "concise",
              "citations": [], "flags": [], "prompt_versions": {}, "suggested_at": T0.isoformat()}
    store.save_working_state("T-1", "alex", suggestion=chosen, rating=1)
    state = store.working_state("T-1", "alex")
    record = state.suggestion.as_record(state.rating)
    assert (record.suggested, record.engine, record.rating, record.suggested_at) == ("Hi!", "llm", 1, T0)


def test_working_state_rejects_a_rating_other_than_minus_one_one_or_none(store):
    with pytest.raises(InvalidField, match="rating"):
        store.save_working_state("T-1", "alex", rating=0)
    assert store.working_state("T-1", "alex") is None


def test_working_state_is_cleared_for_one_agent_only(store):
    store.save_working_state("T-1", "alex", text="mine", rating=1)
    store.save_working_state("T-1", "sam", text="theirs")
    store.clear_working_state("T-1", "alex")
    assert store.working_state("T-1", "alex") is None
    assert store.working_state("T-1", "sam").text == "theirs"


def test_ensure_idempotency_key_makes_one_key_and_keeps_it(store):
    store.save_working_state("T-1", "alex", text="Hi")
    key = store.ensure_idempotency_key("T-1", "alex")
    assert len(key) == 32 and store.ensure_idempotency_key("T-1", "alex") == key
    assert store.working_state("T-1", "alex").text == "Hi"
    assert store.ensure_idempotency_key("T-1", "sam") != key


@pytest.mark.parametrize("write", [
    lambda store: store.set_status("T" * 256, "replied"),
    lambda store: store.add_sent_reply("T-1", "a" * 256, "Hi", T0),
    lambda store: store.add_sent_reply("T-1", "alex", "Hi\x00", T0),
    lambda store: store.record_audit(audit_event(sent="Hi\x00")),
    lambda store: store.record_audit(audit_event(citations=["kb\x00"])),
    lambda store: store.save_working_state("T-1", "alex", text="Hi\x00"),
    lambda store: store.save_working_state("T" * 256, "alex", text="Hi"),
    lambda store: store.save_working_state("T-1", "alex", idempotency_key="k" * 65),
])
def test_store_writes_refuse_nul_and_over_long_fields_with_a_message(store, write):
    with pytest.raises(InvalidField, match="NUL character|characters long; the limit is"):
        write(store)
    assert store.statuses() == {} and store.sent_replies("T-1") == [] and store.audit_events() == []
    assert store.working_state("T-1", "alex") is None


def test_invalid_field_message_names_the_field_but_not_its_content(store):
    with pytest.raises(InvalidField) as caught:
        store.add_sent_reply("T-1", "x" * 300, "Hi", T0)
    assert str(caught.value) == "The agent name is 300 characters long; the limit is 255."


def test_desk_store_engine_is_the_store_engine(store):
    assert isinstance(store.engine, Engine)
    with store.engine.connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar_one() == 1
    with pytest.raises(AttributeError):
        store.engine = None


def test_cache_first_writer_wins_and_duplicate_put_does_not_raise(db_url, monkeypatch):
    monkeypatch.setenv("ASSIST_ENCRYPTION_KEY", Fernet.generate_key().decode())
    store = open_store(db_url)
    assert store.cache_get("sha256:abc") is None
    store.cache_put("sha256:abc", '{"draft": "first"}')
    store.cache_put("sha256:abc", '{"draft": "second"}')
    assert store.cache_get("sha256:abc") == '{"draft": "first"}'
    store.dispose()


def test_cache_key_over_long_is_refused_with_a_message(db_url, monkeypatch):
    monkeypatch.setenv("ASSIST_ENCRYPTION_KEY", Fernet.generate_key().decode())
    with open_store(db_url) as store, pytest.raises(InvalidField, match="cache key is 256 characters long"):
        store.cache_put("k" * 256, "{}")


def test_safe_url_hides_password():
    rendered = safe_url("postgresql+psycopg://desk:hunter2@db.internal:5432/assist")
    assert "hunter2" not in rendered
    assert "db.internal" in rendered


def test_desk_store_repr_hides_password():
    engine = create_engine("postgresql+psycopg://desk:hunter2@db.internal:5432/assist")
    assert "hunter2" not in repr(DeskStore(engine))
    assert "db.internal" in repr(DeskStore(engine))


def test_open_store_unreachable_database_error_hides_password():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    url = f"postgresql://desk:hunter2@127.0.0.1:{closed_port}/assist?connect_timeout=2"
    with pytest.raises(StoreError, match="cannot open the desk store") as caught:
        open_store(url)
    assert "hunter2" not in str(caught.value)
