"""Context beside the thread: the customer's previous tickets and our replies, similar past tickets (from replies
the desk sent, the other customer's personal data masked) with "use as draft", and the team's macros."""
from __future__ import annotations

import logging

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from assist_ui import deps, render, state
from assist_ui.i18n import t
from chains.redact import Redactor, customer_names
from core.types import Ticket
from desk import macros as macro_lib
from desk.accounts import User
from desk.db import StoreError
from desk.records import InvalidField
from desk.similar import PastReply, past_replies
from desk.ticket_store import StoredTicket, customer_tickets, get_ticket
from knowledge.embeddings import EmbeddingError
from knowledge.similar import QuestionMatcher

log = logging.getLogger(__name__)
STORE_ERRORS = (StoreError, SQLAlchemyError, OSError)
PREVIOUS_SHOWN = 5
SIMILAR_SHOWN = 3
EXCERPT_CHARS = 400


def render_context(ticket: Ticket, user: User, intent: str | None, language: str) -> None:
    """The three context tabs below the reply box."""
    render_insert_confirmation(ticket.id, user.name)
    with st.container(border=True):
        st.markdown(f"**{t('context.header')}**")
        previous, similar, saved = st.tabs([t("context.previous"), t("context.similar"), t("context.macros")])
        with previous:
            _guarded(render_previous, ticket)
        with similar:
            _guarded(render_similar, ticket, user, language)
        with saved:
            _guarded(render_macros, ticket, user, intent, language)


def _guarded(render_part, *args) -> None:
    try:
        render_part(*args)
    except STORE_ERRORS as exc:
        log.warning("context unavailable: %s", type(exc).__name__)
        st.caption(t("queue.store_unavailable"))


# -- previous tickets ------------------------------------------------------------------------------
def render_previous(ticket: Ticket) -> None:
    if not ticket.customer.email.strip():
        st.caption(t("context.no_email"))
        return
    earlier = customer_tickets(deps.get_store(), ticket.customer.email, exclude=ticket.id)[:PREVIOUS_SHOWN]
    if not earlier:
        st.caption(t("context.no_previous"))
        return
    for stored in earlier:
        _previous_ticket(stored)


def _previous_ticket(stored: StoredTicket) -> None:
    other = stored.ticket
    st.markdown(render.inert(t("context.previous_line", id=other.id, status=t(f"queue.status.{stored.status}"),
                                when=stored.updated_at.strftime("%Y-%m-%d"), subject=render.one_line(other.subject))))
    replies = [m for m in [*other.messages, *deps.get_store().sent_replies(other.id)] if m.role == "agent"]
    if replies:
        st.caption(t("context.last_reply"))
        st.text(render.one_line(replies[-1].text)[:EXCERPT_CHARS])
    st.button(t("context.open_ticket", id=other.id), key=f"open_previous::{other.id}", on_click=state.open_ticket,
              args=(other.id,))


# -- similar past tickets --------------------------------------------------------------------------
@st.cache_resource(show_spinner=False, max_entries=2)
def _matcher(model_id: str) -> QuestionMatcher:
    return QuestionMatcher(_embedder_for(model_id))


def _embedder_for(model_id: str):
    index = deps.get_index()
    if index.multilingual is not None and index.multilingual.embedder.model_id == model_id:
        return index.multilingual.embedder
    return index.embedder


def similar_replies(ticket: Ticket, language: str) -> list[tuple[PastReply, float]]:
    """The past replies whose question reads most like what this customer wrote (their latest three messages: a
    follow-up such as "any news?" alone says little)."""
    asked = [m.text for m in ticket.customer_messages()]
    if not asked:
        return []
    past = past_replies(deps.get_store(), exclude_ticket_id=ticket.id)
    if not past:
        return []
    index = deps.get_index()
    multilingual = index.multilingual is not None and (language != "en" or any(p.language not in ("", "en") for p in past))
    model_id = (index.multilingual.embedder if multilingual else index.embedder).model_id
    found = _matcher(model_id).nearest(" ".join(asked[-3:]), [p.question for p in past], k=SIMILAR_SHOWN)
    return [(past[i], score) for i, score in found]


def masked_reply(past: PastReply) -> str:
    """The reply sent to that other customer with their personal data replaced by placeholders."""
    stored = get_ticket(deps.get_store(), past.ticket_id)
    names = customer_names(stored.ticket) if stored else []
    return Redactor().redact(past.sent, names)


def render_similar(ticket: Ticket, user: User, language: str) -> None:
    try:
        found = similar_replies(ticket, language)
    except (EmbeddingError, RuntimeError, ValueError) as exc:
        st.caption(t("context.similar_unavailable", error=render.inert(str(exc))))
        return
    if not found:
        st.caption(t("context.no_similar"))
        return
    st.caption(t("context.masked_note"))
    for past, score in found:
        reply = masked_reply(past)
        st.markdown(render.inert(t("context.similar_line", id=past.ticket_id, score=f"{score:.2f}",
                                    intent=past.intent or "—")))
        st.caption(t("context.asked"))
        st.text(render.one_line(past.question)[:EXCERPT_CHARS])
        st.caption(t("context.replied"))
        st.text(reply)
        st.button(t("context.use_as_draft"), key=f"similar_use::{ticket.id}::{past.audit_id}",
                  on_click=put_in_reply, args=(ticket.id, user.name, reply))


