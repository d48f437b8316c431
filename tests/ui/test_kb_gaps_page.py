"""The Missing or weak articles page: a lead sees topics ranked from the audit log, drafts an article from the
agents' replies and publishes it into the knowledge base (uploads folder + rebuilt index); agents have no access."""
from __future__ import annotations

import shutil
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from core.types import AuditEvent
from desk.accounts import Accounts
from desk.store import open_store
from knowledge.index import current_version, read_manifest

APP = str(Path(__file__).resolve().parents[2] / "assist_ui" / "app.py")
PAGE = str(Path(__file__).resolve().parents[2] / "assist_ui" / "screens" / "kb_gaps.py")
PASSWORD = "correct horse battery"
CRYPTO = ["Can I pay with cryptocurrency?", "Do you accept bitcoin payments?", "Is paying in crypto possible?"]
ANTARCTICA = ["Do you ship to Antarctica?", "Can you deliver my parcel to Antarctica?"]
REPLY = ("Hi there, thanks for asking! We do not accept cryptocurrency at the moment. You can pay by card, bank "
         "transfer or PayPal. Write to pay@example.com if your order #48213 is on hold.\n\nBest regards,\nAlex")


def gap_event(n: int, question: str, **changes) -> AuditEvent:
    values = dict(ticket_id=f"T-{n}", agent="alex", engine="offline", model="offline-grounded", suggested="",
                  sent=REPLY if "pay" in question or "crypto" in question else "We do not ship to Antarctica.",
                  edit_distance=1.0, similarity=0.0, sent_at=datetime.now(timezone.utc) - timedelta(days=1),
                  intent="payment", language="en", question=question)
    return AuditEvent(**{**values, **changes})


@pytest.fixture
def gaps_env(monkeypatch, tmp_path, demo_index_dir):
    """The app over a copy of the demo index, a desk database with gap replies, a lead and an agent account."""
    index_dir = tmp_path / "index"
    shutil.copytree(demo_index_dir, index_dir)
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    monkeypatch.setenv("ASSIST_INDEX_DIR", str(index_dir))
    monkeypatch.setenv("ASSIST_DATABASE_URL", url)
    monkeypatch.setenv("ASSIST_LLM", "offline")
    with open_store(url) as store:
        for n, question in enumerate(CRYPTO):
            store.record_audit(gap_event(n, question, abstained=n == 0))
        for n, question in enumerate(ANTARCTICA, start=10):
            store.record_audit(gap_event(n, question))
        store.record_audit(gap_event(20, "Where is my refund?", suggested="Your refund is on its way.",
                                     sent="Your refund is on its way.", edit_distance=0.0, similarity=1.0))
        Accounts(store).add("lena", "lead", PASSWORD)
        Accounts(store).add("alex", "agent", PASSWORD)
    st.cache_resource.clear()
    st.cache_data.clear()
    yield url, tmp_path
    st.cache_resource.clear()
    st.cache_data.clear()


def signed_in(name: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.text_input(key="sign_in_name").input(name)
    at.text_input(key="sign_in_password").input(PASSWORD)
    next(b for b in at.button if b.label == "Sign in").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def shown(at: AppTest) -> str:
    return "\n".join(e.value for kind in (at.markdown, at.caption, at.info) for e in kind)


def test_a_lead_sees_topics_ranked_with_their_reasons(gaps_env):
    at = signed_in("lena").switch_page("screens/kb_gaps.py").run()
    assert not at.exception, [e.value for e in at.exception]

    assert any(h.value == "Missing or weak articles" for h in at.header)
    topics = [m.value for m in at.markdown if m.value.startswith("**")]
    assert len(topics) == 2 and "3 replies" in topics[0] and "2 replies" in topics[1]
    assert "Abstained: 1 · no suggestion: 2 · heavy edits: 0" in shown(at)
    assert "Where is my refund" not in shown(at), "a reply sent from an unedited suggestion is no gap"


def test_a_lead_drafts_and_publishes_an_article_into_the_knowledge_base(gaps_env):
    _, tmp_path = gaps_env
    before = current_version(tmp_path / "index")
    at = signed_in("lena").switch_page("screens/kb_gaps.py").run()

    next(b for b in at.button if b.key.startswith("gaps_draft::0::")).click().run()
    assert not at.exception, [e.value for e in at.exception]
    editor = next(a for a in at.text_area if a.key.startswith("gaps_text::0::"))
    assert "We do not accept cryptocurrency at the moment." in editor.value
    assert "pay@example.com" not in editor.value and "48213" not in editor.value and "Alex" not in editor.value
    next(i for i in at.text_input if i.key.startswith("gaps_title::0::")).set_value("Paying with cryptocurrency")
    editor.set_value(editor.value + "\nWe may add more payment methods later.\n")
    next(b for b in at.button if b.key.startswith("gaps_publish::0::")).click().run()

    assert not at.exception, [e.value for e in at.exception]
    assert any("rebuilt the index" in s.value for s in at.success), [e.value for e in at.error]
    published = tmp_path / "kb_uploads" / "paying-with-cryptocurrency.md"
    assert published.exists()
    assert 'title: "Paying with cryptocurrency"' in published.read_text(encoding="utf-8")
    assert "We may add more payment methods later." in published.read_text(encoding="utf-8")
    after = current_version(tmp_path / "index")
    assert after != before
    titles = [a.get("title") for a in read_manifest(tmp_path / "index" / "versions" / after).articles.values()]
    assert "Paying with cryptocurrency" in titles


def test_an_empty_window_says_nothing_was_found(gaps_env):
    at = signed_in("lena").switch_page("screens/kb_gaps.py").run()
    long_ago = datetime(2020, 1, 1).date()
    at.date_input(key="gaps_window").set_value((long_ago, long_ago)).run()

    assert not at.exception, [e.value for e in at.exception]
    assert any("nothing points at a missing article" in i.value for i in at.info)


def test_an_agent_has_no_access(gaps_env):
    at = signed_in("alex")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("screens/kb_gaps.py")

    page = AppTest.from_file(PAGE, default_timeout=60)
    page.session_state["auth"] = {"name": "alex", "signed_in_at": time.time(), "last_seen": time.time()}
    page.run()
    assert any("do not have access" in e.value for e in page.error)
    assert "cryptocurrency" not in shown(page)
