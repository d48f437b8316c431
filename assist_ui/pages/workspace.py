"""Agent workspace: the ticket queue, the thread with the reply box, and the assist panel beside it."""
from __future__ import annotations

from datetime import datetime, timezone

import streamlit as st

from assist_ui import deps, render, state
from assist_ui.rewrite_tools import render_rewrite_tools
from chains.models import model_name_of
from chains.streaming import stream_assist
from chains.triage import quick_triage
from core.tickets import TicketFormatError
from core.types import AssistResult, SuggestionRecord, Ticket
from desk.send import send_reply
from desk.tickets import thread
from knowledge.index import IndexError_

STATUS_ICON = {"open": "●", "replied": "✓"}


def queue_label(ticket: Ticket, status: str, priority: str) -> str:
    age = _age(ticket)
    return f"{STATUS_ICON.get(status, '•')} {ticket.id} · {ticket.subject[:38]} · {priority} · {ticket.language or _lang(ticket)} · {age}"


def _lang(ticket: Ticket) -> str:
    from knowledge.text import detect_language

    return detect_language(" ".join(m.text for m in ticket.customer_messages()))


def _age(ticket: Ticket) -> str:
    last = max((m.at for m in ticket.messages if m.at), default=None)
    if last is None:
        return "—"
    hours = (datetime.now(timezone.utc) - last).total_seconds() / 3600
    return f"{hours:.0f}h" if hours < 48 else f"{hours / 24:.0f}d"


@st.cache_data(show_spinner=False)
def queue_priority(ticket_json: str) -> str:
    """Priority for the queue from the offline triage (`quick_triage`): cheap, local and never sent anywhere."""
    return quick_triage(Ticket.model_validate_json(ticket_json), deps.get_offline_engine()).priority


def render_queue(tickets: list[Ticket]) -> Ticket | None:
    store = deps.get_store()
    statuses = store.statuses()
    with st.sidebar:
        st.subheader("Queue")
        show = st.segmented_control("Show", ["open", "replied", "all"], default="open", key="queue_filter")
        visible = [t for t in tickets if show in (None, "all") or statuses.get(t.id, "open") == show]
        if not visible:
            st.caption("No tickets here.")
            return None
        labels = {t.id: queue_label(t, statuses.get(t.id, "open"), queue_priority(t.model_dump_json())) for t in visible}
        ids = list(labels)
        current = state.selected_ticket_id()
        index = ids.index(current) if current in ids else 0
        chosen = st.radio("Tickets", ids, index=index, format_func=labels.get, key="queue_radio", label_visibility="collapsed")
        state.select_ticket(chosen)
        return next(t for t in visible if t.id == chosen)


def assist_for(ticket: Ticket) -> AssistResult:
    """The assist result for this ticket; an LLM's first draft is shown as it streams in."""
    run = stream_assist(ticket, deps.get_deps())
    if run.streams:
        with st.container(border=True):
            st.caption(f"Drafting a {run.tone} reply with {model_name_of(run.deps.model)}…")
            st.write_stream(render.inert(piece) for piece in run.pieces())
        return run.result()
    if run.cached is None:
        with st.spinner("Reading the ticket and the knowledge base…"):
            return run.result()
    return run.result()


def _save_reply(ticket_id: str, agent: str) -> None:
    text = st.session_state.get(state.reply_widget_key(ticket_id), "")
    state.set_reply_text(ticket_id, text)
    deps.get_store().save_working_draft(ticket_id, agent, text)


def _use_draft(ticket_id: str, agent: str, result: AssistResult, tone: str) -> None:
    draft = next(d for d in result.drafts if d.tone == tone)
    state.set_reply_text(ticket_id, draft.text)
    state.set_chosen_draft(ticket_id, {
        "tone": draft.tone, "text": draft.text, "citations": [c.chunk_id for c in draft.citations],
        "flags": (["abstained"] if draft.abstained else []) + (["unsupported_sentences"] if draft.unsupported_sentences else []),
        "at": datetime.now(timezone.utc).isoformat(),
    })
    deps.get_store().save_working_draft(ticket_id, agent, draft.text)


def render_reply_box(ticket: Ticket, agent: str, result: AssistResult | None) -> None:
    key = state.reply_widget_key(ticket.id)
    if key not in st.session_state:
        saved = state.reply_text(ticket.id)
        if saved is None:
            saved = deps.get_store().working_draft(ticket.id, agent) or ""
        state.set_reply_text(ticket.id, saved)
    st.text_area("Your reply", key=key, height=260, on_change=_save_reply, args=(ticket.id, agent),
                 placeholder="Write a reply, or pick a suggested draft and edit it here.")
    if state.chosen_draft(ticket.id):
        st.feedback("thumbs", key=f"rating::{ticket.id}")
    render_rewrite_tools(ticket, agent, result.triage.language if result and result.triage else (ticket.language or "en"))
    st.button("Send reply", type="primary", key=f"send::{ticket.id}", on_click=_send, args=(ticket, agent, result))


