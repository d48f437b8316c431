"""`python -m desk export` (audit events as CSV or XLSX) and `python -m desk feedback export` (JSON lines)."""
from __future__ import annotations

import csv
import io
import json
import stat
from datetime import datetime, timezone

import pytest
from openpyxl import load_workbook

from core.types import Message, Ticket
from desk.__main__ import main
from desk.demo_seed import seed_demo
from desk.export import COLUMNS, FEEDBACK_KEYS, export_bytes
from desk.feedback import list_feedback
from desk.report import AuditFilter, lead_report
from desk.store import open_store

END = datetime(2026, 11, 30, tzinfo=timezone.utc)
WINDOW = AuditFilter(since=datetime(2026, 11, 9, tzinfo=timezone.utc), until=datetime(2026, 11, 23, tzinfo=timezone.utc))


@pytest.fixture
def url(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    tickets = tmp_path / "tickets"
    tickets.mkdir()
    monkeypatch.setenv("ASSIST_HOME", str(tmp_path))
    monkeypatch.setenv("ASSIST_DATABASE_URL", url)
    monkeypatch.setenv("ASSIST_TICKETS_DIR", str(tickets))
    monkeypatch.delenv("ASSIST_ENCRYPTION_KEY", raising=False)
    with open_store(url) as store:
        seed_demo(store, weeks=6, replies=300, seed=2, end=END)
    return url


def replies_in_window(url: str) -> int:
    with open_store(url) as store:
        return lead_report(store, WINDOW)["replies"]


def test_export_csv_has_one_row_per_reply_the_report_counts(url, tmp_path, capsys):
    out = tmp_path / "audit.csv"
    assert main(["export", "--format", "csv", "--out", str(out), "--since", "2026-11-09", "--until", "2026-11-23"]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert len(rows) == replies_in_window(url) > 0
    assert f"Exported {len(rows)} audit events" in capsys.readouterr().out
    assert tuple(rows[0]) == COLUMNS
    assert all(r["sent"] and r["question"] and "demo" in r["flags"].split(";") for r in rows)
    assert {r["delivery"] for r in rows} == {"recorded"}
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_export_xlsx_has_one_row_per_reply_the_report_counts(url, tmp_path):
    out = tmp_path / "audit.xlsx"
    assert main(["export", "--format", "xlsx", "--out", str(out), "--since", "2026-11-09", "--until", "2026-11-23"]) == 0
    sheet = load_workbook(out, read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == COLUMNS and len(rows) - 1 == replies_in_window(url)
    first = dict(zip(COLUMNS, rows[1]))
    assert isinstance(first["sent_at_utc"], datetime) and isinstance(first["edit_distance"], (int, float))
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_export_never_overwrites_a_file(url, tmp_path, capsys):
    out = tmp_path / "audit.csv"
    out.write_text("keep me", encoding="utf-8")
    assert main(["export", "--format", "csv", "--out", str(out)]) == 1
    assert "already exists" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == "keep me"


def test_export_bytes_keeps_text_that_looks_like_a_formula_inert(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'formula.db'}"
    monkeypatch.setenv("ASSIST_HOME", str(tmp_path))
    with open_store(url) as store:
        from core.types import AuditEvent

        store.record_audit(AuditEvent(ticket_id="T-1", agent="alex", engine="offline", model="m", suggested="",
                                      sent="=HYPERLINK(\"http://x\")", edit_distance=1.0, similarity=0.0,
                                      sent_at=END, question="@SUM(A1)"))
        text = export_bytes(store, AuditFilter(), "csv").decode("utf-8-sig")
        book = load_workbook(io.BytesIO(export_bytes(store, AuditFilter(), "xlsx")))
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["sent"] == "'=HYPERLINK(\"http://x\")" and row["question"] == "'@SUM(A1)"
    cell = book.active.cell(row=2, column=COLUMNS.index("sent") + 1)
    assert cell.data_type == "s" and cell.value == "=HYPERLINK(\"http://x\")"


def test_feedback_export_lines_have_the_keys_and_the_ticket_when_found(url, tmp_path, capsys):
    with open_store(url) as store:
        rated = list_feedback(store)
    ticket = Ticket(id=rated[0].ticket_id, subject="Refund", channel="email",
                    messages=[Message(role="customer", author="Emma", text="Where is my refund?")])
    (tmp_path / "tickets" / "one.json").write_text(ticket.model_dump_json(), encoding="utf-8")
    out = tmp_path / "feedback.jsonl"
    assert main(["feedback", "export", "--out", str(out)]) == 0
    assert f"Exported {len(rated)} feedback rows (1 with their ticket)" in capsys.readouterr().out
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == len(rated) and all(tuple(line) == FEEDBACK_KEYS for line in lines)
    found = [line for line in lines if line["ticket"] is not None]
    assert [line["ticket_id"] for line in found] == [ticket.id]
    assert found[0]["ticket"] == ticket.model_dump(mode="json")
    assert all(line["rating"] in (-1, 1) and isinstance(line["prompt_versions"], dict) for line in lines)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert main(["feedback", "export", "--out", str(out)]) == 1
