"""Reading a folder of ticket files: one bad file is reported by name and never hides the other tickets."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from core.tickets import TicketFormatError, load_ticket_folder, load_tickets


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
