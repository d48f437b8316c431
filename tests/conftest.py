"""Shared fixtures: embedders, the demo knowledge base and its indexes, demo tickets and the offline engine.

The real embedder, the demo index and the offline engine are slow to build, so they are session-scoped.
They are shared: a test that needs different dependencies copies `assist_deps` with `dataclasses.replace`.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding


def pytest_configure(config) -> None:
    """Hermetic settings: no provider key, database, index or `.env` of the developer's leaks into a test.

    ASSIST_HOME points at an empty folder; the exported ONNX models stay where `make install` put them."""
    from core.settings import load_settings, setting_names

    model_cache = load_settings().model_cache_path
    for name in setting_names():
        os.environ.pop(name, None)
    os.environ["ASSIST_HOME"] = tempfile.mkdtemp(prefix="assist-home-")
    os.environ["ASSIST_MODEL_CACHE"] = str(model_cache)


class DictCache:
    """A `ResultCache` kept in a dict; counts its hits."""

    def __init__(self) -> None:
        self.data: dict[str, str] = {}
        self.hits = 0

    def get(self, key: str) -> str | None:
        value = self.data.get(key)
        if value is not None:
            self.hits += 1
        return value

    def put(self, key: str, payload: str) -> None:
        self.data[key] = payload


@pytest.fixture(scope="session")
def fake_embedder():
    """A deterministic 384-dimensional embedder (same text, same vector) that needs no model files."""
    from knowledge.embeddings import LangChainEmbedder

    return LangChainEmbedder(DeterministicFakeEmbedding(size=384), model_id="fake-384", dim=384)


@pytest.fixture(scope="session")
def demo_articles():
    from knowledge.loaders import load_folder
    from knowledge.paths import demo_articles_dir

    report = load_folder(demo_articles_dir())
    assert not report.skipped, report.skipped
    return report.articles


@pytest.fixture(scope="session")
def real_embedder():
    from knowledge.embeddings import load_embedder

    return load_embedder()


@pytest.fixture(scope="session")
def demo_index(demo_articles, real_embedder):
    from knowledge.build import build_in_memory

    return build_in_memory(demo_articles, real_embedder)


class _ReuseVectors:
    """The real embedder, answering texts it has already embedded for the in-memory demo index from memory."""

    def __init__(self, embedder, index) -> None:
        from knowledge.chunking import chunk_search_text

        self.inner, self.model_id, self.dim = embedder, embedder.model_id, embedder.dim
        self.known = {chunk_search_text(c): v for c, v in zip(index.chunks, index.vectors)}

    def encode(self, texts):
        missing = [t for t in texts if t not in self.known]
        self.known.update(zip(missing, self.inner.encode(missing)))
        return np.asarray([self.known[t] for t in texts], dtype=np.float32).reshape(len(texts), self.dim)


@pytest.fixture(scope="session")
def demo_index_dir(tmp_path_factory, demo_articles, real_embedder, demo_index) -> Path:
    """An index root on disk (CURRENT + versions/) holding the demo KB, with the real model's vectors from `demo_index`."""
    from knowledge.build import build_articles

    root = tmp_path_factory.mktemp("demo-index")
    build_articles(demo_articles, root, _ReuseVectors(real_embedder, demo_index))
    return root


@pytest.fixture(scope="session")
def demo_tickets():
    from core.tickets import load_tickets
    from desk.tickets import demo_tickets_dir

    return {ticket.id: ticket for ticket in load_tickets(demo_tickets_dir())}


@pytest.fixture(scope="session")
def offline_model():
    from chains.runtime import offline_engine

    return offline_engine()


@pytest.fixture(scope="session")
def assist_deps(offline_model, demo_index):
    """Offline engine as both model and fallback, over the in-memory demo index."""
    from chains.pipeline import AssistDeps

    return AssistDeps(model=offline_model, index=demo_index, offline=offline_model,
                      intents=tuple(sorted(set(offline_model.intent_classifier.labels))))


@pytest.fixture(scope="session")
def demo_assist_results(demo_tickets, assist_deps):
    """`assist()` on every demo ticket with the offline engine, keyed by ticket id."""
    from chains.pipeline import assist

    return {ticket_id: assist(ticket, assist_deps) for ticket_id, ticket in demo_tickets.items()}


@pytest.fixture
def dict_cache() -> DictCache:
    return DictCache()


@pytest.fixture
def desk_env_url(tmp_path, monkeypatch) -> str:
    """A fresh SQLite desk database that the CLIs and the app read from the environment (no encryption key)."""
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    monkeypatch.setenv("ASSIST_HOME", str(tmp_path))
    monkeypatch.setenv("ASSIST_DATABASE_URL", url)
    monkeypatch.delenv("ASSIST_ENCRYPTION_KEY", raising=False)
    return url