# -- macros ----------------------------------------------------------------------------------------
def render_macros(ticket: Ticket, user: User, intent: str | None, language: str) -> None:
    store, settings = deps.get_store(), deps.get_settings()
    found = macro_lib.list_macros(store, intent=intent, language=language)
    if not found:
        st.caption(t("context.no_macros"))
    for macro in found:
        filled = macro_lib.fill(macro.text, ticket, user.name, settings.company_name)
        title = render.inert(macro.name)
        st.markdown(f"**{title}**" + (f" · {t('context.macro_for_intent', intent=render.inert(macro.intent))}"
                                       if macro.intent else ""))
        st.text(filled.text)
        if filled.missing:
            st.caption(t("context.macro_missing", names=", ".join(m.replace("_", " ") for m in filled.missing)))
        st.button(t("context.insert_macro"), key=f"macro_use::{ticket.id}::{macro.id}", on_click=put_in_reply,
                  args=(ticket.id, user.name, filled.text))
    _save_sent_as_macro(ticket, user, intent, language)
    if user.may("lead"):
        _new_macro_form(ticket.id, user, intent, language)


def _save_sent_as_macro(ticket: Ticket, user: User, intent: str | None, language: str) -> None:
    sent = [m for m in deps.get_store().sent_replies(ticket.id) if m.author == user.name]
    if sent:
        st.button(t("context.save_sent_as_macro"), key=f"macro_from_sent::{ticket.id}", on_click=_macro_from_sent,
                  args=(ticket, user.name, sent[-1].text, intent or "", language))


def _macro_from_sent(ticket: Ticket, agent: str, text: str, intent: str, language: str) -> None:
    settings = deps.get_settings()
    body = macro_lib.macro_from_reply(text, ticket, agent, settings.company_name)
    name = f"{intent or ticket.subject[:40] or ticket.id} ({agent})"
    _save_macro(name, body, intent, language, agent)


def _new_macro_form(ticket_id: str, user: User, intent: str | None, language: str) -> None:
    with st.expander(t("context.new_macro")):
        with st.form(key=f"new_macro::{ticket_id}", clear_on_submit=True):
            name = st.text_input(t("context.macro_name"), max_chars=120)
            text = st.text_area(t("context.macro_text"), help=t("context.macro_help"))
            options = ["", intent] if intent else [""]
            chosen = st.selectbox(t("context.macro_intent"), options,
                                  format_func=lambda value: value or t("context.macro_any_intent"))
            if st.form_submit_button(t("context.save_macro")):
                _save_macro(name.strip(), text.strip(), chosen or "", language, user.name)
                st.rerun()


def _save_macro(name: str, text: str, intent: str, language: str, author: str) -> None:
    try:
        macro = macro_lib.Macro(name=name, text=text, intent=intent, language=language, created_by=author)
        macro_lib.save_macro(deps.get_store(), macro)
    except (InvalidField, ValueError) as exc:
        state.flash(t("context.macro_invalid", error=render.inert(_first_problem(exc))), "warning")
        return
    state.flash(t("context.macro_saved", name=render.inert(name)))


def _first_problem(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
    return str(exc)


# -- into the reply box ----------------------------------------------------------------------------
def _insert_slot(ticket_id: str) -> str:
    return f"insert_pending::{ticket_id}"


def put_in_reply(ticket_id: str, agent: str, text: str, replace: bool = False) -> None:
    """Put a macro or a past reply in the reply box; the agent's own typed text is only replaced after asking."""
    typed = st.session_state.get(state.reply_widget_key(ticket_id), "") or state.reply_text(ticket_id) or ""
    if typed.strip() and typed != text and not replace:
        st.session_state[_insert_slot(ticket_id)] = text
        return
    st.session_state.pop(_insert_slot(ticket_id), None)
    state.set_reply_text(ticket_id, text)
    try:
        deps.get_store().save_working_state(ticket_id, agent, text=text, suggestion=None, rating=None)
    except (*STORE_ERRORS, InvalidField) as exc:
        log.warning("working state not saved: %s", type(exc).__name__)


def render_insert_confirmation(ticket_id: str, agent: str) -> None:
    text = st.session_state.get(_insert_slot(ticket_id))
    if text is None:
        return
    st.warning(t("context.replace_question"), icon=":material/help:")
    replace, keep = st.columns(2)
    replace.button(t("context.replace"), key=f"insert_replace::{ticket_id}", on_click=put_in_reply,
                   args=(ticket_id, agent, text, True))
    keep.button(t("context.keep"), key=f"insert_keep::{ticket_id}",
                on_click=lambda: st.session_state.pop(_insert_slot(ticket_id), None))
