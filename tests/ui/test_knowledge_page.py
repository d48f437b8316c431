"""The Knowledge page: index status, rebuild from a folder with live pickup, and the search playground."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "assist_ui" / "app.py")
ARTICLE = """---
title: {title}
url: https://help.example/{slug}
lang: en
---
# {title}

## Details
{body}
"""


@pytest.fixture
def knowledge_app(monkeypatch, tmp_path, demo_index_dir):
    index_dir = tmp_path / "index"
    shutil.copytree(demo_index_dir, index_dir)
    monkeypatch.setenv("ASSIST_INDEX_DIR", str(index_dir))
    monkeypatch.setenv("ASSIST_DATABASE_URL", f"sqlite:///{tmp_path / 'desk.db'}")
    monkeypatch.setenv("ASSIST_LLM", "offline")
    monkeypatch.chdir(tmp_path)
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.switch_page("pages/knowledge.py").run()
    assert not at.exception, [e.value for e in at.exception]
    yield at, tmp_path
    st.cache_resource.clear()
    st.cache_data.clear()


def test_knowledge_page_shows_index_status(knowledge_app):
    at, _ = knowledge_app
    assert at.metric[0].value == "35"
    assert "returns-how-to" in at.dataframe[0].value["id"].tolist()


def test_knowledge_page_playground_shows_three_rankings_and_verdict(knowledge_app):
    at, _ = knowledge_app
    at.text_input(key="kb_query").set_value("how do I return an item").run()
    assert not at.exception, [e.value for e in at.exception]
    rankings = at.dataframe[1:4]
    assert len(rankings) == 3
    assert all(r.value["article"].iloc[0] == "returns-how-to" for r in rankings)
    assert any("Answerable" in s.value for s in at.success)


def test_knowledge_page_rebuild_from_folder_is_picked_up_without_restart(knowledge_app):
    at, tmp_path = knowledge_app
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "bike-repair.md").write_text(ARTICLE.format(
        title="Bicycle repair service", slug="bike-repair",
        body="We repair bicycles bought from us within 14 days. Bring the bicycle to a partner workshop."), encoding="utf-8")
    (folder / "broken.md").write_text("---\ntitle: [unclosed\n---\nbody", encoding="utf-8")
    at.text_input(key="kb_source").set_value(str(folder)).run()
    at.button(key="kb_rebuild").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("1 articles" in s.value for s in at.success)
    assert any("broken.md" in w.value for w in at.warning), "a bad file is reported by name"
    at.run()
    assert at.metric[0].value == "1", "the new index is live on the next run"
    at.text_input(key="kb_query").set_value("bicycle repair").run()
    assert at.dataframe[-1].value["article"].iloc[0] == "bike-repair"
