"""Typed access to session state. Widget keys are derived here so pages never spell them by hand.

What an agent composes is kept on the server (the desk store's working state); the session keeps a copy of
the reply text under a canonical key per ticket, because Streamlit forgets a widget's state when the widget
is not drawn (after switching tickets) and the database may be briefly unavailable.
"""
from __future__ import annotations

import streamlit as st

TICKET_PARAM = "ticket"


def selected_ticket_id() -> str | None:
    """The ticket this session looks at; a reload keeps it through the page's query parameter."""
    return st.session_state.get("selected_ticket") or st.query_params.get(TICKET_PARAM)


def select_ticket(ticket_id: str) -> None:
    st.session_state["selected_ticket"] = ticket_id
    if st.query_params.get(TICKET_PARAM) != ticket_id:
        st.query_params[TICKET_PARAM] = ticket_id


QUEUE_WIDGET = "queue_radio"


def open_ticket(ticket_id: str) -> None:
    """Switch to a ticket from a button's callback (the queue's own choice follows)."""
    st.session_state[QUEUE_WIDGET] = ticket_id
    select_ticket(ticket_id)


def pick_from_queue() -> None:
    """The queue's on_change: the agent's new choice wins over the ticket the URL names."""
    if chosen := st.session_state.get(QUEUE_WIDGET):
        select_ticket(chosen)


def reply_widget_key(ticket_id: str) -> str:
    return f"reply_box::{ticket_id}"


def rating_widget_key(ticket_id: str) -> str:
    return f"rating::{ticket_id}"


def reason_widget_key(ticket_id: str) -> str:
    return f"feedback_reason::{ticket_id}"


def comment_widget_key(ticket_id: str) -> str:
    return f"feedback_comment::{ticket_id}"


def opened_slot(ticket_id: str) -> str:
    """Marks that this session told the server the agent opened the ticket (once per session)."""
    return f"opened::{ticket_id}"


def _replies() -> dict[str, str]:
    return st.session_state.setdefault("replies", {})


def reply_text(ticket_id: str) -> str | None:
    return _replies().get(ticket_id)


def set_reply_text(ticket_id: str, text: str) -> None:
    _replies()[ticket_id] = text
    st.session_state[reply_widget_key(ticket_id)] = text


def clear_reply(ticket_id: str) -> None:
    """Forget what this session held for a ticket's reply (after it was recorded)."""
    _replies().pop(ticket_id, None)
    for key in (reply_widget_key(ticket_id), rating_widget_key(ticket_id), send_key_slot(ticket_id),
                confirm_slot(ticket_id), reason_widget_key(ticket_id), comment_widget_key(ticket_id),
                opened_slot(ticket_id)):
        st.session_state.pop(key, None)


def send_key_slot(ticket_id: str) -> str:
    """Where the idempotency key of the reply being composed is kept while the database is unreachable."""
    return f"send_key::{ticket_id}"


def confirm_slot(ticket_id: str) -> str:
    """Where a 'replace your text with this draft?' question waits for the agent's answer."""
    return f"confirm_use::{ticket_id}"


def flash(message: str, kind: str = "success") -> None:
    st.session_state["flash"] = (kind, message)


def pop_flash() -> tuple[str, str] | None:
    return st.session_state.pop("flash", None)
