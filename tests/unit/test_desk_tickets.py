"""Ticket files, threads with sent replies, and helpdesk importers (CSV and JSON)."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from core.tickets import TicketFormatError, load_ticket, load_tickets
from desk.importers import import_csv, import_json
from desk.store import open_store
from desk.tickets import demo_tickets_dir, thread

UTC = timezone.utc


def ticket_data(ticket_id: str = "T-1", **changes) -> dict:
    data = {
        "id": ticket_id, "subject": "Refund not received", "channel": "email",
        "customer": {"name": "Minji Park", "email": "minji@example.com"},
        "messages": [{"role": "customer", "author": "Minji Park",
                      "text": "I returned order #48213.", "at": "2026-11-20T09:12:00Z"}],
    }
    return data | changes


def write_json(path, data):
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_load_ticket_reads_ticket_json(tmp_path):
    ticket = load_ticket(write_json(tmp_path / "T-1.json", ticket_data()))
    assert ticket.id == "T-1"
    assert ticket.messages[0].at == datetime(2026, 11, 20, 9, 12, tzinfo=timezone.utc)


def test_load_ticket_bad_json_names_the_file(tmp_path):
    path = tmp_path / "T-1.json"
    path.write_text('{"id": "T-1",', encoding="utf-8")
    with pytest.raises(TicketFormatError, match=r"^T-1\.json: not valid JSON \(line 1"):
        load_ticket(path)


@pytest.mark.parametrize("messages", [None, []])
def test_load_ticket_without_messages_names_file_and_field(tmp_path, messages):
    data = ticket_data()
    if messages is None:
        del data["messages"]
    else:
        data["messages"] = messages
    with pytest.raises(TicketFormatError) as caught:
        load_ticket(write_json(tmp_path / "T-1.json", data))
    assert str(caught.value) == "T-1.json: messages: at least one message is required"


def test_load_ticket_empty_message_text_names_the_message(tmp_path):
    data = ticket_data(messages=[{"role": "customer", "text": "  "}])
    with pytest.raises(TicketFormatError) as caught:
        load_ticket(write_json(tmp_path / "T-1.json", data))
    assert str(caught.value) == "T-1.json: messages[0].text: message text is empty"


def test_load_ticket_unknown_field_is_named(tmp_path):
    with pytest.raises(TicketFormatError, match=r"T-1\.json: priority: is not a known field"):
        load_ticket(write_json(tmp_path / "T-1.json", ticket_data(priority="high")))


def test_load_tickets_sorts_by_id_numerically(tmp_path):
    for ticket_id in ("T-10", "T-2", "T-1"):
        write_json(tmp_path / f"{ticket_id.lower()}.json", ticket_data(ticket_id))
    assert [ticket.id for ticket in load_tickets(tmp_path)] == ["T-1", "T-2", "T-10"]


def test_load_tickets_rejects_duplicate_ids(tmp_path):
    write_json(tmp_path / "a.json", ticket_data("T-1"))
    write_json(tmp_path / "b.json", ticket_data("T-1"))
    with pytest.raises(TicketFormatError, match=r"b\.json: id: 'T-1' is already used by a\.json"):
        load_tickets(tmp_path)


def test_load_tickets_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="ticket folder not found"):
        load_tickets(tmp_path / "nowhere")


def test_demo_tickets_dir_is_inside_the_desk_package():
    assert demo_tickets_dir().parts[-3:] == ("desk", "demo", "tickets")


def test_thread_appends_sent_replies_in_time_order(tmp_path):
    ticket = load_ticket(write_json(tmp_path / "T-1.json", ticket_data()))
    with open_store(f"sqlite:///{tmp_path / 'desk.db'}") as store:
        store.add_sent_reply("T-1", "alex", "Second reply", datetime(2026, 11, 21, tzinfo=UTC))
        store.add_sent_reply("T-1", "alex", "First reply", datetime(2026, 11, 20, 10, tzinfo=UTC))
        threaded = thread(ticket, store)
    assert [m.text for m in threaded.messages] == [
        "I returned order #48213.", "First reply", "Second reply",
    ]
    assert len(ticket.messages) == 1


CSV_EXPORT = """\
ticket_id,subject,author_type,author,body,created_at,customer_name,customer_email
T-7,Login fails,end-user,Jo Lee,I still cannot log in.,2026-11-20T10:30:00Z,Jo Lee,jo@example.com
T-7,Login fails,Agent,Sam,Can you try resetting your password?,2026-11-20T10:00:00Z,,
T-7,Login fails,private note,Sam,Checked SSO logs - nothing.,2026-11-20T10:10:00Z,,
T-3,Invoice,requester,Ana,Please resend my invoice.,2026-11-19 08:00,Ana Ruiz,ana@example.com
"""


def test_import_csv_groups_rows_by_ticket_and_orders_by_time(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(CSV_EXPORT, encoding="utf-8")
    tickets = import_csv(path)
    assert [ticket.id for ticket in tickets] == ["T-3", "T-7"]
    login = tickets[1]
    assert [m.role for m in login.messages] == ["agent", "note", "customer"]
    assert login.messages[0].text == "Can you try resetting your password?"
    assert login.customer.email == "jo@example.com" and login.subject == "Login fails"
    assert tickets[0].messages[0].at == datetime(2026, 11, 19, 8, tzinfo=timezone.utc)


def test_import_csv_uses_a_column_mapping(tmp_path):
    path = tmp_path / "helpdesk.csv"
    path.write_text("Case,Who,Kind,Comment\n42,Bo,staff,Fixed now.\n42,Kim,customer,Thanks!\n")
    mapping = {"ticket_id": "Case", "author": "Who", "role": "Kind", "text": "Comment"}
    [ticket] = import_csv(path, mapping=mapping)
    assert ticket.id == "42"
    assert [(m.role, m.author) for m in ticket.messages] == [("agent", "Bo"), ("customer", "Kim")]
    assert ticket.customer.name == "Kim"


def test_import_csv_unknown_role_names_the_line(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("ticket_id,role,text\nT-1,customer,Hi\nT-1,robot,Beep\n")
    with pytest.raises(TicketFormatError, match=r"export\.csv line 3: role: 'robot'"):
        import_csv(path)


def test_import_csv_empty_text_names_the_line(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("ticket_id,role,body\nT-1,customer,\n")
    with pytest.raises(TicketFormatError, match=r"^export\.csv line 2: body: is empty$"):
        import_csv(path)


def test_import_csv_bad_time_names_the_line(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("ticket_id,role,text,created_at\nT-1,customer,Hi,yesterday\n")
    with pytest.raises(TicketFormatError, match=r"line 2: created_at: 'yesterday'"):
        import_csv(path)


def test_import_csv_missing_required_column_says_how_to_map_it(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("ticket,role,text\nT-1,customer,Hi\n")
    with pytest.raises(TicketFormatError, match=r"no column for ticket_id.*mapping="):
        import_csv(path)


ZENDESK_EXPORT = {"tickets": [{
    "id": 1042, "subject": "Refund not received", "via": {"channel": "web"},
    "requester": {"name": "Minji Park", "email": "minji@example.com"},
    "comments": [
        {"author_role": "end-user", "author": "Minji Park", "body": "Where is my refund?",
         "public": True, "created_at": "2026-11-20T09:12:00Z"},
        {"author_role": "agent", "author": {"name": "Alex"}, "body": "Refund approved by finance.",
         "public": False, "created_at": "2026-11-20T09:40:00Z"},
        {"author_role": "agent", "author": "Alex", "body": "Your refund is on its way.",
         "public": True, "created_at": "2026-11-20T09:45:00Z"},
    ],
}]}


def test_import_json_maps_zendesk_like_tickets(tmp_path):
    [ticket] = import_json(write_json(tmp_path / "export.json", ZENDESK_EXPORT))
    assert ticket.id == "1042" and ticket.channel == "web"
    assert ticket.customer.email == "minji@example.com"
    assert [m.role for m in ticket.messages] == ["customer", "note", "agent"]
    assert ticket.messages[1].author == "Alex"


def test_import_json_accepts_a_bare_list(tmp_path):
    tickets = import_json(write_json(tmp_path / "export.json", ZENDESK_EXPORT["tickets"]))
    assert [ticket.id for ticket in tickets] == ["1042"]


def test_import_json_ticket_without_comments_is_named(tmp_path):
    data = [{"id": 7, "subject": "Empty", "comments": []}]
    with pytest.raises(TicketFormatError,
                       match=r"export\.json ticket #1 \(id 7\): comments: at least one"):
        import_json(write_json(tmp_path / "export.json", data))


def test_import_json_blank_comment_body_names_the_comment(tmp_path):
    data = [{"id": 7, "comments": [{"author_role": "end-user", "body": " "}]}]
    with pytest.raises(TicketFormatError, match=r"\(id 7\): comments\[0\]: body: is empty$"):
        import_json(write_json(tmp_path / "export.json", data))
