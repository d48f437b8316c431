"""Agents' ratings as a regression set: what counts as still produced, which rows are skipped, the CLI's errors."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.__main__ import main
from evals.context import EvalContext
from evals.datasets import Layout
from evals.feedback import FeedbackSet, Rated, evaluate_rows, read_feedback, repeated_sentences, rescore, score

TICKET = "T-1001"
AGENT = "Alex"


@pytest.fixture(scope="module")
def product_settings():
    from evals.engine import settings

    return settings()


@pytest.fixture(scope="module")
def current_draft(demo_tickets, assist_deps, product_settings) -> str:
    """The concise draft of T-1001 as the customer would get it from Alex, straight from assist()."""
    from chains.customer_text import for_customer
    from chains.pipeline import assist
    from chains.runtime import deps_for_agent

    result = assist(demo_tickets[TICKET], deps_for_agent(assist_deps, product_settings, AGENT))
    draft = next(d for d in result.drafts if d.tone == "concise")
    return for_customer(draft, result.hits, "remove", result.triage.language,
                        sign_off=product_settings.sign_off(AGENT))


def feedback_row(ticket, suggested: str, rating: int, reason: str = "", **extra) -> dict:
    row = {"suggestion_key": "k", "user": AGENT, "ticket_id": ticket.id if ticket else "T-0001", "rating": rating,
           "reason": reason, "comment": "", "suggested": suggested, "engine": "offline", "model": "offline-grounded-v1",
           "tone": "concise", "intent": "refund_status", "prompt_versions": {},
           "updated_at": "2026-11-19T08:30:00+00:00", "ticket": ticket.model_dump(mode="json") if ticket else None}
    return {**row, **extra}


def rated(rows: list[dict], demo_tickets) -> list[Rated]:
    return [Rated(n, row, demo_tickets[row["ticket_id"]]) for n, row in enumerate(rows, start=1)]


def test_feedback_rejected_draft_the_product_still_writes_counts_as_reproduced(demo_tickets, assist_deps,
                                                                                product_settings, current_draft):
    ticket = demo_tickets[TICKET]
    rows = [feedback_row(ticket, current_draft, -1, "missing_information"),
            feedback_row(ticket, "Hi Minji,\n\nYour order was cancelled and no refund is due.\n\nBest regards,\nAlex",
                         -1, "not_relevant", intent="cancel_order"),
            feedback_row(ticket, current_draft, 1)]
    found = FeedbackSet(rated(rows, demo_tickets), [], len(rows))

    scored = rescore(found.rated, assist_deps, product_settings)
    result = score(found, scored)

    assert [s.similarity == 1.0 for s in scored] == [True, False, True]
    assert [s.still_produced for s in scored] == [True, False, True]
    assert result.metrics["rejected"] == 2 and result.metrics["rejected_reproduced"] == 0.5
    assert result.metrics["accepted_kept"] == 1.0
    by_reason = result.breakdowns["rejected_reproduced_by_reason"]
    assert by_reason["missing_information"]["reproduced"] == 1 and by_reason["not_relevant"]["reproduced"] == 0
    assert result.breakdowns["rejected_reproduced_by_intent"]["cancel_order"]["share"] == 0.0


def test_feedback_wrong_facts_reject_reports_only_the_sentences_that_come_back(demo_tickets, assist_deps,
                                                                                product_settings, current_draft):
    invented = "Your refund of ₩86,000 will reach your card within 1 business day."
    rejected = current_draft.replace("If anything is still unclear", invented + "\n\nIf anything is still unclear")
    found = FeedbackSet(rated([feedback_row(demo_tickets[TICKET], rejected, -1, "wrong_facts")], demo_tickets), [], 1)

    ctx = EvalContext(Layout(Path(".")))
    result = evaluate_rows(ctx, found, assist_deps, product_settings)

    detail = ctx.notes["feedback"]["rows"][0]
    assert invented not in detail["repeated_sentences"] and detail["repeated_sentences"]
    assert result.metrics["wrong_facts_repeated"] == 1.0
    assert set(detail["unbacked_repeated_sentences"]) <= set(detail["repeated_sentences"])


def test_feedback_repeated_sentences_ignore_greeting_and_sign_off():
    rejected = "Hi Minji,\n\nThanks for getting back to us.\n\nReturns are free within 30 days.\n\nBest regards,\nAlex"
    new = "Hi Minji,\n\nThanks for getting back to us.\n\nReturns are free within 30 days!\n\nBest regards,\nAlex"

    assert repeated_sentences(rejected, new) == ["Returns are free within 30 days."]
    assert repeated_sentences(rejected, new.replace("30", "14")) == []


def test_feedback_read_skips_rows_without_ticket_and_bad_lines_by_number(tmp_path: Path, demo_tickets):
    path = tmp_path / "feedback.jsonl"
    good = feedback_row(demo_tickets[TICKET], "Hi Minji, the refund was issued.", 1)
    lines = [json.dumps(good), "", '{"rating": -1, "suggested": ', json.dumps(feedback_row(None, "Hi", -1)),
             "[1, 2]", json.dumps({**good, "rating": 0})]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    found = read_feedback(path)

    assert [r.line for r in found.rated] == [1] and found.rated[0].ticket.id == TICKET
    assert found.read == 5
    assert [s["line"] for s in found.skipped] == [3, 4, 5, 6]
    whys = [s["why"] for s in found.skipped]
    assert "not valid JSON" in whys[0] and "no ticket" in whys[1] and "T-0001" in whys[1]
    assert "not a JSON object" in whys[2] and "rating" in whys[3]


def test_evals_cli_feedback_missing_file_exits_with_a_clear_message(tmp_path: Path, capsys):
    code = main(["--feedback", str(tmp_path / "nope.jsonl")])

    err = capsys.readouterr().err
    assert code == 2
    assert "nope.jsonl does not exist" in err and "Traceback" not in err


def test_evals_cli_feedback_without_usable_rows_names_the_skipped_lines(tmp_path: Path, capsys):
    path = tmp_path / "feedback.jsonl"
    path.write_text("not json\n" + json.dumps(feedback_row(None, "Hi", -1)) + "\n", encoding="utf-8")

    code = main(["--feedback", str(path)])

    err = capsys.readouterr().err
    assert code == 2
    assert "no usable row" in err and "line 1: not valid JSON" in err and "line 2: no ticket" in err
