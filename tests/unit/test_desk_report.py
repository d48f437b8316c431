"""Lead reports: filters run in the database, handle time is measured on the server, feedback is one row per
user and suggestion, and the ROI numbers follow the definitions written next to them."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from core.types import AuditEvent, SuggestionRecord, Ticket
from desk.feedback import Feedback, list_feedback, save_feedback, suggestion_key
from desk.records import InvalidField
from desk.report import NO_RATING, RECORDED, AuditFilter, events_page, lead_report
from desk.send import RecordSender, send_reply
from desk.store import open_store
from desk.text_metrics import word_diff

DAY = datetime(2026, 11, 2, 9, tzinfo=timezone.utc)


@pytest.fixture
def store(tmp_path):
    with open_store(f"sqlite:///{tmp_path / 'desk.db'}") as opened:
        yield opened


def event(n: int, *, agent="alex", intent="refund", suggested="Your refund is on its way.", sent=None,
          edit=0.0, handle=120.0, rating=None, reason="", days=0, cost=0.0, flags=()) -> AuditEvent:
    sent_at = DAY + timedelta(days=days, minutes=n)
    return AuditEvent(ticket_id=f"T-{n}", agent=agent, engine="offline", model="m", suggested=suggested,
                      sent=sent if sent is not None else suggested, tone="concise" if suggested else "",
                      edit_distance=edit, similarity=1 - edit, rating=rating, feedback_reason=reason, intent=intent,
                      cost_usd=cost, handle_seconds=handle, sent_at=sent_at, flags=list(flags),
                      opened_at=sent_at - timedelta(seconds=handle) if handle is not None else None)


def test_report_acceptance_counts_light_edits_of_used_suggestions_only(store):
    for n, edit in enumerate((0.0, 0.1, 0.2, 0.6)):
        store.record_audit(event(n, edit=edit, sent="changed" if edit else None))
    store.record_audit(event(9, suggested="", sent="Written by hand.", edit=1.0, flags=["written_without_suggestion"]))

    report = lead_report(store)

    assert report["replies"] == 5 and report["with_suggestion"] == 4 and report["without_suggestion"] == 1
    assert report["acceptance_rate"] == 0.75
    assert report["unedited_share"] == 0.25
    assert report["median_edit_distance"] == pytest.approx(0.15)


def test_report_time_saved_compares_with_the_baseline_period(store):
    for n in range(4):
        store.record_audit(event(n, suggested="", sent="By hand.", edit=1.0, handle=600.0, days=0))
    for n in range(4, 8):
        store.record_audit(event(n, handle=240.0, days=10))

    report = lead_report(store, baseline_until=DAY + timedelta(days=7))

    assert report["baseline"] == {"source": "period", "until": (DAY + timedelta(days=7)).isoformat(),
                                  "replies": 4, "median_handle_seconds": 600.0}
    assert report["replies"] == 4, "the period starts where the baseline ends"
    assert report["time_saved"] == {"compared_with": "baseline", "per_reply_seconds": 360.0,
                                    "total_hours": pytest.approx(0.4)}


def test_report_leaves_tickets_left_open_out_of_handle_time_medians(store):
    store.record_audit(event(1, handle=100.0))
    store.record_audit(event(2, handle=200.0))
    store.record_audit(event(3, handle=5 * 3600.0))

    report = lead_report(store)

    assert report["handle_time"]["with_suggestion_median_seconds"] == 150.0
    assert report["handle_time"]["left_out_over_cap"] == 1


def test_report_cost_rejections_and_groups(store):
    store.record_audit(event(1, agent="alex", intent="refund", rating=-1, reason="wrong_facts", cost=0.002))
    store.record_audit(event(2, agent="alex", intent="refund", rating=-1, reason="wrong_facts"))
    store.record_audit(event(3, agent="bo", intent="shipping", rating=-1, reason="wrong_tone", cost=0.004))
    store.record_audit(event(4, agent="bo", intent="shipping", rating=1))

    report = lead_report(store)

    assert report["cost_per_reply_usd"] == pytest.approx(0.0015)
    assert report["rejections_by_intent"] == {"refund": {"wrong_facts": 2}, "shipping": {"wrong_tone": 1}}
    assert report["by_agent"]["bo"]["thumbs_up"] == 1 and report["by_agent"]["alex"]["thumbs_down"] == 2
    assert list(report["by_week"]) == ["2026-W45"]
    assert report["by_prompt_version"]["offline · no prompts"]["replies"] == 4


def test_events_page_filters_in_the_database_and_pages(store):
    for n in range(7):
        store.record_audit(event(n, agent="alex" if n % 2 else "bo", rating=-1 if n < 3 else None))

    page = events_page(store, AuditFilter(agents=("bo",)), page=2, page_size=3)
    unrated = events_page(store, AuditFilter(ratings=(NO_RATING,)))
    recorded = events_page(store, AuditFilter(delivery=(RECORDED,)))

    assert (page.total, page.pages, len(page.rows)) == (4, 2, 1)
    assert {r.event.agent for r in page.rows} == {"bo"}
    assert unrated.total == 4 and all(r.event.rating is None for r in unrated.rows)
    assert recorded.total == 7 and {r.delivery for r in recorded.rows} == {RECORDED}


def test_handle_time_runs_from_first_open_to_send_on_the_server_clock(store):
    ticket = Ticket.model_validate({"id": "T-9", "subject": "s", "channel": "email", "customer": {"name": "Minji"},
                                    "messages": [{"role": "customer", "author": "Minji", "text": "Where is it?"}]})
    store.note_opened("T-9", "alex")
    opened = store.working_state("T-9", "alex").opened_at
    store.note_opened("T-9", "alex")
    store.save_working_state("T-9", "alex", text="Checking now")
    state = store.working_state("T-9", "alex")
    assert state.opened_at == opened, "opening again does not restart the clock"
    assert state.first_typed_at is not None and state.first_typed_at >= opened

    send_reply(ticket, "It ships today.", "alex", SuggestionRecord(engine="offline", model="m", suggested=""),
               RecordSender(), store)

    [sent] = store.audit_events()
    assert sent.opened_at == opened and sent.first_typed_at == state.first_typed_at
    assert sent.handle_seconds == pytest.approx((sent.sent_at - opened).total_seconds())


def test_feedback_is_one_row_per_user_and_suggestion_and_a_change_updates_it(store):
    key = suggestion_key("T-1", "offline", "concise", "Your refund is on its way.")
    first = Feedback(suggestion_key=key, user="alex", ticket_id="T-1", rating=-1, reason="wrong_facts",
                     comment="The refund went out yesterday.", suggested="Your refund is on its way.")
    save_feedback(store, first)
    save_feedback(store, first.model_copy(update={"rating": 1, "reason": "", "comment": ""}))
    save_feedback(store, first.model_copy(update={"user": "lena"}))

    rows = {f.user: f for f in list_feedback(store)}
    assert set(rows) == {"alex", "lena"}
    assert (rows["alex"].rating, rows["alex"].reason) == (1, "")
    assert rows["lena"].comment == "The refund went out yesterday."


def test_feedback_refuses_an_unknown_reason(store):
    with pytest.raises(InvalidField, match="Unknown feedback reason"):
        save_feedback(store, Feedback(suggestion_key="k", user="alex", ticket_id="T-1", rating=-1, reason="meh"))


def test_word_diff_marks_removed_and_added_words():
    assert word_diff("Your refund is on its way.", "Your refund was sent.") == [
        ("equal", "Your refund "), ("delete", "is on its way."), ("insert", "was sent.")]
