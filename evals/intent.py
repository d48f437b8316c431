"""Intent classification with the product's IntentClassifier, and a nearest-centroid baseline on the same vectors.

Labelled examples come only from dev: with the dev split, 5-fold stratified cross-validation (seed 0) inside
dev; with any other split, fit on all of dev and predict the split. Gold labels of the scored items are read
only to score the predictions.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from evals.context import DatasetResult, EvalContext
from evals.metrics import accuracy, clean_number, macro_f1

FOLDS = 5
SEED = 0
BASELINE = "nearest_centroid"


def intent_backend() -> str:
    """The embedding backend the product uses for intent (chains.runtime.INTENT_EMBEDDINGS)."""
    from chains.runtime import INTENT_EMBEDDINGS

    return INTENT_EMBEDDINGS


def stratified_folds(labels: Sequence, n: int = FOLDS, seed: int = SEED) -> list[tuple[np.ndarray, np.ndarray]]:
    """Train/test positions of a shuffled, seeded stratified k-fold split (fewer folds only for tiny data)."""
    from collections import Counter

    from sklearn.model_selection import StratifiedKFold

    n = max(2, min(n, max(Counter(labels).values(), default=2)))
    splitter = StratifiedKFold(n_splits=n, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(len(labels)), list(labels)))


def predict(embedder, train_texts: list[str], train_labels: list[str], train_vecs: np.ndarray,
            test_texts: list[str], test_vecs: np.ndarray) -> tuple[list[str], list[str]]:
    """(product predictions, nearest-centroid predictions) for the test texts."""
    from chains.offline.intent import IntentClassifier, nearest_centroid_predict

    model = IntentClassifier(embedder).fit(train_texts, train_labels, vectors=train_vecs)
    product = [p.label for p in model.predict(test_texts, vectors=test_vecs)]
    return product, nearest_centroid_predict(train_vecs, train_labels, test_vecs)


def cross_validated(embedder, texts: list[str], labels: list[str]) -> tuple[list[str], list[str]]:
    """Out-of-fold predictions of both classifiers for every text."""
    vecs = embedder.encode(texts)
    product: list[str] = [""] * len(texts)
    baseline: list[str] = [""] * len(texts)
    for train, test in stratified_folds(labels):
        p, b = predict(embedder, [texts[i] for i in train], [labels[i] for i in train], vecs[train],
                       [texts[i] for i in test], vecs[test])
        for i, lp, lb in zip(test, p, b):
            product[i], baseline[i] = lp, lb
    return product, baseline


def scores(gold: list[str], predicted: list[str]) -> dict[str, float | None]:
    """Accuracy and macro-F1."""
    return {"accuracy": clean_number(accuracy(gold, predicted)), "macro_f1": clean_number(macro_f1(gold, predicted))}


def evaluate_intent(ctx: EvalContext, dataset: str, text_field: str, label_field: str) -> DatasetResult:
    """Product and baseline intent scores for one dataset under the run's split rule."""
    embedder = ctx.embedder(intent_backend())
    if ctx.layout.is_dev:
        rows = ctx.layout.rows(dataset)
        texts, gold = [str(r[text_field]) for r in rows], [str(r[label_field]) for r in rows]
        product, baseline = cross_validated(embedder, texts, gold)
        scheme = f"{FOLDS}-fold StratifiedKFold(shuffle, seed {SEED}) within dev"
    else:
        train, test = ctx.layout.dev_rows(dataset), ctx.layout.rows(dataset)
        train_texts, train_labels = [str(r[text_field]) for r in train], [str(r[label_field]) for r in train]
        texts = [str(r[text_field]) for r in test]
        product, baseline = predict(embedder, train_texts, train_labels, embedder.encode(train_texts),
                                    texts, embedder.encode(texts))
        gold = [str(r[label_field]) for r in test]
        scheme = f"fitted on all {len(train)} dev rows"
    ctx.note(dataset, items=len(gold), classes=len(set(gold)), scheme=scheme,
             classifier="chains.offline.intent.IntentClassifier", embeddings=embedder.model_id)
    return DatasetResult(scores(gold, product), {BASELINE: scores(gold, baseline)})


def evaluate_banking77(ctx: EvalContext) -> DatasetResult:
    """banking77: `text` -> `category`."""
    return evaluate_intent(ctx, "banking77", "text", "category")


def evaluate_bitext(ctx: EvalContext) -> DatasetResult:
    """Bitext: `instruction` -> `intent`, plus reply drafts against `response`."""
    from evals.drafts import BITEXT, evaluate_bitext_drafts

    result = evaluate_intent(ctx, BITEXT, "instruction", "intent")
    result.metrics.update(evaluate_bitext_drafts(ctx, ctx.layout.rows(BITEXT)))
    return result
