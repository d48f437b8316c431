"""One path: `python -m chains assist`, the agent workspace and the evaluation harness show the same drafts for
the same ticket and index, because all three call `assist()`."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from assist_ui.render import inert
from chains.__main__ import main as chains_main
from core.tickets import load_ticket
from core.types import AssistResult
from desk.tickets import demo_tickets_dir

APP = str(Path(__file__).resolve().parents[2] / "assist_ui" / "app.py")
TONES = ("concise", "detailed", "warm")


def cli_drafts(ticket_path: Path, capsys) -> dict[str, str]:
    capsys.readouterr()
    assert chains_main(["assist", str(ticket_path), "--json"]) == 0
    result = AssistResult.model_validate_json(capsys.readouterr().out)
    return {d.tone: d.text for d in result.drafts}


def eval_drafts(ticket_path: Path, index_dir: Path) -> dict[str, str]:
    from evals.context import EvalContext
    from evals.datasets import Layout
    from evals.engine import deps_for, draft_reply
    from knowledge.embeddings import load_embedder
    from knowledge.index import load_index

    ctx = EvalContext(Layout(index_dir))
    deps = deps_for(ctx, load_index(index_dir, load_embedder()), "demo", tones=TONES)
    ticket = load_ticket(ticket_path)
    return {tone: draft_reply(ticket, deps, tone).draft.text for tone in TONES}


def _lines(markdown: str) -> str:
    """Markdown with trailing spaces of lines dropped (Streamlit drops them on blank lines)."""
    return re.sub(r"[ \t]+\n", "\n", markdown)


def workspace_view(ticket_id: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.radio(key="queue_radio").set_value(ticket_id).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("ticket_id", ["T-1001", "T-1018"])
def test_cli_workspace_and_evals_show_the_same_drafts(app_env, demo_index_dir, capsys, ticket_id):
    ticket_path = demo_tickets_dir() / f"{ticket_id}.json"

    from_cli = cli_drafts(ticket_path, capsys)
    from_evals = eval_drafts(ticket_path, demo_index_dir)
    at = workspace_view(ticket_id)

    assert set(from_cli) == set(TONES)
    assert from_evals == from_cli
    shown = [_lines(m.value) for m in at.markdown]
    for tone, text in from_cli.items():
        assert _lines(inert(text)) in shown, f"the workspace shows the CLI's {tone} draft"
    [use_concise] = [b for b in at.button if b.key == f"use::{ticket_id}::concise"]
    use_concise.click().run()
    without_markers = re.sub(r" ?\[\d{1,2}\]", "", from_cli["concise"])
    assert at.text_area(key=f"reply_box::{ticket_id}").value == without_markers, "the customer's copy of the draft"
