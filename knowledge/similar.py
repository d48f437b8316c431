"""Which past questions read like a new one: cosine similarity of question vectors, each past question embedded once.

The cut-off is the one the KB-gap clustering uses for the same model (`threshold_for`), so "similar" means the
same thing on both pages."""
from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from knowledge.embeddings import Embedder
from knowledge.gaps import embed_questions, threshold_for

MAX_REMEMBERED = 5_000  # question vectors kept between calls (a few MB)


class QuestionMatcher:
    """Ranks candidate questions by similarity to a question; vectors are remembered by text."""

    def __init__(self, embedder: Embedder, min_score: float | None = None) -> None:
        self.embedder = embedder
        self.min_score = threshold_for(embedder) if min_score is None else min_score
        self._vectors: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def nearest(self, question: str, candidates: Sequence[str], k: int = 3) -> list[tuple[int, float]]:
        """(candidate position, score) of the `k` closest candidates at or above the cut-off, best first."""
        if not question.strip() or not candidates:
            return []
        vectors = self._vectors_for([question, *candidates])
        scores = vectors[1:] @ vectors[0]
        ranked = sorted(range(len(candidates)), key=lambda i: (-float(scores[i]), i))
        return [(i, float(scores[i])) for i in ranked[:k] if scores[i] >= self.min_score]

    def _vectors_for(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
            if missing:
                if len(self._vectors) + len(missing) > MAX_REMEMBERED:
                    self._vectors.clear()
                for text, vector in zip(missing, embed_questions(missing, self.embedder)):
                    self._vectors[text] = vector / (np.linalg.norm(vector) or 1.0)
            return np.stack([self._vectors[t] for t in texts])
