"""Topics the knowledge base misses: customer questions grouped by meaning, ranked by how often they come up.

Questions are embedded with the product's embedder (the multilingual one when they are not all English, see
`gap_embedder`) and grouped by average-linkage agglomerative clustering on cosine similarity: two groups merge
while their mean pairwise similarity is at least the threshold. Each topic is labelled with its most
characteristic words (the product's tokens: Kiwi morphemes for Korean, stemmed words shown in their commonest
spelling otherwise) and, when an index is given, with how well the live KB already answers its questions.
The same questions always give the same topics, whatever order they come in.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from knowledge.embeddings import EmbeddingError, Embedder, load_embedder, load_multilingual_embedder
from knowledge.index import KnowledgeIndex
from knowledge.retrieve import retrieve
from knowledge.text import HANGUL, STOPWORDS, WORD, detect_language, english_tokens, lexical_tokens_batch

# Cosine similarity from which two questions (or groups) ask the same thing, per embedding model: e5's
# similarities sit higher (unrelated questions score ~0.75-0.84) than MiniLM's (~0.1-0.25).
THRESHOLDS = {"multilingual-e5": 0.87, "MiniLM": 0.45}
DEFAULT_THRESHOLD = 0.6
LABEL_TERMS = 3
SAMPLES = 5
COVERAGE_SAMPLES = 3
PLACEHOLDER = re.compile(r"\[[A-Z]+_\d+\]")  # masked personal data, e.g. [EMAIL_1]


@dataclass(frozen=True)
class Coverage:
    """How well the live KB answers a topic: the gate's verdict on its best-covered sample question."""

    answerable: bool
    confidence: float
    article_id: str
    title: str


@dataclass(frozen=True)
class Topic:
    """Questions that ask the same thing; `members` are positions in the input list."""

    label: str
    terms: tuple[str, ...]
    members: tuple[int, ...]
    samples: tuple[str, ...]  # distinct questions as given (placeholders kept), the most typical first
    why_counts: dict[str, int] = field(default_factory=dict)
    coverage: Coverage | None = None

    @property
    def count(self) -> int:
        return len(self.members)


def threshold_for(embedder: Embedder) -> float:
    """The clustering threshold that suits the embedder's model."""
    return next((value for name, value in THRESHOLDS.items() if name in embedder.model_id), DEFAULT_THRESHOLD)


def gap_embedder(questions: Sequence[str], backend: str = "") -> Embedder:
    """MiniLM when every question is English, else the multilingual model (MiniLM when it is not installed)."""
    if any(detect_language(q) != "en" for q in questions):
        try:
            return load_multilingual_embedder()
        except EmbeddingError:
            pass
    return load_embedder(backend)


def embed_questions(texts: Sequence[str], embedder: Embedder) -> np.ndarray:
    """Question vectors; e5 reads questions with its "query: " prefix, the symmetric-similarity setting."""
    encode = getattr(embedder, "encode_queries", None) or embedder.encode
    return np.asarray(encode(list(texts)), dtype=np.float32).reshape(len(texts), -1)


def cluster_vectors(vectors: np.ndarray, threshold: float) -> list[list[int]]:
    """Average-linkage groups of L2-normalised rows whose mean pairwise cosine is at least `threshold`."""
    n = len(vectors)
    if n < 2:
        return [[0]] if n else []
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import pdist

    distances = np.clip(pdist(vectors.astype(np.float64), "cosine"), 0.0, 2.0)
    labels = fcluster(linkage(distances, method="average"), t=1.0 - threshold, criterion="distance")
    groups: dict[int, list[int]] = {}
    for row, label in enumerate(labels):
        groups.setdefault(int(label), []).append(row)
    return sorted(groups.values(), key=lambda rows: rows[0])


