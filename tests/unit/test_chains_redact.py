"""Redaction: personal data becomes stable placeholders before text leaves; restore puts it back."""
from __future__ import annotations

import re

import pytest

from chains.redact import (
    Redactor,
    customer_names,
    iban_valid,
    luhn_valid,
    redact_ticket,
)
from core.types import Ticket


def redact(text: str, names: list[str] | None = None) -> tuple[str, Redactor]:
    redactor = Redactor()
    return redactor.redact(text, names), redactor


def ticket(name: str, *texts: str, email: str = "") -> Ticket:
    return Ticket(id="T-1", subject="Help", customer={"name": name, "email": email},
                  messages=[{"role": "customer", "author": name, "text": t} for t in texts])


@pytest.mark.parametrize("text, value, kind", [
    ("Write to jane.doe+shop@example.co.kr today.", "jane.doe+shop@example.co.kr", "EMAIL"),
    ("My card is 4111 1111 1111 1111, exp 09/28.", "4111 1111 1111 1111", "CARD"),
    ("Card 5500-0000-0000-0004 was charged twice.", "5500-0000-0000-0004", "CARD"),
    ("제 주민번호 900101-1234567이고 연락처는 없어요.", "900101-1234567", "RRN"),
    ("연락처 010-9876-5432로 연락 주세요.", "010-9876-5432", "PHONE"),
    ("You can call me on +82 10-2345-6789.", "+82 10-2345-6789", "PHONE"),
    ("Please refund to DE89 3704 0044 0532 0130 00 thanks.", "DE89 3704 0044 0532 0130 00", "IBAN"),
    ("환불 계좌: 110-123-456789 (신한은행)입니다.", "110-123-456789", "ACCOUNT"),
    ("계좌번호 123456789012로 보내 주세요.", "123456789012", "ACCOUNT"),
], ids=["email", "card-spaces", "card-dashes", "rrn-particle", "kr-mobile", "kr-intl-mobile", "iban",
        "account-dashes", "account-digits"])
def test_redact_replaces_personal_data_with_typed_placeholder(text, value, kind):
    redacted, redactor = redact(text)

    assert value not in redacted
    assert f"[{kind}_1]" in redacted
    assert redactor.placeholders[f"[{kind}_1]"] == value


def test_redact_keeps_the_text_around_a_value():
    redacted, _ = redact("제 주민번호 900101-1234567이고 연락처는 없어요.")

    assert redacted == "제 주민번호 [RRN_1]이고 연락처는 없어요."


@pytest.mark.parametrize("text", [
    "Card 4111 1111 1111 1112 keeps failing.",
    "Reference 1234567812345678 on the invoice.",
])
def test_redact_leaves_non_luhn_card_like_numbers(text):
    redacted, redactor = redact(text)

    assert redacted == text
    assert redactor.placeholders == {}


def test_redact_leaves_iban_with_bad_checksum():
    text = "Account DE89 3704 0044 0532 0130 01 is old."

    assert redact(text)[0] == text


@pytest.mark.parametrize("text", [
    "My order MM-20261102-9051 to Portland has not arrived.",
    "주문번호는 MM-20261112-8841이고 택은 안 뗐어요.",
    "Order #48213 was placed on 2026-11-18 for ₩35,000.",
])
def test_redact_leaves_order_numbers_dates_and_amounts(text):
    assert redact(text)[0] == text


def test_redact_same_value_gets_same_placeholder():
    redacted, redactor = redact("Mail jane@example.com, or JANE's colleague bob@example.com, or jane@example.com again.")

    assert redacted == "Mail [EMAIL_1], or JANE's colleague [EMAIL_2], or [EMAIL_1] again."
    assert redactor.placeholders == {"[EMAIL_1]": "jane@example.com", "[EMAIL_2]": "bob@example.com"}


def test_redact_same_value_gets_same_placeholder_across_messages():
    redactor = Redactor()

    first = redactor.redact("Call 010-9876-5432 please.")
    second = redactor.redact("Again: 010-9876-5432, or 010-1111-2222.")

    assert first == "Call [PHONE_1] please."
    assert second == "Again: [PHONE_1], or [PHONE_2]."


