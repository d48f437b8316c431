"""`python -m desk report` and `python -m desk baseline import`: the lead report on the command line."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from desk.__main__ import main
from desk.demo_seed import seed_demo
from desk.report import AuditFilter, lead_report
from desk.store import open_store

END = datetime(2026, 11, 30, tzinfo=timezone.utc)


@pytest.fixture
def url(desk_env_url):
    url = desk_env_url
    with open_store(url) as store:
        seed_demo(store, weeks=6, replies=300, seed=5, end=END)
    return url


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def test_report_json_equals_lead_report_for_the_same_arguments(url, capsys):
    assert main(["report", "--since", "2026-10-25", "--until", "2026-11-28T12:00:00", "--baseline-until",
                 "2026-11-02", "--agent", "Priya Shah", "Jonas Weber", "--intent", "refund_status",
                 "--intent", "track_order", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    audit_filter = AuditFilter(since=utc("2026-10-25"), until=utc("2026-11-28T12:00:00"),
                               agents=("Priya Shah", "Jonas Weber"), intents=("refund_status", "track_order"))
    with open_store(url) as store:
        expected = lead_report(store, audit_filter, utc("2026-11-02"))
    assert printed == json.loads(json.dumps(expected))
    assert printed["replies"] > 0 and set(printed["by_agent"]) == {"Priya Shah", "Jonas Weber"}


def test_report_text_shows_the_numbers_and_the_assumptions(url, capsys):
    assert main(["report", "--baseline-until", "2026-11-02"]) == 0
    out = capsys.readouterr().out
    assert "replies:" in out and "time saved (against baseline)" in out
    assert "Assumptions:" in out and "Handle times over 60 minutes" in out


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01", "30/11/2026"])
def test_report_refuses_a_bad_date_as_a_usage_error(url, value, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["report", "--since", value])
    assert exit_.value.code == 2
    assert "expected an ISO date (YYYY-MM-DD)" in capsys.readouterr().err


def test_report_date_with_an_offset_is_read_as_utc(url, capsys):
    assert main(["report", "--since", "2026-11-10T09:00:00+09:00", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["period"]["since"] == "2026-11-10T00:00:00+00:00"


def test_baseline_import_skips_bad_rows_with_their_line_numbers(url, tmp_path, capsys):
    csv_file = tmp_path / "history.csv"
    csv_file.write_text("replied_at,handle_seconds,agent,intent\n"
                        "2026-09-01T10:00:00Z,300,Alex Morgan,track_order\n"
                        "not a date,200,,\n"
                        "2026-09-02,,,\n"
                        "\n"
                        "2026-09-03 11:30,-4,,\n"
                        "2026-09-04,nan,,\n"
                        "2026-09-05,500\n", encoding="utf-8")
    assert main(["baseline", "import", str(csv_file), "--source", "zendesk-2026"]) == 0
    out = capsys.readouterr().out
    assert "line 3: skipped, replied_at 'not a date' is not an ISO date-time" in out
    assert "line 4: skipped, handle_seconds is empty" in out
    assert "line 6: skipped" in out and "line 7: skipped" in out
    assert "Imported 2 baseline handle times" in out and "skipped 4 rows" in out
    with open_store(url) as store:
        baseline = lead_report(store)["baseline"]
    assert baseline == {"source": "imported", "until": None, "replies": 2, "median_handle_seconds": 400.0}


def test_baseline_import_refuses_a_file_without_the_required_columns(url, tmp_path, capsys):
    csv_file = tmp_path / "history.csv"
    csv_file.write_text("when,seconds\n2026-09-01,300\n", encoding="utf-8")
    assert main(["baseline", "import", str(csv_file)]) == 1
    assert "has no replied_at or handle_seconds column" in capsys.readouterr().err
