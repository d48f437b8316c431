"""Helpdesk exports (CSV, Zendesk-like JSON) turned into Tickets, with errors that name the row."""
from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from pydantic import ValidationError

from core.tickets import (
    TicketFormatError,
    describe_validation_error,
    natural_key,
    parse_ticket,
    read_json_file,
)
from core.types import Customer, Message, Role, Ticket

ROLE_ALIASES: dict[str, Role] = {
    **dict.fromkeys(("customer", "end user", "requester", "user", "contact"), "customer"),
    **dict.fromkeys(("agent", "staff", "admin", "support", "operator"), "agent"),
    **dict.fromkeys(("note", "internal", "internal note", "private", "private note"), "note"),
}
CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "ticket_id": ("ticket_id",),
    "subject": ("subject",),
    "role": ("role", "author_type"),
    "author": ("author",),
    "text": ("text", "body"),
    "created_at": ("created_at",),
    "customer_name": ("customer_name",),
    "customer_email": ("customer_email",),
    "channel": ("channel",),
    "message_id": ("message_id", "comment_id"),
    "status": ("status", "ticket_status"),
}
REQUIRED_CSV_FIELDS = ("ticket_id", "role", "text")


def import_csv(
    path: str | Path, mapping: Mapping[str, str] | None = None,
    roles: Mapping[str, Role] | None = None,
) -> list[Ticket]:
    """Tickets from a CSV export with one message per row; `mapping` renames columns.

    `mapping` maps our field names (see CSV_COLUMNS) to the export's headers, e.g.
    {"ticket_id": "Ticket #", "text": "Comment"}; `roles` adds author-type words to ROLE_ALIASES.
    """
    path = Path(path)
    with path.open(newline="", encoding="utf-8-sig") as handle:
        columns, rows = _csv_fields(handle, mapping, path.name)
    groups: dict[str, list[tuple[str, dict]]] = {}
    for where, fields in rows:
        if not fields["ticket_id"]:
            raise TicketFormatError(f"{where}: ticket_id: is required")
        groups.setdefault(fields["ticket_id"], []).append((where, fields))
    role_aliases = _role_aliases(roles)
    tickets = [
        _ticket_from_csv_rows(tid, group, role_aliases, columns["text"])
        for tid, group in groups.items()
    ]
    return sorted(tickets, key=lambda ticket: natural_key(ticket.id))


def _csv_fields(handle, mapping: Mapping[str, str] | None, source: str) -> tuple[dict[str, str], list[tuple[str, dict]]]:
    """The export's column for each of our fields, and each row as (file and line, our fields)."""
    reader = csv.DictReader(handle)
    columns = _csv_columns(reader.fieldnames or [], mapping or {}, source)
    rows = [(f"{source} line {reader.line_num}", {field: _cell(row, columns.get(field)) for field in CSV_COLUMNS})
            for row in reader]
    return columns, rows


def _csv_columns(headers: list[str], mapping: Mapping[str, str], source: str) -> dict[str, str]:
    """Our field name -> the export's column (found ones only), from mapping or usual headers."""
    unknown = set(mapping) - set(CSV_COLUMNS)
    if unknown:
        known = ", ".join(CSV_COLUMNS)
        raise ValueError(f"unknown fields in mapping: {sorted(unknown)}; known fields: {known}")
    by_lower = {header.strip().lower(): header for header in headers}
    columns: dict[str, str] = {}
    for field, candidates in CSV_COLUMNS.items():
        wanted = (mapping[field],) if field in mapping else candidates
        found = next((by_lower[name.lower()] for name in wanted if name.lower() in by_lower), None)
        if found is not None:
            columns[field] = found
        elif field in REQUIRED_CSV_FIELDS or field in mapping:
            raise TicketFormatError(
                f"{source}: no column for {field} (looked for {', '.join(wanted)}); "
                f"pass mapping={{'{field}': '<your column>'}}"
            )
    return columns


