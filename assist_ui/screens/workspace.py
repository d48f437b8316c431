"""Agent workspace: the ticket queue, the thread with the reply box, and the assist panel beside it."""
from __future__ import annotations

import streamlit as st

from assist_ui import auth, context_panel, deps, i18n, queue_panel, render, reply, state, warmup
from assist_ui.i18n import t
from chains.models import model_name_of
from chains.streaming import stream_assist
from core.types import AssistResult, Ticket
from desk.accounts import User
from desk.ticket_store import StoredTicket
from desk.tickets import thread
from knowledge.index import IndexError_

CITATIONS_NOTE = {"remove": "use_draft.markers_removed", "sources": "use_draft.sources_line"}


def assist_for(ticket: Ticket, agent: str) -> AssistResult:
    """The assist result for this ticket, drafts signed by `agent`; an LLM's first draft is shown as it streams in."""
    run = stream_assist(ticket, deps.get_agent_deps(agent))
    if run.streams:
        with st.container(border=True):
            st.caption(t("ws.drafting", tone=render.tone_word(run.tone), model=model_name_of(run.deps.model)))
            st.write_stream(render.inert_stream(run.pieces()))
        return run.result()
    if run.cached is None:
        with st.spinner(t("ws.reading")):
            return run.result()
    return run.result()


def render_assist_panel(ticket: Ticket, agent: str, result: AssistResult) -> None:
    render.engine_banner(result, deps.get_settings().llm)
    render.triage_chips(result.triage)
    with st.expander(t("ws.summary"), expanded=True):
        render.summary_block(result.summary)
    st.markdown(f"**{t('ws.suggested_replies')}**")
    if not result.drafts:
        st.caption(t("ws.no_draft"))
    else:
        st.caption(render.inert(i18n.t(CITATIONS_NOTE[deps.get_settings().customer_citations])))
    if any("injection_suspected" in d.notices for d in result.drafts):
        sources = ", ".join(dict.fromkeys(i18n.source_label(s) for s in result.injection_sources))
        st.warning(render.inert(i18n.t("draft.injection_notice", sources=sources)), icon=":material/shield:")
    tabs = st.tabs([render.tone_name(d.tone) for d in result.drafts]) if result.drafts else []
    for tab, draft in zip(tabs, result.drafts):
        with tab:
            st.caption(t("ws.drafted_by_llm", model=render.inert(result.model)) if draft.engine == "llm"
                       else t("ws.drafted_by_offline"))
            if draft.abstained:
                st.warning(t("ws.no_grounded_answer", reason=render.inert(draft.reason)), icon=":material/pan_tool:")
            if draft.unsupported_sentences:
                render.uncited_sentences_notice(draft)
            if draft.unsupported_claims:
                st.warning(render.inert("\n".join([i18n.t("draft.unsupported_claims")] + [
                    f"- {i18n.t('claim.' + c.kind)}: {render.one_line(c.text)[:160]}" for c in draft.unsupported_claims])),
                    icon=":material/fact_check:")
            st.markdown(render.inert(draft.text))
            render.draft_sources(draft, result.hits)
            st.button(t("ws.use_draft"), key=f"use::{ticket.id}::{draft.tone}", on_click=reply.use_draft,
                      args=(ticket.id, agent, result, draft.tone))
    for tone, partial in result.partial_drafts.items():
        with st.expander(t("ws.partial_draft", tone=render.tone_word(tone))):
            st.markdown(render.inert(partial))
    st.markdown(f"**{t('ws.knowledge_base')}**")
    render.article_cards(result)


def render_ticket(stored: StoredTicket, user: User) -> None:
    """The ticket's header, who has it, the thread with the reply box and context, and the assist panel."""
    ticket, agent = stored.ticket, user.name
    render.ticket_header(ticket, deps.get_store().status(ticket.id))
    queue_panel.render_ticket_bar(stored, user)
    left, right = st.columns([1.05, 1], gap="large")
    with right:
        result = None
        try:
            result = assist_for(ticket, agent)
        except IndexError_ as exc:
            st.error(str(exc), icon=":material/menu_book:")
        if result is not None:
            render_assist_panel(ticket, agent, result)
    with left:
        render.thread(thread(ticket, deps.get_store()).messages)
        reply.render_reply_box(ticket, agent, result)
        intent = result.triage.intent if result is not None else None
        language = result.triage.language if result is not None else render.ticket_language(ticket)
        context_panel.render_context(ticket, user, intent, language)


def main() -> None:
    user = auth.require("agent")
    warmup.wait_until_warm()
    if flash := state.pop_flash():
        getattr(st, flash[0])(flash[1])
    stored = deps.get_stored_tickets()
    for name, problem in deps.ticket_problems():
        st.warning(t("queue.skipped_file", name=render.inert(name), problem=render.inert(problem)),
                   icon=":material/warning:")
    reply.render_undelivered([s.ticket for s in stored])
    chosen = queue_panel.render_queue(stored, user)
    if chosen is None:
        st.info(t("queue.empty"))
        return
    # One placeholder holds the whole ticket view: a switch replaces it at once, so nothing of the previous
    # ticket (its thread, drafts or buttons) stays on screen while the new one is prepared.
    with st.empty().container(key=f"ticket_view::{chosen.ticket.id}"):
        render_ticket(chosen, user)
    warmup.release_freed_memory()


main()
