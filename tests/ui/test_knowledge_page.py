"""The Knowledge page: index status, rebuild from the configured folder with live pickup, refused rebuilds that
would empty the index, restoring the previous version, and the search playground."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from knowledge.paths import demo_articles_dir

# The page itself, not app.py: who may open it (admins) is app navigation's concern, tested with sign-in.
PAGE = str(Path(__file__).resolve().parents[2] / "assist_ui" / "screens" / "knowledge.py")
ARTICLE = """---
title: {title}
url: https://help.example/{slug}
lang: en
---
# {title}

## Details
{body}
"""


BROKEN = "---\ntitle: [unclosed\n---\nbody"


def write_bike_article(folder: Path) -> None:
    (folder / "bike-repair.md").write_text(ARTICLE.format(
        title="Bicycle repair service", slug="bike-repair",
        body="We repair bicycles bought from us within 14 days. Bring the bicycle to a partner workshop."), encoding="utf-8")


@pytest.fixture
def knowledge_app(monkeypatch, tmp_path, demo_index_dir):
    """The Knowledge page over a copy of the 35-article demo index; ASSIST_KB_DIR is the empty folder tmp_path/kb."""
    index_dir = tmp_path / "index"
    shutil.copytree(demo_index_dir, index_dir)
    (tmp_path / "kb").mkdir()
    monkeypatch.setenv("ASSIST_INDEX_DIR", str(index_dir))
    monkeypatch.setenv("ASSIST_KB_DIR", str(tmp_path / "kb"))
    monkeypatch.setenv("ASSIST_DATABASE_URL", f"sqlite:///{tmp_path / 'desk.db'}")
    monkeypatch.setenv("ASSIST_LLM", "offline")
    monkeypatch.chdir(tmp_path)
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(PAGE, default_timeout=180)
    at.run()
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
    rankings = at.dataframe[-3:]
    assert all(r.value["article"].iloc[0] == "returns-how-to" for r in rankings)
    assert any("Answerable" in s.value for s in at.success)


def test_knowledge_page_has_no_free_folder_box_and_shows_the_configured_folder(knowledge_app):
    at, tmp_path = knowledge_app
    assert [t.key for t in at.text_input] == ["kb_query"]
    assert any(str(tmp_path / "kb") in t.value for t in at.text)


def test_knowledge_page_rebuild_from_configured_folder_is_picked_up_without_restart(knowledge_app):
    at, tmp_path = knowledge_app
    folder = tmp_path / "kb"
    shutil.copytree(demo_articles_dir(), folder, dirs_exist_ok=True)
    write_bike_article(folder)
    (folder / "broken.md").write_text(BROKEN, encoding="utf-8")
    at.button(key="kb_rebuild").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("36 articles" in s.value and "Added 1" in s.value for s in at.success)
    skipped = [d.value for d in at.dataframe if "reason" in d.value.columns]
    assert skipped and any("broken.md" in source for source in skipped[0]["source"]), "a bad file is reported by name"
    at.run()
    assert at.metric[0].value == "36", "the new index is live on the next run"
    at.text_input(key="kb_query").set_value("bicycle repair").run()
    assert at.dataframe[-1].value["article"].iloc[0] == "bike-repair"


def refused_rebuild(at, folder: Path):
    """A configured folder of one good and one bad article, and a rebuild that would drop 35 articles for 1."""
    write_bike_article(folder)
    (folder / "broken.md").write_text(BROKEN, encoding="utf-8")
    at.button(key="kb_rebuild").click().run()
    assert not at.exception, [e.value for e in at.exception]


def test_knowledge_page_rebuild_that_would_empty_the_index_is_refused(knowledge_app):
    at, tmp_path = knowledge_app
    (tmp_path / "kb" / "broken.md").write_text(BROKEN, encoding="utf-8")
    at.button(key="kb_rebuild").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("has 35 articles" in e.value and "keep 0" in e.value for e in at.error)
    assert at.checkbox(key="kb_allow_shrink").value is False
    assert not at.success
    at.run()
    assert at.metric[0].value == "35", "the live index keeps its articles"


def test_knowledge_page_rebuild_that_removes_most_articles_is_refused_until_confirmed(knowledge_app):
    at, tmp_path = knowledge_app
    refused_rebuild(at, tmp_path / "kb")
    assert any("remove 35" in e.value and "confirm on the Knowledge page" in e.value for e in at.error)
    at.button(key="kb_rebuild").click().run()
    assert any("remove 35" in e.value for e in at.error), "rebuilding again without the confirmation is refused again"

    at.checkbox(key="kb_allow_shrink").check().run()
    at.button(key="kb_rebuild").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("1 articles" in s.value for s in at.success)
    assert not at.error and not at.checkbox, "the refusal and its confirmation are gone after the rebuild"
    at.run()
    assert at.metric[0].value == "1"


def test_knowledge_page_restore_previous_version_brings_it_back(knowledge_app):
    at, tmp_path = knowledge_app
    refused_rebuild(at, tmp_path / "kb")
    at.checkbox(key="kb_allow_shrink").check().run()
    at.button(key="kb_rebuild").click().run()
    at.run()
    assert at.metric[0].value == "1"
    versions = next(d.value for d in at.dataframe if "live" in d.value.columns)
    assert versions["articles"].tolist() == [1, 35] and versions["live"].tolist() == [True, False]

    at.button(key="kb_restore").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("is live again" in s.value for s in at.success)
    assert at.metric[0].value == "35"
    versions = next(d.value for d in at.dataframe if "live" in d.value.columns)
    assert versions["live"].tolist() == [False, True], "the newer version is kept"


def test_knowledge_page_restore_without_a_previous_version_shows_an_error(knowledge_app):
    at, _ = knowledge_app
    at.button(key="kb_restore").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("no version older than the live one" in e.value for e in at.error)
    assert at.metric[0].value == "35"


def test_knowledge_page_without_an_index_shows_the_error_and_still_offers_a_rebuild(knowledge_app):
    at, tmp_path = knowledge_app
    shutil.rmtree(tmp_path / "index")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("No knowledge index" in e.value for e in at.error)
    assert any("No index versions yet" in i.value for i in at.info)
    shutil.copytree(demo_articles_dir(), tmp_path / "kb", dirs_exist_ok=True)
    at.button(key="kb_rebuild").click().run()
    assert any("35 articles" in s.value for s in at.success)