def _cell(row: dict, column: str | None) -> str:
    """A CSV cell as stripped text; '' when the export has no such column."""
    return "" if column is None else (row.get(column) or "").strip()


def _ticket_from_csv_rows(
    ticket_id: str, rows: list[tuple[str, dict]], roles: Mapping[str, Role], text_column: str
) -> Ticket:
    """One ticket from its CSV rows, messages in time order."""
    messages = [
        _message(row["role"], row["author"], row["text"], row["created_at"], where, roles,
                 text_field=text_column)
        for where, row in rows
    ]

    def first(field: str) -> str:
        return next((row[field] for _, row in rows if row[field]), "")

    return _ticket(
        ticket_id, first("subject"), first("channel"),
        Customer(name=first("customer_name"), email=first("customer_email")), messages,
    )


def import_json(path: str | Path, roles: Mapping[str, Role] | None = None) -> list[Ticket]:
    """Tickets from a Zendesk-like JSON export: a list (or {"tickets": [...]}) of tickets.

    Each ticket looks like {id, subject, requester: {name, email}, comments: [{author_role,
    author, body, public, created_at}]}; a comment with public=false becomes an internal note.
    """
    path = Path(path)
    data = read_json_file(path)
    items = data.get("tickets") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise TicketFormatError(f"{path.name}: expected a list of tickets")
    role_aliases = _role_aliases(roles)
    tickets = [
        _ticket_from_export(item, f"{path.name} ticket #{position}", role_aliases)
        for position, item in enumerate(items, start=1)
    ]
    return sorted(tickets, key=lambda ticket: natural_key(ticket.id))


def _ticket_from_export(item: object, where: str, roles: Mapping[str, Role]) -> Ticket:
    """One ticket from its exported JSON object."""
    if not isinstance(item, dict):
        raise TicketFormatError(f"{where}: expected a JSON object")
    if item.get("id") in (None, ""):
        raise TicketFormatError(f"{where}: id: is required")
    ticket_id = str(item["id"])
    where = f"{where} (id {ticket_id})"
    comments = item.get("comments")
    if not isinstance(comments, list) or not comments:
        raise TicketFormatError(f"{where}: comments: at least one comment is required")
    messages = [
        _comment_message(comment, f"{where}: comments[{index}]", roles)
        for index, comment in enumerate(comments)
    ]
    requester = item.get("requester") or {}
    if not isinstance(requester, dict):
        raise TicketFormatError(f"{where}: requester: expected an object with name and email")
    customer = Customer(name=_text(requester.get("name")), email=_text(requester.get("email")))
    return _ticket(ticket_id, _text(item.get("subject")), _channel(item), customer, messages)


def _comment_message(comment: object, where: str, roles: Mapping[str, Role]) -> Message:
    """One exported comment as a message; non-public comments are internal notes."""
    if not isinstance(comment, dict):
        raise TicketFormatError(f"{where}: expected a JSON object")
    role = "note" if not is_public(comment.get("public", True)) else _text(comment.get("author_role"))
    author = comment.get("author")
    if isinstance(author, dict):
        author = author.get("name")
    return _message(
        role, _text(author), _text(comment.get("body")), _text(comment.get("created_at")),
        where, roles, text_field="body",
    )


FALSE_WORDS = frozenset({"false", "0", "no", "n", "off", "private", "internal", ""})


def is_public(value: object) -> bool:
    """Whether a comment's `public` flag says public. Exports write it as true/false, "true"/"false", 1/0 or
    "yes"/"no"; anything that reads as false is an internal note, so a note is never sent as a reply."""
    if isinstance(value, bool):
        return value
    if value is None:
        return True
    if isinstance(value, (int, float)):
        return value != 0
    return str(value).strip().lower() not in FALSE_WORDS


