"""Edit distance and similarity: how far a sent reply moved from its suggestion."""
from __future__ import annotations

import pytest

from desk.text_metrics import normalized_edit_distance, similarity, words

LONG_REPLY = ("Thank you for your patience while we check the refund status. " * 100)[:5000]


@pytest.mark.parametrize("a, b, distance", [
    ("kitten", "sitting", 3), ("", "abc", 3), ("abc", "", 3), ("flaw", "lawn", 2),
    ("same", "same", 0), ("환불 요청", "환불 문의", 2),
])
def test_normalized_edit_distance_counts_character_edits(a, b, distance):
    longest = max(len(a), len(b))
    assert normalized_edit_distance(a, b) == pytest.approx(distance / longest)
    assert normalized_edit_distance(b, a) == pytest.approx(distance / longest)


def test_normalized_edit_distance_divides_by_longer_text():
    assert normalized_edit_distance("kitten", "sitting") == pytest.approx(3 / 7)


def test_normalized_edit_distance_bounds():
    assert normalized_edit_distance("", "") == 0.0
    assert normalized_edit_distance("same", "same") == 0.0
    assert normalized_edit_distance("abc", "xyz") == 1.0
    assert normalized_edit_distance("", "anything") == 1.0


def test_normalized_edit_distance_one_substitution_in_5000_characters():
    edited = LONG_REPLY[:2500] + "X" + LONG_REPLY[2501:]  # the reply has no capital X
    assert len(LONG_REPLY) == len(edited) == 5000
    assert normalized_edit_distance(LONG_REPLY, edited) == pytest.approx(1 / 5000)


def test_normalized_edit_distance_long_edited_reply_is_between_bounds():
    base = "Thank you for your patience while we check the refund status. " * 60
    edited = base[:1500] + "We have escalated this to billing. " + base[1500:].replace("a", "e")
    assert 0 < normalized_edit_distance(base, edited) < 1


def test_words_are_lowercase_word_tokens_in_order():
    assert words("Refund issued, REFUND pending!") == ["refund", "issued", "refund", "pending"]


def test_similarity_is_word_level_levenshtein():
    # one substituted word out of four
    assert similarity("the refund is issued", "the refund was issued") == pytest.approx(3 / 4)


def test_similarity_ignores_case_and_punctuation():
    assert similarity("Refund issued.", "REFUND, issued!") == 1.0


def test_similarity_reordered_words_are_lower_than_same_order():
    original = "your refund was issued today"
    reordered = "today your refund was issued"
    assert set(words(original)) == set(words(reordered))  # a word-set measure would say 1.0
    assert similarity(original, reordered) == pytest.approx(3 / 5)
    assert similarity(original, reordered) < similarity(original, original)


def test_similarity_added_or_removed_words_lower_it():
    assert similarity("refund issued", "refund issued today") == pytest.approx(2 / 3)
    assert similarity("refund issued today", "refund issued") == pytest.approx(2 / 3)


def test_similarity_bounds():
    assert similarity("", "") == 1.0
    assert similarity("...", "!?") == 1.0
    assert similarity("the refund is issued", "the refund is issued") == 1.0
    assert similarity("refund", "") == 0.0
    assert similarity("refund issued", "password reset") == 0.0


def test_similarity_one_changed_word_in_a_5000_character_reply():
    edited = LONG_REPLY.replace("refund", "payment", 1)
    assert similarity(LONG_REPLY, edited) == pytest.approx(1 - 1 / len(words(LONG_REPLY)))
