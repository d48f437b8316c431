"""Reading ticket JSON (the shape importers produce and `python -m chains assist` reads), with errors that
name the file and the field."""
from __future__ import annotations

import json
import re
from pathlib import Path

from pydantic import ValidationError

from core.types import Ticket

_FRIENDLY_ERRORS = {
    ("messages", "missing"): "at least one message is required",
    ("messages", "too_short"): "at least one message is required",
}
_DIGITS = re.compile(r"(\d+)")


class TicketFormatError(ValueError):
    """A ticket file or helpdesk export does not describe valid tickets; the message says where."""


MAX_FILE_BYTES = 50_000_000  # a ticket file larger than this is not a ticket


def read_json_file(path: Path, max_bytes: int = MAX_FILE_BYTES) -> object:
    """Parsed JSON of a regular file (a UTF-8 BOM is accepted); a missing or special file, a file too large,
    bad JSON, bad encoding, nesting too deep or a lone surrogate becomes a TicketFormatError naming the file.
    OSError is left to the caller only for files that exist but cannot be read."""
    raw = _read_regular_file(path, max_bytes)
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise TicketFormatError(f"{path.name}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise TicketFormatError(
            f"{path.name}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    except RecursionError:
        raise TicketFormatError(f"{path.name}: JSON nested too deeply to be a ticket") from None
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise TicketFormatError(f"{path.name}: contains an invalid character (a lone UTF-16 surrogate escape)") from None
    except RecursionError:
        raise TicketFormatError(f"{path.name}: JSON nested too deeply to be a ticket") from None
    return data


def _read_regular_file(path: Path, max_bytes: int) -> bytes:
    """The bytes of a regular file; a directory, pipe or device is refused before it is opened (a named pipe
    would block the reader forever)."""
    if not path.exists():
        raise TicketFormatError(f"{path.name}: no such file")
    if not path.is_file():
        raise TicketFormatError(f"{path.name}: not a regular file (a directory, pipe or device); pass a ticket JSON file")
    size = path.stat().st_size
    if size > max_bytes:
        raise TicketFormatError(f"{path.name}: {size:,} bytes is larger than a ticket file can be ({max_bytes:,})")
    return path.read_bytes()


def load_ticket(path: str | Path) -> Ticket:
    """Read one ticket JSON file; any problem becomes a TicketFormatError naming file and field."""
    path = Path(path)
    return parse_ticket(read_json_file(path), source=path.name)


def parse_ticket(data: object, source: str) -> Ticket:
    """Validate ticket data, reporting the first problem as '<source>: <field>: <what is wrong>'."""
    try:
        return Ticket.model_validate(data)
    except ValidationError as exc:
        raise TicketFormatError(f"{source}: {describe_validation_error(exc)}") from None


def describe_validation_error(exc: ValidationError) -> str:
    """The first validation problem as 'field: what is wrong', in words an agent understands."""
    error = exc.errors()[0]
    field = field_path(error["loc"])
    message = _FRIENDLY_ERRORS.get((field, error["type"])) or _plain_message(error)
    return f"{field}: {message}" if field else message


def field_path(location: tuple) -> str:
    """A pydantic error location as 'messages[0].text'."""
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path.lstrip(".")


def _plain_message(error: dict) -> str:
    """Pydantic's message without its 'Value error, ' prefix, and with clearer wording for gaps."""
    if error["type"] == "missing":
        return "is required"
    if error["type"] == "extra_forbidden":
        return "is not a known field"
    if error["type"] == "model_type":
        return "expected a JSON object describing one ticket"
    return error["msg"].removeprefix("Value error, ")


TicketProblem = tuple[str, str]  # (file name, what is wrong with it)


def load_tickets(folder: str | Path) -> list[Ticket]:
    """Every *.json ticket in a folder, sorted by ticket id (T-2 before T-10); the first bad file raises
    a TicketFormatError. A queue that must keep working uses `load_ticket_folder` instead."""
    tickets, problems = load_ticket_folder(folder)
    if problems:
        name, message = problems[0]
        raise TicketFormatError(f"{name}: {message}")
    return tickets


def load_ticket_folder(folder: str | Path) -> tuple[list[Ticket], list[TicketProblem]]:
    """The valid *.json tickets of a folder, sorted by id, and (file name, problem) for each file skipped.

    One bad file never hides the others: invalid JSON or fields, an unreadable file and a second file
    with an id already used (the first by file name is kept) are reported, not raised."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"ticket folder not found: {folder}")
    tickets: dict[str, tuple[Ticket, str]] = {}
    problems: list[TicketProblem] = []
    for path in sorted(folder.glob("*.json")):
        try:
            ticket = load_ticket(path)
        except TicketFormatError as exc:
            problems.append((path.name, str(exc).removeprefix(f"{path.name}: ")))
            continue
        except OSError as exc:
            problems.append((path.name, f"cannot be read ({exc.strerror or exc})"))
            continue
        if ticket.id in tickets:
            problems.append((path.name, f"id: {ticket.id!r} is already used by {tickets[ticket.id][1]}"))
            continue
        tickets[ticket.id] = (ticket, path.name)
    return sorted((ticket for ticket, _ in tickets.values()), key=lambda t: natural_key(t.id)), problems


def bounded_ticket(ticket: Ticket, max_message_chars: int, max_messages: int) -> tuple[Ticket, list[str]]:
    """The ticket the assistant reads: each message at most `max_message_chars` (its beginning and end kept), the
    latest `max_messages` messages; and a note for each cut, so the agent knows what was not read."""
    notes: list[str] = []
    messages = list(ticket.messages)
    if len(messages) > max_messages:
        notes.append(f"The ticket has {len(messages):,} messages; the assistant read the latest {max_messages:,}.")
        messages = messages[-max_messages:]
    half = max(1, max_message_chars // 2)
    cut = []
    for n, message in enumerate(messages, start=1):
        if len(message.text) > max_message_chars:
            notes.append(f"Message {n} has {len(message.text):,} characters; the assistant read its first and last "
                         f"{half:,} (ASSIST_MAX_MESSAGE_CHARS).")
            message = message.model_copy(update={"text": f"{message.text[:half]} … {message.text[-half:]}"})
        cut.append(message)
    subject = ticket.subject if len(ticket.subject) <= max_message_chars else ticket.subject[:max_message_chars]
    if not notes and subject == ticket.subject:
        return ticket, []
    return ticket.model_copy(update={"messages": cut, "subject": subject}), notes


def natural_key(text: str) -> tuple:
    """Sort key that orders embedded numbers by value, so 'T-2' comes before 'T-10'."""
    return tuple(int(part) if part.isdigit() else part for part in _DIGITS.split(text))
