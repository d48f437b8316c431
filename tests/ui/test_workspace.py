"""The agent workspace driven through Streamlit's AppTest: open, draft, edit, send, audit."""
from __future__ import annotations

from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

from desk.store import open_store

APP = str(Path(__file__).resolve().parents[2] / "assist_ui" / "app.py")


def open_app(ticket_id: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    at.radio(key="queue_radio").set_value(ticket_id).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def assist_counters() -> dict:
    from assist_ui import deps

    return dict(deps.get_deps().counters)


def test_workspace_open_draft_edit_send_records_audit(app_env):
    at = open_app("T-1001")
    use_buttons = [b for b in at.button if b.label == "Use this draft"]
    assert len(use_buttons) == 3, "three draft variants are offered"
    assert any("Offline engine" in i.value for i in at.info)
    use_buttons[0].click().run()
    reply = at.text_area(key="reply_box::T-1001")
    suggested = reply.value
    assert suggested.startswith("Hi ") and "[1]" not in suggested, "the customer's copy carries no markers"
    edited = suggested.replace("Hi ", "Hello ", 1) + "\nP.S. I have also flagged this with our payments team."
    reply.set_value(edited).run()
    at.button(key="send::T-1001").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Reply recorded" in s.value for s in at.info)
    store = open_store(app_env)
    events = store.audit_events()
    assert len(events) == 1
    assert events[0].sent == edited and events[0].suggested == suggested
    assert 0 < events[0].edit_distance < 0.5
    assert store.status("T-1001") == "replied"
    assert store.sent_replies("T-1001")[0].text == edited


def test_workspace_rerun_does_not_recompute_assist(app_env):
    at = open_app("T-1002")
    before = assist_counters()
    at.run()
    at.run()
    after = assist_counters()
    assert after["assist_computed"] == before["assist_computed"]
    assert after["model_calls"] == before["model_calls"]


def test_workspace_edited_reply_survives_ticket_switch(app_env):
    at = open_app("T-1003")
    at.text_area(key="reply_box::T-1003").set_value("안녕하세요, 확인 중입니다.").run()
    at.radio(key="queue_radio").set_value("T-1004").run()
    at.radio(key="queue_radio").set_value("T-1003").run()
    assert at.text_area(key="reply_box::T-1003").value == "안녕하세요, 확인 중입니다."
    assert open_store(app_env).working_draft("T-1003", "Support team") == "안녕하세요, 확인 중입니다."


def test_workspace_blank_reply_is_refused_and_nothing_recorded(app_env):
    at = open_app("T-1005")
    at.text_area(key="reply_box::T-1005").set_value("   ").run()
    at.button(key="send::T-1005").click().run()
    assert any("The reply is empty" in e.value and "Nothing was sent or recorded" in e.value for e in at.error)
    assert open_store(app_env).audit_events() == []


def test_workspace_missing_index_without_articles_says_how_to_build(app_env, monkeypatch, tmp_path):
    monkeypatch.setenv("ASSIST_INDEX_DIR", str(tmp_path / "no-index"))
    monkeypatch.setenv("ASSIST_KB_DIR", str(tmp_path / "no-articles"))
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert any("make index" in e.value for e in at.error)


def test_workspace_first_start_builds_the_missing_index_while_warming_up(app_env, monkeypatch, tmp_path):
    from knowledge.index import current_version

    monkeypatch.setenv("ASSIST_INDEX_DIR", str(tmp_path / "fresh-index"))
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["ticket"] = "T-1001"
    at.run()
    assert not at.exception, [e.value for e in at.exception]

    assert current_version(tmp_path / "fresh-index")
    [status] = at.status
    assert status.label.startswith("Ready (") and status.state == "complete"
    assert "Building the knowledge index from the articles…" in [m.value for m in status.markdown]
    assert sum(b.label == "Use this draft" for b in at.button) == 3


def test_audit_page_lists_sent_reply(app_env):
    at = open_app("T-1001")
    at.button(key="use::T-1001::concise").click().run()
    at.button(key="send::T-1001").click().run()
    at.switch_page("screens/audit.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.metric[0].value == "1"
    [rows] = [d.value for d in at.dataframe if "ticket" in d.value.columns]
    assert "T-1001" in rows["ticket"].tolist()
    assert rows["delivery"].tolist() == ["delivered"]


def test_workspace_rewrite_proposal_accept_and_undo(app_env):
    at = open_app("T-1001")
    at.button(key="use::T-1001::detailed").click().run()
    original = at.text_area(key="reply_box::T-1001").value
    at.selectbox(key="rewrite_op::T-1001").set_value("shorten").run()
    at.button(key="rewrite::T-1001").click().run()
    assert at.text_area(key="reply_box::T-1001").value == original, "a proposal does not replace the text by itself"
    at.button(key="accept::T-1001").click().run()
    shortened = at.text_area(key="reply_box::T-1001").value
    assert shortened != original and len(shortened) < len(original)
    at.button(key="undo::T-1001").click().run()
    assert at.text_area(key="reply_box::T-1001").value == original


def test_workspace_translate_offline_is_refused_and_text_kept(app_env):
    at = open_app("T-1001")
    at.text_area(key="reply_box::T-1001").set_value("Your refund is on its way.").run()
    at.selectbox(key="rewrite_op::T-1001").set_value("translate").run()
    at.button(key="rewrite::T-1001").click().run()
    assert any("Rewrite not available" in w.value for w in at.warning)
    assert at.text_area(key="reply_box::T-1001").value == "Your refund is on its way."


def test_workspace_kb_panel_shows_each_article_once_with_its_numbered_passages(app_env):
    at = open_app("T-1001")
    values = [m.value for m in at.markdown]
    start = values.index("**Knowledge base**")
    panel = values[start + 1:]

    titles = [v for v in panel if v.startswith("**") and v.endswith("**")]
    passages = [v for v in panel if v.startswith("**\\[")]
    assert 1 <= len(titles) <= 5
    assert len(titles) == len(set(titles)), "an article appears once, its passages grouped under it"
    numbers = [int(v[4:v.index("\\]")]) for v in passages]
    assert numbers == list(range(1, len(numbers) + 1)), "passages are numbered as the drafts cite them"
    assert len(passages) >= len(titles)


def test_workspace_replied_ticket_offers_send_again_only_after_a_click(app_env):
    at = open_app("T-1002")
    at.text_area(key="reply_box::T-1002").set_value("Your order ships today.").run()
    at.button(key="send::T-1002").click().run()

    assert any("did not reach the customer" in i.value for i in at.info), "no delivery channel: recorded only"
    assert not [b for b in at.button if b.key == "send::T-1002"]
    at.button(key="another::T-1002").click().run()
    assert at.button(key="send::T-1002") is not None
