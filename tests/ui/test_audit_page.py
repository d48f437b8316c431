"""The lead's Audit page on a seeded database: its numbers are the report's, filters narrow them, a lead finds
which intents get rejected drafts and why, and every text is rendered inert."""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

from streamlit.testing.v1 import AppTest

from assist_ui.audit_views import headline
from core.types import AuditEvent
from desk.demo_seed import seed_demo
from desk.report import AuditFilter, lead_report
from desk.store import open_store
from tests.ui.conftest import APP

END = datetime(2026, 11, 30, tzinfo=timezone.utc)


def seeded(url: str, replies: int = 400):
    with open_store(url) as store:
        return seed_demo(store, weeks=6, replies=replies, seed=11, end=END)


def audit_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("screens/audit.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def shown_metrics(at: AppTest) -> list[tuple[str, str]]:
    return [(m.label, m.value) for m in at.metric]


def whole_window(summary) -> AuditFilter:
    return AuditFilter(since=summary.since, until=summary.until.replace(hour=0, minute=0, second=0) + timedelta(days=1))


def test_audit_page_shows_the_numbers_the_report_command_prints(app_env):
    summary = seeded(app_env)
    at = audit_page()

    with open_store(app_env) as store:
        report = lead_report(store, whole_window(summary))
    assert report["replies"] == summary.events
    assert shown_metrics(at) == headline(report)


def test_audit_page_baseline_and_agent_filter_match_the_report(app_env):
    summary = seeded(app_env)
    at = audit_page()
    agent = at.multiselect(key="audit_f_agent").options[0]
    at.multiselect(key="audit_f_agent").select(agent).run()
    at.date_input(key="audit_f_baseline").set_value(summary.baseline_until.date()).run()
    assert not at.exception, [e.value for e in at.exception]

    with open_store(app_env) as store:
        report = lead_report(store, AuditFilter(since=whole_window(summary).since, until=whole_window(summary).until,
                                                agents=(agent,)), baseline_until=summary.baseline_until)
    assert report["baseline"]["source"] == "period" and report["baseline"]["replies"] > 0
    assert shown_metrics(at) == headline(report)
    assert any("Baseline" in c.value for c in at.caption)


def test_audit_page_a_lead_finds_which_intents_get_rejected_and_why(app_env):
    seeded(app_env)
    at = audit_page()
    at.multiselect(key="audit_f_rating").select(-1).run()
    assert not at.exception, [e.value for e in at.exception]

    [table] = [d.value for d in at.dataframe if "rejected" in d.value.columns]
    assert len(table) > 0 and table["rejected"].sum() > 0
    counts = table.groupby("intent")["rejected"].sum()
    assert counts[table["intent"].iloc[0]] == counts.max(), "the most rejected intent comes first"
    assert set(table["reason"]) <= {"Wrong facts", "Not relevant", "Wrong tone", "Missing information", "Other",
                                    "no reason given"}
    [rows] = [d.value for d in at.dataframe if "ticket" in d.value.columns]
    assert set(rows["rating"]) == {"👎 not useful"}


def test_audit_page_replies_are_paginated_with_a_page_count(app_env):
    seeded(app_env, replies=130)
    at = audit_page()
    assert any("Page 1 of 3 · 130 replies match" in c.value for c in at.caption)
    at.number_input(key="audit_page").set_value(3).run()
    [rows] = [d.value for d in at.dataframe if "ticket" in d.value.columns]
    assert len(rows) == 30


def test_audit_page_diff_renders_agent_and_customer_text_inert(app_env):
    hostile = "<img src=x onerror=alert(1)> **bold** [link](http://evil.example)"
    with open_store(app_env) as store:
        store.record_audit(AuditEvent(
            ticket_id="T-1", agent="alex", engine="offline", model="m", suggested="Your refund is on its way.",
            sent=f"Your refund was sent. {hostile}", tone="concise", edit_distance=0.5, similarity=0.5,
            sent_at=datetime.now(timezone.utc)))
    at = audit_page()

    markdown = "\n".join(m.value for m in at.markdown)
    assert ":red-background[~~is on its way\\.~~]" in markdown
    assert "\\<img" in markdown, "the customer's tag is shown as text"
    for active in (r"(?<!\\)<img", r"(?<!\\)\]\(http", r"(?<!\\)\*\*bold"):
        assert re.search(active, markdown) is None, active


def test_audit_page_without_replies_says_how_to_seed_demo_data(app_env):
    at = audit_page()
    assert any("demo-seed" in i.value for i in at.info)


def test_audit_page_agrees_with_python_m_desk_report_json(app_env, capsys):
    from desk.__main__ import main as desk_main

    summary = seeded(app_env)
    at = audit_page()
    at.date_input(key="audit_f_baseline").set_value(summary.baseline_until.date()).run()
    window = whole_window(summary)

    assert desk_main(["report", "--since", f"{window.since:%Y-%m-%d}", "--until", f"{window.until:%Y-%m-%d}",
                      "--baseline-until", f"{summary.baseline_until:%Y-%m-%d}", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert shown_metrics(at) == headline(printed)
    assert printed["baseline"]["source"] == "period"


def test_audit_page_speaks_korean(app_env, monkeypatch):
    monkeypatch.setenv("ASSIST_UI_LANGUAGE", "ko")
    seeded(app_env, replies=60)
    at = audit_page()

    assert [h.value for h in at.header] == ["감사"]
    assert at.metric[0].label == "보낸 답장"
    assert [tab.label for tab in at.tabs] == ["개요", "ROI 보고서", "거절과 이유", "프롬프트 버전", "답장"]