def _channel(item: dict) -> str:
    """The ticket's channel, from 'channel' or Zendesk's 'via.channel'; email by default."""
    via = item.get("via") if isinstance(item.get("via"), dict) else {}
    return _text(item.get("channel") or via.get("channel"))


def _text(value: object) -> str:
    """A field value as stripped text ('' for missing values)."""
    return "" if value is None else str(value).strip()


def _message(
    role: str, author: str, text: str, created_at: str, where: str, roles: Mapping[str, Role],
    text_field: str = "text",
) -> Message:
    """A validated message; any problem is reported with `where` (file and row)."""
    if not text:
        raise TicketFormatError(f"{where}: {text_field}: is empty")
    at = _parse_time(created_at, where)
    try:
        return Message(role=_role(role, where, roles), author=author, text=text, at=at)
    except ValidationError as exc:
        raise TicketFormatError(f"{where}: {describe_validation_error(exc)}") from None


def _role(value: str, where: str, roles: Mapping[str, Role]) -> Role:
    """Our role for a helpdesk author type ('end-user' -> customer, 'private note' -> note)."""
    if not value:
        raise TicketFormatError(f"{where}: role: is required")
    role = roles.get(_role_key(value))
    if role is None:
        raise TicketFormatError(
            f"{where}: role: {value!r} is not a known author type "
            f"(known: {', '.join(sorted(roles))}; pass roles={{...}} to add one)"
        )
    return role


def _role_aliases(extra: Mapping[str, Role] | None) -> dict[str, Role]:
    """The built-in author-type words plus the caller's."""
    return {**ROLE_ALIASES, **{_role_key(word): role for word, role in (extra or {}).items()}}


def _role_key(value: str) -> str:
    """Author types compared without case, dashes or underscores ('End_User' == 'end user')."""
    return " ".join(value.lower().replace("-", " ").replace("_", " ").split())


