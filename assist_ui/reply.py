"""The agent's reply: the box (kept on the server as it is typed), the suggestion it started from and its
rating, Send (recorded first, then delivered exactly once) and the deliveries still waiting for a retry."""
from __future__ import annotations

import logging
from datetime import datetime, timezone

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from assist_ui import deps, render, state
from assist_ui.i18n import t
from assist_ui.feedback_box import render_feedback, saved_feedback
from assist_ui.rewrite_tools import render_rewrite_tools
from chains.redact import Redactor, customer_names
from chains.customer_text import cited_numbers, for_customer, markers_in, strip_markers
from core.types import AssistResult, Draft, SuggestionRecord, Ticket
from desk.db import StoreError
from desk.records import ChosenSuggestion, InvalidField, SendOutcome, WorkingState, new_idempotency_key
from desk.send import delivers_to_customer, retry_delivery, send_reply

log = logging.getLogger(__name__)
STORE_ERRORS = (StoreError, SQLAlchemyError, OSError)
MAX_QUESTION_CHARS = 2000


def working_state(ticket_id: str, agent: str) -> WorkingState | None:
    """The agent's saved work on a ticket; None when there is none or the database cannot answer."""
    try:
        return deps.get_store().working_state(ticket_id, agent)
    except STORE_ERRORS as exc:
        log.warning("working state unreadable: %s", type(exc).__name__)
        return None


def _save(ticket_id: str, agent: str, **fields) -> bool:
    try:
        deps.get_store().save_working_state(ticket_id, agent, **fields)
        return True
    except InvalidField as exc:
        state.flash(t("reply.not_saved_server", error=render.inert(str(exc))), "warning")
    except STORE_ERRORS as exc:
        log.warning("working state not saved: %s", type(exc).__name__)
        state.flash(t("reply.not_saved"), "warning")
    return False


def _save_text(ticket_id: str, agent: str) -> None:
    text = st.session_state.get(state.reply_widget_key(ticket_id), "")
    state.set_reply_text(ticket_id, text)
    _save(ticket_id, agent, text=text)


def customer_text(draft: Draft, result: AssistResult, agent: str) -> str:
    """The draft as the customer may get it: no [n] markers, or a sources line (ASSIST_CUSTOMER_CITATIONS)."""
    settings = deps.get_settings()
    language = result.triage.language if result.triage else None
    return for_customer(draft, result.hits, settings.customer_citations, language, sign_off=settings.sign_off(agent))


def chosen_from(draft: Draft, result: AssistResult, text: str) -> ChosenSuggestion:
    """The suggestion record of a used draft: the customer's `text`, the draft's citations kept for the audit."""
    flags = draft.audit_flags()
    return ChosenSuggestion(engine=draft.engine, model=result.model, text=text, tone=draft.tone,
                            citations=list(dict.fromkeys(c.chunk_id for c in draft.citations)),
                            markers=cited_numbers(draft), flags=flags,
                            prompt_versions=result.prompt_versions, suggested_at=datetime.now(timezone.utc))


def use_draft(ticket_id: str, agent: str, result: AssistResult, tone: str, replace: bool = False) -> None:
    """Put a draft in the reply box; typed text of the agent's own is only replaced after asking."""
    draft = next(d for d in result.drafts if d.tone == tone)
    text = customer_text(draft, result, agent)
    typed = st.session_state.get(state.reply_widget_key(ticket_id), "") or state.reply_text(ticket_id) or ""
    saved = working_state(ticket_id, agent)
    earlier = saved.suggestion.text if saved and saved.suggestion else None
    if typed.strip() and typed not in (earlier, text) and not replace:
        st.session_state[state.confirm_slot(ticket_id)] = tone
        return
    st.session_state.pop(state.confirm_slot(ticket_id), None)
    st.session_state.pop(state.rating_widget_key(ticket_id), None)
    state.set_reply_text(ticket_id, text)
    _save(ticket_id, agent, text=text, suggestion=chosen_from(draft, result, text), rating=None)


def _keep_typed_text(ticket_id: str) -> None:
    st.session_state.pop(state.confirm_slot(ticket_id), None)


def render_confirmation(ticket: Ticket, agent: str, result: AssistResult | None) -> None:
    tone = st.session_state.get(state.confirm_slot(ticket.id))
    if not tone or result is None:
        return
    st.warning(t("reply.replace_question", tone=render.tone_word(tone)), icon=":material/help:")
    replace, keep = st.columns(2)
    replace.button(t("reply.replace"), key=f"confirm_replace::{ticket.id}", on_click=use_draft,
                   args=(ticket.id, agent, result, tone, True))
    keep.button(t("reply.keep"), key=f"confirm_keep::{ticket.id}", on_click=_keep_typed_text, args=(ticket.id,))


ANOTHER_SLOT = "another_reply::{}"


