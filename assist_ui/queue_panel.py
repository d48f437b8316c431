"""The queue in the sidebar (views mine / unassigned / all, status, sort) and, above the ticket, who has it, taking
or assigning it, solving it, and a notice when another agent has the same ticket open."""
from __future__ import annotations

import logging
from datetime import timedelta

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from assist_ui import deps, render, state
from assist_ui.i18n import t
from chains.triage import quick_triage
from core.types import Ticket
from desk import queue
from desk.accounts import User
from desk.db import StoreError
from desk.ticket_store import StoredTicket, set_ticket_status

log = logging.getLogger(__name__)
STORE_ERRORS = (StoreError, SQLAlchemyError, OSError)
VIEWS = ("all", "mine", "unassigned")
STATUSES = ("open", "pending", "solved")
DEFAULT_STATUSES = ["open", "pending"]  # unsolved, as helpdesks show by default
SORTS = ("priority", "age", "waiting")
STATUS_ICON = {"open": "●", "pending": "◐", "solved": "✓"}
PRESENCE_EVERY = timedelta(seconds=30)  # well inside queue.PRESENCE_WINDOW, so an idle reader still counts


@st.cache_data(show_spinner=False)
def queue_priority(ticket_json: str) -> str:
    """Priority for the queue from the offline triage (`quick_triage`): cheap, local and never sent anywhere."""
    return quick_triage(Ticket.model_validate_json(ticket_json), deps.get_offline_engine()).priority


def entries(stored: list[StoredTicket]) -> list[queue.QueueEntry]:
    return [queue.QueueEntry(ticket=s.ticket, status=s.status, assignee=s.assignee,
                             priority=queue_priority(s.ticket.model_dump_json())) for s in stored]


def entry_label(entry: queue.QueueEntry, user: str) -> str:
    """Status, id, subject, priority, language, age and who has it; customer text made inert."""
    ticket = entry.ticket
    owner = (t("queue.assigned_to_you") if entry.assignee == user else entry.assignee) if entry.assignee \
        else t("queue.unassigned_mark")
    parts = [ticket.id, render.one_line(ticket.subject)[:38], t(f"queue.priority.{entry.priority}"),
             render.word("render.language", ticket.language or render.ticket_language(ticket)),
             render.ticket_age(ticket), owner]
    return f"{STATUS_ICON.get(entry.status, '•')} " + " · ".join(render.inert(part) for part in parts)


def _choices() -> tuple[str, list[str], str]:
    view = st.segmented_control(t("queue.view"), VIEWS, default="all", format_func=lambda v: t(f"queue.view.{v}"),
                                key="queue_view") or "all"
    statuses = st.pills(t("queue.status"), STATUSES, selection_mode="multi", default=DEFAULT_STATUSES,
                        format_func=lambda s: t(f"queue.status.{s}"), key="queue_statuses")
    sort = st.selectbox(t("queue.sort"), SORTS, format_func=lambda s: t(f"queue.sort.{s}"), key="queue_sort")
    return view, list(statuses or []), sort


def render_queue(stored: list[StoredTicket], user: User) -> StoredTicket | None:
    """The sidebar queue; returns the ticket the agent looks at (kept across reloads by the URL)."""
    with st.sidebar:
        st.subheader(t("queue.header"))
        if not stored:
            st.caption(t("queue.empty"))
            return None
        view, statuses, sort = _choices()
        all_entries = entries(stored)
        shown = queue.queue_view(all_entries, user.name, view, tuple(statuses), sort)
        current = state.selected_ticket_id()
        if current and all(e.ticket.id != current for e in shown):
            # The ticket the agent has open stays listed after it leaves the view (solved, claimed by another).
            shown += [e for e in all_entries if e.ticket.id == current]
        st.caption(t("queue.count", shown=str(len(shown)), total=str(len(stored))))
        if not shown:
            st.caption(t("queue.empty_view"))
            return None
        labels = {e.ticket.id: entry_label(e, user.name) for e in shown}
        ids = list(labels)
        chosen = st.radio(t("queue.tickets"), ids, index=ids.index(current) if current in ids else 0,
                          format_func=labels.get, key=state.QUEUE_WIDGET, label_visibility="collapsed",
                          on_change=state.pick_from_queue)
    state.select_ticket(chosen)
    return next(s for s in stored if s.ticket.id == chosen)


