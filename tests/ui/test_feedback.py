"""Feedback under the reply box: thumbs with a reason and a comment, kept once per user and suggestion, and
carried into the audit with what the assistant read (intent, masked question) and the handle time."""
from __future__ import annotations

from desk.feedback import list_feedback
from desk.store import open_store
from tests.ui.conftest import open_ticket

AGENT = "Support team"  # the demo identity


def test_feedback_reason_and_comment_are_saved_once_and_reach_the_audit(app_env):
    at = open_ticket("T-1001")
    next(b for b in at.button if b.key == "use::T-1001::concise").click().run()
    at.feedback(key="rating::T-1001").set_value(0).run()
    at.selectbox(key="feedback_reason::T-1001").set_value("missing_information").run()
    at.text_input(key="feedback_comment::T-1001").input("Say when the refund reaches the card.").run()
    at.selectbox(key="feedback_reason::T-1001").set_value("wrong_facts").run()
    assert not at.exception, [e.value for e in at.exception]

    store = open_store(app_env)
    [feedback] = list_feedback(store)
    assert (feedback.user, feedback.rating, feedback.reason) == (AGENT, -1, "wrong_facts")
    assert feedback.comment == "Say when the refund reaches the card."
    assert feedback.suggested == at.text_area(key="reply_box::T-1001").value

    at.button(key="send::T-1001").click().run()
    [event] = store.audit_events()
    assert (event.rating, event.feedback_reason) == (-1, "wrong_facts")
    assert event.intent and event.language == "en"
    assert "Shinhan card statement" in event.question, "the customer's latest message"
    assert event.opened_at is not None and event.handle_seconds is not None and event.handle_seconds >= 0


def test_saved_feedback_is_shown_again_after_a_reload(app_env):
    at = open_ticket("T-1001")
    next(b for b in at.button if b.key == "use::T-1001::warm").click().run()
    at.feedback(key="rating::T-1001").set_value(0).run()
    at.selectbox(key="feedback_reason::T-1001").set_value("wrong_tone").run()

    reloaded = open_ticket("T-1001")

    assert reloaded.selectbox(key="feedback_reason::T-1001").value == "wrong_tone"


def test_the_recorded_question_has_personal_data_masked(app_env):
    at = open_ticket("T-1023")
    at.text_area(key="reply_box::T-1023").set_value("I have re-sent it.").run()
    at.button(key="send::T-1023").click().run()

    [event] = open_store(app_env).audit_events()
    assert "hanna.walker@example.com" not in event.question and "[EMAIL_1]" in event.question
    assert not event.used_suggestion and event.first_typed_at is not None
