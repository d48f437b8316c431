"""Helpdesk exports (CSV, Zendesk-like JSON) turned into Tickets, with errors that name the row."""
from __future__ import annotations

import csv
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path

from pydantic import ValidationError

from core.tickets import (
    TicketFormatError,
    describe_validation_error,
    natural_key,
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
        reader = csv.DictReader(handle)
        columns = _csv_columns(reader.fieldnames or [], mapping or {}, path.name)
        rows = [(f"{path.name} line {reader.line_num}", row) for row in reader]
    groups: dict[str, list[tuple[str, dict]]] = {}
    for where, row in rows:
        fields = {field: _cell(row, columns.get(field)) for field in CSV_COLUMNS}
        if not fields["ticket_id"]:
            raise TicketFormatError(f"{where}: ticket_id: is required")
        groups.setdefault(fields["ticket_id"], []).append((where, fields))
    role_aliases = _role_aliases(roles)
    tickets = [
        _ticket_from_csv_rows(tid, group, role_aliases, columns["text"])
        for tid, group in groups.items()
    ]
    return sorted(tickets, key=lambda ticket: natural_key(ticket.id))


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
    role = "note" if comment.get("public", True) is False else _text(comment.get("author_role"))
    author = comment.get("author")
    if isinstance(author, dict):
        author = author.get("name")
    return _message(
        role, _text(author), _text(comment.get("body")), _text(comment.get("created_at")),
        where, roles, text_field="body",
    )


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
