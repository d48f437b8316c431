"""Tickets in the database: idempotent upserts, messages deduplicated, statuses kept, customer lookups, sealed
customer text, and the demo seeded only into an empty desk."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from core.settings import load_settings
from core.types import Customer, Message, Ticket
from desk import tables
from desk.store import open_store
from desk.ticket_store import (
    customer_tickets,
    get_ticket,
    list_tickets,
    seed_demo_tickets,
    set_ticket_status,
    ticket_count,
    upsert_tickets,
)
from desk.tickets import demo_tickets_dir


def at(minute: int) -> datetime:
    return datetime(2026, 11, 20, 9, minute, tzinfo=timezone.utc)


def ticket(ticket_id: str = "T-1", email: str = "minji@example.com", *texts: str, subject: str = "Refund") -> Ticket:
    texts = texts or ("Where is my refund?",)
    return Ticket(id=ticket_id, subject=subject, customer=Customer(name="Minji Park", email=email),
                  messages=[Message(role="customer", author="Minji Park", text=text, at=at(n))
                            for n, text in enumerate(texts)])


@pytest.fixture
def store(tmp_path):
    with open_store(f"sqlite:///{tmp_path / 'desk.db'}") as opened:
        yield opened


def test_ticket_store_same_import_twice_changes_nothing(store):
    first = upsert_tickets(store, [ticket("T-1"), ticket("T-2")], "file")
    again = upsert_tickets(store, [ticket("T-1"), ticket("T-2")], "file")

    assert (first.created, first.messages_added) == (2, 2)
    assert (again.created, again.updated, again.unchanged, again.messages_added) == (0, 0, 2, 0)
    assert ticket_count(store) == 2 and len(get_ticket(store, "T-1").ticket.messages) == 1


def test_ticket_store_new_message_is_appended_and_reopens_a_solved_ticket(store):
    upsert_tickets(store, [ticket("T-1", "m@example.com", "First")], "file")
    set_ticket_status(store, "T-1", "solved")

    report = upsert_tickets(store, [ticket("T-1", "m@example.com", "First", "Any news?")], "file")

    stored = get_ticket(store, "T-1")
    assert (report.updated, report.messages_added) == (1, 1)
    assert [m.text for m in stored.ticket.messages] == ["First", "Any news?"]
    assert stored.status == "open", "the customer wrote again"


def test_ticket_store_source_status_wins_and_bad_status_is_skipped_with_a_reason(store):
    report = upsert_tickets(store, [ticket("T-1"), ticket("T-2")], "zendesk",
                            statuses={"T-1": "pending", "T-2": "closed"})

    assert get_ticket(store, "T-1").status == "pending"
    assert report.created == 1 and report.skipped == [("T-2", "status 'closed' is not one of open, pending, solved")]


def test_ticket_store_message_ids_from_the_source_deduplicate_edited_text(store):
    upsert_tickets(store, [ticket("T-1", "m@example.com", "Hello")], "zendesk", message_ids={"T-1": ["c-1"]})
    report = upsert_tickets(store, [ticket("T-1", "m@example.com", "Hello (edited)")], "zendesk",
                            message_ids={"T-1": ["c-1"]})

    assert report.messages_added == 0 and len(get_ticket(store, "T-1").ticket.messages) == 1


def test_ticket_store_an_id_taken_by_another_source_is_skipped_not_overwritten(store):
    upsert_tickets(store, [ticket("T-1", subject="Mine")], "demo")
    report = upsert_tickets(store, [ticket("T-1", subject="Theirs")], "csv")

    assert report.skipped and "already used by a ticket from demo" in report.skipped[0][1]
    assert get_ticket(store, "T-1").ticket.subject == "Mine"


def test_ticket_store_customer_tickets_match_email_without_case_newest_first(store):
    upsert_tickets(store, [ticket("T-1", "Minji@Example.com"), ticket("T-2", "other@example.com"),
                           ticket("T-3", "minji@example.com ")], "file")

    found = customer_tickets(store, "MINJI@example.com", exclude="T-3")

    assert [s.ticket.id for s in found] == ["T-1"]
    assert customer_tickets(store, "  ") == []


def test_ticket_store_customer_text_is_sealed_when_a_key_is_set(tmp_path):
    settings = load_settings({"ASSIST_ENCRYPTION_KEY": Fernet.generate_key().decode()})
    with open_store(f"sqlite:///{tmp_path / 'sealed.db'}", settings) as sealed:
        upsert_tickets(sealed, [ticket("T-1", "minji@example.com", "My card ends 4242")], "file")
        with sealed.connection() as connection:
            raw = connection.execute(select(tables.tickets.c.customer_email)).scalar_one()
            text = connection.execute(select(tables.ticket_messages.c.text)).scalar_one()
        found = customer_tickets(sealed, "minji@example.com")

    assert "minji" not in raw and "4242" not in text
    assert found[0].ticket.messages[0].text == "My card ends 4242"


def test_ticket_store_replied_ticket_becomes_pending(store):
    upsert_tickets(store, [ticket("T-1")], "file")
    store.set_status("T-1", "replied")
    assert get_ticket(store, "T-1").status == "pending"


def test_ticket_store_set_status_refuses_unknown_status(store):
    with pytest.raises(ValueError, match="unknown ticket status"):
        set_ticket_status(store, "T-1", "closed")


def test_ticket_store_demo_seeded_once_with_finished_conversations_solved(store):
    report = seed_demo_tickets(store, demo_tickets_dir())
    set_ticket_status(store, "T-1001", "pending")
    again = seed_demo_tickets(store, demo_tickets_dir())

    files = list(demo_tickets_dir().glob("*.json"))
    assert report.created == len(files) and not report.skipped
    assert again.created == 0 and get_ticket(store, "T-1001").status == "pending", "a seeded desk is left alone"
    assert get_ticket(store, "T-0902").status == "solved"
    assert [s.ticket.id for s in list_tickets(store)][:2] == ["T-0901", "T-0902"]


def test_ticket_store_nul_in_a_message_skips_that_ticket_only(store):
    bad = ticket("T-2", "x@example.com", "bad\x00text")
    report = upsert_tickets(store, [ticket("T-1"), bad], "file")

    assert report.created == 1 and report.skipped[0][0] == "T-2" and "NUL" in report.skipped[0][1]


def test_ticket_store_answered_conversations_of_another_folder_start_pending(store, tmp_path):
    answered = Ticket(id="T-7", messages=[Message(role="customer", text="Hi"), Message(role="agent", text="Hello")])
    (tmp_path / "T-7.json").write_text(answered.model_dump_json(), encoding="utf-8")
    seed_demo_tickets(store, tmp_path)
    assert get_ticket(store, "T-7").status == "pending"
