"""The answerability gate: its features, its parameters in the manifest, and fitting its threshold."""
from __future__ import annotations

import json
import math
import random

import pytest

from knowledge.gate import FEATURES, LEGACY_FEATURES, PRIOR, fit_gate, gate_features, judge, readable_params, score
from knowledge.query import query_from_turns

QUOTING_CONVERSATION = [
    ("customer", "My account is locked, why?"),
    ("agent", "5 wrong passwords in a row lock the account for 30 minutes."),
    ("customer", "Can I unlock it sooner?"),
]


@pytest.fixture
def calibrated(demo_index):
    """The demo index with gate parameters set for one test, removed afterwards."""
    def set_gate(params):
        demo_index.manifest.gate = params
        return demo_index

    yield set_gate
    demo_index.manifest.gate = None


def _synthetic_rows(n: int = 200, seed: int = 0) -> tuple[list[dict], list[int], list[int]]:
    """Rows whose coverage and cosine are higher when answerable, in groups of two rows."""
    rng = random.Random(seed)
    rows, labels = [], []
    for i in range(n):
        label = i % 2
        rows.append({"coverage": rng.gauss(0.6 if label else 0.45, 0.15),
                     "dense_top": rng.gauss(0.55 if label else 0.5, 0.1),
                     "longest_quote": float(rng.randint(1, 6) if label else rng.randint(0, 4))})
        labels.append(label)
    return rows, labels, [i // 2 for i in range(n)]


def test_gate_features_compute_every_named_feature(demo_index):
    query = query_from_turns(QUOTING_CONVERSATION)

    feats = gate_features(demo_index, query, demo_index.search(query, k=5))

    assert set(feats) == set(FEATURES)
    assert all(isinstance(v, float) and math.isfinite(v) for v in feats.values())


def test_gate_features_see_an_agent_quoting_the_article(demo_index):
    query = query_from_turns(QUOTING_CONVERSATION)

    feats = gate_features(demo_index, query, demo_index.search(query, k=5))

    assert feats["longest_quote"] >= 10
    assert feats["agent_quoted_turns"] == 1.0
    assert feats["articles_in_hits"] >= 1.0
    assert 0.0 < feats["best_article_coverage"] <= 1.0


def test_gate_features_of_no_hits_are_zero(demo_index):
    assert gate_features(demo_index, "anything", []) == dict.fromkeys(FEATURES, 0.0)


def test_gate_prior_is_named_and_readable():
    assert readable_params(PRIOR) == PRIOR


def test_fit_gate_params_round_trip_through_manifest_json(demo_index, calibrated):
    rows, labels, groups = _synthetic_rows()
    params = fit_gate(rows, labels, target_recall=0.9, groups=groups)
    query = query_from_turns(QUOTING_CONVERSATION)
    hits = demo_index.search(query, k=5)

    stored = json.loads(json.dumps(params))
    verdict = judge(calibrated(stored), query, hits)

    assert stored == params and stored["features"] == list(FEATURES)
    assert verdict.confidence == pytest.approx(score(gate_features(demo_index, query, hits), params))
    assert "unreadable" not in verdict.reason


def test_fit_gate_threshold_keeps_the_target_recall_of_training_rows():
    rows, labels, groups = _synthetic_rows()

    for params in (fit_gate(rows, labels, target_recall=0.9, groups=groups), fit_gate(rows, labels, target_recall=0.9)):
        kept = [score(r, params) >= params["threshold"] for r, y in zip(rows, labels) if y == 1]
        assert sum(kept) / len(kept) >= 0.9
        assert 0.0 < params["threshold"] <= 0.5


def test_fit_gate_with_groups_sets_a_lower_threshold_when_the_fit_is_optimistic():
    rng = random.Random(0)
    rows = [{name: rng.gauss(0.0, 1.0) + (0.8 if name == "coverage" and i % 2 else 0.0) for name in FEATURES}
            for i in range(80)]  # one weak signal among many noise features: in-sample probabilities flatter
    labels, groups = [i % 2 for i in range(80)], [i // 2 for i in range(80)]

    held_out = fit_gate(rows, labels, target_recall=0.9, groups=groups)
    in_sample = fit_gate(rows, labels, target_recall=0.9)

    assert held_out["weights"] == in_sample["weights"]
    assert held_out["threshold"] < in_sample["threshold"]


def test_gate_legacy_weight_list_still_judges_with_its_own_features(demo_index, calibrated):
    weights = [3.0, 1.0, 2.0, 0.5, 0.2, 1.0, 0.5, 1.0, 0.3, 0.1, 0.05, 1.0, 0.5, 0.5, -4.0]
    query = query_from_turns(QUOTING_CONVERSATION)
    hits = demo_index.search(query, k=5)
    feats = gate_features(demo_index, query, hits)
    z = sum(w * feats[n] for n, w in zip(LEGACY_FEATURES, weights)) + weights[-1]

    verdict = judge(calibrated({"weights": weights, "threshold": 0.3, "examples": 40}), query, hits)

    assert verdict.confidence == pytest.approx(1.0 / (1.0 + math.exp(-z)))
    assert verdict.answerable == (verdict.confidence >= 0.3)
    assert "unreadable" not in verdict.reason


@pytest.mark.parametrize("broken", [{"weights": "no"}, {"weights": [1.0] * 40, "threshold": 0.5},
                                    {"features": ["from_the_future"], "weights": [1.0], "bias": 0.0, "threshold": 0.5}])
def test_gate_unreadable_calibration_falls_back_to_the_prior_and_says_so(demo_index, calibrated, broken):
    question = "how do I return an item"
    hits = demo_index.search(question, k=5)
    prior = judge(demo_index, question, hits)

    verdict = judge(calibrated(broken), question, hits)

    assert (verdict.answerable, verdict.confidence) == (prior.answerable, prior.confidence)
    assert "unreadable" in verdict.reason and "calibrate" in verdict.reason
