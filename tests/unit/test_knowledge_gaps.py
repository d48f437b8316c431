"""Grouping gap questions into topics: paraphrases together, topics apart, ranked by count, the same every time,
Korean labelled with Korean words, and coverage read from the index."""
from __future__ import annotations

import time

import pytest

from knowledge.gaps import cluster_vectors, find_topics, topic_terms

CRYPTO = ["Can I pay with cryptocurrency?", "Do you accept bitcoin payments?", "Is paying in crypto possible?",
          "Do you accept Bitcoin or Ethereum?"]
ANTARCTICA = ["Do you ship to Antarctica?", "Can you deliver my parcel to Antarctica?"]
RESELLER = ["How do I become a wholesale partner?"]
KOREAN_CRYPTO = ["비트코인으로 결제할 수 있나요?", "암호화폐 결제 되나요?", "가상화폐로 계산 가능한가요?"]
KOREAN_ANTARCTICA = ["남극으로 배송되나요?", "남극까지 택배 보낼 수 있어요?"]


@pytest.fixture(scope="module")
def multilingual():
    from knowledge.embeddings import EmbeddingError, load_multilingual_embedder

    try:
        embedder = load_multilingual_embedder()
        embedder.encode_queries(["warm up"])
    except EmbeddingError as exc:
        pytest.skip(str(exc))
    return embedder


def groups_of(topics, questions):
    return sorted(sorted(questions[i] for i in topic.members) for topic in topics)


def test_find_topics_groups_paraphrases_and_separates_topics(real_embedder):
    questions = CRYPTO + ANTARCTICA + RESELLER

    topics = find_topics(questions, real_embedder)

    assert groups_of(topics, questions) == sorted([sorted(CRYPTO), sorted(ANTARCTICA), sorted(RESELLER)])


def test_find_topics_ranks_by_count_and_counts_reasons(real_embedder):
    questions = ANTARCTICA + CRYPTO + RESELLER
    whys = ["abstained", "no_suggestion"] + ["heavy_edit"] * 3 + ["abstained"] + ["no_suggestion"]

    topics = find_topics(questions, real_embedder, whys=whys)

    assert [t.count for t in topics] == [4, 2, 1]
    assert topics[0].why_counts == {"abstained": 1, "heavy_edit": 3}
    assert topics[1].why_counts == {"abstained": 1, "no_suggestion": 1}
    assert "antarctica" in topics[1].terms, topics[1].label


def test_find_topics_counts_repeated_questions_and_shows_each_once(real_embedder):
    questions = ["Do you ship to Antarctica?"] * 3 + RESELLER

    topics = find_topics(questions, real_embedder)

    assert topics[0].count == 3 and topics[0].samples == ("Do you ship to Antarctica?",)


def test_find_topics_is_deterministic_whatever_the_order(real_embedder):
    questions = CRYPTO + ANTARCTICA + RESELLER
    first = find_topics(questions, real_embedder)
    again = find_topics(list(reversed(questions)), real_embedder)

    assert [(t.label, t.samples, t.count) for t in first] == [(t.label, t.samples, t.count) for t in again]
    assert first == find_topics(questions, real_embedder)


def test_find_topics_skips_empty_questions_and_placeholders_do_not_label(real_embedder):
    questions = ["", "Do you ship to Antarctica? [EMAIL_1]", "Can you deliver my parcel to Antarctica? [EMAIL_2]"]

    topics = find_topics(questions, real_embedder)

    assert len(topics) == 1 and topics[0].members == (1, 2)
    assert not any("email" in term.lower() for term in topics[0].terms)
    assert "[EMAIL_1]" in " ".join(topics[0].samples), "samples are shown as recorded"
    assert find_topics(["", "  "], real_embedder) == []


def test_find_topics_handles_korean_with_the_multilingual_model(multilingual):
    questions = KOREAN_CRYPTO + KOREAN_ANTARCTICA

    topics = find_topics(questions, multilingual)

    assert groups_of(topics, questions) == sorted([sorted(KOREAN_CRYPTO), sorted(KOREAN_ANTARCTICA)])
    assert "결제" in topics[0].terms and "남극" in topics[1].terms


def test_topic_terms_prefer_words_that_set_a_topic_apart():
    terms = topic_terms([["Where is my refund?", "When will my refund arrive?"],
                         ["Where is my parcel?", "When will my parcel arrive?"]])

    assert terms[0][0] == "refund" and terms[1][0] == "parcel"


def test_cluster_vectors_with_one_or_no_rows():
    import numpy as np

    assert cluster_vectors(np.zeros((0, 3), np.float32), 0.5) == []
    assert cluster_vectors(np.ones((1, 3), np.float32), 0.5) == [[0]]


def test_find_topics_reads_coverage_from_the_index(real_embedder, demo_index):
    questions = ["How do I reset my password?", "I forgot my password, how can I reset it?"] + ANTARCTICA

    topics = find_topics(questions, real_embedder, index=demo_index)

    covered = {t.samples[0]: t.coverage for t in topics}
    password = next(c for s, c in covered.items() if "password" in s)
    assert password.answerable and password.article_id == "password-reset"
    assert all(t.coverage is not None for t in topics)


def test_find_topics_on_a_thousand_questions_takes_seconds(real_embedder):
    subjects = ["refund", "parcel", "password", "invoice", "coupon", "gift card", "warranty", "address", "bitcoin",
                "loyalty points"]
    questions = [f"Question {n}: what about my {subjects[n % 10]} number {n}?" for n in range(1000)]

    started = time.perf_counter()
    topics = find_topics(questions, real_embedder)

    assert time.perf_counter() - started < 30
    assert sum(t.count for t in topics) == 1000
