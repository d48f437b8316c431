"""Scoring functions shared by every dataset: ranking, classification, threshold and ROUGE metrics."""
from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Sequence

import numpy as np

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")
WORD = re.compile(r"[^\W_]+")
ASCII_WORD = re.compile(r"^[a-z0-9]+$")


def recall_at_k(ranked_ids: Sequence[str], gold: str | set[str], k: int) -> float:
    """1.0 when a gold id is among the first `k` ranked ids, else 0.0."""
    golds = {gold} if isinstance(gold, str) else set(gold)
    return 1.0 if any(r in golds for r in list(ranked_ids)[:k]) else 0.0


def reciprocal_rank(ranked_ids: Sequence[str], gold: str | set[str]) -> float:
    """1/rank of the first gold id in `ranked_ids`, 0.0 when it is absent."""
    golds = {gold} if isinstance(gold, str) else set(gold)
    for rank, rid in enumerate(ranked_ids, start=1):
        if rid in golds:
            return 1.0 / rank
    return 0.0


def mrr(rankings: Sequence[Sequence[str]], golds: Sequence[str | set[str]]) -> float:
    """Mean reciprocal rank over queries."""
    return mean([reciprocal_rank(r, g) for r, g in zip(rankings, golds)])


def mean(values: Sequence[float]) -> float:
    """Arithmetic mean; NaN for an empty sequence."""
    return float(np.mean(values)) if len(values) else math.nan


def accuracy(gold: Sequence, predicted: Sequence) -> float:
    """Share of predictions equal to the gold label."""
    return mean([1.0 if g == p else 0.0 for g, p in zip(gold, predicted)])


def macro_f1(gold: Sequence, predicted: Sequence) -> float:
    """Unweighted mean F1 over the labels seen in gold or predictions (sklearn)."""
    from sklearn.metrics import f1_score

    return float(f1_score(list(gold), list(predicted), average="macro", zero_division=0))


def roc_auc(labels: Sequence[int], scores: Sequence[float]) -> float:
    """Area under the ROC curve (positive class = 1); NaN when only one class is present."""
    from sklearn.metrics import roc_auc_score

    y = np.asarray(labels)
    if len(set(y.tolist())) < 2:
        return math.nan
    return float(roc_auc_score(y, np.asarray(scores, dtype=np.float64)))


def best_threshold(labels: Sequence[int], scores: Sequence[float]) -> tuple[float, float]:
    """(threshold, accuracy) maximising accuracy of `score >= threshold` as the positive prediction."""
    y = np.asarray(labels, dtype=np.int64)
    s = np.asarray(scores, dtype=np.float64)
    if not len(y):
        return math.nan, math.nan
    candidates = np.concatenate([np.unique(s), [np.inf]])
    best = (math.nan, -1.0)
    for t in candidates:
        acc = float(np.mean((s >= t).astype(np.int64) == y))
        if acc > best[1]:
            best = (float(t), acc)
    return best


def best_threshold_accuracy(labels: Sequence[int], scores: Sequence[float]) -> float:
    """Accuracy at the threshold that maximises it on these very labels (an oracle operating point)."""
    return best_threshold(labels, scores)[1]


def accuracy_at(labels: Sequence[int], scores: Sequence[float], threshold: float) -> float:
    """Accuracy of `score >= threshold` as the positive prediction."""
    return accuracy(list(labels), [1 if s >= threshold else 0 for s in scores])


@lru_cache(maxsize=1)
def _porter():
    from nltk.stem import porter

    return porter.PorterStemmer()


class UnicodeTokenizer:
    """ROUGE tokenizer: lowercase Unicode word tokens (Hangul kept); ASCII words longer than 3 are Porter-stemmed."""

    def __init__(self, stem: bool = True) -> None:
        self.stem = stem

    def tokenize(self, text: str) -> list[str]:
        """Tokens of `text` in order."""
        tokens = WORD.findall(text.lower())
        if not self.stem:
            return tokens
        return [_porter().stem(t) if len(t) > 3 and ASCII_WORD.match(t) else t for t in tokens]


@lru_cache(maxsize=2)
def rouge_scorer(stem: bool = True):
    """A RougeScorer for rouge1/2/L with the Unicode tokenizer."""
    from rouge_score.rouge_scorer import RougeScorer

    return RougeScorer(list(ROUGE_TYPES), tokenizer=UnicodeTokenizer(stem))


def rouge_scores(prediction: str, references: str | Sequence[str]) -> dict[str, float]:
    """ROUGE-1/2/L F1 of `prediction`; with several references, the best reference per metric."""
    refs = [references] if isinstance(references, str) else list(references)
    if not refs:
        return {name: math.nan for name in ROUGE_TYPES}
    best = rouge_scorer().score_multi(refs, prediction)
    return {name: float(best[name].fmeasure) for name in ROUGE_TYPES}


def span_token_recall(gold_span: str, text: str) -> float:
    """Share of the distinct lowercase word tokens of `gold_span` that occur in `text`."""
    gold = set(WORD.findall(gold_span.lower()))
    if not gold:
        return math.nan
    return len(gold & set(WORD.findall(text.lower()))) / len(gold)


def token_overlap(gold_span: str, text: str) -> tuple[float, float, float]:
    """(precision, recall, F1) of the distinct lowercase word tokens of `text` against those of `gold_span`;
    (0, 0, 0) when either is empty or nothing is shared."""
    gold = set(WORD.findall(gold_span.lower()))
    predicted = set(WORD.findall(text.lower()))
    shared = len(gold & predicted)
    if not shared:
        return 0.0, 0.0, 0.0
    precision, recall = shared / len(predicted), shared / len(gold)
    return precision, recall, 2 * precision * recall / (precision + recall)


def clean_number(value: float) -> float | None:
    """A JSON-safe number: NaN and infinities become None, others are rounded to 4 places."""
    if value is None or not math.isfinite(float(value)):
        return None
    return round(float(value), 4)
