"""Ticket intake end to end: the same Zendesk bundle and CSV imported twice give each ticket once, internal notes
stay internal and names intact; `python -m desk sync` against the local Zendesk fake imports the tickets, and a
reply sent from the desk appears there as a public comment."""
from __future__ import annotations

import json
import threading

import pytest

from core.settings import load_settings
from desk.__main__ import main as desk_main
from desk.connectors.base import sync_loop
from core.types import Ticket
from desk.intake import import_file, routed_sender, zendesk_connector, zendesk_upsert
from desk.send import RecordSender, SuggestionRecord, send_reply
from desk.store import open_store
from desk.ticket_store import get_ticket, list_tickets
from tests.fakes.zendesk import EMAIL, TOKEN, FakeZendesk

BUNDLE = {
    "tickets": [
        {"id": 501, "subject": "환불이 안 들어왔어요", "status": "open", "requester_id": 9001,
         "via": {"channel": "email"}, "created_at": "2026-11-20T09:00:00Z", "updated_at": "2026-11-20T09:40:00Z"},
        {"id": 502, "subject": "Wrong size", "status": "hold", "requester_id": 9002,
         "created_at": "2026-11-21T10:00:00Z", "updated_at": "2026-11-21T10:00:00Z"},
        {"id": 503, "subject": "Spam", "status": "deleted", "requester_id": 9002},
    ],
    "users": [
        {"id": 9001, "name": "김민지", "email": "minji@example.com", "role": "end-user"},
        {"id": 9002, "name": "O'Brien-Søren, Ana", "email": "ana@example.com", "role": "end-user"},
        {"id": 7, "name": "Alex", "email": "alex@shop.example", "role": "agent"},
    ],
    "comments": {
        "501": [
            {"id": 1, "author_id": 9001, "body": "환불이 아직 안 들어왔어요.", "public": True,
             "created_at": "2026-11-20T09:00:00Z"},
            {"id": 2, "author_id": 7, "body": "Customer is VIP, refund manually", "public": "false",
             "created_at": "2026-11-20T09:30:00Z"},
            {"id": 3, "author_id": 7, "body": "확인 중입니다.", "public": True, "created_at": "2026-11-20T09:40:00Z"},
        ],
        "502": [{"id": 4, "author_id": 9002, "body": "", "public": True, "created_at": "2026-11-21T10:00:00Z",
                 "attachments": [{"file_name": "label.pdf"}]}],
    },
}
CSV = ("Ticket #,Author type,Author,Comment,created_at,customer_email\n"
       "C-1,end-user,Priya Raman,The parcel never arrived.,2026-11-22T08:00:00Z,priya@example.com\n"
       "C-1,private note,Sam,Check the courier first,2026-11-22T08:05:00Z,\n"
       ",end-user,Nobody,No ticket id here,2026-11-22T08:06:00Z,\n"
       "C-2,end-user,Jun,,2026-11-22T09:00:00Z,jun@example.com\n")
MAPPING = ["--mapping", "ticket_id=Ticket #", "--mapping", "role=Author type", "--mapping", "text=Comment"]


