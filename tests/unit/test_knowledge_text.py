"""Korean lexical tokens: Kiwi's content morphemes only, the same whatever ending or past-tense form a verb takes."""
from __future__ import annotations

from knowledge.text import korean_tokens_batch


def test_korean_tokens_keep_content_morphemes_whatever_the_ending():
    present, past, formal = korean_tokens_batch(["배송이 늦어요", "배송이 늦었어요", "배송이 늦었습니다"])

    assert present == past == formal == ["배송", "늦"]


def test_korean_tokens_stem_latin_words_and_drop_particles():
    (tokens,) = korean_tokens_batch(["iPhone 환불을 받았어요"])

    assert tokens == ["iphon", "환불", "받"]