def find_topics(questions: Sequence[str], embedder: Embedder, *, whys: Sequence[str] | None = None,
                index: KnowledgeIndex | None = None, threshold: float | None = None) -> list[Topic]:
    """Topics of the non-empty questions, most asked first (ties: label), with labels, reasons and KB coverage."""
    cleaned = [" ".join(PLACEHOLDER.sub(" ", q or "").split()) for q in questions]
    distinct = sorted({text for text in cleaned if text})
    if not distinct:
        return []
    vectors = embed_questions(distinct, embedder)
    groups = cluster_vectors(vectors, threshold if threshold is not None else threshold_for(embedder))
    position = {text: row for row, text in enumerate(distinct)}
    members: list[list[int]] = [[] for _ in groups]
    group_of = {row: g for g, rows in enumerate(groups) for row in rows}
    for i, text in enumerate(cleaned):
        if text:
            members[group_of[position[text]]].append(i)
    terms = topic_terms([[cleaned[i] for i in rows] for rows in members])
    shown: dict[str, str] = {}
    for question, text in zip(questions, cleaned):
        if text and (text not in shown or question < shown[text]):
            shown[text] = question
    topics = []
    for g, rows in enumerate(groups):
        typical = _typical(vectors[rows], [distinct[r] for r in rows], Counter(cleaned[i] for i in members[g]))
        samples = tuple(shown[text] for text in typical)
        reasons = Counter(whys[i] for i in members[g]) if whys is not None else Counter()
        label = " · ".join(terms[g]) or samples[0][:60]
        topics.append(Topic(label=label, terms=tuple(terms[g]), members=tuple(members[g]), samples=samples,
                            why_counts=dict(sorted(reasons.items())),
                            coverage=kb_coverage(index, samples) if index is not None else None))
    return sorted(topics, key=lambda topic: (-topic.count, topic.label, topic.members))


def _typical(vectors: np.ndarray, texts: list[str], counts: Counter) -> tuple[str, ...]:
    """The group's distinct questions, closest to its centroid first."""
    centroid = vectors.mean(axis=0)
    scores = vectors @ centroid
    order = sorted(range(len(texts)), key=lambda i: (-counts[texts[i]], -round(float(scores[i]), 6), texts[i]))
    return tuple(texts[i] for i in order[:SAMPLES])


def topic_terms(groups: list[list[str]], n: int = LABEL_TERMS) -> list[list[str]]:
    """Each group's most characteristic words: share of its questions using a word x inverse share overall."""
    texts = [text for group in groups for text in group]
    tokens = iter(lexical_tokens_batch(texts))
    spelled = _spellings(texts)
    per_group = [[set(next(tokens)) for _ in group] for group in groups]
    everywhere = Counter(term for group in per_group for question in group for term in question)
    total = max(1, len(texts))
    labels = []
    for group in per_group:
        inside = Counter(term for question in group for term in question)
        scored = sorted(inside, key=lambda term: (-inside[term] / len(group) * math.log(1 + total / everywhere[term]),
                                                  term))
        labels.append([spelled.get(term, term) for term in scored[:n]])
    return labels


def _spellings(texts: list[str]) -> dict[str, str]:
    """English stem -> its commonest spelling in the questions ("deliveri" -> "delivery")."""
    seen: dict[str, Counter] = {}
    for text in texts:
        for word in (w.lower() for w in WORD.findall(text)):
            if word in STOPWORDS or HANGUL.match(word):
                continue
            for stem in english_tokens(word):
                seen.setdefault(stem, Counter())[word] += 1
    return {stem: min(words, key=lambda w: (-words[w], w)) for stem, words in seen.items()}


def kb_coverage(index: KnowledgeIndex, samples: Sequence[str]) -> Coverage | None:
    """The gate's most confident verdict over the topic's first sample questions, with the article it found."""
    best: Coverage | None = None
    titles = index.article_titles()
    for sample in samples[:COVERAGE_SAMPLES]:
        found = retrieve(index, sample, k=1)
        article = found.article_ids[0] if found.article_ids else ""
        verdict = Coverage(answerable=found.answerable, confidence=round(float(found.verdict.confidence), 4),
                           article_id=article, title=titles.get(article, ""))
        if best is None or (verdict.answerable, verdict.confidence) > (best.answerable, best.confidence):
            best = verdict
    return best
