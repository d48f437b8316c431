"""Redaction: personal data becomes stable placeholders before text leaves; restore puts it back."""
from __future__ import annotations

import re

import pytest

from chains.pii import find_pii, normalise
from chains.redact import (
    Redactor,
    RestoringSink,
    agent_names,
    customer_names,
    iban_valid,
    luhn_valid,
    redact_hits,
    redact_ticket,
)
from core.types import Chunk, Hit, Ticket


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


@pytest.mark.parametrize("text, value, kind", [
    ("my email is daniel at outlook dot com, thanks", "daniel at outlook dot com", "EMAIL"),
    ("Send it to jin.woo [at] example [dot] co [dot] kr please.", "jin.woo [at] example [dot] co [dot] kr", "EMAIL"),
    ("Contact: hana ＠ naver.com", "hana ＠ naver.com", "EMAIL"),
    ("제 번호는 ０１０－２２３４－５６７８ 입니다.", "０１０－２２３４－５６７８", "PHONE"),
    ("연락처: 0 1 0 9 8 7 6 5 4 3 2", "0 1 0 9 8 7 6 5 4 3 2", "PHONE"),
    ("전화번호는 공일공 일이삼사 오육칠팔 이에요", "공일공 일이삼사 오육칠팔", "PHONE"),
    ("card number 5500.0000.0000.0004, expiry 11/27", "5500.0000.0000.0004", "CARD"),
    ("주민등록번호 8507142345678 입니다", "8507142345678", "RRN"),
    ("본인확인용 주민번호: ８８０３１５－２０１２３４５", "８８０３１５－２０１２３４５", "RRN"),
    ("환불은 국민은행 123456-01-234567 로 해주세요.", "123456-01-234567", "ACCOUNT"),
    ("Please refund to my Shinhan account 110 345 678912.", "110 345 678912", "ACCOUNT"),
    ("Please leave it with my husband John Smith.", "John Smith", "NAME"),
    ("담당자 김철수 님이 전화 주신다고 했어요.", "김철수", "NAME"),
    ("제 이름은 박지훈이에요.", "박지훈", "NAME"),
    ("이지은 고객님 앞으로 온 택배예요.", "이지은", "NAME"),
    ("Please ship it to 서울시 강남구 테헤란로 123, 5층.", "서울시 강남구 테헤란로 123", "ADDRESS"),
    ("예전 주소 역삼동 123-45 로 잘못 갔어요", "역삼동 123-45", "ADDRESS"),
    ("래미안아파트 101동 1203호 로 배송해주세요", "101동 1203호", "ADDRESS"),
    ("Deliver to 221B Baker Street, London.", "221B Baker Street", "ADDRESS"),
    ("My address is 12 Seongsu-ro 7-gil, Seoul.", "12 Seongsu-ro 7-gil", "ADDRESS"),
    ("My passport number is M12345678.", "M12345678", "PASSPORT"),
    ("passport: 548391027 (US)", "548391027", "PASSPORT"),
    ("I was born on 3 May 1990.", "3 May 1990", "DOB"),
    ("생년월일은 1990년 5월 3일입니다.", "1990년 5월 3일", "DOB"),
    ("The login came from 203.0.113.45 today.", "203.0.113.45", "IP"),
    ("my IPv6 is 2001:db8:85a3::8a2e:370:7334", "2001:db8:85a3::8a2e:370:7334", "IP"),
], ids=lambda v: v if isinstance(v, str) and v.isupper() else None)
def test_redact_replaces_other_spellings_and_kinds(text, value, kind):
    redacted, redactor = redact(text)

    assert redactor.placeholders.get(f"[{kind}_1]") == value, redacted
    assert redactor.restore(redacted) == text