def test_restore_round_trips_every_kind():
    text = ("Hi, I'm Lucas Moreau (lucas@example.com, +82 10-2345-6789). Card 4111 1111 1111 1111, "
            "IBAN DE89 3704 0044 0532 0130 00, 주민번호 900101-1234567이고 010-9876-5432, 계좌 110-123-456789.")
    redacted, redactor = redact(text, ["Lucas Moreau", "Moreau", "Lucas"])

    assert not re.search(r"\d{4}|@|Lucas|Moreau", redacted)
    assert redactor.restore(redacted) == text


def test_restore_leaves_unknown_placeholders_as_written():
    _, redactor = redact("mail a@b.com")

    assert redactor.restore("Send to [EMAIL_1] or [EMAIL_9] [1]") == "Send to a@b.com or [EMAIL_9] [1]"


def test_customer_names_lists_full_name_then_parts():
    assert customer_names(ticket("Lucas Moreau", "hi")) == ["Lucas Moreau", "Moreau", "Lucas"]
    assert customer_names(ticket("김하늘", "안녕하세요")) == ["김하늘", "하늘"]
    assert customer_names(ticket("", "hi")) == []


def test_redact_ticket_replaces_english_customer_name():
    original = ticket("Lucas Moreau", "This is Lucas Moreau. Lucas here again, Mr Moreau if you like.",
                      email="lucas.moreau@example.com")

    redacted, redactor = redact_ticket(original)

    texts = [m.text for m in redacted.messages] + [m.author for m in redacted.messages]
    texts += [redacted.customer.name, redacted.customer.email]
    assert not any("Lucas" in t or "Moreau" in t or "lucas.moreau" in t for t in texts)
    assert redacted.customer.name == "[NAME_1]"
    assert redacted.customer.email == "[EMAIL_1]"
    assert redactor.restore(redacted.messages[0].text) == original.messages[0].text


def test_redact_ticket_does_not_touch_words_containing_the_name():
    original = ticket("Ann Lee", "Annual plan for Leeds, says Ann.")

    redacted, _ = redact_ticket(original)

    assert redacted.messages[0].text.startswith("Annual plan for Leeds, says [NAME_")


def test_redact_ticket_replaces_korean_customer_name_and_given_name():
    original = ticket("김하늘", "김하늘입니다. 하늘이라고 불러 주세요.")

    redacted, redactor = redact_ticket(original)

    assert "하늘" not in redacted.messages[0].text
    assert redacted.messages[0].text == "[NAME_1]입니다. [NAME_2]이라고 불러 주세요."
    assert redactor.restore(redacted.messages[0].text) == original.messages[0].text


def test_redact_ticket_leaves_the_original_ticket_unchanged():
    original = ticket("Lucas Moreau", "Mail me at lucas@example.com")
    before = original.model_dump()

    redact_ticket(original)

    assert original.model_dump() == before


def test_redact_ticket_demo_t1007_removes_card_email_phone_and_name(demo_tickets):
    original = demo_tickets["T-1007"]

    redacted, redactor = redact_ticket(original)

    text = redacted.model_dump_json()
    for value in ("4111 1111 1111 1111", "lucas.moreau@example.com", "+82 10-2345-6789", "Lucas", "Moreau"):
        assert value not in text, value
    assert {"4111 1111 1111 1111", "lucas.moreau@example.com", "+82 10-2345-6789"} <= set(redactor.placeholders.values())


def test_redact_ticket_demo_t1018_removes_rrn_phone_and_name_but_keeps_order_number(demo_tickets):
    original = demo_tickets["T-1018"]

    redacted, _ = redact_ticket(original)

    text = redacted.model_dump_json()
    for value in ("900101-1234567", "010-9876-5432", "김하늘", "haneul.kim@example.com"):
        assert value not in text, value
    assert "MM-20261112-8841" in text


def test_luhn_valid_and_iban_valid_check_digits():
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert iban_valid("DE89 3704 0044 0532 0130 00") and not iban_valid("DE88 3704 0044 0532 0130 00")
    assert not iban_valid("DE89 3704")
