"""The UI tests run the app as `make run` does: listening on 127.0.0.1, so with no account it is the demo."""
from __future__ import annotations

import pytest
from streamlit import config


@pytest.fixture(autouse=True)
def loopback_server_address():
    before = config.get_option("server.address")
    config.set_option("server.address", "127.0.0.1")
    yield
    config.set_option("server.address", before)
