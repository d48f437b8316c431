"""Every case of the bad-input campaign gets the outcome a user should see: a clear message or its work done."""
from __future__ import annotations

import pytest

from tests.robustness.campaign import CASES, Case, classify, run


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_gets_a_clear_answer(case: Case, tmp_path, demo_index_dir, monkeypatch):
    monkeypatch.setenv("ASSIST_INDEX_DIR", str(demo_index_dir))  # the commands that need an index read the demo's

    outcome, why = classify(case, tmp_path, run(case, tmp_path))

    assert outcome == ("accepted" if case.expect == "accepted" else "clear"), why
