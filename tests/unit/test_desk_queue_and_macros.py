"""Queue views, claiming, who else has a ticket open, and macros with placeholders."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest

from core.types import Ticket
from desk import tables
from desk.macros import Macro, fill, list_macros, macro_from_reply, save_macro
from desk.queue import QueueEntry, assign, assignees, claim, leave, others_viewing, queue_view, touch_presence
from desk.records import InvalidField
from desk.store import open_store

T0 = datetime(2026, 11, 20, 9, tzinfo=timezone.utc)


@pytest.fixture
def store(tmp_path):
    with open_store(f"sqlite:///{tmp_path / 'desk.db'}") as opened:
        with opened.transaction() as connection:
            for n in (1, 2):
                connection.execute(tables.tickets.insert().values(
                    id=f"T-{n}", source="files", external_id=f"T-{n}", created_at=T0, updated_at=T0))
        yield opened


def ticket(n: int, messages: list[tuple[str, int]], name: str = "Minji Park", text: str = "Where is order #48213?"):
    return Ticket.model_validate({
        "id": f"T-{n}", "subject": "s", "channel": "email", "customer": {"name": name},
        "messages": [{"role": role, "author": role, "text": text, "at": (T0 + timedelta(minutes=m)).isoformat()}
                     for role, m in messages]})


def test_claim_has_exactly_one_winner_and_assign_overrides(store):
    with ThreadPoolExecutor(4) as pool:
        wins = list(pool.map(lambda user: claim(store, "T-1", user), ["alex", "bo", "cy", "di"]))
    assert wins.count(True) == 1
    owner = assignees(store)["T-1"]
    assert claim(store, "T-1", owner), "the owner claiming again keeps it"
    assign(store, "T-1", "lena")
    assert assignees(store) == {"T-1": "lena"}
    assign(store, "T-1", None)
    assert assignees(store) == {}


def test_others_viewing_lists_recent_other_agents_only(store):
    touch_presence(store, "T-1", "alex", now=T0)
    touch_presence(store, "T-1", "bo", now=T0 - timedelta(minutes=1))
    touch_presence(store, "T-1", "cy", now=T0 - timedelta(minutes=10))
    assert others_viewing(store, "T-1", "alex", now=T0) == ["bo"]
    leave(store, "T-1", "bo")
    assert others_viewing(store, "T-1", "alex", now=T0) == []


def test_queue_views_filter_and_sort():
    waiting_long = QueueEntry(ticket(1, [("customer", 0)]), "open", None, "normal")
    answered = QueueEntry(ticket(2, [("customer", 1), ("agent", 5)]), "pending", "alex", "urgent")
    waiting_short = QueueEntry(ticket(3, [("customer", 0), ("agent", 2), ("customer", 30)]), "open", "alex", "low")
    entries = [answered, waiting_short, waiting_long]

    assert [e.ticket.id for e in queue_view(entries, "alex", "mine")] == ["T-2", "T-3"]
    assert [e.ticket.id for e in queue_view(entries, "alex", "unassigned")] == ["T-1"]
    assert [e.ticket.id for e in queue_view(entries, "alex", "all", statuses=("open",))] == ["T-1", "T-3"]
    assert [e.ticket.id for e in queue_view(entries, "alex", sort="priority")] == ["T-2", "T-1", "T-3"]
    assert [e.ticket.id for e in queue_view(entries, "alex", sort="waiting")] == ["T-1", "T-3", "T-2"]
    assert [e.ticket.id for e in queue_view(entries, "alex", sort="age")][0] in ("T-1", "T-3")


def test_macros_fill_placeholders_and_list_what_is_missing(store):
    save_macro(store, Macro(name="Refund sent", intent="refund_status", created_by="lena",
                            text="Hi {first_name}, the refund for order {order_number} went out today. {agent}, {company}"))
    save_macro(store, Macro(name="Thanks", text="Thank you, {first_name}!", created_by="lena"))

    [refund, general] = list_macros(store, intent="refund_status")
    assert (refund.name, general.name) == ("Refund sent", "Thanks")
    filled = fill(refund.text, ticket(1, [("customer", 0)]), "alex", "Maru Market")
    assert filled.text == "Hi Minji, the refund for order 48213 went out today. alex, Maru Market"
    assert filled.missing == ()
    bare = fill(refund.text, ticket(1, [("customer", 0)], name="", text="Where is it?"), "alex", "Maru Market")
    assert bare.text.startswith("Hi [first name], the refund for order [order number]")
    assert bare.missing == ("first_name", "order_number")


def test_macros_refuse_unknown_placeholders_and_update_by_name(store):
    with pytest.raises(InvalidField, match="Unknown placeholder"):
        save_macro(store, Macro(name="Bad", text="Hello {nmae}", created_by="lena"))
    first = save_macro(store, Macro(name="Hello", text="Hello {first_name}", created_by="lena"))
    second = save_macro(store, Macro(name="Hello", text="Hi {first_name}", created_by="lena"))
    assert first == second and [m.text for m in list_macros(store)] == ["Hi {first_name}"]


def test_macro_from_a_sent_reply_replaces_this_customers_details():
    text = macro_from_reply("Hi Minji, order 48213 is on its way. Minji Park, thanks! alex",
                            ticket(1, [("customer", 0)]), "alex", "Maru Market")
    assert text == "Hi {first_name}, order {order_number} is on its way. {customer_name}, thanks! {agent}"


@pytest.mark.parametrize("text, expected", [
    ("Where is order #48213?", "48213"),
    ("I returned it (order MM-20261029-4471) last week", "MM-20261029-4471"),
    ("주문번호는 MM-20261116-2285입니다.", "MM-20261116-2285"),
    ("Order no. 123456789 arrived broken", "123456789"),
    ("I ordered 12 items", None),
])
def test_macros_order_number_reads_the_shops_order_formats(text, expected):
    from desk.macros import order_number

    assert order_number(ticket(1, [("customer", 0)], text=text)) == expected
