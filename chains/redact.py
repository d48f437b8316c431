"""PII redaction before any text leaves for a provider; placeholders are restored in what the agent sees.

Detects e-mail addresses, payment cards (Luhn-checked), Korean resident registration numbers, IBANs
(mod-97-checked), bank account numbers near an account keyword, phone numbers (Korean and international)
and the customer's own name from the ticket metadata. Same value -> same placeholder ([EMAIL_1]).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from core.types import Ticket

EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}(?![\w-])")
CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
RRN = re.compile(r"(?<!\d)(\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])\s?-\s?([1-8])\d{6}(?!\d)")
IBAN = re.compile(r"(?<![A-Z0-9])[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?(?![A-Z0-9])")
ACCOUNT = re.compile(r"(?:계좌(?:번호)?|account(?:\s+(?:number|no\.?|#))?|acct\.?)\s*[:#]?\s*((?<![\w-])\d{2,6}(?:-\d{2,7}){1,3}(?![\w-])|(?<!\d)\d{10,14}(?!\d))", re.I)
PHONE_PATTERNS = [
    re.compile(r"(?<![\w+])\+82[\s.-]?\(?0?\)?1[016789][\s.-]?\d{3,4}[\s.-]?\d{4}(?!\d)"),
    re.compile(r"(?<![\w-])01[016789][\s.-]?\d{3,4}[\s.-]?\d{4}(?![\d-])"),
    re.compile(r"(?<![\w-])0(?:2|[3-6][1-5])[\s.-]?\d{3,4}[\s.-]?\d{4}(?![\d-])"),
    re.compile(r"(?<![\w+])\+\d{1,3}(?:[\s.-]?\(?\d{1,4}\)?){2,4}[\s.-]?\d{2,4}(?!\d)"),
    re.compile(r"(?<![\w-])\(\d{3}\)\s?\d{3}[\s.-]\d{4}(?!\d)"),
    re.compile(r"(?<![\w-])\d{3}[.-]\d{3}[.-]\d{4}(?![\d-])"),
]


class RedactionError(RuntimeError):
    """Redaction could not be completed; nothing may be sent to a provider."""


def luhn_valid(digits: str) -> bool:
    total, parity = 0, len(digits) % 2
    for i, ch in enumerate(digits):
        d = int(ch)
        if i % 2 == parity:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_valid(raw: str) -> bool:
    code = raw.replace(" ", "")
    if not 15 <= len(code) <= 34:
        return False
    rearranged = code[4:] + code[:4]
    number = "".join(str(int(c, 36)) for c in rearranged)
    return int(number) % 97 == 1


def _card(match: re.Match) -> bool:
    digits = re.sub(r"\D", "", match.group(0))
    return 13 <= len(digits) <= 19 and luhn_valid(digits)


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

    def _sub(self, pattern: re.Pattern, kind: str, text: str, accept: Callable[[re.Match], bool] | None = None, group: int = 0) -> str:
        def replace(match: re.Match) -> str:
            if accept is not None and not accept(match):
                return match.group(0)
            value = match.group(group)
            if group:
                start, end = match.span(group)
                whole_start = match.start()
                prefix = match.group(0)[: start - whole_start]
                return prefix + self.placeholder(kind, value) + match.group(0)[end - whole_start :]
            return self.placeholder(kind, value)

        return pattern.sub(replace, text)

    def redact(self, text: str, names: list[str] | None = None) -> str:
        text = self._sub(EMAIL, "EMAIL", text)
        text = self._sub(IBAN, "IBAN", text, lambda m: iban_valid(m.group(0)))
        text = self._sub(CARD, "CARD", text, _card)
        text = self._sub(RRN, "RRN", text)
        text = self._sub(ACCOUNT, "ACCOUNT", text, group=1)
        for pattern in PHONE_PATTERNS:
            text = self._sub(pattern, "PHONE", text)
        for name in names or []:
            text = self._replace_name(text, name)
        return text

    def _replace_name(self, text: str, name: str) -> str:
        if len(name) < 2:
            return text
        boundary = r"(?<![\w])" if re.match(r"\w", name, re.A) else ""
        end = r"(?![A-Za-z])" if re.search(r"[A-Za-z]$", name) else ""
        return re.sub(boundary + re.escape(name) + end, lambda m: self.placeholder("NAME", name), text)

    def restore(self, text: str) -> str:
        """Put the original values back; unknown placeholders stay as written."""
        return re.sub(r"\[[A-Z]+_\d+\]", lambda m: self.placeholders.get(m.group(0), m.group(0)), text)


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


def redact_ticket(ticket: Ticket, redactor: Redactor | None = None) -> tuple[Ticket, Redactor]:
    """A copy of the ticket whose customer fields and message texts carry placeholders instead of PII."""
    redactor = redactor or Redactor()
    names = customer_names(ticket)
    try:
        messages = [m.model_copy(update={"text": redactor.redact(m.text, names),
                                         "author": redactor.redact(m.author, names) if m.role == "customer" else m.author})
                    for m in ticket.messages]
        customer = ticket.customer.model_copy(update={
            "name": redactor.redact(ticket.customer.name, names) if ticket.customer.name else "",
            "email": redactor.redact(ticket.customer.email) if ticket.customer.email else "",
        })
        subject = redactor.redact(ticket.subject, names)
    except Exception as exc:  # any failure means nothing may leave
        raise RedactionError(f"redaction failed: {type(exc).__name__}") from exc
    return ticket.model_copy(update={"messages": messages, "customer": customer, "subject": subject}), redactor
