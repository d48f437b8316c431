"""past_replies and QuestionMatcher: the sent replies similar-ticket search reads, newest per ticket, and the
ranking by question similarity with its cut-off."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from cryptography.fernet import Fernet

from core.settings import load_settings
from core.types import AuditEvent
from desk.similar import past_replies
from desk.store import open_store
from knowledge.similar import QuestionMatcher

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)


def event(ticket_id: str, question: str, sent: str, at: datetime = T0) -> AuditEvent:
    return AuditEvent(ticket_id=ticket_id, agent="alex", engine="offline", model="offline-grounded",
                      suggested=sent, sent=sent, edit_distance=0.0, similarity=1.0, sent_at=at, intent="refund",
                      language="en", question=question)


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("ASSIST_ENCRYPTION_KEY", Fernet.generate_key().decode())
    desk_store = open_store(f"sqlite:///{tmp_path / 'desk.db'}", load_settings())
    yield desk_store
    desk_store.dispose()


def test_past_replies_keep_the_newest_reply_per_ticket_and_skip_the_current_one(store):
    store.record_audit(event("T-1", "Where is my refund?", "First answer.", T0))
    store.record_audit(event("T-1", "Where is my refund now?", "Second answer.", T0 + timedelta(hours=1)))
    store.record_audit(event("T-2", "How do I change my address?", "Address answer.", T0 + timedelta(hours=2)))
    store.record_audit(event("T-3", "", "No question recorded.", T0 + timedelta(hours=3)))

    found = past_replies(store, exclude_ticket_id="T-2")

    assert [(p.ticket_id, p.sent, p.question) for p in found] == [("T-1", "Second answer.", "Where is my refund now?")]


def test_past_replies_open_text_sealed_at_rest(store):
    store.record_audit(event("T-1", "Where is my refund?", "Your refund left on Monday."))
    with store.connection() as connection:
        raw = connection.exec_driver_sql("SELECT sent, question FROM audit_events").one()

    assert "refund" not in raw.sent and "refund" not in raw.question
    assert past_replies(store)[0].sent == "Your refund left on Monday."


class WordEmbedder:
    """Bag-of-words vectors over a fixed vocabulary: similar wording, similar vector."""

    model_id = "test-words"
    vocabulary = ("refund", "money", "back", "address", "change", "password", "reset", "order")
    dim = len(vocabulary)

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def encode(self, texts):
        self.calls.append(list(texts))
        return np.asarray([[float(w in text.lower()) + 1e-6 for w in self.vocabulary] for text in texts], np.float32)


def test_question_matcher_ranks_by_similarity_and_drops_those_below_the_cut_off():
    matcher = QuestionMatcher(WordEmbedder(), min_score=0.5)
    candidates = ["How do I reset my password?", "I want my money back, refund please", "Change my address"]

    found = matcher.nearest("When do I get my refund money?", candidates, k=3)

    assert [i for i, _ in found] == [1]
    assert found[0][1] > 0.5


def test_question_matcher_embeds_each_past_question_once():
    embedder = WordEmbedder()
    matcher = QuestionMatcher(embedder, min_score=0.1)
    candidates = ["refund money", "address change"]

    matcher.nearest("refund", candidates)
    matcher.nearest("address", candidates)

    assert embedder.calls == [["refund", "refund money", "address change"], ["address"]]