@pytest.fixture
def desk_url(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    monkeypatch.setenv("ASSIST_DATABASE_URL", url)
    return url


def run_json(args: list[str], capsys) -> dict:
    assert desk_main(args) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def test_intake_zendesk_bundle_and_csv_imported_twice_give_each_ticket_once(desk_url, tmp_path, capsys):
    bundle, sheet = tmp_path / "bundle.json", tmp_path / "export.csv"
    bundle.write_text(json.dumps(BUNDLE, ensure_ascii=False), encoding="utf-8")
    sheet.write_text(CSV, encoding="utf-8")

    first = run_json(["import", str(bundle), "--format", "zendesk", "--json"], capsys)
    again = run_json(["import", str(bundle), "--format", "zendesk", "--json"], capsys)
    csv_first = run_json(["import", str(sheet), "--format", "csv", *MAPPING, "--json"], capsys)
    csv_again = run_json(["import", str(sheet), "--format", "csv", *MAPPING, "--json"], capsys)

    assert (first["created"], first["messages_added"]) == (2, 4)
    assert (again["created"], again["updated"], again["unchanged"], again["messages_added"]) == (0, 0, 2, 0)
    assert {s["where"]: s["why"] for s in first["skipped"]} == {"bundle.json ticket 503": "deleted in Zendesk"}
    assert (csv_first["created"], csv_again["created"], csv_again["messages_added"]) == (1, 0, 0)
    assert [s["where"] for s in csv_first["skipped"]] == ["export.csv line 4", "ticket C-2"]
    with open_store(desk_url) as store:
        assert sorted(s.ticket.id for s in list_tickets(store)) == ["C-1", "ZD-501", "ZD-502"]
        korean, size, parcel = get_ticket(store, "ZD-501"), get_ticket(store, "ZD-502"), get_ticket(store, "C-1")
    assert [m.role for m in korean.ticket.messages] == ["customer", "note", "agent"], '"public": "false" is a note'
    assert korean.ticket.customer.name == "김민지" and size.ticket.customer.name == "O'Brien-Søren, Ana"
    assert size.status == "pending" and "[attachment: label.pdf]" in size.ticket.messages[0].text
    assert [m.role for m in parcel.ticket.messages] == ["customer", "note"]
    assert parcel.ticket.customer.email == "priya@example.com"

    assert desk_main(["tickets", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {row["id"]: row["status"] for row in listed} == {"C-1": "open", "ZD-501": "open", "ZD-502": "pending"}


def test_intake_product_jsonl_reports_the_bad_line_and_imports_the_rest(tmp_path):
    lines = tmp_path / "tickets.jsonl"
    good = {"id": "J-1", "subject": "Hi", "messages": [{"role": "customer", "text": "Where is my order?"}]}
    lines.write_text(json.dumps(good) + "\n{not json\n" + json.dumps({"id": "J-2", "messages": []}) + "\n",
                     encoding="utf-8")
    with open_store(f"sqlite:///{tmp_path / 'desk.db'}") as store:
        report = import_file(store, lines, "jsonl")
        again = import_file(store, lines, "jsonl")
    assert report.created == 1 and again.unchanged == 1
    assert [where for where, _ in report.skipped] == ["tickets.jsonl line 2", "tickets.jsonl line 3"]


def test_intake_import_of_a_missing_file_is_refused_with_a_message(desk_url, tmp_path, capsys):
    assert desk_main(["import", str(tmp_path / "nope.json"), "--format", "zendesk"]) == 1
    assert "nope.json: no such file" in capsys.readouterr().err


def zendesk_settings(fake: FakeZendesk, **extra):
    return load_settings({"ASSIST_ZENDESK_URL": fake.url, "ASSIST_ZENDESK_EMAIL": EMAIL,
                          "ASSIST_ZENDESK_TOKEN": TOKEN, **extra})


def test_intake_sync_loop_imports_from_the_fake_and_a_sent_reply_is_posted_back(tmp_path):
    with FakeZendesk() as fake, open_store(f"sqlite:///{tmp_path / 'desk.db'}") as store:
        for user in BUNDLE["users"]:
            fake.users.append(user)
        for ticket in BUNDLE["tickets"][:2]:
            fake.add_ticket(ticket, BUNDLE["comments"][str(ticket["id"])])
        settings = zendesk_settings(fake)
        stop, lines = threading.Event(), []

        def note(line: str) -> None:
            lines.append(line)
            stop.set()  # one pass is enough here

        sync_loop(store, zendesk_connector(settings), zendesk_upsert(store), interval=5, stop=stop, report=note)
        stored = get_ticket(store, "ZD-501")
        outcome = send_reply(stored.ticket, "환불은 오늘 처리되었습니다.", "Alex",
                             SuggestionRecord(engine="offline", model="m", suggested=""),
                             routed_sender(settings, RecordSender()), store)

        assert "created 2" in lines[0], lines
        assert [m.role for m in stored.ticket.messages] == ["customer", "note", "agent"]
        assert outcome.delivery == "delivered" and "delivered" in outcome.message
        posted = fake.comments[501][-1]
        assert posted["body"] == "환불은 오늘 처리되었습니다." and posted["public"] is True


def test_intake_sync_once_from_the_command_line(tmp_path, monkeypatch, capsys):
    with FakeZendesk() as fake:
        fake.users.extend(BUNDLE["users"])
        fake.add_ticket(BUNDLE["tickets"][0], BUNDLE["comments"]["501"])
        for name, value in (("ASSIST_ZENDESK_URL", fake.url), ("ASSIST_ZENDESK_EMAIL", EMAIL),
                            ("ASSIST_ZENDESK_TOKEN", TOKEN), ("ASSIST_DATABASE_URL", f"sqlite:///{tmp_path / 'd.db'}")):
            monkeypatch.setenv(name, value)
        assert desk_main(["sync", "--once"]) == 0
        assert "created 1" in capsys.readouterr().out
        assert desk_main(["sync", "--once"]) == 0, "the cursor makes a second pass cheap"


def test_intake_sync_without_settings_says_what_to_set(desk_url, capsys):
    assert desk_main(["sync", "--once"]) == 1
    assert "ASSIST_ZENDESK_URL" in capsys.readouterr().err


def test_intake_reply_on_a_local_ticket_says_recorded_not_delivered(tmp_path):
    with open_store(f"sqlite:///{tmp_path / 'desk.db'}") as store:
        ticket = Ticket.model_validate({"id": "T-9", "messages": [{"role": "customer", "text": "hi"}]})
        outcome = send_reply(ticket, "Hello", "Alex", SuggestionRecord(engine="offline", model="m", suggested=""),
                             RecordSender(), store)
    assert outcome.recorded and "did not reach the customer" in outcome.message
