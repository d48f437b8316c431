"""The customer's copy of a draft: no [n] marker reaches the customer; with `sources` the cited articles are
listed once each before the sign-off, in the reply's language."""
from __future__ import annotations

import re

import pytest

from chains.customer_text import for_customer, insert_before_sign_off, markers_in, strip_markers
from core.types import Chunk, Citation, Draft, Hit

ANY_MARKER = re.compile(r"\[\d{1,2}\]")
SIGN_OFF = "Best regards,\nJimin Park\nHana Books Support"


def hit(chunk_id: str, article_id: str, title: str, url: str = "") -> Hit:
    return Hit(chunk=Chunk(id=chunk_id, article_id=article_id, title=title, url=url, text="..."), score=1.0)


HITS = [
    hit("refunds#1", "refunds", "Refund timeline", "https://help.example.com/refunds"),
    hit("refunds#2", "refunds", "Refund timeline", "https://help.example.com/refunds"),
    hit("returns#1", "returns", "How to return an item", "knowledge/demo/articles/returns.md"),
]


def draft(text: str, *markers: int) -> Draft:
    citations = [Citation(sentence_index=i, chunk_id=HITS[n - 1].chunk.id, marker=n) for i, n in enumerate(markers)]
    return Draft(text=text, tone="concise", citations=citations)


CITED = draft("Hi Mina,\n\nRefunds take five days [1]. A return label is free [2][3].\n\n" + SIGN_OFF, 1, 2, 3)


@pytest.mark.parametrize("before, after", [
    ("The fee is 5 USD [1].", "The fee is 5 USD."),
    ("It takes five days [1], then a day more [2].", "It takes five days, then a day more."),
    ("Free returns [1][2].", "Free returns."),
    ("Free returns [1] [2].", "Free returns."),
    ("Five days. [1] Then we e-mail you.", "Five days. Then we e-mail you."),
    ("[1] Refunds take five days.", "Refunds take five days."),
    ("- [2] Print the label.", "- Print the label."),
    ("환불은 5영업일 이내에 처리됩니다 [1].", "환불은 5영업일 이내에 처리됩니다."),
    ("Five days [1]\nThen a day [2]", "Five days\nThen a day"),
])
def test_strip_markers_leaves_tidy_spacing_and_punctuation(before, after):
    assert strip_markers(before, [1, 2]) == after


def test_strip_markers_keeps_placeholders_and_numbers_it_was_not_given():
    text = "Write to [EMAIL_1] about order [48213] within 14 days [1] (see step [7])."

    assert strip_markers(text, [1]) == "Write to [EMAIL_1] about order [48213] within 14 days (see step [7])."


def test_for_customer_remove_drops_every_marker_and_keeps_the_rest():
    text = for_customer(CITED, HITS, "remove", "en")

    assert not ANY_MARKER.search(text)
    assert text == "Hi Mina,\n\nRefunds take five days. A return label is free.\n\n" + SIGN_OFF


def test_for_customer_sources_lists_each_cited_article_once_before_the_sign_off():
    text = for_customer(CITED, HITS, "sources", "en")

    assert not ANY_MARKER.search(text)
    body, sign_off = text.rsplit("\n\n", 1)
    assert sign_off == SIGN_OFF
    sources = body.rsplit("\n\n", 1)[1]
    assert sources == "Sources: Refund timeline (https://help.example.com/refunds); How to return an item"


def test_for_customer_sources_label_follows_the_reply_language():
    korean = draft("민지 고객님, 안녕하세요.\n\n환불은 5영업일 이내에 처리됩니다 [1].\n\n감사합니다.\nHana Books 고객센터 박지민 드림", 1)

    text = for_customer(korean, HITS, "sources")

    assert "참고: Refund timeline (https://help.example.com/refunds)\n\n감사합니다." in text
    assert "Sources:" not in text


def test_for_customer_sources_without_citations_adds_no_line():
    abstained = Draft(text="Hi Mina,\n\nI am checking this for you.\n\n" + SIGN_OFF, tone="concise", abstained=True)

    assert for_customer(abstained, HITS, "sources", "en") == abstained.text


def test_for_customer_sources_goes_before_a_configured_sign_off_even_a_long_one():
    sign_off = "With warm regards from all of us,\n" + "\n".join(["Jimin Park", "Hana Books", "Seoul", "Korea", "☎"])
    long_signed = draft("Refunds take five days [1].\n\n" + sign_off, 1)

    text = for_customer(long_signed, HITS, "sources", "en", sign_off=sign_off)

    assert text == f"Refunds take five days.\n\nSources: Refund timeline (https://help.example.com/refunds)\n\n{sign_off}"


def test_insert_before_sign_off_appends_when_the_last_paragraph_is_body_text():
    body = "Hello,\n\n" + "Refunds take five business days after the warehouse has received your parcel. " * 4

    assert insert_before_sign_off(body, "Sources: X") == body.rstrip() + "\n\nSources: X"


def test_markers_in_names_only_the_given_numbers_still_in_the_text():
    assert markers_in("Five days [2]. Free [1][2]. Order [48213], ref [9].", [1, 2, 3]) == [2, 1]
