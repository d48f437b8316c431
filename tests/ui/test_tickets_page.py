"""The Tickets page (administrators): what the desk holds, and "Sync now" against the local Zendesk fake."""
from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.fakes.zendesk import EMAIL, TOKEN, FakeZendesk

# The page itself: who may open it (admins) is app navigation's concern, tested with sign-in.
PAGE = str(Path(__file__).resolve().parents[2] / "assist_ui" / "screens" / "tickets.py")


@pytest.fixture
def page_env(monkeypatch, tmp_path, demo_index_dir):
    monkeypatch.setenv("ASSIST_INDEX_DIR", str(demo_index_dir))
    monkeypatch.setenv("ASSIST_DATABASE_URL", f"sqlite:///{tmp_path / 'desk.db'}")
    monkeypatch.setenv("ASSIST_LLM", "offline")
    st.cache_resource.clear()
    st.cache_data.clear()
    yield monkeypatch
    st.cache_resource.clear()
    st.cache_data.clear()


def run_page() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_tickets_page_lists_the_seeded_demo_and_says_how_to_connect_a_helpdesk(page_env):
    at = run_page()

    [table] = at.dataframe
    assert "T-1001" in set(table.value["id"])
    assert any("ASSIST_ZENDESK_URL" in c.value for c in at.caption)
    assert not [b for b in at.button if b.key == "tickets_sync"]


def test_tickets_page_sync_now_imports_from_zendesk(page_env):
    with FakeZendesk() as fake:
        fake.users.append({"id": 1, "name": "Hana Lee", "email": "hana@example.com", "role": "end-user"})
        fake.add_ticket({"id": 77, "subject": "Late parcel", "status": "pending", "requester_id": 1},
                        [{"id": 700, "author_id": 1, "body": "Where is it?", "public": True,
                          "created_at": "2026-11-25T10:00:00Z"}])
        for name, value in (("ASSIST_ZENDESK_URL", fake.url), ("ASSIST_ZENDESK_EMAIL", EMAIL),
                            ("ASSIST_ZENDESK_TOKEN", TOKEN)):
            page_env.setenv(name, value)
        at = run_page()
        at.button(key="tickets_sync").click().run()

    assert not at.exception, [e.value for e in at.exception]
    assert any("1 new" in s.value for s in at.success)
    assert "ZD-77" in set(at.dataframe[0].value["id"])