def _parse_time(value: str, where: str) -> datetime | None:
    """An ISO 8601 time (a trailing Z is fine); times without a zone are taken as UTC."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise TicketFormatError(f"{where}: created_at: {value!r} is not an ISO 8601 time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _ticket(
    ticket_id: str, subject: str, channel: str, customer: Customer, messages: list[Message]
) -> Ticket:
    """Assemble a ticket, ordering messages by time when every message has one."""
    if all(message.at is not None for message in messages):
        messages = sorted(messages, key=lambda message: message.at)
    if not customer.name:
        first_author = next((m.author for m in messages if m.role == "customer"), "")
        customer = customer.model_copy(update={"name": first_author})
    return Ticket(
        id=ticket_id, subject=subject, channel=channel or "email",
        customer=customer, messages=messages,
    )


# -- imports that keep going: every ticket that can be read is, every one that cannot is reported ----------
@dataclass
class ParsedImport:
    """Tickets read from an export, and for the upsert: the source's ids of tickets and messages, the source's
    status of each ticket, and (where, why) for everything skipped."""

    tickets: list[Ticket] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    external_ids: dict[str, str] = field(default_factory=dict)
    message_ids: dict[str, list[str | None]] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)


FORMATS = ("json", "jsonl", "csv", "zendesk")


def read_import(path: str | Path, fmt: str, mapping: Mapping[str, str] | None = None) -> ParsedImport:
    """Read an export in one of FORMATS; a file that cannot be read at all raises TicketFormatError."""
    path = Path(path)
    if fmt == "csv":
        return read_csv_import(path, mapping)
    if mapping:
        raise ValueError("--mapping applies to CSV files only")
    if fmt == "jsonl":
        return read_jsonl_import(path)
    if fmt == "json":
        return read_json_import(read_json_file(path), path.name)
    if fmt == "zendesk":
        data = read_json_file(path)
        if not isinstance(data, dict):
            raise TicketFormatError(f"{path.name}: expected a Zendesk bundle "
                                    '{"tickets": [...], "users": [...], "comments": {...}}')
        return read_zendesk_bundle(data, path.name)
    raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")


def read_csv_import(path: Path, mapping: Mapping[str, str] | None = None) -> ParsedImport:
    """CSV with one message per row; a row without a ticket id, or a ticket with a bad row, is skipped."""
    parsed = ParsedImport()
    with _open_text(path) as handle:
        columns, rows = _csv_fields(handle, mapping, path.name)
    groups: dict[str, list[tuple[str, dict]]] = {}
    for where, fields in rows:
        if not fields["ticket_id"]:
            parsed.skipped.append((where, "ticket_id: is empty"))
            continue
        groups.setdefault(fields["ticket_id"], []).append((where, fields))
    roles = _role_aliases(None)
    for ticket_id, group in groups.items():
        try:
            ticket = _ticket_from_csv_rows(ticket_id, group, roles, columns["text"])
        except TicketFormatError as exc:
            parsed.skipped.append((f"ticket {ticket_id}", str(exc)))
            continue
        parsed.tickets.append(ticket)
        ids = [row["message_id"] or None for _, row in group]
        if any(ids):
            parsed.message_ids[ticket_id] = _in_time_order(ids, group)
        status = next((row["status"] for _, row in reversed(group) if row["status"]), "")
        if status:
            parsed.statuses[ticket_id] = ZENDESK_STATUSES.get(status.lower(), status.lower())
    return parsed


def _in_time_order(ids: list[str | None], group: list[tuple[str, dict]]) -> list[str | None]:
    """Message ids in the order _ticket puts the messages (by time when every row has one)."""
    times = [row["created_at"] for _, row in group]
    if all(times):
        order = sorted(range(len(ids)), key=lambda n: _parse_time(times[n], ""))
        return [ids[n] for n in order]
    return ids


def _open_text(path: Path):
    if not path.is_file():
        raise TicketFormatError(f"{path.name}: no such file")
    return path.open(newline="", encoding="utf-8-sig")


def read_jsonl_import(path: Path) -> ParsedImport:
    """One ticket JSON object per line (the product's own shape); a bad line is skipped with its line number."""
    parsed = ParsedImport()
    with _open_text(path) as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            where = f"{path.name} line {number}"
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                parsed.skipped.append((where, f"not valid JSON ({exc.msg})"))
                continue
            _add_product_ticket(parsed, data, where)
    return parsed


def read_json_import(data: object, source: str) -> ParsedImport:
    """The product's ticket JSON: one ticket, a list of them, or {"tickets": [...]}; objects with `comments`
    instead of `messages` are read as a Zendesk-like export (see `import_json`)."""
    parsed = ParsedImport()
    items = data.get("tickets", [data]) if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise TicketFormatError(f"{source}: expected a ticket, a list of tickets or {{\"tickets\": [...]}}")
    for position, item in enumerate(items, start=1):
        where = f"{source} ticket #{position}"
        if isinstance(item, dict) and "comments" in item and "messages" not in item:
            try:
                parsed.tickets.append(_ticket_from_export(item, where, _role_aliases(None)))
            except TicketFormatError as exc:
                parsed.skipped.append((where, str(exc).removeprefix(f"{where}: ")))
            continue
        _add_product_ticket(parsed, item, where)
    return parsed


def _add_product_ticket(parsed: ParsedImport, data: object, where: str) -> None:
    try:
        parsed.tickets.append(parse_ticket(data, where))
    except TicketFormatError as exc:
        parsed.skipped.append((where, str(exc).removeprefix(f"{where}: ")))


# -- Zendesk ----------------------------------------------------------------------------------------
ZENDESK_PREFIX = "ZD-"  # the product's id of Zendesk ticket 123
ZENDESK_STATUSES = {"new": "open", "open": "open", "pending": "pending", "hold": "pending", "on-hold": "pending",
                    "solved": "solved", "closed": "solved"}
ZENDESK_AGENT_ROLES = frozenset({"agent", "admin"})


def zendesk_ticket_id(external_id: object) -> str:
    return f"{ZENDESK_PREFIX}{external_id}"


def read_zendesk_bundle(bundle: dict, source: str = "bundle") -> ParsedImport:
    """Tickets from {"tickets": [...], "users": [...], "comments": {ticket_id: [...]}}, with the field names of
    Zendesk's ticket export and ticket-comments API: requester_id, status, via.channel; comments' id, author_id,
    body (or plain_body), public (false: an internal note), created_at and attachments' file_name."""
    parsed = ParsedImport()
    users = {str(u.get("id")): u for u in bundle.get("users") or [] if isinstance(u, dict)}
    comments = bundle.get("comments") or {}
    if not isinstance(comments, dict):
        raise TicketFormatError(f"{source}: comments: expected an object of ticket id -> list of comments")
    for position, item in enumerate(bundle.get("tickets") or [], start=1):
        where = f"{source} ticket #{position}"
        if not isinstance(item, dict) or item.get("id") in (None, ""):
            parsed.skipped.append((where, "id: is required"))
            continue
        external = str(item["id"])
        where = f"{source} ticket {external}"
        status = str(item.get("status") or "open").lower()
        if status == "deleted":
            parsed.skipped.append((where, "deleted in Zendesk"))
            continue
        if status not in ZENDESK_STATUSES:
            parsed.skipped.append((where, f"status: {status!r} is not a Zendesk status"))
            continue
        messages, ids = _zendesk_messages(comments.get(external) or comments.get(item["id"]) or [], users, where,
                                          parsed)
        if not messages:
            parsed.skipped.append((where, "no comment with text"))
            continue
        if all(m.at is not None for m in messages):  # the order _ticket gives them, ids alongside
            pairs = sorted(zip(messages, ids), key=lambda pair: pair[0].at)
            messages, ids = [m for m, _ in pairs], [i for _, i in pairs]
        requester = users.get(str(item.get("requester_id")), {})
        ticket_id = zendesk_ticket_id(external)
        parsed.tickets.append(_ticket(
            ticket_id, _text(item.get("subject") or item.get("raw_subject")), _channel(item),
            Customer(name=_text(requester.get("name")), email=_text(requester.get("email"))), messages))
        parsed.external_ids[ticket_id] = external
        parsed.message_ids[ticket_id] = ids
        parsed.statuses[ticket_id] = ZENDESK_STATUSES[status]
    return parsed


def _zendesk_messages(comments: object, users: dict, where: str,
                      parsed: ParsedImport) -> tuple[list[Message], list[str | None]]:
    messages, ids = [], []
    if not isinstance(comments, list):
        parsed.skipped.append((where, "comments: expected a list"))
        return messages, ids
    for index, comment in enumerate(comments):
        here = f"{where} comment {comment.get('id', index) if isinstance(comment, dict) else index}"
        if not isinstance(comment, dict):
            parsed.skipped.append((here, "expected a JSON object"))
            continue
        author = users.get(str(comment.get("author_id")), {})
        role = "note" if not is_public(comment.get("public", True)) else (
            "agent" if str(author.get("role", "")).lower() in ZENDESK_AGENT_ROLES else "customer")
        text = _text(comment.get("plain_body") or comment.get("body"))
        files = [_text(a.get("file_name")) for a in comment.get("attachments") or [] if isinstance(a, dict)]
        text = "\n".join([text, *(f"[attachment: {name}]" for name in files if name)]).strip()
        try:
            message = _message(role, _text(author.get("name")), text, _text(comment.get("created_at")), here,
                               ROLE_ALIASES, text_field="body")
        except TicketFormatError as exc:
            parsed.skipped.append((here, str(exc).removeprefix(f"{here}: ")))
            continue
        messages.append(message)
        ids.append(None if comment.get("id") in (None, "") else f"zendesk:{comment['id']}")
    return messages, ids
