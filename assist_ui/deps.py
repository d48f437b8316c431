"""Cached factories for everything the pages use. Nothing is built at import time."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from chains.offline import OfflineChatModel
from chains.pipeline import AssistDeps
from chains.runtime import build_deps, deps_for_agent, offline_engine
from core.settings import Settings, load_settings, setting_names
from desk.intake import routed_sender
from desk.send import RecordSender, Sender, WebhookSender
from desk.store import DeskStore, open_store
from desk.ticket_store import StoredTicket, list_tickets, seed_demo_tickets
from knowledge.embeddings import load_embedder
from knowledge.index import KnowledgeIndex, current_version, load_index


def _secrets() -> dict:
    """Setting values from st.secrets when a secrets file exists (they win over the environment)."""
    try:
        return {k: str(st.secrets[k]) for k in setting_names() if k in st.secrets}
    except Exception:  # no secrets.toml: Streamlit raises instead of returning empty
        return {}


@st.cache_resource(show_spinner=False)
def get_settings() -> Settings:
    return load_settings(_secrets())


@st.cache_resource(show_spinner=False)
def get_store() -> DeskStore:
    settings = get_settings()
    return open_store(settings.database_url_value(), settings)


@st.cache_resource(show_spinner=False)
def get_sender() -> Sender:
    settings = get_settings()
    default = WebhookSender(settings.send_webhook_url.get_secret_value()) if settings.send_webhook_url \
        else RecordSender()
    return routed_sender(settings, default)


def index_root() -> Path:
    return get_settings().index_path


def live_index_version() -> str | None:
    return current_version(index_root())


@st.cache_resource(show_spinner="Loading the knowledge index…", max_entries=2)
def _index_for_version(version: str) -> KnowledgeIndex:
    return load_index(index_root(), load_embedder(get_settings().embeddings))


def get_index() -> KnowledgeIndex:
    """The live index; a rebuild that swapped CURRENT is picked up on the next rerun without a restart."""
    return _index_for_version(live_index_version() or "")


class StoreCache:
    """Assist results cached in the shared store, so reruns and other replicas never pay twice."""

    def __init__(self, store: DeskStore) -> None:
        self.store = store

    def get(self, key: str) -> str | None:
        return self.store.cache_get(key)

    def put(self, key: str, payload: str) -> None:
        self.store.cache_put(key, payload)


@st.cache_resource(show_spinner="Preparing the assistant…")
def get_offline_engine() -> OfflineChatModel:
    """The offline engine alone (the queue's triage needs no index)."""
    return offline_engine()


@st.cache_resource(show_spinner="Preparing the assistant…", max_entries=4)
def _deps_for_version(version: str) -> AssistDeps:
    return build_deps(get_settings(), index=get_index(), cache=StoreCache(get_store()))


def get_deps() -> AssistDeps:
    return _deps_for_version(live_index_version() or "")


def get_agent_deps(agent: str) -> AssistDeps:
    """The live deps with drafts signed by the signed-in agent (the demo identity without accounts)."""
    return deps_for_agent(get_deps(), get_settings(), agent)


@st.cache_resource(show_spinner=False)
def _seed_tickets() -> list[tuple[str, str]]:
    """A desk without tickets gets the configured ticket folder (the demo by default), once per process; the
    (file, problem) of each file that was skipped."""
    return seed_demo_tickets(get_store(), get_settings().tickets_path).skipped


@st.cache_data(show_spinner=False, ttl=5)
def _stored_tickets() -> list[StoredTicket]:
    return list_tickets(get_store())


def get_stored_tickets() -> list[StoredTicket]:
    """The desk's tickets with status and assignee, re-read every few seconds so other agents' claims show."""
    _seed_tickets()
    return _stored_tickets()


def forget_tickets() -> None:
    """After a claim, assignment, status change or import: the next read sees it."""
    _stored_tickets.clear()


def ticket_problems() -> list[tuple[str, str]]:
    return _seed_tickets()


def get_tickets() -> tuple[list, list[tuple[str, str]]]:
    """The queue's tickets and (file name, problem) for each ticket file that was skipped when they were seeded."""
    return [s.ticket for s in get_stored_tickets()], ticket_problems()
