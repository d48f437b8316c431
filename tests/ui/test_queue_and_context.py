"""The agent's daily flow in AppTest: queue views, taking a ticket, the notice when someone else has it open,
solving, and the context beside the thread (previous tickets, similar past tickets, macros)."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from core.types import AuditEvent, Ticket
from desk import queue
from desk.macros import Macro, save_macro
from desk.store import open_store
from desk.ticket_store import get_ticket, seed_demo_tickets, upsert_tickets
from desk.tickets import demo_tickets_dir
from tests.ui.conftest import open_ticket

DEMO_AGENT = "Support team"  # the demo identity's name (ASSIST_AGENT_NAME's default)


def seeded(url: str):
    store = open_store(url)
    seed_demo_tickets(store, demo_tickets_dir())
    return store


def queue_ids(at) -> list[str]:
    """The ticket ids the queue lists (its labels start with a status mark and the escaped id)."""
    return [re.match(r"\S+ ([A-Z]+\\?-\d+)", label).group(1).replace("\\", "")
            for label in at.radio(key="queue_radio").options]


def click(at, label: str):
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_queue_views_mine_and_unassigned_follow_a_claim(app_env):
    at = open_ticket("T-1001")
    click(at, "Take this ticket")

    assert get_ticket(open_store(app_env), "T-1001").assignee == DEMO_AGENT
    at.segmented_control(key="queue_view").set_value("mine").run()
    assert queue_ids(at) == ["T-1001"]
    at.segmented_control(key="queue_view").set_value("unassigned").run()
    at.radio(key="queue_radio").set_value("T-1002").run()
    assert "T-1001" not in queue_ids(at) and "T-1003" in queue_ids(at)


def test_queue_ticket_taken_by_another_agent_shows_who_and_offers_no_claim(app_env):
    store = seeded(app_env)
    assert queue.claim(store, "T-1002", "Mina")

    at = open_ticket("T-1002")

    assert any("Mina has taken this ticket" in w.value for w in at.warning)
    assert not [b for b in at.button if b.label == "Take this ticket"]
    assert not queue.claim(store, "T-1002", DEMO_AGENT), "the first claim wins"


def test_queue_collision_notice_when_another_agent_has_the_ticket_open(app_env):
    store = seeded(app_env)
    queue.touch_presence(store, "T-1003", "Mina")

    at = open_ticket("T-1003")

    assert any("Mina also has this ticket open" in w.value for w in at.warning)
    assert queue.others_viewing(store, "T-1003", "Mina") == [DEMO_AGENT], "opening it checked the agent in"


def test_queue_solved_ticket_leaves_the_unsolved_view_and_can_be_found(app_env):
    at = open_ticket("T-1004")
    click(at, "Mark solved")
    assert get_ticket(open_store(app_env), "T-1004").status == "solved"

    at.radio(key="queue_radio").set_value("T-1005").run()
    assert "T-1004" not in queue_ids(at)
    at.pills(key="queue_statuses").set_value(["solved"]).run()
    assert "T-1004" in queue_ids(at)


def test_queue_earlier_conversations_are_seeded_solved(app_env):
    store = seeded(app_env)
    assert get_ticket(store, "T-0901").status == "solved"
    assert get_ticket(store, "T-1001").status == "open"


def test_context_shows_the_customers_previous_ticket_and_opens_it(app_env):
    at = open_ticket("T-1001")

    shown = (" ".join(m.value for m in at.markdown) + " ".join(t.value for t in at.text)).replace("\\", "")
    assert "T-0901" in shown and "updated the delivery address" in shown
    click(at, "Open T-0901")
    assert at.radio(key="queue_radio").value == "T-0901"


def past_refund_reply(store) -> None:
    upsert_tickets(store, [Ticket.model_validate({
        "id": "T-0800", "subject": "Refund missing", "customer": {"name": "Jane Doe", "email": "jane@example.org"},
        "messages": [{"role": "customer", "author": "Jane Doe", "text": "My refund is still not on my card."}]})],
        source="demo")
    store.record_audit(AuditEvent(
        ticket_id="T-0800", agent="Alex", engine="offline", model="offline-grounded", suggested="",
        sent="Hi Jane Doe, refunds reach your card 3-5 business days after the inspection. Write to jane@example.org "
             "if it has not arrived by then.",
        edit_distance=1.0, similarity=0.0, sent_at=datetime.now(timezone.utc) - timedelta(days=3), intent="refund",
        language="en", question="It has been days and the refund is still not on my card statement. Where is my money?"))


def test_context_similar_past_ticket_is_masked_and_used_as_draft(app_env):
    past_refund_reply(seeded(app_env))

    at = open_ticket("T-1001")

    shown = [t.value for t in at.text]
    reply = next(v for v in shown if "3-5 business days" in v)
    assert "Jane" not in reply and "jane@example.org" not in reply, "the other customer's data is masked"
    next(b for b in at.button if b.key.startswith("similar_use::T-1001::")).click().run()
    assert at.text_area(key="reply_box::T-1001").value == reply


def test_context_macro_is_filled_for_this_customer_and_inserted(app_env):
    store = seeded(app_env)
    save_macro(store, Macro(name="Refund timing", created_by="lead", text=(
        "Hi {first_name}, the refund for order {order_number} reaches your card within 3-5 business days. {agent}")))

    at = open_ticket("T-1001")
    filled = "Hi Minji, the refund for order MM-20261029-4471 reaches your card within 3-5 business days. " + DEMO_AGENT
    assert filled in [t.value for t in at.text]
    click(at, "Insert")
    assert at.text_area(key="reply_box::T-1001").value == filled


def test_context_insert_asks_before_replacing_typed_text(app_env):
    store = seeded(app_env)
    save_macro(store, Macro(name="Thanks", created_by="lead", text="Thank you, {first_name}!"))
    at = open_ticket("T-1001")
    at.text_area(key="reply_box::T-1001").set_value("My own words").run()

    click(at, "Insert")
    assert at.text_area(key="reply_box::T-1001").value == "My own words"
    click(at, "Replace my text")
    assert at.text_area(key="reply_box::T-1001").value == "Thank you, Minji!"


def test_context_lead_creates_a_macro_and_a_bad_placeholder_is_refused(app_env):
    at = open_ticket("T-1005")
    form_inputs = [w for w in at.text_input if w.label == "Name"]
    form_inputs[0].input("Size swap")
    next(a for a in at.text_area if a.label == "Text").input("Hi {first_nmae}, happy to swap it.")
    click(at, "Save macro")
    assert any("Unknown placeholder" in w.value for w in at.warning)

    next(w for w in at.text_input if w.label == "Name").input("Size swap")
    next(a for a in at.text_area if a.label == "Text").input("Hi {first_name}, happy to swap it.")
    click(at, "Save macro")
    assert "Hi Priya, happy to swap it." in [t.value for t in at.text]


def test_ui_language_choice_is_saved_per_user_and_comes_back_in_a_new_session(app_env):
    from desk.preferences import ui_language

    at = open_ticket("T-1001")
    at.selectbox(key="ui_language_picker").set_value("ko").run()
    assert not at.exception, [e.value for e in at.exception]
    assert [b for b in at.button if b.label == "이 티켓 맡기"]
    assert ui_language(open_store(app_env), DEMO_AGENT) == "ko"

    again = open_ticket("T-1001")  # a new tab, a reload or another browser
    assert [b for b in again.button if b.label == "이 티켓 맡기"]
    assert not [b for b in again.button if b.label == "Take this ticket"]
