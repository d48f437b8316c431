"""Intent classification for the offline engine: sentence embeddings plus word and character n-grams,
fed to a logistic regression trained on labelled example utterances (the shipped demo set, or a team's own)."""
from __future__ import annotations

import json
import os
import re
import threading
from collections import Counter, OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from knowledge.embeddings import Embedder

EXAMPLES_FILE = Path(__file__).resolve().parent / "data" / "intent_examples.jsonl"
EMBEDDING_WEIGHT = 4.0  # embeddings carry paraphrase; n-grams carry exact wording and Korean morphology
REGULARISATION_C = 30.0
# The regression's probabilities are blended with a vote of the 10 nearest examples (softmax over cosine
# at temperature 0.1): banking77 dev 5-fold 0.874 -> 0.880.
KNN_WEIGHT = 0.4
KNN_NEIGHBOURS = 10
KNN_SHARPNESS = 10.0
MEMO_SIZE = 512
WORD_NGRAMS = (1, 2)
CHAR_NGRAMS = (2, 5)


@dataclass(frozen=True)
class IntentPrediction:
    label: str
    confidence: float


def load_examples(path: Path = EXAMPLES_FILE) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                texts.append(row["text"])
                labels.append(row["intent"])
    return texts, labels


class NgramFeatures:
    """Sublinear TF-IDF n-grams, L2-normalised: the transform of a fitted scikit-learn TfidfVectorizer (word 1-2 grams
    or char_wb n-grams, lowercase), in numpy, so predicting needs no scikit-learn (which also imports pandas:
    ~140 MB resident in the app). The features and their values equal the vectorizer's."""

    WORD_PATTERN = re.compile(r"(?u)\b\w\w+\b")
    WHITE_SPACES = re.compile(r"\s\s+")

    def __init__(self, analyzer: str, ngram_range: tuple[int, int], terms: Sequence[str], idf: np.ndarray) -> None:
        if analyzer not in ("word", "char_wb"):
            raise ValueError(f"unsupported analyzer {analyzer!r}")
        self.analyzer, self.ngram_range = analyzer, (int(ngram_range[0]), int(ngram_range[1]))
        self.terms = list(terms)
        self.vocabulary = {term: i for i, term in enumerate(self.terms)}
        self.idf = np.asarray(idf, dtype=np.float64)

    @classmethod
    def from_vectorizer(cls, vectorizer) -> "NgramFeatures":
        terms = [""] * len(vectorizer.vocabulary_)
        for term, i in vectorizer.vocabulary_.items():
            terms[i] = term
        return cls(vectorizer.analyzer, vectorizer.ngram_range, terms, vectorizer.idf_)

    def ngrams(self, text: str) -> list[str]:
        text = text.lower()
        return self._word_ngrams(text) if self.analyzer == "word" else self._char_wb_ngrams(text)

    def _word_ngrams(self, text: str) -> list[str]:
        words = self.WORD_PATTERN.findall(text)
        low, high = self.ngram_range
        return [" ".join(words[i:i + n]) for n in range(low, min(high, len(words)) + 1) for i in range(len(words) - n + 1)]

    def _char_wb_ngrams(self, text: str) -> list[str]:
        grams = []
        low, high = self.ngram_range
        for word in self.WHITE_SPACES.sub(" ", text).split():
            padded = f" {word} "
            for n in range(low, high + 1):
                if n >= len(padded):  # a short word counts once, whole
                    grams.append(padded)
                    break
                grams.extend(padded[i:i + n] for i in range(len(padded) - n + 1))
        return grams

    def rows(self, texts: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Each text's features as (column indices in ascending order, L2-normalised values)."""
        rows = []
        for text in texts:
            counts = Counter(self.vocabulary[g] for g in self.ngrams(text) if g in self.vocabulary)
            columns = np.asarray(sorted(counts), dtype=np.int64)
            values = (np.log(np.asarray([counts[c] for c in columns], dtype=np.float64)) + 1.0) * self.idf[columns]
            norm = float(np.sqrt(values @ values))
            rows.append((columns, values / norm if norm else values))
        return rows

    def transform(self, texts: Sequence[str]):
        """The rows as a scipy CSR matrix, as the vectorizer's transform returns them (for fitting)."""
        from scipy import sparse

        rows = self.rows(texts)
        indptr = np.concatenate([[0], np.cumsum([len(columns) for columns, _ in rows])]).astype(np.int64)
        indices = np.concatenate([columns for columns, _ in rows] or [np.zeros(0, np.int64)])
        values = np.concatenate([values for _, values in rows] or [np.zeros(0)])
        return sparse.csr_matrix((values, indices, indptr), shape=(len(texts), len(self.terms)), dtype=np.float64)


def _softmax(scores: np.ndarray) -> np.ndarray:
    scores = np.exp(scores - scores.max(axis=1, keepdims=True))
    return scores / scores.sum(axis=1, keepdims=True)


@dataclass
class IntentModel:
    """What fitting leaves: the two n-gram vocabularies, the regression's weights and the labelled example vectors."""

    words: NgramFeatures
    chars: NgramFeatures
    classes: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    train_vectors: np.ndarray
    train_classes: np.ndarray

    def save(self, path: Path) -> None:
        """Write to `path` atomically (a half-written file never replaces a good one; two processes writing the same
        model at once each write their own part file)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_name(f"{path.name}.{os.getpid()}.part")
        with open(part, "wb") as fh:
            np.savez(fh, classes=self.classes.astype(str), coef=self.coef, intercept=self.intercept,
                     train_vectors=self.train_vectors, train_classes=self.train_classes,
                     word_terms=np.asarray(self.words.terms, dtype=str), word_idf=self.words.idf,
                     char_terms=np.asarray(self.chars.terms, dtype=str), char_idf=self.chars.idf)
        os.replace(part, path)

    @classmethod
    def load(cls, path: Path) -> "IntentModel":
        with np.load(path, allow_pickle=False) as data:
            return cls(words=NgramFeatures("word", WORD_NGRAMS, data["word_terms"].tolist(), data["word_idf"]),
                       chars=NgramFeatures("char_wb", CHAR_NGRAMS, data["char_terms"].tolist(), data["char_idf"]),
                       classes=data["classes"], coef=data["coef"], intercept=data["intercept"],
                       train_vectors=data["train_vectors"], train_classes=data["train_classes"])


class IntentClassifier:
    """Fitting uses scikit-learn and scipy.sparse; predicting uses only numpy, so a process that loads a saved
    model (`IntentClassifier.load`) imports neither (together ~150 MB resident)."""

    def __init__(self, embedder: Embedder, c: float = REGULARISATION_C, embedding_weight: float = EMBEDDING_WEIGHT,
                 model: IntentModel | None = None) -> None:
        self.embedder = embedder
        self.c = c
        self.embedding_weight = embedding_weight
        self.model = model
        self._memo: OrderedDict = OrderedDict()
        self._memo_lock = threading.Lock()

    @classmethod
    def load(cls, path: Path, embedder: Embedder) -> "IntentClassifier":
        return cls(embedder, model=IntentModel.load(path))

    @property
    def labels(self) -> list[str]:
        return [] if self.model is None else [str(c) for c in self.model.classes]

    def fit(self, texts: Sequence[str], labels: Sequence[str], vectors: np.ndarray | None = None) -> "IntentClassifier":
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        words = NgramFeatures.from_vectorizer(TfidfVectorizer(ngram_range=WORD_NGRAMS, sublinear_tf=True).fit(texts))
        chars = NgramFeatures.from_vectorizer(
            TfidfVectorizer(analyzer="char_wb", ngram_range=CHAR_NGRAMS, sublinear_tf=True, min_df=2).fit(texts))
        vectors = self.embedder.encode(list(texts)) if vectors is None else vectors
        features = self._hstack(words.transform(texts), chars.transform(texts), vectors)
        regression = LogisticRegression(C=self.c, max_iter=3000).fit(features, list(labels))
        index = {label: i for i, label in enumerate(regression.classes_)}
        self.model = IntentModel(words=words, chars=chars, classes=np.asarray(regression.classes_),
                                 coef=regression.coef_, intercept=regression.intercept_,
                                 train_vectors=np.asarray(vectors, dtype=np.float32),
                                 train_classes=np.asarray([index[label] for label in labels]))
        self._memo.clear()
        return self

    def _hstack(self, words, chars, vectors: np.ndarray):
        """The regression's design matrix: word n-grams, character n-grams, then the weighted embedding."""
        from scipy import sparse

        return sparse.hstack([words, chars, sparse.csr_matrix(vectors * self.embedding_weight)]).tocsr()

    def _regression_probabilities(self, texts: Sequence[str], vectors: np.ndarray) -> np.ndarray:
        """The fitted LogisticRegression's predict_proba on the texts' features, computed from the n-gram rows and
        the embedding without building the sparse design matrix: softmax over classes, or the logistic for two."""
        model = self.model
        n_words, n_chars = len(model.words.terms), len(model.chars.terms)
        dense = model.coef[:, n_words + n_chars:]
        scores = (np.asarray(vectors, dtype=np.float64) * self.embedding_weight) @ dense.T + model.intercept
        for row, ((words, word_values), (chars, char_values)) in enumerate(
                zip(model.words.rows(texts), model.chars.rows(texts))):
            columns = np.concatenate([words, chars + n_words])
            scores[row] += model.coef[:, columns] @ np.concatenate([word_values, char_values])
        if scores.shape[1] == 1:
            positive = 1.0 / (1.0 + np.exp(-scores[:, 0]))
            return np.column_stack([1.0 - positive, positive])
        return _softmax(scores)

    def _probabilities(self, texts: Sequence[str], vectors: np.ndarray | None) -> np.ndarray:
        """Regression probabilities blended with a similarity-weighted vote of the nearest examples."""
        vectors = self.embedder.encode(list(texts)) if vectors is None else vectors
        model = self.model
        probs = self._regression_probabilities(texts, vectors)
        sims = np.asarray(vectors, dtype=np.float32) @ model.train_vectors.T
        k = min(KNN_NEIGHBOURS, sims.shape[1])
        votes = np.zeros_like(probs)
        for row, neighbours in enumerate(np.argpartition(-sims, k - 1, axis=1)[:, :k]):
            np.add.at(votes[row], model.train_classes[neighbours], np.exp(KNN_SHARPNESS * sims[row, neighbours]))
        votes /= np.maximum(votes.sum(axis=1, keepdims=True), 1e-12)
        return (1 - KNN_WEIGHT) * probs + KNN_WEIGHT * votes

    def predict(self, texts: Sequence[str], vectors: np.ndarray | None = None) -> list[IntentPrediction]:
        if self.model is None:
            raise RuntimeError("IntentClassifier.predict called before fit")
        if not texts:
            return []
        probs = self._probabilities(texts, vectors)
        best = probs.argmax(axis=1)
        return [IntentPrediction(str(self.model.classes[i]), float(p[i])) for i, p in zip(best, probs)]

    def predict_weighted(self, segments: Sequence[tuple[str, float]]) -> IntentPrediction:
        """One label for several texts of a ticket (subject, first and latest message), averaging probabilities.

        Memoised: triage and the three drafts of one ticket ask the same question concurrently; the lock makes
        the later callers wait for the first answer instead of encoding again."""
        key = tuple((text, float(weight)) for text, weight in segments)
        with self._memo_lock:
            if key not in self._memo:
                self._memo[key] = self._predict_weighted(segments)
                if len(self._memo) > MEMO_SIZE:
                    self._memo.popitem(last=False)
            return self._memo[key]

    def _predict_weighted(self, segments: Sequence[tuple[str, float]]) -> IntentPrediction:
        texts = [t for t, _ in segments if t.strip()]
        if self.model is None or not texts:
            return IntentPrediction("other", 0.0)
        weights = np.asarray([w for t, w in segments if t.strip()], dtype=np.float64)
        probs = self._probabilities(texts, None)
        mean = (probs * weights[:, None]).sum(axis=0) / weights.sum()
        best = int(mean.argmax())
        return IntentPrediction(str(self.model.classes[best]), float(mean[best]))


def nearest_centroid_predict(train_vectors: np.ndarray, train_labels: Sequence[str], vectors: np.ndarray) -> list[str]:
    """Baseline: the label whose mean embedding is closest."""
    labels = sorted(set(train_labels))
    y = np.asarray(train_labels)
    centroids = np.stack([train_vectors[y == lab].mean(axis=0) for lab in labels])
    centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-12)
    return [labels[i] for i in (vectors @ centroids.T).argmax(axis=1)]
