"""gap_candidates: exactly the abstained, unsuggested and heavily edited replies, the lead's filter applied in
the database, texts opened (also when sealed at rest)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from cryptography.fernet import Fernet

from core.settings import load_settings
from core.types import AuditEvent
from desk.gaps import gap_candidates, gap_condition
from desk.report import AuditFilter
from desk.store import open_store

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)


def event(ticket_id: str, *, suggested: str = "Here is how to do it.", edit: float = 0.1, abstained: bool = False,
          at: datetime = T0, intent: str = "billing", question: str = "", **changes) -> AuditEvent:
    return AuditEvent(ticket_id=ticket_id, agent="alex", engine="offline", model="offline-grounded",
                      suggested=suggested, sent=f"Reply on {ticket_id}.", edit_distance=edit, similarity=1 - edit,
                      sent_at=at, intent=intent, language="en", abstained=abstained,
                      question=question or f"Question on {ticket_id}?", **changes)


@pytest.fixture
def store(tmp_path):
    desk_store = open_store(f"sqlite:///{tmp_path / 'desk.db'}")
    yield desk_store
    desk_store.dispose()


def seed(store) -> None:
    for e in (event("T-light", edit=0.1), event("T-abstained", abstained=True, edit=0.05),
              event("T-nosuggestion", suggested="", edit=1.0), event("T-heavy", edit=0.5),
              event("T-almost", edit=0.49), event("T-old", suggested="", edit=1.0, at=T0 - timedelta(days=40)),
              event("T-shipping", suggested="", edit=1.0, intent="shipping", at=T0 + timedelta(hours=1))):
        store.record_audit(e)


def test_gap_candidates_pick_abstained_unsuggested_and_heavily_edited_replies(store):
    seed(store)

    found = {c.ticket_id: c.why for c in gap_candidates(store)}

    assert found == {"T-abstained": "abstained", "T-nosuggestion": "no_suggestion", "T-heavy": "heavy_edit",
                     "T-old": "no_suggestion", "T-shipping": "no_suggestion"}


def test_gap_candidates_carry_question_reply_and_context_newest_first(store):
    seed(store)

    found = gap_candidates(store)

    assert found[0].ticket_id == "T-shipping"
    assert found[0].question == "Question on T-shipping?" and found[0].sent == "Reply on T-shipping."
    assert (found[0].intent, found[0].language, found[0].agent) == ("shipping", "en", "alex")
    assert found[0].sent_at == T0 + timedelta(hours=1)
    assert [c.sent_at for c in found] == sorted((c.sent_at for c in found), reverse=True)


def test_gap_candidates_respect_the_filter_threshold_and_limit(store):
    seed(store)

    window = AuditFilter(since=T0 - timedelta(days=1), until=T0 + timedelta(days=1), intents=("billing",))
    assert {c.ticket_id for c in gap_candidates(store, window)} == {"T-abstained", "T-nosuggestion", "T-heavy"}
    assert "T-almost" in {c.ticket_id for c in gap_candidates(store, heavy_edit=0.4)}
    assert len(gap_candidates(store, limit=2)) == 2


def test_gap_condition_is_evaluated_by_the_database():
    sql = str(gap_condition(0.5).compile(compile_kwargs={"literal_binds": True}))

    assert "abstained" in sql and "used_suggestion" in sql and "edit_distance >= 0.5" in sql


def test_gap_candidates_open_sealed_text(tmp_path):
    settings = load_settings({"ASSIST_ENCRYPTION_KEY": Fernet.generate_key().decode()})
    with open_store(f"sqlite:///{tmp_path / 'sealed.db'}", settings) as store:
        store.record_audit(event("T-1", abstained=True, question="Do you ship to [ADDRESS_1]?"))

        found = gap_candidates(store)

    assert found[0].question == "Do you ship to [ADDRESS_1]?" and found[0].sent == "Reply on T-1."