# -- above the ticket ------------------------------------------------------------------------------
def render_ticket_bar(stored: StoredTicket, user: User) -> None:
    """Who has the ticket, the buttons to take, assign or solve it, and who else has it open."""
    try:
        _assignment(stored, user)
    except STORE_ERRORS as exc:
        log.warning("assignment unavailable: %s", type(exc).__name__)
        st.caption(t("queue.store_unavailable"))
        return
    _presence(stored.ticket.id, user.name)


def _assignment(stored: StoredTicket, user: User) -> None:
    ticket_id, owner = stored.ticket.id, stored.assignee
    who, take, status = st.columns([3, 1.3, 1.3], vertical_alignment="center")
    if owner is None:
        who.caption(t("queue.unassigned"))
        take.button(t("queue.claim"), key=f"claim::{ticket_id}", on_click=_claim, args=(ticket_id, user.name))
    elif owner == user.name:
        who.caption(t("queue.assigned_to_you"))
        take.button(t("queue.release"), key=f"release::{ticket_id}", on_click=_assign, args=(ticket_id, None))
    else:
        who.warning(t("queue.taken_by_other", name=render.inert(owner)), icon=":material/person:")
    if stored.status == "solved":
        status.button(t("queue.reopen"), key=f"reopen::{ticket_id}", on_click=_set_status, args=(ticket_id, "open"))
    else:
        status.button(t("queue.mark_solved"), key=f"solve::{ticket_id}", on_click=_set_status,
                      args=(ticket_id, "solved"))
    if user.may("lead"):
        _assign_picker(ticket_id, owner, user)


def _assign_picker(ticket_id: str, owner: str | None, user: User) -> None:
    people = sorted({u.name for u in _accounts() if not u.disabled} | {user.name} | ({owner} if owner else set()))
    options = ["", *people]
    st.selectbox(t("queue.assign"), options, index=options.index(owner or ""), key=f"assign::{ticket_id}",
                 format_func=lambda name: name or t("queue.assign_nobody"), on_change=_assign_from_picker,
                 args=(ticket_id,))


def _accounts() -> list[User]:
    from desk.accounts import Accounts

    return Accounts(deps.get_store()).list()


def _claim(ticket_id: str, name: str) -> None:
    store = deps.get_store()
    if queue.claim(store, ticket_id, name):
        state.flash(t("queue.claimed"))
    else:
        state.flash(t("queue.claim_lost", name=render.inert(queue.assignees(store).get(ticket_id, "?"))), "warning")
    deps.forget_tickets()


def _assign(ticket_id: str, name: str | None) -> None:
    queue.assign(deps.get_store(), ticket_id, name)
    deps.forget_tickets()


def _assign_from_picker(ticket_id: str) -> None:
    _assign(ticket_id, st.session_state.get(f"assign::{ticket_id}") or None)


def _set_status(ticket_id: str, status: str) -> None:
    set_ticket_status(deps.get_store(), ticket_id, status)
    deps.forget_tickets()


@st.fragment(run_every=PRESENCE_EVERY)
def _presence(ticket_id: str, user: str) -> None:
    """Checks in every half minute while the ticket is open, and shows who else has it open."""
    store = deps.get_store()
    try:
        previous = st.session_state.get("presence_ticket")
        if previous and previous != ticket_id:
            queue.leave(store, previous, user)
        st.session_state["presence_ticket"] = ticket_id
        queue.touch_presence(store, ticket_id, user)
        others = queue.others_viewing(store, ticket_id, user)
    except STORE_ERRORS as exc:
        log.warning("presence unavailable: %s", type(exc).__name__)
        return
    if others:
        st.warning(t("queue.others_viewing", names=render.inert(", ".join(others))), icon=":material/group:")
