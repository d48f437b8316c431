"""The UI tests run the app as `make run` does: listening on 127.0.0.1, so with no account it is the demo."""
from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit import config
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "assist_ui" / "app.py")
PASSWORD = "correct horse battery"


def open_ticket(ticket_id: str) -> AppTest:
    """A fresh session (a new tab or a reload) on the ticket named in the URL, in the demo identity."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["ticket"] = ticket_id
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


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


@pytest.fixture
def signed_in_tab():
    """Opens the app on a ticket as a new agent account with that name, signed in through the form."""
    from desk.accounts import Accounts
    from desk.store import open_store

    def open_as(database_url: str, name: str, ticket_id: str) -> AppTest:
        with open_store(database_url) as store:
            Accounts(store).add(name, "agent", PASSWORD)
        at = AppTest.from_file(APP, default_timeout=120)
        at.query_params["ticket"] = ticket_id
        at.run()
        at.text_input(key="sign_in_name").input(name)
        at.text_input(key="sign_in_password").input(PASSWORD)
        next(b for b in at.button if b.label == "Sign in").click().run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    return open_as
