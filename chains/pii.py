"""Finding personal data in text, in the spellings people actually use.

The text is normalised first (Unicode NFKC, zero-width characters removed) so full-width digits, `＠` and
`．` read like their ASCII forms; every match is mapped back to the characters of the original text, so a
placeholder replaces exactly what the customer wrote and restoring gives the original back unchanged.
Checksums and numbering plans come from `phonenumbers` and `python-stdnum`; the patterns for Korean and
English addresses, names, passports and birth dates live in `chains.pii_patterns`.
"""
from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable, Iterator

import phonenumbers
from stdnum import iban, luhn

from chains import pii_patterns as P

ZERO_WIDTH = dict.fromkeys(map(ord, "\u00ad\u180e\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff"))
PLACEHOLDER = re.compile(r"\[[A-Z]+_\d+\]")
# When two findings overlap they are merged; the merged span takes the kind listed first here.
KINDS = ("EMAIL", "IBAN", "CARD", "RRN", "PASSPORT", "PHONE", "ACCOUNT", "DOB", "IP", "ADDRESS", "NAME")


@dataclass(frozen=True)
class Found:
    start: int
    end: int
    kind: str


@dataclass(frozen=True)
class Normalised:
    """NFKC text without zero-width characters, and for each of its characters the span it came from."""

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        return self.starts[start], self.ends[end - 1]


def normalise(text: str) -> Normalised:
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for i, ch in enumerate(text):
        if ord(ch) in ZERO_WIDTH:
            continue
        piece = unicodedata.normalize("NFKC", ch) if not ch.isascii() else ch
        for c in piece:
            out.append(c)
            starts.append(i)
            ends.append(i + 1)
    return Normalised("".join(out), tuple(starts), tuple(ends))


def find_pii(text: str, names: Iterable[str] = ()) -> list[Found]:
    """Non-overlapping findings in `text` (positions in the original text), in order."""
    norm = normalise(text)
    n = norm.text
    found = [f for f in _all_findings(n, list(names)) if f.end > f.start]
    protected = [(m.start(), m.end()) for m in PLACEHOLDER.finditer(n)]
    found = [f for f in found if not any(f.start < e and s < f.end for s, e in protected)]
    merged = _merge(found)
    return [Found(*norm.original_span(f.start, f.end), f.kind) for f in merged]


def _merge(found: list[Found]) -> list[Found]:
    rank = {kind: i for i, kind in enumerate(KINDS)}
    merged: list[Found] = []
    for f in sorted(found, key=lambda f: (f.start, -f.end)):
        if merged and f.start < merged[-1].end:
            last = merged[-1]
            kind = last.kind if rank[last.kind] <= rank[f.kind] else f.kind
            merged[-1] = Found(last.start, max(last.end, f.end), kind)
        else:
            merged.append(f)
    return merged


def _all_findings(n: str, names: list[str]) -> Iterator[Found]:
    for detector in (_emails, _ibans, _cards, _rrns, _passports, _phones, _accounts, _birth_dates, _ips,
                     _addresses):
        yield from detector(n)
    yield from _names(n, names)


def _spans(pattern: re.Pattern, n: str, kind: str, group: int | str = 0) -> Iterator[Found]:
    for m in pattern.finditer(n):
        if m.group(group):
            yield Found(m.start(group), m.end(group), kind)


# --- e-mail, IBAN, card, RRN -----------------------------------------------------------------------------

def _emails(n: str) -> Iterator[Found]:
    for pattern in (P.EMAIL, P.EMAIL_SPELLED, P.EMAIL_WORDS):
        yield from _spans(pattern, n, "EMAIL")


def _ibans(n: str) -> Iterator[Found]:
    for m in P.IBAN.finditer(n):
        if iban.is_valid(m.group(0)):
            yield Found(m.start(), m.end(), "IBAN")


def card_number_valid(digits: str) -> bool:
    """13-19 digits, an issuer's leading digit (2-6, or 9 for Korean domestic cards) and a valid Luhn check."""
    return 13 <= len(digits) <= 19 and digits[0] in "234569" and luhn.is_valid(digits)


def _cards(n: str) -> Iterator[Found]:
    for m in P.CARD.finditer(n):
        if card_number_valid(re.sub(r"\D", "", m.group(0))):
            yield Found(m.start(), m.end(), "CARD")


def birth_part_valid(yymmdd: str) -> bool:
    month, day = int(yymmdd[2:4]), int(yymmdd[4:6])
    return 1 <= month <= 12 and 1 <= day <= (29 if month == 2 else 30 if month in (4, 6, 9, 11) else 31)


def _rrns(n: str) -> Iterator[Found]:
    for m in P.RRN.finditer(n):
        if birth_part_valid(m.group(1)):
            yield Found(m.start(), m.end(), "RRN")
    for m in P.RRN_DIGITS.finditer(n):
        if birth_part_valid(m.group(0)) and (_rrn_checksum(m.group(0)) or P.RRN_CUE.search(_before(n, m.start(), 30))):
            yield Found(m.start(), m.end(), "RRN")
    for m in P.RRN_PARTS.finditer(n):
        for g in (1, 2):
            if m.group(g):
                yield Found(m.start(g), m.end(g), "RRN")


