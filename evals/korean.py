"""Korean checks: utterance types (ko_3i4k) with the product's intent classifier, and question-pair matching
(ko_question_pair) by the retriever's similarity.

Pair similarity mirrors the hybrid retriever on two texts:
- lexical: cosine of TF-IDF vectors over the product's lexical tokens (`knowledge.text.lexical_tokens_batch`,
  Kiwi morphemes for Korean); IDF is fitted on the unlabelled questions of dev (plus the scored split's
  questions when it is not dev);
- dense: cosine of the multilingual model's query vectors (e5 "query: " on both sides, as its card says for
  symmetric pairs), the dense ranker Korean queries use; MiniLM's cosine is kept beside it as `dense_only_minilm`;
- combined: (lexical + w * minilm + m * multilingual) / (1 + w + m) with w and m the retriever's weights for the
  pair's language (`knowledge.index.DENSE_WEIGHT`, `MULTILINGUAL_WEIGHT`; m = 0 where the retriever would not
  use the multilingual ranker, i.e. English against an English index).
Positive class = same question (`is_duplicate == 0`).
"""
from __future__ import annotations

import numpy as np

from evals.context import INDEX_EMBEDDINGS, DatasetResult, EvalContext
from evals.intent import evaluate_intent, stratified_folds
from evals.metrics import accuracy_at, best_threshold, best_threshold_accuracy, clean_number, roc_auc

PAIRS = "ko_question_pair"
FOLDS = 5
SEED = 0


def evaluate_3i4k(ctx: EvalContext) -> DatasetResult:
    """ko_3i4k: `text` -> `label` (as strings) with the product's IntentClassifier."""
    return evaluate_intent(ctx, "ko_3i4k", "text", "label")


def _identity(tokens: list[str]) -> list[str]:
    return tokens


def tfidf_model(questions: list[str]):
    """A TF-IDF vectoriser over the product's lexical tokens, fitted on `questions` (no labels)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from knowledge.text import lexical_tokens_batch

    return TfidfVectorizer(analyzer=_identity).fit(lexical_tokens_batch(questions))


def lexical_similarity(model, first: list[str], second: list[str]) -> np.ndarray:
    """Row-wise cosine of the two sides' TF-IDF vectors."""
    from knowledge.text import lexical_tokens_batch

    a = model.transform(lexical_tokens_batch(first))
    b = model.transform(lexical_tokens_batch(second))
    return np.asarray(a.multiply(b).sum(axis=1)).ravel()


def dense_similarity(embedder, first: list[str], second: list[str]) -> np.ndarray:
    """Row-wise cosine of the two sides' normalised embeddings."""
    return np.einsum("ij,ij->i", embedder.encode(first), embedder.encode(second))


def multilingual_similarity(first: list[str], second: list[str]) -> np.ndarray:
    """Row-wise cosine of the multilingual model's query vectors of the two sides."""
    from knowledge.embeddings import load_multilingual_embedder

    embedder = load_multilingual_embedder()
    return np.einsum("ij,ij->i", embedder.encode_queries(first), embedder.encode_queries(second))


def ranker_weights(first: list[str], second: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The retriever's MiniLM and multilingual weights for each pair's language."""
    from knowledge.index import DENSE_WEIGHT, MULTILINGUAL_WEIGHT
    from knowledge.text import detect_language

    languages = [detect_language(f"{a} {b}") for a, b in zip(first, second)]
    minilm = np.asarray([DENSE_WEIGHT.get(lang, 1.0) for lang in languages])
    multilingual = np.asarray([MULTILINGUAL_WEIGHT.get(lang, 1.0) if lang != "en" else 0.0 for lang in languages])
    return minilm, multilingual


def pair_scores(ctx: EvalContext, model, rows: list[dict]) -> dict[str, np.ndarray]:
    """Combined, lexical-only and dense-only (multilingual, and MiniLM) similarity of each pair."""
    first, second = [str(r["question1"]) for r in rows], [str(r["question2"]) for r in rows]
    lexical = lexical_similarity(model, first, second)
    minilm = dense_similarity(ctx.embedder(INDEX_EMBEDDINGS), first, second)
    multilingual = multilingual_similarity(first, second)
    w, m = ranker_weights(first, second)
    return {"combined": (lexical + w * minilm + m * multilingual) / (1 + w + m), "lexical_only": lexical,
            "dense_only": multilingual, "dense_only_minilm": minilm}


def same_labels(rows: list[dict]) -> list[int]:
    """1 when the pair asks the same question (`is_duplicate == 0`)."""
    return [1 if int(r["is_duplicate"]) == 0 else 0 for r in rows]


def threshold_metrics(labels: list[int], scores: np.ndarray) -> dict[str, float | None]:
    """AUC and accuracy at the best threshold on these pairs."""
    return {"auc": clean_number(roc_auc(labels, scores)),
            "accuracy_at_best_threshold": clean_number(best_threshold_accuracy(labels, scores))}


def cv_threshold_accuracy(labels: list[int], scores: np.ndarray) -> float:
    """Accuracy when each fold's threshold is chosen on the other folds (stratified, seeded)."""
    y = np.asarray(labels)
    correct = 0.0
    for train, test in stratified_folds(labels, FOLDS, SEED):
        t, _ = best_threshold(y[train].tolist(), scores[train].tolist())
        correct += accuracy_at(y[test].tolist(), scores[test].tolist(), t) * len(test)
    return correct / len(y)


def evaluate_pairs(ctx: EvalContext) -> DatasetResult:
    """Pair-matching AUC and threshold accuracy, with lexical-only and dense-only diagnostics beside."""
    rows = ctx.layout.rows(PAIRS)
    dev = rows if ctx.layout.is_dev else ctx.layout.dev_rows(PAIRS)
    questions = [str(r[k]) for r in (dev if ctx.layout.is_dev else dev + rows) for k in ("question1", "question2")]
    model = tfidf_model(questions)
    labels, scored = same_labels(rows), pair_scores(ctx, model, rows)
    result = DatasetResult(threshold_metrics(labels, scored["combined"]))
    if ctx.layout.is_dev:
        result.metrics["accuracy_at_dev_threshold"] = clean_number(cv_threshold_accuracy(labels, scored["combined"]))
    else:
        t, _ = best_threshold(same_labels(dev), pair_scores(ctx, model, dev)["combined"].tolist())
        result.metrics["accuracy_at_dev_threshold"] = clean_number(accuracy_at(labels, scored["combined"].tolist(), t))
    for name in ("lexical_only", "dense_only", "dense_only_minilm"):
        result.baselines[name] = threshold_metrics(labels, scored[name])
    ctx.note(PAIRS, pairs=len(rows), idf_questions=len(questions), positive="is_duplicate == 0 (same question)",
             dev_threshold=f"{FOLDS}-fold CV within dev" if ctx.layout.is_dev else "chosen on all dev pairs")
    return result
