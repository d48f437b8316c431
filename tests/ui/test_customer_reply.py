"""What reaches the customer: no [n] markers (removed, or a sources line with ASSIST_CUSTOMER_CITATIONS=sources),
drafts signed by the signed-in agent for the configured company, while the audit keeps the cited passages."""
from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from core.types import AssistResult
from desk.store import open_store
from tests.ui.conftest import open_ticket

DEMO_AGENT = "Support team"
MARKER = re.compile(r"\[\d{1,2}\]")
TONES = ("concise", "detailed", "warm")


def use_draft(at: AppTest, ticket_id: str, tone: str) -> str:
    next(b for b in at.button if b.key == f"use::{ticket_id}::{tone}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at.text_area(key=f"reply_box::{ticket_id}").value


def shown_result(ticket_id: str, agent: str = DEMO_AGENT) -> AssistResult:
    """The assist result the workspace shows this agent, from the deps the page used (a cache hit)."""
    from assist_ui import deps
    from chains.pipeline import assist

    ticket = next(t for t in deps.get_tickets()[0] if t.id == ticket_id)
    return assist(ticket, deps.get_agent_deps(agent))


def send(at: AppTest, ticket_id: str) -> None:
    at.button(key=f"send::{ticket_id}").click().run()
    assert not at.exception, [e.value for e in at.exception]


def test_use_this_draft_and_send_deliver_no_markers_while_the_audit_keeps_the_citations(app_env):
    at = open_ticket("T-1001")
    [draft] = [d for d in shown_result("T-1001").drafts if d.tone == "concise"]
    assert MARKER.search(draft.text) and draft.citations, "the agent's draft cites its passages"

    box = use_draft(at, "T-1001", "concise")
    assert not MARKER.search(box)
    send(at, "T-1001")

    store = open_store(app_env)
    [event] = store.audit_events()
    assert not MARKER.search(event.sent) and not MARKER.search(store.sent_replies("T-1001")[0].text)
    assert event.citations == list(dict.fromkeys(c.chunk_id for c in draft.citations))
    assert event.suggested == event.sent and "unedited" in event.flags
    assert (event.edit_distance, event.similarity) == (0.0, 1.0)


def test_markers_typed_back_into_the_reply_are_removed_before_sending_and_the_agent_is_told(app_env):
    at = open_ticket("T-1001")
    [draft] = [d for d in shown_result("T-1001").drafts if d.tone == "detailed"]
    n = draft.citations[0].marker
    use_draft(at, "T-1001", "detailed")
    typed = f"Hi Minji, your refund reaches your card within five business days [{n}]. Order [48213] is on it."
    at.text_area(key="reply_box::T-1001").set_value(typed).run()

    send(at, "T-1001")

    [event] = open_store(app_env).audit_events()
    assert event.sent == "Hi Minji, your refund reaches your card within five business days. Order [48213] is on it."
    assert event.citations and "written_without_suggestion" not in event.flags
    assert any("Reply recorded" in s.value and f"[{n}]" in s.value.replace("\\", "") for s in at.info)


def test_sources_mode_lists_the_cited_articles_before_the_sign_off(app_env, monkeypatch):
    monkeypatch.setenv("ASSIST_CUSTOMER_CITATIONS", "sources")
    at = open_ticket("T-1001")
    result = shown_result("T-1001")
    [draft] = [d for d in result.drafts if d.tone == "concise"]
    titles = {result.hits[c.marker - 1].chunk.title for c in draft.citations}

    box = use_draft(at, "T-1001", "concise")

    assert not MARKER.search(box)
    [sources] = [line for line in box.splitlines() if line.startswith("Sources: ")]
    assert all(sources.count(title) == 1 for title in titles)
    assert "Maru Market Support" in box.split(sources, 1)[1], "the sign-off comes after the sources line"


def test_sources_mode_labels_a_korean_reply_in_korean(app_env, monkeypatch):
    monkeypatch.setenv("ASSIST_CUSTOMER_CITATIONS", "sources")
    at = open_ticket("T-1003")
    assert shown_result("T-1003").triage.language == "ko"

    box = use_draft(at, "T-1003", "concise")

    assert not MARKER.search(box)
    assert any(line.startswith("참고: ") for line in box.splitlines())
    assert "Sources:" not in box


@pytest.mark.parametrize("ticket_id", ["T-1001", "T-1003"])
def test_drafts_are_signed_by_the_signed_in_agent_for_the_configured_company(app_env, monkeypatch, signed_in_tab,
                                                                              ticket_id):
    monkeypatch.setenv("ASSIST_COMPANY_NAME", "Hana Books")
    at = signed_in_tab(app_env, "Jimin Park", ticket_id)

    for tone in TONES:
        box = use_draft(at, ticket_id, tone)
        assert "Jimin Park" in box and "Hana Books" in box, tone
        assert "Support team" not in box and "Maru Market" not in box, tone
    send(at, ticket_id)
    [event] = open_store(app_env).audit_events()
    assert event.agent == "Jimin Park" and "Jimin Park" in event.sent


def test_a_configured_signature_still_overrides_the_built_in_sign_off(app_env, monkeypatch, signed_in_tab):
    monkeypatch.setenv("ASSIST_COMPANY_NAME", "Hana Books")
    monkeypatch.setenv("ASSIST_AGENT_SIGNATURE", "Cheers,\\n{agent} at {company}")
    at = signed_in_tab(app_env, "Jimin Park", "T-1001")

    box = use_draft(at, "T-1001", "warm")

    assert box.rstrip().endswith("Cheers,\nJimin Park at Hana Books")


def test_the_workspace_says_what_use_this_draft_does_with_markers_in_the_interface_language(app_env, monkeypatch):
    monkeypatch.setenv("ASSIST_UI_LANGUAGE", "ko")

    at = open_ticket("T-1001")

    assert any("[n] 표시를 뺀" in c.value.replace("\\", "") for c in at.caption)
