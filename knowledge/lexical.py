"""BM25 over a column-compressed term matrix: scoring a query adds up the stored weights of its terms' columns.

Plain numpy (no scipy.sparse, ~14 MB resident in the app): the matrix is three arrays in the layout of a scipy
CSC matrix, and `bm25.npz` keeps the file format of `scipy.sparse.save_npz`."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Mapping

import numpy as np


class BM25Index:
    """Okapi BM25 with precomputed per-(chunk, term) weights: column `t` holds the chunks containing term `t`."""

    def __init__(self, vocab: dict[str, int], values: np.ndarray, rows: np.ndarray, column_starts: np.ndarray,
                 n_docs: int) -> None:
        if len(column_starts) != max(len(vocab), 1) + 1 or len(values) != len(rows):
            raise ValueError("the BM25 matrix does not match its vocabulary")
        self.vocab = vocab
        self.values = np.asarray(values, dtype=np.float32)
        self.rows = np.asarray(rows, dtype=np.int64)
        self.column_starts = np.asarray(column_starts, dtype=np.int64)
        self.n_docs = int(n_docs)

    @property
    def size(self) -> int:
        return self.n_docs

    def document_frequencies(self) -> np.ndarray:
        """How many chunks contain each term, by vocabulary index."""
        return np.diff(self.column_starts)

    @classmethod
    def build(cls, token_lists: list[list[str]], k1: float = 1.2, b: float = 0.75) -> "BM25Index":
        vocab: dict[str, int] = {}
        rows, cols, counts = [], [], []
        for row, tokens in enumerate(token_lists):
            for term, count in _term_counts(tokens).items():
                rows.append(row)
                cols.append(vocab.setdefault(term, len(vocab)))
                counts.append(count)
        n_docs, n_terms = len(token_lists), max(len(vocab), 1)
        rows_a, cols_a = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
        tf = np.asarray(counts, dtype=np.float32)
        lengths = np.asarray([len(t) for t in token_lists], dtype=np.float32)
        avg = float(lengths.mean()) if n_docs else 1.0
        df = np.bincount(cols_a, minlength=n_terms).astype(np.float32)
        idf = bm25_idf(df, n_docs)
        norm = k1 * (1 - b + b * lengths / max(avg, 1e-9))
        weights = idf[cols_a] * tf * (k1 + 1) / (tf + norm[rows_a])
        order = np.lexsort((rows_a, cols_a))
        column_starts = np.concatenate([[0], np.cumsum(df.astype(np.int64))])
        return cls(vocab, weights[order], rows_a[order], column_starts, n_docs)

    def scores(self, query_weights: Mapping[str, float]) -> np.ndarray:
        """BM25 score of every chunk for weighted query terms (unknown terms are ignored)."""
        scores = np.zeros(self.size, dtype=np.float32)
        for term, weight in query_weights.items():
            column = self.vocab.get(term)
            if column is not None:
                start, end = self.column_starts[column], self.column_starts[column + 1]
                scores[self.rows[start:end]] += self.values[start:end] * np.float32(weight)
        return scores

    def save(self, folder: Path) -> None:
        with open(folder / "bm25.npz", "wb") as fh:
            np.savez(fh, indices=self.rows.astype(np.int32), indptr=self.column_starts.astype(np.int32),
                     format=np.asarray(b"csc"), shape=np.asarray([self.n_docs, len(self.column_starts) - 1]),
                     data=self.values)
        (folder / "bm25_vocab.json").write_text(json.dumps(self.vocab, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> "BM25Index":
        with np.load(folder / "bm25.npz", allow_pickle=False) as stored:
            layout = stored["format"].item()
            layout = layout.decode("ascii") if isinstance(layout, bytes) else str(layout)
            if layout != "csc":
                raise ValueError(f"bm25.npz holds a {layout} matrix, not the column layout BM25 reads")
            values, rows, starts, shape = stored["data"], stored["indices"], stored["indptr"], stored["shape"]
        vocab = json.loads((folder / "bm25_vocab.json").read_text(encoding="utf-8"))
        return cls(vocab, values, rows, starts, int(shape[0]))


def bm25_idf(document_frequencies: np.ndarray, n_docs: int) -> np.ndarray:
    """BM25's inverse document frequency of each term (in the dtype of `document_frequencies`)."""
    return np.log1p((n_docs - document_frequencies + 0.5) / (document_frequencies + 0.5))


def _term_counts(tokens: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for tok in tokens:
        counts[tok] = counts.get(tok, 0) + 1
    return counts
