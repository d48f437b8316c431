"""Edit distance, similarity and the lead metrics built from them."""
from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest

from desk.metrics import lead_metrics
from desk.schemas import AuditEvent
from desk.text_metrics import levenshtein, normalized_edit_distance, similarity


@pytest.mark.parametrize("a, b, distance", [
    ("kitten", "sitting", 3), ("", "abc", 3), ("abc", "", 3), ("flaw", "lawn", 2),
    ("same", "same", 0), ("환불 요청", "환불 문의", 2),
])
def test_levenshtein_counts_character_edits(a, b, distance):
    assert levenshtein(a, b) == distance
    assert levenshtein(b, a) == distance


def test_normalized_edit_distance_divides_by_longer_text():
    assert normalized_edit_distance("kitten", "sitting") == pytest.approx(3 / 7)


def test_normalized_edit_distance_bounds():
    assert normalized_edit_distance("", "") == 0.0
    assert normalized_edit_distance("same", "same") == 0.0
    assert normalized_edit_distance("abc", "xyz") == 1.0
    assert normalized_edit_distance("", "anything") == 1.0


def test_normalized_edit_distance_handles_long_replies_quickly():
    base = "Thank you for your patience while we check the refund status. " * 60
    edited = base[:1500] + "We have escalated this to billing. " + base[1500:].replace("a", "e")
    started = time.perf_counter()
    distance = normalized_edit_distance(base, edited)
    assert 0 < distance < 1
    assert time.perf_counter() - started < 5


def test_similarity_is_word_set_jaccard():
    assert similarity("the refund is issued", "the refund was issued") == pytest.approx(3 / 5)


def test_similarity_ignores_case_punctuation_and_order():
    assert similarity("Refund issued.", "issued, REFUND!") == 1.0


def test_similarity_bounds():
    assert similarity("", "") == 1.0
    assert similarity("refund", "") == 0.0
    assert similarity("refund issued", "password reset") == 0.0


def event(agent: str, engine: str, suggested: str, sent: str) -> AuditEvent:
    return AuditEvent(
        ticket_id="T-1", agent=agent, engine=engine, model="m", suggested=suggested, sent=sent,
        edit_distance=normalized_edit_distance(suggested, sent),
        similarity=similarity(suggested, sent),
        sent_at=datetime(2026, 11, 20, tzinfo=timezone.utc),
    )


def test_lead_metrics_summarises_overall_per_engine_and_per_agent():
    events = [
        event("alex", "offline", "Refund issued.", "Refund issued."),
        event("alex", "llm", "Refund issued.", "Refund issued today."),
        event("sam", "offline", "abc", "xyz"),
    ]
    metrics = lead_metrics(events)
    assert metrics["count"] == 3
    assert metrics["unedited_share"] == pytest.approx(1 / 3)
    assert metrics["mean_edit_distance"] == pytest.approx(
        sum(e.edit_distance for e in events) / 3
    )
    assert metrics["by_engine"]["offline"]["count"] == 2
    assert metrics["by_engine"]["offline"]["unedited_share"] == 0.5
    assert metrics["by_agent"]["sam"] == {
        "count": 1, "unedited_share": 0.0, "mean_edit_distance": 1.0, "mean_similarity": 0.0,
    }


def test_lead_metrics_without_events_has_no_averages():
    metrics = lead_metrics([])
    assert metrics["count"] == 0 and metrics["mean_edit_distance"] is None
    assert metrics["by_engine"] == {} and metrics["by_agent"] == {}
