"""Fixtures the integration tests share."""
from __future__ import annotations

import pytest

from evals.fake_openai_server import FakeOpenAIServer


@pytest.fixture(scope="module")
def server():
    """The local OpenAI-compatible fake on 127.0.0.1, one per test module."""
    with FakeOpenAIServer() as fake:
        yield fake
