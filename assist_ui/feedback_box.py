"""Feedback on the suggestion a reply started from: thumbs, a reason and a comment, one per user and
suggestion (kept in the desk store, so a change updates the same record and leads see it in the audit)."""
from __future__ import annotations

import logging

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from assist_ui import deps, render, state
from assist_ui.i18n import t
from desk.db import StoreError
from desk.feedback import REASONS, Feedback, feedback_for, save_feedback, suggestion_key
from desk.records import ChosenSuggestion, InvalidField, WorkingState

log = logging.getLogger(__name__)
STORE_ERRORS = (StoreError, SQLAlchemyError, OSError)


def key_of(ticket_id: str, suggestion: ChosenSuggestion) -> str:
    """The feedback key of a chosen suggestion."""
    return suggestion_key(ticket_id, suggestion.engine, suggestion.tone, suggestion.text)


def saved_feedback(ticket_id: str, agent: str, saved: WorkingState | None) -> Feedback | None:
    """This agent's feedback on the suggestion the reply started from, if any (None when unreadable)."""
    if saved is None or saved.suggestion is None:
        return None
    try:
        return feedback_for(deps.get_store(), key_of(ticket_id, saved.suggestion), agent)
    except STORE_ERRORS as exc:
        log.warning("feedback unreadable: %s", type(exc).__name__)
        return None


def rating_of(ticket_id: str) -> int | None:
    """The thumbs value on screen as -1 / 1, or None."""
    value = st.session_state.get(state.rating_widget_key(ticket_id))
    return None if value is None else (1 if value == 1 else -1)


def save_from_widgets(ticket_id: str, agent: str, intent: str) -> None:
    """Record the agent's thumbs, reason and comment on the chosen suggestion (updating, never duplicating)."""
    rating = rating_of(ticket_id)
    store = deps.get_store()
    try:
        saved = store.working_state(ticket_id, agent)
        store.save_working_state(ticket_id, agent, rating=rating)
        if rating is None or saved is None or saved.suggestion is None:
            return
        suggestion = saved.suggestion
        save_feedback(store, Feedback(
            suggestion_key=key_of(ticket_id, suggestion), user=agent, ticket_id=ticket_id, rating=rating,
            reason=st.session_state.get(state.reason_widget_key(ticket_id)) or "",
            comment=(st.session_state.get(state.comment_widget_key(ticket_id)) or "").strip(),
            suggested=suggestion.text, engine=suggestion.engine, model=suggestion.model, tone=suggestion.tone,
            intent=intent, prompt_versions=suggestion.prompt_versions))
    except InvalidField as exc:
        state.flash(render.inert(t("feedback.not_saved", error=str(exc))), "warning")
    except STORE_ERRORS as exc:
        log.warning("feedback not saved: %s", type(exc).__name__)
        state.flash(t("feedback.store_down"), "warning")


def render_feedback(ticket_id: str, agent: str, saved: WorkingState, intent: str) -> None:
    """Thumbs under the reply box; once rated, why (a reason and an optional comment)."""
    rating_key = state.rating_widget_key(ticket_id)
    st.caption(t("feedback.prompt", tone=render.tone_word(saved.suggestion.tone)))
    if rating_key not in st.session_state and saved.rating is not None:
        st.session_state[rating_key] = 1 if saved.rating == 1 else 0
    args = (ticket_id, agent, intent)
    st.feedback("thumbs", key=rating_key, on_change=save_from_widgets, args=args)
    if rating_of(ticket_id) is None:
        return
    earlier = saved_feedback(ticket_id, agent, saved)
    reason_key, comment_key = state.reason_widget_key(ticket_id), state.comment_widget_key(ticket_id)
    if earlier is not None:
        if earlier.reason:
            st.session_state.setdefault(reason_key, earlier.reason)
        st.session_state.setdefault(comment_key, earlier.comment)
    reasons, comment = st.columns([1, 2])
    unset = {} if reason_key in st.session_state else {"index": None}
    reasons.selectbox(t("feedback.reason"), REASONS, key=reason_key, placeholder=t("feedback.reason_pick"),
                      format_func=lambda r: t(f"feedback.reason.{r}"), on_change=save_from_widgets, args=args,
                      **unset)
    comment.text_input(t("feedback.comment"), key=comment_key, max_chars=2000, on_change=save_from_widgets,
                       args=args, placeholder=t("feedback.comment_hint"))