def answered_already(ticket: Ticket, saved: WorkingState | None) -> bool:
    """The desk replied after the customer's last message and nothing new is being written: Send is not offered
    until the agent asks to write another reply (so a second reply is never one click away by accident)."""
    if st.session_state.get(ANOTHER_SLOT.format(ticket.id)) or (saved and saved.text.strip()):
        return False
    if (state.reply_text(ticket.id) or "").strip():
        return False
    try:
        replies = deps.get_store().sent_replies(ticket.id)
    except STORE_ERRORS:
        return False
    if not replies:
        return False
    asked = [m.at for m in ticket.customer_messages() if m.at is not None]
    return not asked or max(asked) <= replies[-1].at


def _allow_another(ticket_id: str) -> None:
    st.session_state[ANOTHER_SLOT.format(ticket_id)] = True


def render_reply_box(ticket: Ticket, agent: str, result: AssistResult | None) -> None:
    note_opened(ticket.id, agent)
    saved = working_state(ticket.id, agent)
    if answered_already(ticket, saved):
        st.info(t("reply.already_replied"), icon=":material/mark_email_read:")
        st.button(t("reply.write_another"), key=f"another::{ticket.id}", on_click=_allow_another, args=(ticket.id,))
        return
    key = state.reply_widget_key(ticket.id)
    if key not in st.session_state:
        kept = state.reply_text(ticket.id)
        state.set_reply_text(ticket.id, kept if kept is not None else (saved.text if saved else ""))
    render_confirmation(ticket, agent, result)
    st.text_area(t("reply.your_reply"), key=key, height=260, on_change=_save_text, args=(ticket.id, agent),
                 placeholder=t("reply.placeholder"))
    if saved and saved.suggestion:
        render_feedback(ticket.id, agent, saved, result.triage.intent if result and result.triage else "")
    language = result.triage.language if result and result.triage else (ticket.language or "en")
    render_rewrite_tools(ticket, agent, language)
    render_length_check(ticket)
    st.button(t("reply.send"), type="primary", key=f"send::{ticket.id}", on_click=send, args=(ticket, agent, result))


def render_length_check(ticket: Ticket) -> None:
    """Before Send: the reply's length against its channel's limit (ASSIST_CHANNEL_LIMITS), flagged when over."""
    text = st.session_state.get(state.reply_widget_key(ticket.id), "") or ""
    limit = deps.get_settings().reply_limit(ticket.channel)
    if limit is None or not text:
        return
    channel = render.word("render.channel", ticket.channel)
    if len(text) > limit:
        st.warning(t("reply.too_long_for_channel", length=f"{len(text):,}", limit=f"{limit:,}", channel=channel,
                     over=f"{len(text) - limit:,}"), icon=":material/straighten:")
    else:
        st.caption(t("reply.length", length=f"{len(text):,}", limit=f"{limit:,}", channel=channel))


def note_opened(ticket_id: str, agent: str) -> None:
    """Tell the server, once per session, that the agent opened the ticket: its handle time starts there."""
    slot = state.opened_slot(ticket_id)
    if st.session_state.get(slot):
        return
    try:
        deps.get_store().note_opened(ticket_id, agent)
        st.session_state[slot] = True
    except (InvalidField, *STORE_ERRORS) as exc:
        log.warning("opening time not recorded: %s", type(exc).__name__)


def masked_question(ticket: Ticket) -> str:
    """The customer's latest message with personal data replaced by placeholders, for leads' reports."""
    latest = next((m.text for m in reversed(ticket.messages) if m.role == "customer"), "")
    return Redactor().redact(latest[:MAX_QUESTION_CHARS], customer_names(ticket))


def ticket_context(ticket: Ticket, result: AssistResult | None, draft_abstained: bool | None) -> dict:
    """What the assistant read on the ticket, recorded with the reply: intent, language, whether it found no
    grounded answer, the masked question and the provider cost of the assist."""
    triage = result.triage if result else None
    abstained = draft_abstained if draft_abstained is not None else bool(result) and (
        not result.answerable or any(d.abstained for d in result.drafts))
    return {"intent": triage.intent if triage else "", "language": triage.language if triage else ticket.language or "",
            "abstained": abstained, "question": masked_question(ticket),
            "cost_usd": float(result.cost.get("usd", 0.0)) if result else 0.0}


def suggestion_record(saved: WorkingState | None, result: AssistResult | None, ticket: Ticket) -> SuggestionRecord:
    """What the audit records about the suggestion the reply started from (read from the server)."""
    injection = ["injection_suspected"] if result and result.triage and result.triage.injection_suspected else []
    if saved and saved.suggestion:
        record = saved.suggestion.as_record(saved.rating)
        feedback = saved_feedback(ticket.id, saved.agent, saved)
        context = ticket_context(ticket, result, "abstained" in record.flags)
        return record.model_copy(update={"flags": [*record.flags, *injection], **context,
                                         "feedback_reason": feedback.reason if feedback else ""})
    return SuggestionRecord(engine=result.engine if result else "offline", model=result.model if result else "",
                            suggested="", flags=["written_without_suggestion", *injection],
                            prompt_versions=result.prompt_versions if result else {},
                            **ticket_context(ticket, result, None))


