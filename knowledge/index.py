"""The hybrid index: FAISS inner product over normalised vectors + BM25, fused by reciprocal rank.

On disk an index root holds immutable versions and a CURRENT pointer that is swapped atomically:
    <root>/CURRENT                      name of the live version
    <root>/versions/<name>/manifest.json, chunks.jsonl, vectors.npy, bm25.npz, bm25_vocab.json
"""
from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.types import Chunk, Hit
from knowledge.chunking import chunk_search_text
from knowledge.embeddings import Embedder
from knowledge.lexical import BM25Index
from knowledge.query import RetrievalQuery
from knowledge.text import detect_language, lexical_tokens_batch

FORMAT_VERSION = 1
# A small k lets each ranker's first places count. The dense ranking's weight shrinks with the number of
# turns averaged into the query vector (1/sqrt(turns)): one question embeds sharply, a long conversation
# blurs, while BM25 gathers evidence from every turn (doc2dial dev: R@1 0.739, R@5 0.946 vs 0.728 / 0.941
# for a constant 0.5). MiniLM is English-only, so Korean queries lean on Kiwi BM25.
RRF_K = 5
DENSE_PARTS = 4
DENSE_WEIGHT = {"en": 1.0, "ko": 0.1}
CANDIDATES = 50


class IndexError_(RuntimeError):
    """Base class for index problems that the user can fix."""


class IndexMissingError(IndexError_):
    pass


class ModelMismatchError(IndexError_):
    pass


@dataclass
class Manifest:
    model_id: str
    dim: int
    created: str
    articles: dict[str, dict]
    chunk_count: int
    format_version: int = FORMAT_VERSION
    gate: dict | None = None

    def to_json(self) -> str:
        return json.dumps(self.__dict__, ensure_ascii=False, indent=1)


class KnowledgeIndex:
    """Chunks with their vectors and BM25 weights; answers dense, lexical and fused searches."""

    def __init__(self, manifest: Manifest, chunks: list[Chunk], vectors: np.ndarray, bm25: BM25Index, embedder: Embedder, path: Path | None = None) -> None:
        import faiss

        faiss.omp_set_num_threads(1)  # on 2 cores FAISS threads fight ONNX Runtime's: 100k p95 37 -> 14 ms
        if embedder.model_id != manifest.model_id:
            raise ModelMismatchError(
                f"The index was built with {manifest.model_id} but the app embeds with {embedder.model_id}. "
                "Rebuild it with `make index` (or set ASSIST_EMBEDDINGS to the model it was built with)."
            )
        self.manifest = manifest
        self.chunks = chunks
        self.vectors = vectors
        self.bm25 = bm25
        self.embedder = embedder
        self.path = path
        self._faiss = faiss.IndexFlatIP(manifest.dim)
        if len(vectors):
            self._faiss.add(vectors)
        self.rows_by_article: dict[str, list[int]] = {}
        for row, chunk in enumerate(chunks):
            self.rows_by_article.setdefault(chunk.article_id, []).append(row)

    def __len__(self) -> int:
        return len(self.chunks)

    # -- queries ---------------------------------------------------------------------------
    def query_vector(self, query: RetrievalQuery) -> np.ndarray:
        """Weighted mean of the turn embeddings; only the DENSE_PARTS heaviest turns are embedded
        (doc2dial dev: same recall as all ten turns, 11 ms instead of 26 ms per query)."""
        parts = sorted((p for p in query.parts if p.text.strip()), key=lambda p: -p.weight)[:DENSE_PARTS]
        weights = np.asarray([p.weight for p in parts], dtype=np.float32)
        rows = self.embedder.encode([p.text for p in parts])
        vec = (rows * weights[:, None]).sum(axis=0)
        return (vec / max(float(np.linalg.norm(vec)), 1e-12)).astype(np.float32)

    def query_terms(self, query: RetrievalQuery) -> dict[str, float]:
        terms: dict[str, float] = {}
        texts = [p.text for p in query.parts]
        for part, tokens in zip(query.parts, lexical_tokens_batch(texts)):
            for tok in tokens:
                terms[tok] = terms.get(tok, 0.0) + part.weight
        return terms

    def dense_scores(self, query: RetrievalQuery, n: int = CANDIDATES) -> tuple[np.ndarray, np.ndarray]:
        """Top-n chunk rows and cosine scores."""
        if not len(self):
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        scores, rows = self._faiss.search(self.query_vector(query)[None, :], min(n, len(self)))
        keep = rows[0] >= 0
        return rows[0][keep], scores[0][keep]

    def lexical_scores(self, query: RetrievalQuery, n: int = CANDIDATES) -> tuple[np.ndarray, np.ndarray]:
        scores = self.bm25.scores(self.query_terms(query))
        n = min(n, len(scores))
        if n == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        top = np.argpartition(-scores, n - 1)[:n]
        top = top[np.argsort(-scores[top], kind="stable")]
        top = top[scores[top] > 0]
        return top, scores[top]

    def search(self, query: RetrievalQuery | str, k: int = 5, mode: str = "hybrid") -> list[Hit]:
        """Chunk hits, best first. mode: hybrid (RRF of both), dense or lexical."""
        if isinstance(query, str):
            query = RetrievalQuery.of(query)
        if query.is_empty() or not len(self):
            return []
        dense_rows, dense = self.dense_scores(query) if mode in ("hybrid", "dense") else (np.zeros(0, np.int64), None)
        lex_rows, lex = self.lexical_scores(query) if mode in ("hybrid", "lexical") else (np.zeros(0, np.int64), None)
        turns = max(1, sum(1 for p in query.parts if p.text.strip()))
        dense_weight = DENSE_WEIGHT.get(detect_language(query.text), 1.0) / turns**0.5
        return self._fuse(dense_rows, dense, lex_rows, lex, dense_weight)[:k]

    def _fuse(self, dense_rows, dense, lex_rows, lex, dense_weight: float = 1.0) -> list[Hit]:
        entries: dict[int, dict] = {}
        for rank, (row, score) in enumerate(zip(dense_rows, dense if dense is not None else [])):
            entries.setdefault(int(row), {})["dense"] = (rank + 1, float(score))
        for rank, (row, score) in enumerate(zip(lex_rows, lex if lex is not None else [])):
            entries.setdefault(int(row), {})["lexical"] = (rank + 1, float(score))
        hits = []
        for row, parts in entries.items():
            d, l = parts.get("dense"), parts.get("lexical")
            fused = (dense_weight / (RRF_K + d[0]) if d else 0.0) + (1.0 / (RRF_K + l[0]) if l else 0.0)
            hits.append(
                Hit(
                    chunk=self.chunks[row], score=fused,
                    dense=d[1] if d else None, dense_rank=d[0] if d else None,
                    lexical=l[1] if l else None, lexical_rank=l[0] if l else None,
                )
            )
        hits.sort(key=lambda h: (-h.score, h.chunk.id))
        return hits

    def article_titles(self) -> dict[str, str]:
        return {c.article_id: c.title for c in self.chunks}


