"""Calibrating the answerability gate from labelled questions."""
from __future__ import annotations

import json
import shutil

import pytest

from knowledge.__main__ import main as knowledge_main
from knowledge.calibrate import CalibrationError, calibrate, feature_rows, load_questions
from knowledge.index import current_version, load_index
from knowledge.paths import PACKAGE_DIR

DEMO_QUESTIONS = PACKAGE_DIR / "demo" / "questions.jsonl"


def test_calibrate_feature_rows_pair_each_question_with_its_article_removed(demo_index):
    pairs = load_questions(DEMO_QUESTIONS)[:6]
    rows, labels = feature_rows(demo_index, pairs)
    assert labels == [1, 0] * 6
    present = [r["dense_top"] for r, lab in zip(rows, labels) if lab == 1]
    removed = [r["dense_top"] for r, lab in zip(rows, labels) if lab == 0]
    assert sum(present) > sum(removed), "removing the answering article lowers the best cosine"


def test_calibrate_refuses_too_few_usable_questions(demo_index):
    with pytest.raises(CalibrationError, match="at least 20"):
        calibrate(demo_index, [("how do I return an item", "returns-how-to"), ("x", "no-such-article")])


def test_calibrate_cli_writes_a_new_version_whose_gate_is_used(tmp_path, demo_index_dir, real_embedder, capsys):
    root = tmp_path / "index"
    shutil.copytree(demo_index_dir, root)
    before = current_version(root)

    assert knowledge_main(["calibrate", str(DEMO_QUESTIONS), "--index", str(root)]) == 0

    assert current_version(root) != before
    gate = load_index(root, real_embedder).manifest.gate
    assert gate["examples"] == 35 and 0 < gate["threshold"] <= 0.5
    assert "Calibrated the gate on 35 questions" in capsys.readouterr().out


def test_calibrate_cli_reports_a_bad_questions_file(tmp_path, demo_index_dir, capsys):
    root = tmp_path / "index"
    shutil.copytree(demo_index_dir, root)
    bad = tmp_path / "questions.jsonl"
    bad.write_text(json.dumps({"text": "no question field"}) + "\n", encoding="utf-8")

    assert knowledge_main(["calibrate", str(bad), "--index", str(root)]) == 2
    assert "line 1" in capsys.readouterr().err
