"""Exports for leads: every matching audit event with its texts and numbers as CSV or XLSX, and the feedback
rows as JSON lines (the regression set the evals read).

The Audit page's download button and `python -m desk export` share `write_events`, and both read through
`desk.report.iter_events`, so an export has exactly the rows the report counts for the same filter.
"""
from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO, Literal

from core.tickets import load_ticket_folder
from core.types import Ticket
from desk.feedback import list_feedback
from desk.records import UNEDITED_FLAG
from desk.report import AuditFilter, AuditRow, iter_events
from desk.store import DeskStore

Format = Literal["csv", "xlsx"]
FORMATS: tuple[Format, ...] = ("csv", "xlsx")
MEDIA_TYPES = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
COLUMNS = ("id", "ticket_id", "sent_at_utc", "agent", "intent", "language", "engine", "model", "tone",
           "prompt_versions", "used_suggestion", "unedited", "abstained", "edit_distance", "similarity",
           "handle_seconds", "opened_at_utc", "first_typed_at_utc", "suggested_at_utc", "cost_usd", "rating",
           "feedback_reason", "delivery", "flags", "citations", "question", "suggested", "sent")
TEXT_COLUMNS = ("question", "suggested", "sent")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run a cell starting with these


def event_values(row: AuditRow) -> list:
    """One export row: the event's numbers, labels, delivery and texts, in COLUMNS order."""
    event = row.event
    return [event.id, event.ticket_id, _utc(event.sent_at), event.agent, event.intent, event.language, event.engine,
            event.model, event.tone, json.dumps(event.prompt_versions, ensure_ascii=False, sort_keys=True),
            event.used_suggestion, UNEDITED_FLAG in event.flags or (event.used_suggestion and event.sent == event.suggested),
            event.abstained, event.edit_distance, event.similarity, event.handle_seconds, _utc(event.opened_at),
            _utc(event.first_typed_at), _utc(event.suggested_at), event.cost_usd, event.rating, event.feedback_reason,
            row.delivery, ";".join(event.flags), ";".join(event.citations), event.question, event.suggested,
            event.sent]


def write_events(store: DeskStore, audit_filter: AuditFilter, fmt: Format, stream: BinaryIO) -> int:
    """Write every event matching the filter to a binary stream as CSV or XLSX; returns the number of rows."""
    rows = (event_values(row) for row in iter_events(store, audit_filter))
    if fmt == "csv":
        return _write_csv(rows, stream)
    if fmt == "xlsx":
        return _write_xlsx(rows, stream)
    raise ValueError(f"unknown export format {fmt!r}; expected one of {', '.join(FORMATS)}")


def export_bytes(store: DeskStore, audit_filter: AuditFilter, fmt: Format) -> bytes:
    """The export as bytes, for a download button."""
    buffer = io.BytesIO()
    write_events(store, audit_filter, fmt, buffer)
    return buffer.getvalue()


def export_file(store: DeskStore, audit_filter: AuditFilter, fmt: Format, out: Path) -> int:
    """Write the export to a new file with mode 0600 (it holds customer text); never overwrites one
    (FileExistsError) and leaves no half-written file behind."""
    with open(out, "xb", opener=_private_opener) as stream:
        try:
            return write_events(store, audit_filter, fmt, stream)
        except BaseException:
            stream.close()
            out.unlink(missing_ok=True)
            raise


def _write_csv(rows: Iterator[list], stream: BinaryIO) -> int:
    """UTF-8 with a byte-order mark, so spreadsheets read Korean text correctly."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    writer = csv.writer(text)
    writer.writerow(COLUMNS)
    count = 0
    for values in rows:
        writer.writerow(["" if v is None else _inert(v) if isinstance(v, str) else _plain(v) for v in values])
        count += 1
    text.flush()
    text.detach()  # the caller owns the stream
    return count


def _write_xlsx(rows: Iterator[list], stream: BinaryIO) -> int:
    """A write-only workbook (rows streamed, not held); every text cell stays text, never a formula."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet("audit")
    sheet.append(list(COLUMNS))
    count = 0
    for values in rows:
        cells = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=_naive(value))
            if isinstance(value, str):
                cell.data_type = "s"
            cells.append(cell)
        sheet.append(cells)
        count += 1
    book.save(stream)
    return count


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(timezone.utc)


def _naive(value):
    """Spreadsheets have no time zones: datetimes go in as naive UTC (the column names say so)."""
    return value.replace(tzinfo=None) if isinstance(value, datetime) else value


def _plain(value):
    return value.isoformat() if isinstance(value, datetime) else value


def _inert(text: str) -> str:
    """Customer and agent text as a CSV cell a spreadsheet shows rather than runs."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _private_opener(path: str, flags: int) -> int:
    return os.open(path, flags, 0o600)


# -- feedback -------------------------------------------------------------------------------------------------
FEEDBACK_KEYS = ("suggestion_key", "user", "ticket_id", "rating", "reason", "comment", "suggested", "engine",
                 "model", "tone", "intent", "prompt_versions", "updated_at", "ticket")


def feedback_records(store: DeskStore, tickets_folder: Path, since: datetime | None = None,
                     until: datetime | None = None) -> Iterator[dict]:
    """Every feedback row (oldest change first) with the ticket it rated as Ticket JSON, or None when the
    tickets folder has no such ticket."""
    tickets = _tickets_by_id(tickets_folder)
    for feedback in reversed(list_feedback(store, since=since, until=until)):
        values = feedback.model_dump(mode="json", exclude={"created_at"})
        ticket = tickets.get(feedback.ticket_id)
        values["ticket"] = None if ticket is None else ticket.model_dump(mode="json")
        yield {key: values[key] for key in FEEDBACK_KEYS}


def export_feedback(store: DeskStore, tickets_folder: Path, out: Path, since: datetime | None = None,
                    until: datetime | None = None) -> tuple[int, int]:
    """Write the feedback as JSON lines to a new file (mode 0600); returns (rows, rows with their ticket)."""
    rows = with_ticket = 0
    with open(out, "x", encoding="utf-8", opener=_private_opener) as stream:
        for record in feedback_records(store, tickets_folder, since, until):
            stream.write(json.dumps(record, ensure_ascii=False, sort_keys=False) + "\n")
            rows += 1
            with_ticket += record["ticket"] is not None
    return rows, with_ticket


def _tickets_by_id(folder: Path) -> dict[str, Ticket]:
    """The readable tickets of the folder by id; none when there is no such folder."""
    if not folder.is_dir():
        return {}
    tickets, _problems = load_ticket_folder(folder)
    found: dict[str, Ticket] = {}
    for ticket in tickets:
        found.setdefault(ticket.id, ticket)
    return found