def reply_key(ticket_id: str, agent: str, saved: WorkingState | None) -> str:
    """The idempotency key of the reply being composed: the same for every Send of the same reply."""
    slot = state.send_key_slot(ticket_id)
    if st.session_state.get(slot):
        return st.session_state[slot]
    key = saved.idempotency_key if saved and saved.idempotency_key else None
    if key is None:
        try:
            key = deps.get_store().ensure_idempotency_key(ticket_id, agent)
        except STORE_ERRORS:
            key = new_idempotency_key()
    st.session_state[slot] = key
    return key


def draft_markers(saved: WorkingState | None, result: AssistResult | None) -> list[int]:
    """The [n] numbers the reply's drafts cited: the used draft's, else those of every draft on screen."""
    if saved and saved.suggestion and saved.suggestion.markers:
        return saved.suggestion.markers
    return [n for draft in (result.drafts if result else []) for n in cited_numbers(draft)]


def without_draft_markers(text: str, saved: WorkingState | None, result: AssistResult | None) -> tuple[str, list[int]]:
    """The text the customer may receive, and which draft markers were still in it (typed over, or pasted)."""
    left = markers_in(text, draft_markers(saved, result))
    return strip_markers(text, left), left


def markers_stripped_note(stripped: list[int]) -> str:
    return t("send.markers_stripped", markers=", ".join(f"[{n}]" for n in stripped))


def send(ticket: Ticket, agent: str, result: AssistResult | None) -> None:
    """Button callback: record the reply (once), then deliver it; the page says what really happened.

    Draft markers still in the text never reach the customer: they are removed and the agent is told."""
    typed = st.session_state.get(state.reply_widget_key(ticket.id), "")
    state.set_reply_text(ticket.id, typed)
    saved = working_state(ticket.id, agent)
    text, stripped = without_draft_markers(typed, saved, result)
    outcome = send_reply(ticket, text, agent, suggestion_record(saved, result, ticket), deps.get_sender(), deps.get_store(),
                         idempotency_key=reply_key(ticket.id, agent, saved))
    if not outcome.recorded:
        state.flash(outcome_text(outcome), "error")
        return
    state.clear_reply(ticket.id)
    note = f" {render.inert(markers_stripped_note(stripped))}" if stripped else ""
    st.session_state.pop(ANOTHER_SLOT.format(ticket.id), None)
    if outcome.delivery == "delivered" and not delivers_to_customer(deps.get_sender(), ticket):
        state.flash(t("reply.recorded_only") + note, "info")
    elif outcome.delivery == "delivered":
        state.flash(t("reply.sent", name=render.inert(ticket.customer.name or ticket.id)) + note)
    else:
        state.flash(outcome_text(outcome) + note, "warning")


def outcome_text(outcome: SendOutcome) -> str:
    """What Send or Retry did, in the interface's language (the values it mentions rendered inert)."""
    if not outcome.codes:
        return render.inert(outcome.message)
    values = {name: render.inert(value) for name, value in outcome.params.items()}
    return " ".join(t(f"send.outcome.{code}", **values) for code in outcome.codes)


def _retry(outbox_id: int, ticket: Ticket) -> None:
    outcome = retry_delivery(outbox_id, ticket, deps.get_sender(), deps.get_store())
    kind = "success" if outcome.delivery == "delivered" else "warning"
    state.flash(outcome_text(outcome), kind)


def render_undelivered(tickets: list[Ticket]) -> None:
    """Recorded replies whose delivery failed or is pending, on any ticket, each with a Retry button: they stay
    in view until delivered, even after their ticket left the open queue."""
    try:
        waiting = deps.get_store().undelivered()
    except STORE_ERRORS:
        return
    by_id = {ticket.id: ticket for ticket in tickets}
    for entry in waiting:
        when = entry.created_at.strftime("%Y-%m-%d %H:%M")
        st.warning(t("reply.undelivered", ticket=render.inert(entry.ticket_id), when=when,
                     agent=render.inert(entry.agent), status=render.word("audit.delivery", entry.status),
                     attempts=str(entry.attempts),
                     error=f": {render.inert(entry.last_error)}" if entry.last_error else ""),
                   icon=":material/outbox:")
        ticket = by_id.get(entry.ticket_id)
        if ticket is not None:
            st.button(t("reply.retry"), key=f"retry::{entry.id}", on_click=_retry, args=(entry.id, ticket))
