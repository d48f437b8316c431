"""Evaluation metrics and readers on tiny hand-checked cases."""
from __future__ import annotations

import math

import pytest

from evals.context import DatasetResult
from evals.datasets import doc2dial_turns, spread, tweetsumm_references
from evals.metrics import (
    UnicodeTokenizer,
    accuracy,
    best_threshold,
    best_threshold_accuracy,
    clean_number,
    macro_f1,
    mrr,
    recall_at_k,
    reciprocal_rank,
    roc_auc,
    rouge_scores,
    span_token_recall,
    token_overlap,
)


def test_recall_at_k_counts_gold_within_the_first_k():
    ranked = ["a", "b", "c"]
    assert recall_at_k(ranked, "b", 1) == 0.0
    assert recall_at_k(ranked, "b", 2) == 1.0
    assert recall_at_k(ranked, "z", 10) == 0.0
    assert recall_at_k(ranked, {"z", "c"}, 3) == 1.0


def test_mrr_averages_reciprocal_ranks_and_scores_missing_gold_zero():
    assert reciprocal_rank(["a", "b", "c"], "c") == pytest.approx(1 / 3)
    assert mrr([["a", "b"], ["c", "d"], ["e"]], ["b", "x", "e"]) == pytest.approx((0.5 + 0.0 + 1.0) / 3)


def test_roc_auc_known_value_and_single_class():
    assert roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75)
    assert roc_auc([0, 1], [0.2, 0.9]) == 1.0
    assert math.isnan(roc_auc([1, 1], [0.2, 0.9]))


def test_best_threshold_accuracy():
    assert best_threshold_accuracy([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75)
    threshold, acc = best_threshold([0, 0, 1, 1], [0.1, 0.2, 0.7, 0.9])
    assert acc == 1.0 and 0.2 < threshold <= 0.7
    assert best_threshold_accuracy([0, 0, 0], [0.5, 0.6, 0.7]) == 1.0  # predicting nobody positive


def test_accuracy_and_macro_f1():
    gold, pred = ["a", "a", "b", "b"], ["a", "b", "b", "b"]
    assert accuracy(gold, pred) == 0.75
    assert macro_f1(gold, pred) == pytest.approx((2 / 3 + 0.8) / 2)


def test_tokenizer_keeps_hangul_and_stems_only_ascii_words():
    tokens = UnicodeTokenizer().tokenize("Refunds REFUNDED 환불을 요청했어요!")
    assert tokens == ["refund", "refund", "환불을", "요청했어요"]


def test_rouge_on_korean_shares_hangul_words():
    scores = rouge_scores("환불 요청 드립니다", "환불 요청은 어떻게 하나요")
    assert scores["rouge1"] == pytest.approx(2 * (1 / 3) * (1 / 4) / (1 / 3 + 1 / 4))
    assert scores["rougeL"] > 0
    assert rouge_scores("배송 조회", "배송 조회")["rouge2"] == 1.0


def test_rouge_takes_the_best_reference_per_metric():
    scores = rouge_scores("the cat sat", ["dogs run fast", "the cat sat"])
    assert scores == {"rouge1": 1.0, "rouge2": 1.0, "rougeL": 1.0}
    assert rouge_scores("the cat sat", ["dogs run fast"])["rouge1"] == 0.0


def test_token_overlap_gives_precision_recall_and_f1_of_distinct_words():
    precision, recall, f1 = token_overlap("You must report it, you must.", "YOU must tell us now")

    assert (precision, recall) == (pytest.approx(2 / 5), pytest.approx(2 / 4))
    assert f1 == pytest.approx(2 * 0.4 * 0.5 / 0.9)
    assert token_overlap("anything", "") == (0.0, 0.0, 0.0)
    assert token_overlap("", "text") == (0.0, 0.0, 0.0)


def test_span_token_recall_uses_distinct_lowercase_words():
    assert span_token_recall("You must report it, you must.", "YOU must tell us") == pytest.approx(2 / 4)
    assert span_token_recall("anything", "") == 0.0
    assert math.isnan(span_token_recall("", "text"))


def test_doc2dial_history_becomes_dialogue_order():
    question = "user:And the fee? \tagent:It takes: ten days. \tuser:I moved."
    assert doc2dial_turns(question) == [("user", "I moved."), ("agent", "It takes: ten days."), ("user", "And the fee?")]


def test_tweetsumm_references_join_sentences():
    row = {"abstractive_summaries": [["Customer asks.", "Agent answers."], ["Only one."]]}
    assert tweetsumm_references(row) == ["Customer asks. Agent answers.", "Only one."]


def test_spread_takes_evenly_spaced_rows():
    assert spread(list(range(10)), 5) == [0, 2, 4, 6, 8]
    assert spread([1, 2], 5) == [1, 2]


def test_result_json_nests_and_flattens_baselines():
    result = DatasetResult({"accuracy": 0.9}, {"nearest_centroid": {"accuracy": 0.8}})
    assert result.to_json() == {"accuracy": 0.9, "nearest_centroid": {"accuracy": 0.8}, "nearest_centroid_accuracy": 0.8}


def test_clean_number_is_json_safe():
    assert clean_number(float("nan")) is None
    assert clean_number(0.123456) == 0.1235
