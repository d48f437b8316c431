"""Core types: times in tickets always carry a timezone."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from core.types import Message, Ticket

UTC = timezone.utc


def message(**changes) -> dict:
    return {"role": "customer", "author": "Minji Park", "text": "Where is my refund?"} | changes


def test_message_at_without_timezone_is_read_as_utc():
    assert Message.model_validate(message(at="2026-11-20T09:12:00")).at == datetime(2026, 11, 20, 9, 12, tzinfo=UTC)


def test_message_at_naive_datetime_object_is_read_as_utc():
    at = Message(**message(at=datetime(2026, 11, 20, 9, 12))).at
    assert at.tzinfo is not None and at.utcoffset() == timedelta(0)


def test_message_at_keeps_a_given_timezone():
    at = Message.model_validate(message(at="2026-11-20T18:12:00+09:00")).at
    assert at.utcoffset() == timedelta(hours=9)
    assert at == datetime(2026, 11, 20, 9, 12, tzinfo=UTC)


def test_message_at_may_be_missing():
    assert Message.model_validate(message()).at is None


def test_ticket_with_naive_and_aware_times_can_be_compared():
    ticket = Ticket.model_validate({"id": "T-1", "messages": [
        message(at="2026-11-20T09:12:00"), message(at="2026-11-20T09:00:00Z"), message(at="2026-11-20T18:30:00+09:00")]})
    times = [m.at for m in ticket.messages]
    assert sorted(times) == [times[1], times[0], times[2]]
    assert datetime.now(UTC) - max(times) > timedelta(0)


def test_ticket_time_without_timezone_survives_a_json_round_trip():
    ticket = Ticket.model_validate({"id": "T-1", "messages": [message(at="2026-11-20T09:12:00")]})
    again = Ticket.model_validate_json(ticket.model_dump_json())
    assert again.messages[0].at == datetime(2026, 11, 20, 9, 12, tzinfo=UTC)
    assert again == ticket
