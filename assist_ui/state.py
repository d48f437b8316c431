"""Typed access to session state. Widget keys are derived here so pages never spell them by hand.

The reply text lives under a canonical key per ticket (not only under the widget key), because Streamlit
forgets a widget's state when the widget is not drawn — for example after switching tickets.
"""
from __future__ import annotations

import streamlit as st


def selected_ticket_id() -> str | None:
    return st.session_state.get("selected_ticket")


def select_ticket(ticket_id: str) -> None:
    st.session_state["selected_ticket"] = ticket_id


def agent_name(default: str) -> str:
    return st.session_state.get("agent_name") or default


def reply_widget_key(ticket_id: str) -> str:
    return f"reply_box::{ticket_id}"


def _replies() -> dict[str, str]:
    return st.session_state.setdefault("replies", {})


def reply_text(ticket_id: str) -> str | None:
    return _replies().get(ticket_id)


def set_reply_text(ticket_id: str, text: str) -> None:
    _replies()[ticket_id] = text
    st.session_state[reply_widget_key(ticket_id)] = text


def clear_reply(ticket_id: str) -> None:
    _replies().pop(ticket_id, None)
    st.session_state.pop(reply_widget_key(ticket_id), None)
    st.session_state.setdefault("chosen_drafts", {}).pop(ticket_id, None)


def chosen_draft(ticket_id: str) -> dict | None:
    """The suggestion the agent started from: {tone, text, citations, flags} or None."""
    return st.session_state.setdefault("chosen_drafts", {}).get(ticket_id)


def set_chosen_draft(ticket_id: str, draft: dict) -> None:
    st.session_state.setdefault("chosen_drafts", {})[ticket_id] = draft


def flash(message: str, kind: str = "success") -> None:
    st.session_state["flash"] = (kind, message)


def pop_flash() -> tuple[str, str] | None:
    return st.session_state.pop("flash", None)
