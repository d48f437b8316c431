"""PII redaction before any text leaves for a provider; placeholders are restored in what the agent sees.

`chains.pii` finds e-mail addresses (also spelled out: "name at example dot com", "[at]", "＠"), phone numbers
(Korean and international, full-width, spaced digits, Korean number words), payment cards (Luhn), IBANs,
Korean resident registration numbers, bank accounts (near an account word or a bank's name), passports,
dates of birth, IP addresses, street addresses (Korean road-name and lot-number, apartment 동/호, English),
the ticket's customer and agent names in any letter case, and other people's names introduced by a cue
("my husband John Smith", "담당자 김철수", "이지은 고객님"). The same value gets the same placeholder
([EMAIL_1]); each placeholder stands for exactly the characters it replaced, so restoring gives the
original text back.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from stdnum import iban, luhn

from chains.pii import find_pii
from chains.pii_patterns import CARD, EMAIL, IBAN, PHONE_PATTERNS, RRN
from core.types import Hit, Ticket

__all__ = ["CARD", "EMAIL", "IBAN", "PHONE_PATTERNS", "RRN", "PLACEHOLDER", "RedactionError", "Redactor",
           "RestoringSink", "customer_names", "agent_names", "iban_valid", "luhn_valid", "redact_hits", "redact_ticket"]

PLACEHOLDER = re.compile(r"\[[A-Z]+_\d+\]")


class RedactionError(RuntimeError):
    """Redaction could not be completed; nothing may be sent to a provider."""


def luhn_valid(digits: str) -> bool:
    return luhn.is_valid(digits)


def iban_valid(raw: str) -> bool:
    return iban.is_valid(raw)


@dataclass
class Redactor:
    """Holds the placeholder mapping for one ticket."""

    placeholders: dict[str, str] = field(default_factory=dict)  # placeholder -> original
    _by_value: dict[tuple[str, str], str] = field(default_factory=dict)
    _counts: dict[str, int] = field(default_factory=dict)

    def placeholder(self, kind: str, value: str) -> str:
        key = (kind, value)
        if key not in self._by_value:
            self._counts[kind] = self._counts.get(kind, 0) + 1
            token = f"[{kind}_{self._counts[kind]}]"
            self._by_value[key] = token
            self.placeholders[token] = value
        return self._by_value[key]

    def redact(self, text: str, names: list[str] | None = None) -> str:
        """The text with every finding replaced by its placeholder."""
        out, at = [], 0
        for found in find_pii(text, names or []):
            out.append(text[at:found.start])
            out.append(self.placeholder(found.kind, text[found.start:found.end]))
            at = found.end
        out.append(text[at:])
        return "".join(out)

    def restore(self, text: str) -> str:
        """Put the original values back; unknown placeholders stay as written."""
        return PLACEHOLDER.sub(lambda m: self.placeholders.get(m.group(0), m.group(0)), text)


class RestoringSink:
    """Passes streamed text on with placeholders restored, holding back a possibly unfinished `[...` token."""

    def __init__(self, redactor: Redactor, sink) -> None:
        self.redactor, self.sink, self.pending = redactor, sink, ""

    def __call__(self, piece: str) -> None:
        text = self.pending + piece
        cut = text.rfind("[")
        if cut != -1 and "]" not in text[cut:] and len(text) - cut <= 16:
            text, self.pending = text[:cut], text[cut:]
        else:
            self.pending = ""
        if text:
            self.sink(self.redactor.restore(text))

    def flush(self) -> None:
        if self.pending:
            self.sink(self.redactor.restore(self.pending))
            self.pending = ""


def customer_names(ticket: Ticket) -> list[str]:
    """The customer's full name first, then its parts (longest first), so the full name wins."""
    full = ticket.customer.name.strip()
    if not full:
        return []
    parts = [p for p in re.split(r"\s+", full) if len(p) >= 2]
    if len(parts) == 1 and re.fullmatch(r"[\uac00-\ud7a3]{3,4}", full):
        parts.append(full[1:])  # Korean given name without the family name
    return [full] + sorted({p for p in parts if p != full}, key=len, reverse=True)


def agent_names(ticket: Ticket) -> list[str]:
    """The names agents signed their messages with, full names before their parts."""
    found: list[str] = []
    for message in ticket.messages:
        if message.role != "customer" and message.author.strip():
            full = message.author.strip()
            found += [full] + [p for p in full.split() if len(p) >= 2 and p != full]
    return sorted(dict.fromkeys(found), key=len, reverse=True)


def redact_ticket(ticket: Ticket, redactor: Redactor | None = None) -> tuple[Ticket, Redactor]:
    """A copy of the ticket whose customer fields, message authors and texts carry placeholders instead of PII."""
    redactor = redactor or Redactor()
    names = customer_names(ticket) + agent_names(ticket)
    try:
        messages = [m.model_copy(update={"text": redactor.redact(m.text, names),
                                         "author": redactor.redact(m.author, names)})
                    for m in ticket.messages]
        customer = ticket.customer.model_copy(update={
            "name": redactor.redact(ticket.customer.name, names) if ticket.customer.name else "",
            "email": redactor.redact(ticket.customer.email) if ticket.customer.email else "",
        })
        subject = redactor.redact(ticket.subject, names)
    except Exception as exc:  # any failure means nothing may leave
        raise RedactionError(f"redaction failed: {type(exc).__name__}") from exc
    return ticket.model_copy(update={"messages": messages, "customer": customer, "subject": subject}), redactor


def redact_hits(hits: list[Hit], redactor: Redactor) -> list[Hit]:
    """Retrieved passages as they may go into a prompt: masked with the ticket's redactor, so placeholders are shared."""
    try:
        return [h.model_copy(update={"chunk": h.chunk.model_copy(update={
                    "text": redactor.redact(h.chunk.text), "title": redactor.redact(h.chunk.title),
                    "section": redactor.redact(h.chunk.section)})}) for h in hits]
    except Exception as exc:  # any failure means nothing may leave
        raise RedactionError(f"redaction of passages failed: {type(exc).__name__}") from exc
