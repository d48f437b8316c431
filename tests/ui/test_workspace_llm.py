"""The agent workspace with an OpenAI-compatible provider configured (a local server on 127.0.0.1)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from evals.fake_openai_server import FakeOpenAIServer

APP = str(Path(__file__).resolve().parents[2] / "assist_ui" / "app.py")


@pytest.fixture
def llm_app(monkeypatch, tmp_path, demo_index_dir):
    with FakeOpenAIServer() as server:
        monkeypatch.setenv("ASSIST_INDEX_DIR", str(demo_index_dir))
        monkeypatch.setenv("ASSIST_DATABASE_URL", f"sqlite:///{tmp_path / 'desk.db'}")
        monkeypatch.setenv("ASSIST_LLM", "openai:fake-model")
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-ui-secret")
        monkeypatch.setenv("ASSIST_LLM_TIMEOUT", "3")
        monkeypatch.chdir(tmp_path)
        st.cache_resource.clear()
        st.cache_data.clear()
        yield server
        st.cache_resource.clear()
        st.cache_data.clear()


def test_workspace_llm_drafts_are_labelled_and_secret_never_shown(llm_app):
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("LLM engine" in s.value for s in at.success)
    captions = " ".join(c.value for c in at.caption)
    assert "Drafted by the LLM" in captions and "Tokens:" in captions
    everything = " ".join(str(el.value) for el in at.main.children.values() if hasattr(el, "value"))
    assert "sk-test-ui-secret" not in everything and "sk-test-ui-secret" not in captions


def test_workspace_llm_failure_shows_banner_and_offline_drafts(llm_app):
    llm_app.script(*[{"status": 503}] * 20)
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("provider failed" in w.value for w in at.warning)
    assert len([b for b in at.button if b.label == "Use this draft"]) == 3
    assert "Drafted by the offline engine" in " ".join(c.value for c in at.caption)


def test_workspace_llm_drafts_are_asked_for_the_signed_in_agent_and_reach_the_reply_without_markers(
        llm_app, monkeypatch, tmp_path, signed_in_tab):
    monkeypatch.setenv("ASSIST_COMPANY_NAME", "Hana Books")

    at = signed_in_tab(f"sqlite:///{tmp_path / 'desk.db'}", "Jimin Park", "T-1001")

    prompts = [" ".join(str(m.get("content")) for m in r["body"]["messages"]) for r in llm_app.requests()]
    drafts = [p for p in prompts if '"kind": "draft"' in p]
    assert len(drafts) == 3, "one draft request per tone"
    for prompt in drafts:
        assert '"agent_name": "Jimin Park"' in prompt and '"company_name": "Hana Books"' in prompt
    next(b for b in at.button if b.key == "use::T-1001::concise").click().run()
    box = at.text_area(key="reply_box::T-1001").value
    assert "policy says" in box and not re.search(r"\[\d{1,2}\]", box)


def test_workspace_llm_uncited_factual_sentences_are_listed_by_the_draft(llm_app):
    uncited = "Refunds reach your card within 14 days."
    llm_app.script(*[{"content": f"Hello Minji. {uncited} Our returns policy explains the steps [1]."}] * 20)
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["ticket"] = "T-1001"
    at.run()
    assert not at.exception, [e.value for e in at.exception]

    notices = [w.value.replace("\\", "") for w in at.warning if "without a source" in w.value]
    assert notices, [w.value for w in at.warning]
    assert all(uncited in notice for notice in notices)
    assert not any("Hello Minji" in notice or "Our returns policy" in notice for notice in notices)