@pytest.mark.parametrize("text", [
    "배송은 11월 20일 오후 2시에 도착 예정이라고 했어요.",
    "The jacket cost $25.99 and 6만 원 for the other one, paid on 2026-11-03 at 14:30.",
    "Product code SKU-4471-BLK, invoice INV-2026-00981, tracking 6890 1234 5678.",
    "우리 아이가 2026-11-02에 주문한 신발이요. 하나 더 주문했는데 2개가 왔어요.",
    "Version 3.2.1 of the app crashes; receipt no. 20261103-000123.",
])
def test_redact_leaves_dates_amounts_codes_and_times(text):
    assert redact(text)[0] == text


def test_normalise_maps_every_character_back_to_the_original():
    text = "a\u200bb０＠"
    norm = normalise(text)

    assert norm.text == "ab0@"
    assert norm.original_span(0, 4) == (0, 5)
    assert norm.original_span(1, 2) == (2, 3)


def test_redact_restores_the_exact_original_with_zero_width_and_full_width_characters():
    text = "Mail m\u200bark.w＠yahoo．com or call ０１０ ２\u200b４６８ １３５７, born 1990-05-03."
    redacted, redactor = redact(text)

    assert "yahoo" not in redacted and "１３５７" not in redacted and "1990" not in redacted
    assert redactor.restore(redacted) == text


def test_redact_customer_name_in_any_letter_case():
    redacted, _ = redact("THIS IS LUCAS MOREAU, or lucas moreau, or Lucas.", ["Lucas Moreau", "Moreau", "Lucas"])

    assert "LUCAS" not in redacted and "lucas" not in redacted and "Lucas" not in redacted


def test_redact_everyday_word_name_part_matches_only_as_written():
    redacted, _ = redact("Grace said I will grace the event.", ["Grace Tan", "Grace"])

    assert redacted == "[NAME_1] said I will grace the event."


def test_redact_does_not_find_inside_existing_placeholders():
    redactor = Redactor()
    first = redactor.redact("mail jane@example.com")

    assert redactor.redact(first) == first


def test_find_pii_merges_overlapping_findings_into_one_span():
    found = find_pii("Refund to 신한은행 110-123-456789 please")

    assert [(f.kind, f.end - f.start) for f in found] == [("ACCOUNT", len("110-123-456789"))]


def test_agent_names_come_from_agent_authors_and_are_redacted():
    original = Ticket(id="T-2", subject="Help", customer={"name": "Minji Park"}, messages=[
        {"role": "customer", "author": "Minji Park", "text": "Alex Kim said it was refunded."},
        {"role": "agent", "author": "Alex Kim", "text": "Hi Minji, Alex here."}])

    redacted, redactor = redact_ticket(original)

    assert agent_names(original) == ["Alex Kim", "Alex", "Kim"]
    text = redacted.model_dump_json()
    assert "Alex" not in text and "Minji" not in text
    assert redactor.restore(redacted.messages[1].text) == "Hi Minji, Alex here."


def test_redact_hits_masks_passages_with_the_tickets_placeholders():
    redactor = Redactor()
    redactor.redact("write to help@maru.example")
    hit = Hit(chunk=Chunk(id="c1", article_id="a", title="Contact", url="", text="Mail help@maru.example or 02-1234-5678.",
                          lang="en", section=""), score=1.0, dense=1.0, lexical=1.0)

    masked = redact_hits([hit], redactor)

    assert masked[0].chunk.text == "Mail [EMAIL_1] or [PHONE_1]."
    assert hit.chunk.text == "Mail help@maru.example or 02-1234-5678."
    assert redactor.restore(masked[0].chunk.text) == hit.chunk.text


def test_restoring_sink_restores_longer_placeholders_split_across_pieces():
    redactor = Redactor()
    redactor.redact("born 1990-05-03, passport M12345678")
    out: list[str] = []
    sink = RestoringSink(redactor, out.append)

    for piece in ("DOB [DO", "B_1] and [PASSP", "ORT_1]."):
        sink(piece)
    sink.flush()

    assert "".join(out) == "DOB 1990-05-03 and M12345678."
