"""Calibrating the answerability gate from labelled questions."""
from __future__ import annotations

import json
import shutil

import pytest

from knowledge.__main__ import main as knowledge_main
from knowledge.calibrate import (
    CalibrationError,
    calibrate,
    feature_rows,
    load_questions,
)
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


def _calibrated_index(tmp_path, demo_index_dir):
    root = tmp_path / "index"
    shutil.copytree(demo_index_dir, root)
    assert knowledge_main(["calibrate", str(DEMO_QUESTIONS), "--index", str(root)]) == 0
    return root


def test_rebuild_keeps_the_gate_calibration_while_the_model_is_unchanged(tmp_path, demo_index_dir, demo_articles,
                                                                          real_embedder):
    from knowledge.build import build_articles

    root = _calibrated_index(tmp_path, demo_index_dir)
    calibrated = load_index(root, real_embedder).manifest.gate

    report = build_articles(demo_articles[:-1], root, real_embedder)

    assert report.gate == "kept (calibrated on 35 questions)"
    assert load_index(root, real_embedder).manifest.gate == calibrated


def test_rebuild_with_another_embedding_model_drops_the_calibration_and_says_so(tmp_path, demo_index_dir,
                                                                                demo_articles, fake_embedder):
    from knowledge.build import build_articles

    root = _calibrated_index(tmp_path, demo_index_dir)

    report = build_articles(demo_articles[:3], root, fake_embedder, allow_shrink=True)

    assert report.gate.startswith("dropped") and "fake-384" in report.gate and "calibrate" in report.gate
    assert load_index(root, fake_embedder).manifest.gate is None


def test_rebuild_without_a_calibration_reports_nothing_about_it(tmp_path, demo_articles, fake_embedder):
    from knowledge.build import build_articles

    root = tmp_path / "index"
    build_articles(demo_articles[:3], root, fake_embedder)

    assert build_articles(demo_articles[:2], root, fake_embedder).gate == ""


def test_build_cli_prints_what_happened_to_the_calibration(tmp_path, demo_index_dir, capsys):
    root = _calibrated_index(tmp_path, demo_index_dir)
    capsys.readouterr()

    assert knowledge_main(["build", "--index", str(root)]) == 0

    assert "gate calibration: kept (calibrated on 35 questions)" in capsys.readouterr().out


def test_build_cli_if_missing_leaves_a_live_index_alone(tmp_path, demo_index_dir, capsys):
    root = tmp_path / "index"
    shutil.copytree(demo_index_dir, root)
    before = current_version(root)

    assert knowledge_main(["build", "--if-missing", "--index", str(root)]) == 0

    assert current_version(root) == before
    assert "already built" in capsys.readouterr().out


def test_build_cli_if_missing_rebuilds_an_index_built_with_another_model(tmp_path, demo_index_dir, capsys):
    from knowledge.index import live_model_id

    root = tmp_path / "index"
    shutil.copytree(demo_index_dir, root)
    before = current_version(root)
    manifest = root / "versions" / before / "manifest.json"
    fields = json.loads(manifest.read_text(encoding="utf-8"))
    manifest.write_text(json.dumps({**fields, "model_id": "sentence-transformers/all-MiniLM-L6-v2@onnx-int8"}),
                        encoding="utf-8")

    assert knowledge_main(["build", "--if-missing", "--index", str(root)]) == 0

    out = capsys.readouterr().out
    assert current_version(root) != before
    assert "built with sentence-transformers/all-MiniLM-L6-v2@onnx-int8; rebuilding" in out
    assert live_model_id(root).endswith("@onnx-int8-7bit")


def test_calibrate_names_its_features_and_keeps_the_target_recall_of_its_questions(demo_index):
    from knowledge.calibrate import TARGET_RECALL
    from knowledge.gate import FEATURES, score

    pairs = load_questions(DEMO_QUESTIONS)
    params = calibrate(demo_index, pairs)
    rows, labels = feature_rows(demo_index, [p for p in pairs if p[1] in demo_index.article_titles()])

    kept = [score(r, params) >= params["threshold"] for r, y in zip(rows, labels) if y == 1]
    assert params["features"] == list(FEATURES) and len(params["weights"]) == len(FEATURES)
    assert 0.0 < params["threshold"] <= 0.5
    # the threshold comes from held-out probabilities, so on its own questions it lands near the target
    assert sum(kept) / len(kept) >= TARGET_RECALL - 0.1


def test_index_calibrated_with_legacy_weights_still_loads_and_judges(tmp_path, demo_index_dir, real_embedder):
    from knowledge.calibrate import save_calibrated
    from knowledge.retrieve import retrieve

    root = tmp_path / "index"
    shutil.copytree(demo_index_dir, root)
    legacy = {"weights": [9.0, 4.0, 4.0, 1.5, 0.8] + [0.0] * 9 + [-5.6], "threshold": 0.4, "examples": 35}
    save_calibrated(load_index(root, real_embedder), root, legacy)

    found = retrieve(load_index(root, real_embedder), "how do I return an item")

    assert found.answerable is True
    assert "unreadable" not in found.verdict.reason
