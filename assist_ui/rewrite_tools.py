"""Rewrite tools on the agent's own reply: a proposal replaces the text only when accepted, and can be undone."""
from __future__ import annotations

import streamlit as st

from assist_ui import deps, state
from assist_ui.i18n import t
from chains.rewrite import OPERATIONS, rewrite
from core.types import Ticket


def operation_label(operation: str) -> str:
    """A rewrite operation in the interface's language ("Shorten")."""
    return t(f"rewrite.op.{operation}")


def _proposal_key(ticket_id: str) -> str:
    return f"rewrite_proposal::{ticket_id}"


def _undo_stack(ticket_id: str) -> list[str]:
    return st.session_state.setdefault("undo", {}).setdefault(ticket_id, [])


def _propose(ticket: Ticket, agent: str, operation: str, language: str) -> None:
    text = st.session_state.get(state.reply_widget_key(ticket.id), "")
    settings = deps.get_settings()
    result = rewrite(deps.get_deps().model, text, operation, language, settings.company_name, ticket=ticket)
    if result.ok:
        st.session_state[_proposal_key(ticket.id)] = {"operation": operation, "text": result.text}
    else:
        st.session_state.pop(_proposal_key(ticket.id), None)
        from assist_ui.render import inert

        state.flash(t("rewrite.not_available", error=inert(result.error)), "warning")


def _accept(ticket_id: str, agent: str) -> None:
    proposal = st.session_state.pop(_proposal_key(ticket_id), None)
    if proposal is None:
        return
    _undo_stack(ticket_id).append(st.session_state.get(state.reply_widget_key(ticket_id), ""))
    state.set_reply_text(ticket_id, proposal["text"])
    deps.get_store().save_working_state(ticket_id, agent, text=proposal["text"])


def _discard(ticket_id: str) -> None:
    st.session_state.pop(_proposal_key(ticket_id), None)


def _undo(ticket_id: str, agent: str) -> None:
    stack = _undo_stack(ticket_id)
    if stack:
        previous = stack.pop()
        state.set_reply_text(ticket_id, previous)
        deps.get_store().save_working_state(ticket_id, agent, text=previous)


def render_rewrite_tools(ticket: Ticket, agent: str, language: str) -> None:
    with st.expander(t("rewrite.tools"), expanded=bool(st.session_state.get(_proposal_key(ticket.id)))):
        cols = st.columns([2, 1, 1])
        operation = cols[0].selectbox(t("rewrite.label"), OPERATIONS, format_func=operation_label, key=f"rewrite_op::{ticket.id}",
                                      label_visibility="collapsed")
        cols[1].button(t("rewrite.propose"), key=f"rewrite::{ticket.id}", on_click=_propose, args=(ticket, agent, operation, language))
        cols[2].button(t("rewrite.undo"), key=f"undo::{ticket.id}", on_click=_undo, args=(ticket.id, agent),
                       disabled=not _undo_stack(ticket.id))
        proposal = st.session_state.get(_proposal_key(ticket.id))
        if proposal:
            from assist_ui.render import inert

            st.caption(t("rewrite.proposed", operation=operation_label(proposal["operation"])))
            st.markdown(inert(proposal["text"]))
            accept, discard = st.columns(2)
            accept.button(t("rewrite.accept"), key=f"accept::{ticket.id}", on_click=_accept, args=(ticket.id, agent))
            discard.button(t("rewrite.discard"), key=f"discard::{ticket.id}", on_click=_discard, args=(ticket.id,))
