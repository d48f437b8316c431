"""The UI tests run the app as `make run` does: listening on 127.0.0.1, so with no account it is the demo."""
from __future__ import annotations

import pytest
import streamlit as st
from streamlit import config


@pytest.fixture(autouse=True)
def loopback_server_address():
    before = config.get_option("server.address")
    config.set_option("server.address", "127.0.0.1")
    yield
    config.set_option("server.address", before)


@pytest.fixture
def app_env(monkeypatch, tmp_path, demo_index_dir):
    """The app on the demo index, the offline engine and an empty desk database; yields the database URL."""
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    monkeypatch.setenv("ASSIST_INDEX_DIR", str(demo_index_dir))
    monkeypatch.setenv("ASSIST_DATABASE_URL", url)
    monkeypatch.setenv("ASSIST_LLM", "offline")
    st.cache_resource.clear()
    st.cache_data.clear()
    yield url
    st.cache_resource.clear()
    st.cache_data.clear()
