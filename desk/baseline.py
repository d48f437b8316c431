"""Historical handle times from before the assistant, imported from a CSV export of the helpdesk, so the lead
report can compare replies with a suggestion against how long replies used to take.

Columns: replied_at (ISO date-time; UTC when it has no offset), handle_seconds, and optionally agent and intent.
A row that cannot be read is skipped and reported with its line number; the others are imported together.
"""
from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from desk import tables
from desk.records import InvalidField, check_row
from desk.store import DeskStore

REQUIRED_COLUMNS = ("replied_at", "handle_seconds")
OPTIONAL_COLUMNS = ("agent", "intent")
MAX_FILE_BYTES = 200 * 1024 * 1024


class BaselineFileError(ValueError):
    """The file as a whole cannot be imported (missing, unreadable, or without the required columns)."""


@dataclass
class BaselineImport:
    """How many rows were imported, and why each skipped row was skipped."""

    imported: int = 0
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)

    def lines(self, path: Path) -> list[str]:
        found = [f"line {line}: skipped, {reason}" for line, reason in self.skipped]
        return found + [f"Imported {self.imported:,} baseline handle times from {path}; skipped {len(self.skipped):,} rows."]


def import_baseline(store: DeskStore, path: Path, source: str = "") -> BaselineImport:
    """Read the CSV and append its valid rows to baseline_handle_times (one transaction)."""
    source = source or path.name
    rows, result = [], BaselineImport()
    for line, values in _records(path):
        try:
            rows.append(baseline_row(values, source))
        except ValueError as exc:
            result.skipped.append((line, str(exc)))
    if rows:
        with store.transaction() as connection:
            connection.execute(tables.baseline_handle_times.insert(), rows)
    result.imported = len(rows)
    return result


def baseline_row(values: dict[str, str], source: str) -> dict:
    """One checked table row from a CSV record; ValueError says what is wrong with it."""
    row = {"replied_at": parse_time((values.get("replied_at") or "").strip()),
           "handle_seconds": parse_seconds((values.get("handle_seconds") or "").strip()),
           "agent": (values.get("agent") or "").strip(), "intent": (values.get("intent") or "").strip(),
           "source": source}
    try:
        check_row(tables.baseline_handle_times, row)
    except InvalidField as exc:
        raise ValueError(str(exc)) from None
    return row


def parse_time(text: str) -> datetime:
    """An ISO date or date-time; one without an offset is taken as UTC."""
    if not text:
        raise ValueError("replied_at is empty")
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"replied_at {text[:40]!r} is not an ISO date-time (e.g. 2026-03-01T14:05:00Z)") from None
    return parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed.astimezone(timezone.utc)


def parse_seconds(text: str) -> float:
    """A handle time in seconds: a finite number, zero or more."""
    if not text:
        raise ValueError("handle_seconds is empty")
    try:
        seconds = float(text)
    except ValueError:
        raise ValueError(f"handle_seconds {text[:40]!r} is not a number of seconds") from None
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"handle_seconds {text[:40]!r} must be a number of seconds, zero or more")
    return seconds


def _records(path: Path):
    """(line number, record) for each data row of the CSV, after checking the header."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise BaselineFileError(f"{path} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise BaselineFileError(f"{path} does not exist") from None
    except UnicodeDecodeError:
        raise BaselineFileError(f"{path} is not UTF-8 text; save the CSV as UTF-8") from None
    except OSError as exc:
        raise BaselineFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    reader = csv.DictReader(text.splitlines(keepends=True))
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise BaselineFileError(f"{path} has no {' or '.join(missing)} column; expected the columns "
                                f"{', '.join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)} (the last two optional)")
    reader.fieldnames = header
    try:
        for values in reader:
            if not any((v or "").strip() for v in values.values() if isinstance(v, str)):
                continue  # blank line
            yield reader.line_num, values
    except csv.Error as exc:
        raise BaselineFileError(f"{path}, line {reader.line_num}: {exc}") from None