def _rrn_checksum(digits: str) -> bool:
    from stdnum.kr import rrn

    return rrn.is_valid(digits)


def _before(n: str, at: int, width: int) -> str:
    return n[max(0, at - width):at]


# --- phones ----------------------------------------------------------------------------------------------

def phone_valid(raw: str) -> bool:
    """A number in an international form (+.. or 00..) that could exist, or a valid Korean national number."""
    digits = re.sub(r"\D", "", raw)
    try:
        if raw.lstrip("( ").startswith("+") or digits.startswith("00"):
            parsed = phonenumbers.parse("+" + (digits[2:] if digits.startswith("00") else digits), None)
            return phonenumbers.is_valid_number(parsed) or (phonenumbers.is_possible_number(parsed) and len(digits) >= 9)
        if digits.startswith("0"):
            return phonenumbers.is_valid_number(phonenumbers.parse(digits, "KR"))
    except phonenumbers.NumberParseException:
        return False
    return False


def _phones(n: str) -> Iterator[Found]:
    for m in phonenumbers.PhoneNumberMatcher(n, "KR", leniency=phonenumbers.Leniency.VALID):
        if m.raw_string.lstrip("( ")[:1] in ("+", "0"):
            yield Found(m.start, m.end, "PHONE")
    for pattern in P.PHONE_PATTERNS:
        yield from _spans(pattern, n, "PHONE")
    for m in P.PHONE_DIGITS.finditer(n):
        yield from _longest_valid_prefix(n, m, P.DIGIT_RUN, lambda s: s)
    for m in P.PHONE_WORDS.finditer(n):
        yield from _longest_valid_prefix(n, m, P.KOREAN_DIGIT, lambda s: s.translate(P.KOREAN_DIGITS))


def _longest_valid_prefix(n: str, m: re.Match, unit: re.Pattern, to_digits) -> Iterator[Found]:
    """The longest run of the match's digit groups, from its start, that is a phone number."""
    groups = [(g.start(), g.end()) for g in unit.finditer(n, m.start(), m.end())]
    for k in range(len(groups), 0, -1):
        start, end = m.start(), groups[k - 1][1]
        if len(re.sub(r"\D", "", to_digits(n[start:end]))) < 8:
            return
        if phone_valid(to_digits(n[start:end])):
            yield Found(start, end, "PHONE")
            return


# --- accounts, passports, birth dates, IPs ----------------------------------------------------------------

def _accounts(n: str) -> Iterator[Found]:
    for pattern in (P.ACCOUNT_AFTER_CUE, P.ACCOUNT_AFTER_BANK, P.ACCOUNT_BEFORE_BANK):
        for m in pattern.finditer(n):
            number = m.group("number")
            if 10 <= len(re.sub(r"\D", "", number)) <= 16 and not P.DATE_SHAPE.fullmatch(number):
                yield Found(m.start("number"), m.end("number"), "ACCOUNT")


def _passports(n: str) -> Iterator[Found]:
    yield from _spans(P.PASSPORT_KR, n, "PASSPORT")
    for m in P.PASSPORT_CUE.finditer(n):
        window = P.PASSPORT_NUMBER.search(n, m.end(), min(len(n), m.end() + 30))
        if window and sum(c.isdigit() for c in window.group(0)) >= 5:
            yield Found(window.start(), window.end(), "PASSPORT")


def _birth_dates(n: str) -> Iterator[Found]:
    for m in P.BIRTH_CUE_BEFORE.finditer(n):
        yield Found(m.start("date"), m.end("date"), "DOB")
    for m in P.BIRTH_CUE_AFTER.finditer(n):
        yield Found(m.start("date"), m.end("date"), "DOB")
    for m in P.BIRTH_COMPACT.finditer(n):
        digits = m.group("date")
        if birth_part_valid(digits[-6:]):
            yield Found(m.start("date"), m.end("date"), "DOB")


def _ips(n: str) -> Iterator[Found]:
    for pattern in (P.IPV4, P.IPV6):
        for m in pattern.finditer(n):
            try:
                ipaddress.ip_address(m.group(0))
            except ValueError:
                continue
            yield Found(m.start(), m.end(), "IP")


def _addresses(n: str) -> Iterator[Found]:
    for pattern in P.ADDRESS_PATTERNS:
        yield from _spans(pattern, n, "ADDRESS")


# --- names -----------------------------------------------------------------------------------------------

def _names(n: str, names: list[str]) -> Iterator[Found]:
    for name in names:
        pattern = P.known_name(name)
        if pattern is not None:
            yield from _spans(pattern, n, "NAME")
    for pattern in (P.NAME_AFTER_CUE, P.NAME_AFTER_WEAK_CUE):
        for m in pattern.finditer(n):
            if m.group("name").split()[0] not in P.NOT_NAMES:
                yield Found(m.start("name"), m.end("name"), "NAME")
    for pattern in (P.KO_NAME_AFTER_CUE, P.KO_NAME_HONORIFIC):
        yield from _spans(pattern, n, "NAME", "name")

