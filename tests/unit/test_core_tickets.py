"""Reading a folder of ticket files: one bad file is reported by name and never hides the other tickets."""
from __future__ import annotations

import json
import os
from datetime import datetime, timezone

import pytest

from core.tickets import TicketFormatError, bounded_ticket, load_ticket, load_ticket_folder, load_tickets, parse_ticket


def ticket_data(ticket_id: str = "T-1", at: str = "2026-11-20T09:12:00Z") -> dict:
    return {"id": ticket_id, "subject": "Refund not received", "customer": {"name": "Minji Park"},
            "messages": [{"role": "customer", "author": "Minji Park", "text": "I returned order #48213.", "at": at}]}


def write(folder, name: str, data) -> None:
    (folder / name).write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")


def test_load_ticket_folder_reads_a_time_without_timezone_as_utc(tmp_path):
    write(tmp_path, "t-1.json", ticket_data(at="2026-11-20T09:12:00"))
    tickets, problems = load_ticket_folder(tmp_path)
    assert problems == []
    assert tickets[0].messages[0].at == datetime(2026, 11, 20, 9, 12, tzinfo=timezone.utc)


def test_load_ticket_folder_reports_broken_json_by_name_and_loads_the_others(tmp_path):
    write(tmp_path, "t-1.json", ticket_data("T-1"))
    write(tmp_path, "t-2.json", '{"id": "T-2",')
    write(tmp_path, "t-3.json", ticket_data("T-3"))
    tickets, problems = load_ticket_folder(tmp_path)
    assert [t.id for t in tickets] == ["T-1", "T-3"]
    assert [name for name, _ in problems] == ["t-2.json"]
    assert problems[0][1].startswith("not valid JSON (line 1")


def test_load_ticket_folder_reports_an_invalid_field_by_name_and_field(tmp_path):
    write(tmp_path, "t-1.json", ticket_data("T-1"))
    write(tmp_path, "t-2.json", ticket_data("T-2", at="yesterday"))
    tickets, problems = load_ticket_folder(tmp_path)
    assert [t.id for t in tickets] == ["T-1"]
    assert problems[0][0] == "t-2.json" and problems[0][1].startswith("messages[0].at: ")


def test_load_ticket_folder_reports_a_duplicate_id_and_keeps_the_first_file(tmp_path):
    write(tmp_path, "a.json", ticket_data("T-1"))
    write(tmp_path, "b.json", ticket_data("T-1") | {"subject": "Second copy"})
    tickets, problems = load_ticket_folder(tmp_path)
    assert [(t.id, t.subject) for t in tickets] == [("T-1", "Refund not received")]
    assert problems == [("b.json", "id: 'T-1' is already used by a.json")]


def test_load_ticket_folder_sorts_by_id_numerically(tmp_path):
    for ticket_id in ("T-10", "T-2", "T-1"):
        write(tmp_path, f"{ticket_id.lower()}.json", ticket_data(ticket_id))
    assert [t.id for t in load_ticket_folder(tmp_path)[0]] == ["T-1", "T-2", "T-10"]


def test_load_ticket_folder_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="ticket folder not found"):
        load_ticket_folder(tmp_path / "nowhere")


def test_load_tickets_stays_strict_and_names_the_file(tmp_path):
    write(tmp_path, "t-1.json", ticket_data("T-1"))
    write(tmp_path, "t-2.json", '{"id": "T-2",')
    with pytest.raises(TicketFormatError, match=r"^t-2\.json: not valid JSON \(line 1"):
        load_tickets(tmp_path)


def test_load_tickets_reads_a_time_without_timezone(tmp_path):
    write(tmp_path, "t-1.json", ticket_data(at="2026-11-20T09:12:00"))
    assert load_tickets(tmp_path)[0].messages[0].at.tzinfo is not None


def test_load_ticket_accepts_a_utf8_bom(tmp_path):
    path = tmp_path / "t.json"
    path.write_text("\ufeff" + json.dumps(ticket_data()), encoding="utf-8")

    assert load_ticket(path).id == "T-1"


@pytest.mark.parametrize("content, words", [
    ('{"id": "T-1", "x": ' + "[" * 50_000 + "]" * 50_000 + "}", "nested too deeply"),
    (json.dumps({**ticket_data(), "subject": "a \ud800 b"}), "surrogate"),
])
def test_load_ticket_refuses_deep_nesting_and_lone_surrogates_by_name(tmp_path, content, words):
    path = tmp_path / "t.json"
    path.write_text(content, encoding="utf-8")

    with pytest.raises(TicketFormatError, match=words) as caught:
        load_ticket(path)
    assert "t.json" in str(caught.value)


def test_load_ticket_refuses_a_named_pipe_without_opening_it(tmp_path):
    os.mkfifo(tmp_path / "pipe.json")

    with pytest.raises(TicketFormatError, match="not a regular file"):
        load_ticket(tmp_path / "pipe.json")


def test_load_ticket_refuses_a_file_too_large_to_be_a_ticket(tmp_path):
    from core.tickets import read_json_file

    path = tmp_path / "big.json"
    path.write_text(json.dumps(ticket_data()), encoding="utf-8")

    with pytest.raises(TicketFormatError, match="larger than a ticket file"):
        read_json_file(path, max_bytes=10)


def test_bounded_ticket_keeps_the_beginning_and_end_of_a_long_message_and_says_so():
    data = ticket_data()
    data["messages"][0]["text"] = "START " + "x" * 50_000 + " END?"
    ticket = parse_ticket(data, "t.json")

    bounded, notes = bounded_ticket(ticket, max_message_chars=1_000, max_messages=10)

    text = bounded.messages[0].text
    assert text.startswith("START") and text.endswith("END?") and len(text) <= 1_010
    assert len(notes) == 1 and "50,011 characters" in notes[0]
    assert ticket.messages[0].text.startswith("START " + "x" * 100)  # the stored ticket is untouched


def test_bounded_ticket_reads_the_latest_messages_of_a_long_thread():
    data = ticket_data()
    data["messages"] = [{"role": "customer", "text": f"message {n}"} for n in range(30)]
    ticket = parse_ticket(data, "t.json")

    bounded, notes = bounded_ticket(ticket, max_message_chars=1_000, max_messages=5)

    assert [m.text for m in bounded.messages] == [f"message {n}" for n in range(25, 30)]
    assert "30 messages" in notes[0]
    assert bounded_ticket(bounded, 1_000, 5) == (bounded, [])
