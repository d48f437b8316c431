"""The agent's work survives reloads and outages: text, chosen suggestion and rating live on the server, the
selected ticket in the URL, "Use this draft" asks before replacing typed text, and Send records exactly once
and tells the truth about delivery."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError
from streamlit.testing.v1 import AppTest

from desk.store import DeskStore, open_store

APP = str(Path(__file__).resolve().parents[2] / "assist_ui" / "app.py")
AGENT = "Support team"  # the demo identity (ASSIST_AGENT_NAME's default)


def browser_tab(ticket_id: str | None = None) -> AppTest:
    """A fresh session, as a new tab or a reload is; with `ticket_id` in the URL as the page leaves it."""
    at = AppTest.from_file(APP, default_timeout=120)
    if ticket_id:
        at.query_params["ticket"] = ticket_id
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def use_button(at: AppTest, ticket_id: str, tone: str):
    return next(b for b in at.button if b.key == f"use::{ticket_id}::{tone}")


def test_selected_ticket_survives_a_reload(app_env):
    at = browser_tab()
    at.radio(key="queue_radio").set_value("T-1007").run()
    assert at.query_params["ticket"] == ["T-1007"] or at.query_params["ticket"] == "T-1007"

    reloaded = browser_tab("T-1007")

    assert reloaded.radio(key="queue_radio").value == "T-1007"


def test_typed_text_survives_a_reload(app_env):
    at = browser_tab("T-1003")
    at.text_area(key="reply_box::T-1003").set_value("안녕하세요, 확인 중입니다.").run()

    reloaded = browser_tab("T-1003")

    assert reloaded.text_area(key="reply_box::T-1003").value == "안녕하세요, 확인 중입니다."


def test_chosen_suggestion_and_rating_survive_a_reload_and_reach_the_audit(app_env):
    at = browser_tab("T-1001")
    use_button(at, "T-1001", "detailed").click().run()
    suggested = at.text_area(key="reply_box::T-1001").value
    at.feedback(key="rating::T-1001").set_value(1).run()
    assert open_store(app_env).working_state("T-1001", AGENT).rating == 1

    reloaded = browser_tab("T-1001")
    assert reloaded.text_area(key="reply_box::T-1001").value == suggested
    assert any("Started from the detailed suggestion" in c.value for c in reloaded.caption)
    reloaded.button(key="send::T-1001").click().run()

    [event] = open_store(app_env).audit_events()
    assert event.suggested == suggested and event.sent == suggested and event.tone == "detailed"
    assert event.rating == 1 and event.edit_distance == 0.0
    assert "written_without_suggestion" not in event.flags


def test_use_this_draft_asks_before_replacing_typed_text(app_env):
    at = browser_tab("T-1002")
    mine = "Hi Jonas, I am checking with the courier right now."
    at.text_area(key="reply_box::T-1002").set_value(mine).run()

    use_button(at, "T-1002", "concise").click().run()
    assert at.text_area(key="reply_box::T-1002").value == mine
    assert any("Replace the text you typed" in w.value for w in at.warning)
    next(b for b in at.button if b.key == "confirm_keep::T-1002").click().run()
    assert at.text_area(key="reply_box::T-1002").value == mine

    use_button(at, "T-1002", "concise").click().run()
    next(b for b in at.button if b.key == "confirm_replace::T-1002").click().run()
    assert at.text_area(key="reply_box::T-1002").value != mine
    assert at.text_area(key="reply_box::T-1002").value.startswith("Hi ")


def test_send_with_the_database_down_records_nothing_says_so_and_keeps_the_text(app_env, monkeypatch):
    at = browser_tab("T-1004")
    text = "Hello, I am sorry the bowls arrived broken: a replacement is on its way."
    at.text_area(key="reply_box::T-1004").set_value(text).run()

    def down(self, *args, **kwargs):
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    with monkeypatch.context() as patched:
        patched.setattr(DeskStore, "record_send", down)
        at.button(key="send::T-1004").click().run()
    assert any("not recorded" in e.value.lower() for e in at.error)
    assert at.text_area(key="reply_box::T-1004").value == text
    assert open_store(app_env).audit_events() == []

    at.button(key="send::T-1004").click().run()

    events = open_store(app_env).audit_events()
    assert len(events) == 1 and events[0].sent == text, "recorded once when the database is back"
    assert any("Reply recorded" in s.value for s in at.info)


class FlakyWebhook(BaseHTTPRequestHandler):
    """Answers 500 until told to accept; records every POST body."""

    accept = False
    posts: list[dict] = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).posts.append({"key": self.headers.get("Idempotency-Key"), **body})
        self.send_response(200 if type(self).accept else 500)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def flaky_webhook(monkeypatch):
    FlakyWebhook.accept, FlakyWebhook.posts = False, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FlakyWebhook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("ASSIST_SEND_WEBHOOK_URL", f"http://127.0.0.1:{server.server_port}/replies")
    yield FlakyWebhook
    server.shutdown()


def test_failed_delivery_is_recorded_stays_visible_and_a_retry_delivers_it_once(app_env, flaky_webhook):
    at = browser_tab("T-1005")
    text = "Hello, a bigger size is reserved for you."
    at.text_area(key="reply_box::T-1005").set_value(text).run()

    at.button(key="send::T-1005").click().run()

    assert any("not delivered" in w.value.lower() or "failed" in w.value.lower() for w in at.warning)
    assert len(open_store(app_env).audit_events()) == 1
    retry = [b for b in at.button if b.key and b.key.startswith("retry::")]
    assert len(retry) == 1
    assert list(open_store(app_env).delivery_statuses().values()) == ["failed"]
    flaky_webhook.accept = True
    retry[0].click().run()
    assert list(open_store(app_env).delivery_statuses().values()) == ["delivered"]

    assert not [b for b in at.button if b.key and b.key.startswith("retry::")]
    assert len(open_store(app_env).audit_events()) == 1
    keys = {p["key"] for p in flaky_webhook.posts}
    assert len(keys) == 1 and all(p["text"] == text for p in flaky_webhook.posts)