# -- persistence -------------------------------------------------------------------------------
def write_version(root: Path, name: str, manifest: Manifest, chunks: list[Chunk], vectors: np.ndarray, bm25: BM25Index) -> Path:
    """Write a complete version folder, then point CURRENT at it with an atomic rename."""
    folder = root / "versions" / name
    tmp = root / "versions" / f".{name}.partial"
    tmp.mkdir(parents=True, exist_ok=False)
    with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as fh:
        for chunk in chunks:
            fh.write(chunk.model_dump_json() + "\n")
    np.save(tmp / "vectors.npy", vectors.astype(np.float32))
    bm25.save(tmp)
    (tmp / "manifest.json").write_text(manifest.to_json(), encoding="utf-8")
    os.replace(tmp, folder)
    pointer = root / ".CURRENT.tmp"
    pointer.write_text(name, encoding="utf-8")
    os.replace(pointer, root / "CURRENT")
    return folder


def current_version(root: Path) -> str | None:
    try:
        return (root / "CURRENT").read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def read_manifest(folder: Path) -> Manifest:
    return Manifest(**json.loads((folder / "manifest.json").read_text(encoding="utf-8")))


def read_chunks(folder: Path) -> list[Chunk]:
    with open(folder / "chunks.jsonl", encoding="utf-8") as fh:
        return [Chunk.model_validate_json(line) for line in fh if line.strip()]


def load_index(root: Path, embedder: Embedder) -> KnowledgeIndex:
    """The live version under `root`; a clear error says how to build it when it is missing or unreadable."""
    name = current_version(root)
    if name is None:
        raise IndexMissingError(f"No knowledge index at {root}. Build it with `make index` or `python -m knowledge build`.")
    folder = root / "versions" / name
    try:
        manifest = read_manifest(folder)
        chunks = read_chunks(folder)
        vectors = np.load(folder / "vectors.npy")
        bm25 = BM25Index.load(folder)
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile) as exc:
        raise IndexMissingError(f"The knowledge index at {folder} is unreadable ({type(exc).__name__}: {exc}). "
                                "Rebuild it with `make index`.") from exc
    sizes = {"manifest": manifest.chunk_count, "chunks": len(chunks), "vectors": len(vectors), "bm25": bm25.size}
    if len(set(sizes.values())) != 1:
        raise IndexMissingError(f"The knowledge index at {folder} is unreadable (inconsistent sizes {sizes}). "
                                "Rebuild it with `make index`.")
    if manifest.format_version != FORMAT_VERSION:
        raise IndexMissingError(f"The index at {folder} has format {manifest.format_version}; rebuild it with `make index`.")
    return KnowledgeIndex(manifest, chunks, vectors, bm25, embedder, path=folder)


def embed_chunks(chunks: list[Chunk], embedder: Embedder) -> np.ndarray:
    return embedder.encode([chunk_search_text(c) for c in chunks])


def lexical_index(chunks: list[Chunk]) -> BM25Index:
    return BM25Index.build(lexical_tokens_batch([chunk_search_text(c) for c in chunks]))
