"""Privacy requests: `python -m desk privacy export|erase --customer EMAIL_OR_TICKET_ID`."""
from __future__ import annotations

import json
import stat

import pytest
from cryptography.fernet import Fernet

from core.types import Ticket
from desk.__main__ import main
from desk.report import lead_report
from desk.records import REMOVED_TEXT
from desk.send import RecordSender, SuggestionRecord, send_reply
from desk.store import open_store

SECRET = "card 4111 1111 1111 1111"
MINJI = "Minji.Park@example.com"


def write_ticket(folder, ticket_id: str, email: str) -> Ticket:
    ticket = Ticket(id=ticket_id, customer={"name": "Someone", "email": email},
                    messages=[{"role": "customer", "author": "Someone", "text": f"My {SECRET} was charged twice"}])
    (folder / f"{ticket_id}.json").write_text(ticket.model_dump_json(), encoding="utf-8")
    return ticket


@pytest.fixture
def desk(tmp_path, monkeypatch):
    """A tickets folder with two tickets of Minji and one of Hana, each replied to, in an encrypted store."""
    folder = tmp_path / "tickets"
    folder.mkdir()
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    monkeypatch.setenv("ASSIST_TICKETS_DIR", str(folder))
    monkeypatch.setenv("ASSIST_DATABASE_URL", url)
    monkeypatch.setenv("ASSIST_ENCRYPTION_KEY", Fernet.generate_key().decode())
    tickets = [write_ticket(folder, "T-1", MINJI), write_ticket(folder, "T-2", "minji.park@example.com"),
               write_ticket(folder, "T-3", "hana@example.com")]
    with open_store(url) as store:
        for ticket in tickets:
            suggestion = SuggestionRecord(engine="offline", model="m", suggested=f"About your {SECRET}")
            send_reply(ticket, f"Refunded your {SECRET} ({ticket.id})", "alex", suggestion, RecordSender(), store)
        store.save_working_draft("T-2", "sam", f"draft about {SECRET}")
    return folder, url


def test_privacy_export_by_email_has_every_ticket_and_row_of_the_customer(desk, tmp_path, capsys):
    out = tmp_path / "minji.json"
    assert main(["privacy", "export", "--customer", "minji.park@EXAMPLE.com", "--out", str(out)]) == 0
    assert "Exported 2 tickets" in capsys.readouterr().out
    export = json.loads(out.read_text(encoding="utf-8"))
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert export["ticket_ids"] == ["T-1", "T-2"] and [t["id"] for t in export["tickets"]] == ["T-1", "T-2"]
    assert [r["text"] for r in export["sent_replies"]] == [f"Refunded your {SECRET} (T-1)", f"Refunded your {SECRET} (T-2)"]
    assert {r["sent"] for r in export["audit_events"]} == {f"Refunded your {SECRET} (T-1)", f"Refunded your {SECRET} (T-2)"}
    assert len(export["outbox"]) == 2 and export["working_state"][0]["text"] == f"draft about {SECRET}"
    assert {r["ticket_id"] for r in export["ticket_state"]} == {"T-1", "T-2"}


def test_privacy_export_by_ticket_id_finds_the_customers_other_tickets(desk, capsys):
    assert main(["privacy", "export", "--customer", "T-2"]) == 0
    assert json.loads(capsys.readouterr().out)["ticket_ids"] == ["T-1", "T-2"]


@pytest.mark.parametrize("argv, message", [
    (["privacy", "export", "--customer", "nobody@example.com"], "no ticket in"),
    (["privacy", "erase", "--customer", "nobody@example.com", "--yes"], "belongs to 'nobody@example.com'"),
    (["privacy", "export", "--customer", "T-1", "--out", "/no/such/folder/x.json"], "cannot write /no/such/folder/x.json"),
])
def test_privacy_unknown_customer_or_bad_path_is_a_clear_error(desk, capsys, argv, message):
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_privacy_export_never_overwrites_a_file(desk, tmp_path, capsys):
    out = tmp_path / "taken.json"
    out.write_text("keep me", encoding="utf-8")
    assert main(["privacy", "export", "--customer", "T-1", "--out", str(out)]) == 1
    assert "already exists" in capsys.readouterr().err and out.read_text(encoding="utf-8") == "keep me"


def test_privacy_erase_without_yes_and_without_a_terminal_erases_nothing(desk, capsys):
    folder, url = desk
    assert main(["privacy", "erase", "--customer", MINJI]) == 1
    assert "pass --yes" in capsys.readouterr().err
    with open_store(url) as store:
        assert len(store.sent_replies("T-1")) == 1 and (folder / "T-1.json").exists()


def test_privacy_erase_removes_the_customer_and_keeps_anonymous_numbers(desk, capsys):
    folder, url = desk
    with open_store(url) as store:
        before = lead_report(store)
    assert main(["privacy", "erase", "--customer", MINJI, "--yes"]) == 0
    out = capsys.readouterr().out
    assert "sent replies deleted: 2" in out and "audit events anonymised: 2" in out and "ticket files deleted: 2" in out
    assert sorted(p.name for p in folder.iterdir()) == ["T-3.json"]
    with open_store(url) as store:
        events = store.audit_events()
        assert store.sent_replies("T-1") == [] and store.working_state("T-2", "sam") is None
        assert store.status("T-1") == "open" and store.sent_replies("T-3")[0].text.endswith("(T-3)")
        erased = [e for e in events if e.ticket_id != "T-3"]
        assert len(erased) == 2 and all(e.ticket_id.startswith("erased-") and e.sent == REMOVED_TEXT for e in erased)
        after = lead_report(store)
        assert after["replies"] == 3 and after["by_agent"] == before["by_agent"]
        assert after["median_edit_distance"] == before["median_edit_distance"]
    assert main(["privacy", "export", "--customer", MINJI]) == 1


def test_privacy_export_and_erase_include_the_customers_tickets_in_the_database(desk, capsys):
    from desk.ticket_store import get_ticket, upsert_tickets

    _, url = desk
    imported = Ticket(id="ZD-9", customer={"name": "Minji Park", "email": "MINJI.park@example.com"},
                      messages=[{"role": "customer", "author": "Minji Park", "text": f"Synced: my {SECRET}"}])
    with open_store(url) as store:
        upsert_tickets(store, [imported], "zendesk", external_ids={"ZD-9": "9"})

    assert main(["privacy", "export", "--customer", MINJI]) == 0
    export = json.loads(capsys.readouterr().out)
    assert "ZD-9" in export["ticket_ids"] and any(t["id"] == "ZD-9" for t in export["tickets"])
    assert main(["privacy", "erase", "--customer", "ZD-9", "--yes"]) == 0
    assert "stored tickets deleted: 1 (with 1 messages)" in capsys.readouterr().out
    with open_store(url) as store:
        assert get_ticket(store, "ZD-9") is None
