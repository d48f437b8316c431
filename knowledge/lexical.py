"""BM25 over a sparse term matrix: scoring a query is one sparse column slice and a dot product."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Mapping

import numpy as np
from scipy import sparse


class BM25Index:
    """Okapi BM25 with precomputed per-(chunk, term) weights."""

    def __init__(self, vocab: dict[str, int], weights: sparse.csc_matrix) -> None:
        self.vocab = vocab
        self.weights = weights

    @property
    def size(self) -> int:
        return self.weights.shape[0]

    @classmethod
    def build(cls, token_lists: list[list[str]], k1: float = 1.2, b: float = 0.75) -> "BM25Index":
        vocab: dict[str, int] = {}
        rows, cols, counts = [], [], []
        for row, tokens in enumerate(token_lists):
            for term, count in _term_counts(tokens).items():
                rows.append(row)
                cols.append(vocab.setdefault(term, len(vocab)))
                counts.append(count)
        n_docs = len(token_lists)
        tf = sparse.csr_matrix((np.asarray(counts, np.float32), (rows, cols)), shape=(n_docs, max(len(vocab), 1)))
        lengths = np.asarray([len(t) for t in token_lists], dtype=np.float32)
        avg = float(lengths.mean()) if n_docs else 1.0
        df = np.bincount(np.asarray(cols, dtype=np.int64), minlength=tf.shape[1]).astype(np.float32)
        idf = np.log1p((n_docs - df + 0.5) / (df + 0.5))
        norm = k1 * (1 - b + b * lengths / max(avg, 1e-9))
        tf = tf.tocoo()
        data = idf[tf.col] * tf.data * (k1 + 1) / (tf.data + norm[tf.row])
        weights = sparse.csc_matrix((data.astype(np.float32), (tf.row, tf.col)), shape=tf.shape)
        return cls(vocab, weights)

    def scores(self, query_weights: Mapping[str, float]) -> np.ndarray:
        """BM25 score of every chunk for weighted query terms (unknown terms are ignored)."""
        known = [(self.vocab[t], w) for t, w in query_weights.items() if t in self.vocab]
        if not known:
            return np.zeros(self.size, dtype=np.float32)
        cols = np.fromiter((c for c, _ in known), dtype=np.int64)
        qw = np.fromiter((w for _, w in known), dtype=np.float32)
        return np.asarray(self.weights[:, cols] @ qw).ravel()

    def save(self, folder: Path) -> None:
        sparse.save_npz(folder / "bm25.npz", self.weights)
        (folder / "bm25_vocab.json").write_text(json.dumps(self.vocab, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> "BM25Index":
        weights = sparse.load_npz(folder / "bm25.npz").tocsc()
        vocab = json.loads((folder / "bm25_vocab.json").read_text(encoding="utf-8"))
        return cls(vocab, weights)


def _term_counts(tokens: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for tok in tokens:
        counts[tok] = counts.get(tok, 0) + 1
    return counts
