"""Macros: the team's saved replies with placeholders, created by leads or from a sent reply, suggested by intent.

Placeholders: {first_name}, {customer_name}, {order_number}, {agent}, {company}. One the ticket cannot fill stays
visible as [order number] etc. and is listed, so the agent fills it before sending."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone

from pydantic import Field
from sqlalchemy import delete, select, update

from core.types import Ticket
from desk import tables
from desk.records import DeskRecord, InvalidField, check_row
from desk.store import DeskStore

PLACEHOLDERS = ("first_name", "customer_name", "order_number", "agent", "company")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
# "#48213", "order no. 48213", "order MM-20261029-4471", "주문번호는 MM-20261116-2285입니다"
_ORDER = re.compile(r"(?:#|\border\s*(?:no\.?|number|id|#)?\s*:?\s*|주문\s*번호\s*(?:는|은)?\s*:?\s*)"
                    r"([A-Z]{1,4}-\d{4,}(?:-\d+)*|\d{4,12})(?![\w-]*\d)", re.IGNORECASE)
MAX_MACRO_CHARS = 10_000


class Macro(DeskRecord):
    """One saved reply."""

    id: int | None = None
    name: str = Field(min_length=1, max_length=120)
    text: str = Field(min_length=1, max_length=MAX_MACRO_CHARS)
    intent: str = ""
    language: str = ""
    created_by: str
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class FilledMacro:
    """A macro's text for one ticket, and the placeholders it could not fill."""

    text: str
    missing: tuple[str, ...]


def unknown_placeholders(text: str) -> list[str]:
    """Placeholders in `text` that macros do not know."""
    return sorted({name for name in _PLACEHOLDER.findall(text) if name not in PLACEHOLDERS})


def save_macro(store: DeskStore, macro: Macro) -> int:
    """Create the macro (or update the one with the same name) and return its id."""
    if unknown := unknown_placeholders(macro.text):
        raise InvalidField(f"Unknown placeholder(s) {', '.join('{' + n + '}' for n in unknown)}; "
                           f"use {', '.join('{' + n + '}' for n in PLACEHOLDERS)}.")
    now = datetime.now(timezone.utc)
    values = macro.model_dump(exclude={"id", "created_at", "updated_at"})
    check_row(tables.macros, values)
    table = tables.macros
    statement = store.insert(table).values(**values, created_at=now, updated_at=now)
    statement = statement.on_conflict_do_update(index_elements=["name"], set_={
        c: statement.excluded[c] for c in ("text", "intent", "language", "updated_at")}).returning(table.c.id)
    with store.transaction() as connection:
        return int(connection.execute(statement).scalar_one())


def list_macros(store: DeskStore, intent: str | None = None, language: str | None = None) -> list[Macro]:
    """Macros by name; with `intent`, those for that intent first, then the general ones (no intent)."""
    table = tables.macros
    with store.connection() as connection:
        found = [Macro.model_validate(row._asdict()) for row in connection.execute(select(table).order_by(table.c.name))]
    if language:
        found = [m for m in found if m.language in ("", language)]
    if intent is None:
        return found
    return [m for m in found if m.intent == intent] + [m for m in found if not m.intent]


def delete_macro(store: DeskStore, macro_id: int) -> None:
    with store.transaction() as connection:
        connection.execute(delete(tables.macros).where(tables.macros.c.id == macro_id))


def rename_macro(store: DeskStore, macro_id: int, name: str) -> None:
    with store.transaction() as connection:
        connection.execute(update(tables.macros).where(tables.macros.c.id == macro_id).values(
            name=name, updated_at=datetime.now(timezone.utc)))


def order_number(ticket: Ticket) -> str | None:
    """The order number the customer gave (latest message first), if any."""
    for message in reversed(ticket.messages):
        if message.role == "customer" and (found := _ORDER.search(message.text)):
            return found.group(1)
    return None


def fill(macro_text: str, ticket: Ticket, agent: str, company: str) -> FilledMacro:
    """The macro for this ticket; placeholders without a value stay as [first name] etc. and are listed."""
    name = (ticket.customer.name or "").strip()
    values = {"customer_name": name, "first_name": name.split()[0] if name else "",
              "order_number": order_number(ticket) or "", "agent": agent, "company": company}
    missing: list[str] = []

    def value(match: re.Match) -> str:
        key = match.group(1)
        if values.get(key):
            return values[key]
        missing.append(key)
        return f"[{key.replace('_', ' ')}]"

    return FilledMacro(_PLACEHOLDER.sub(value, macro_text), tuple(dict.fromkeys(missing)))


def macro_from_reply(text: str, ticket: Ticket, agent: str, company: str) -> str:
    """A sent reply turned into a macro text: this customer's names and order number become placeholders."""
    name = (ticket.customer.name or "").strip()
    replacements = [(order_number(ticket), "{order_number}"), (name, "{customer_name}"),
                    (name.split()[0] if name else "", "{first_name}"), (agent, "{agent}"), (company, "{company}")]
    for original, placeholder in replacements:
        if original:
            text = re.sub(rf"(?<!\w){re.escape(original)}(?!\w)", placeholder, text)
    return text
