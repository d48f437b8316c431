"""`python -m desk demo-seed`: labelled, deterministic demo activity for a fresh desk database."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from desk import tables
from desk.__main__ import main
from desk.demo_seed import AlreadySeeded, seed_demo
from desk.encryption import is_sealed
from desk.feedback import list_feedback, suggestion_key
from desk.report import AuditFilter, iter_events
from desk.store import open_store

END = datetime(2026, 11, 30, tzinfo=timezone.utc)


@pytest.fixture
def url(desk_env_url):
    return desk_env_url


def events_of(url: str) -> list:
    with open_store(url) as store:
        return [row.event.model_dump(exclude={"id"}) for row in iter_events(store, AuditFilter())]


def test_demo_seed_is_deterministic_for_a_seed(tmp_path, url):
    other = f"sqlite:///{tmp_path / 'other.db'}"
    for target in (url, other):
        with open_store(target) as store:
            seed_demo(store, weeks=4, replies=300, seed=3, end=END)
    assert events_of(url) == events_of(other)
    with open_store(f"sqlite:///{tmp_path / 'third.db'}") as store:
        seed_demo(store, weeks=4, replies=300, seed=4, end=END)
    assert events_of(f"sqlite:///{tmp_path / 'third.db'}") != events_of(url)


def test_demo_seed_labels_every_event_as_demo(url, capsys):
    assert main(["demo-seed", "--replies", "200", "--weeks", "4", "--end", "2026-11-30"]) == 0
    assert "Seeded 200 demo replies" in capsys.readouterr().out
    events = events_of(url)
    assert len(events) == 200
    assert all(e["ticket_id"].startswith("DEMO-") and "demo" in e["flags"] for e in events)
    assert {e["language"] for e in events} == {"en", "ko"} and {e["engine"] for e in events} == {"offline", "llm"}
    assert all(e["cost_usd"] == 0 for e in events if e["engine"] == "offline")
    assert sorted({e["ticket_id"] for e in events})[0] == "DEMO-00001"


def test_demo_seed_refuses_a_database_with_events_unless_forced(url, capsys):
    assert main(["demo-seed", "--replies", "50"]) == 0
    assert main(["demo-seed", "--replies", "50"]) == 1
    assert "already has 50 events" in capsys.readouterr().err
    assert main(["demo-seed", "--replies", "50", "--force"]) == 0
    events = events_of(url)
    assert len(events) == 100 and len({e["ticket_id"] for e in events}) == 100
    with open_store(url) as store, pytest.raises(AlreadySeeded):
        seed_demo(store, replies=10)


def test_demo_seed_has_a_baseline_period_without_suggestions(url):
    with open_store(url) as store:
        summary = seed_demo(store, weeks=6, replies=400, seed=7, end=END)
    events = events_of(url)
    before = [e for e in events if e["sent_at"] < summary.baseline_until]
    after = [e for e in events if e["sent_at"] >= summary.baseline_until]
    assert summary.baseline_until == datetime(2026, 11, 2, tzinfo=timezone.utc)
    assert before and all(e["suggested"] == "" and "written_without_suggestion" in e["flags"] for e in before)
    assert sum(bool(e["suggested"]) for e in after) > 0.8 * len(after)
    assert any(e["abstained"] and "abstained" in e["flags"] for e in after)
    assert len({e["prompt_versions"]["draft"] for e in after}) == 2
    for e in events:
        assert e["opened_at"] < e["first_typed_at"] < e["sent_at"]
        assert abs((e["sent_at"] - e["opened_at"]).total_seconds() - e["handle_seconds"]) < 0.1


def test_demo_seed_feedback_rows_match_the_ratings(url):
    with open_store(url) as store:
        seed_demo(store, weeks=4, replies=300, seed=1, end=END)
        feedback = {(f.suggestion_key, f.user): f for f in list_feedback(store)}
    rated = [e for e in events_of(url) if e["rating"] is not None]
    assert rated and len(feedback) == len(rated)
    for e in rated:
        row = feedback[(suggestion_key(e["ticket_id"], e["engine"], e["tone"], e["suggested"]), e["agent"])]
        assert (row.rating, row.reason, row.suggested) == (e["rating"], e["feedback_reason"], e["suggested"])
        assert (row.rating == -1) == bool(row.reason)
    assert any(f.comment for f in feedback.values())


def test_demo_seed_seals_texts_when_a_key_is_set(url, monkeypatch):
    monkeypatch.setenv("ASSIST_ENCRYPTION_KEY", Fernet.generate_key().decode())
    with open_store(url) as store:
        seed_demo(store, weeks=2, replies=30, end=END)
        with store.connection() as connection:
            stored = connection.execute(select(tables.audit_events.c.sent, tables.audit_events.c.question)).all()
            comments = connection.execute(select(tables.feedback.c.comment)).scalars().all()
        assert all(is_sealed(sent) and is_sealed(question) for sent, question in stored)
        assert all(is_sealed(comment) for comment in comments if comment)
        assert all(row.event.sent for row in iter_events(store, AuditFilter()))