def _suggestion(result: AssistResult | None, chosen: dict | None, rating: int | None) -> SuggestionRecord:
    flags = list(chosen["flags"]) if chosen else ["written_without_suggestion"]
    if result and result.triage and result.triage.injection_suspected:
        flags.append("injection_suspected")
    return SuggestionRecord(
        engine=result.engine if result else "offline", model=result.model if result else "",
        suggested=chosen["text"] if chosen else "", tone=chosen["tone"] if chosen else "",
        citations=chosen["citations"] if chosen else [], flags=flags,
        prompt_versions=result.prompt_versions if result else {},
        suggested_at=datetime.fromisoformat(chosen["at"]) if chosen else None,
        rating=None if rating is None else (1 if rating == 1 else -1),
    )


def _send(ticket: Ticket, agent: str, result: AssistResult | None) -> None:
    """Button callback: runs before widgets are drawn, so the reply box can be cleared safely."""
    text = st.session_state.get(state.reply_widget_key(ticket.id), "")
    state.set_reply_text(ticket.id, text)
    chosen = state.chosen_draft(ticket.id)
    rating = st.session_state.get(f"rating::{ticket.id}") if chosen else None
    outcome = send_reply(ticket, text, agent, _suggestion(result, chosen, rating), deps.get_sender(), deps.get_store())
    if not outcome.ok:
        state.flash(f"Not sent: {outcome.error} Your text is kept.", "error")
        return
    state.clear_reply(ticket.id)
    state.flash(f"Reply sent to {ticket.customer.name or ticket.id} and recorded for audit."
                + (f" Note: {outcome.error}" if outcome.error else ""))


def render_assist_panel(ticket: Ticket, agent: str, result: AssistResult) -> None:
    render.engine_banner(result, deps.get_settings().llm)
    render.triage_chips(result.triage)
    with st.expander("Summary", expanded=True):
        render.summary_block(result.summary)
    st.markdown("**Suggested replies**")
    if not result.drafts:
        st.caption("No draft could be produced.")
    tabs = st.tabs([d.tone.capitalize() for d in result.drafts]) if result.drafts else []
    for tab, draft in zip(tabs, result.drafts):
        with tab:
            st.caption("Drafted by " + (f"the LLM ({result.model})" if draft.engine == "llm" else "the offline engine"))
            if draft.abstained:
                st.warning(f"No grounded answer — {draft.reason}", icon=":material/pan_tool:")
            if draft.unsupported_sentences:
                st.caption(f"{len(draft.unsupported_sentences)} sentence(s) state facts without a source: check them.")
            st.markdown(render.inert(draft.text))
            render.draft_sources(draft, result.hits)
            st.button("Use this draft", key=f"use::{ticket.id}::{draft.tone}", on_click=_use_draft,
                      args=(ticket.id, agent, result, draft.tone))
    for tone, partial in result.partial_drafts.items():
        with st.expander(f"Partial {tone} draft from the provider (the stream stopped)"):
            st.markdown(render.inert(partial))
    st.markdown("**Knowledge base**")
    render.article_cards(result)


def main() -> None:
    settings = deps.get_settings()
    if flash := state.pop_flash():
        getattr(st, flash[0])(flash[1])
    with st.sidebar:
        agent = st.text_input("Agent name", value=state.agent_name(settings.agent_name), key="agent_name")
    try:
        tickets = deps.get_tickets()
    except TicketFormatError as exc:
        st.error(f"A ticket file is invalid: {exc}")
        return
    ticket = render_queue(tickets)
    if ticket is None:
        st.info("The queue is empty.")
        return
    st.subheader(f"{ticket.id} — {ticket.subject}")
    st.caption(f"{ticket.customer.name} · {ticket.channel} · status: {deps.get_store().status(ticket.id)}")
    left, right = st.columns([1.05, 1], gap="large")
    with right:
        result = None
        try:
            result = assist_for(ticket)
        except IndexError_ as exc:
            st.error(str(exc), icon=":material/menu_book:")
        if result is not None:
            render_assist_panel(ticket, agent, result)
    with left:
        render.thread(thread(ticket, deps.get_store()).messages)
        render_reply_box(ticket, agent, result)


main()
