"""The hybrid index: FAISS inner product over normalised vectors + BM25, fused by reciprocal rank.

A second vector set from the multilingual model joins the fusion when the query is not English or the index
holds chunks in a language other than the query's; an English query against an all-English index ranks
exactly as without it.

On disk an index root holds immutable versions and a CURRENT pointer that is swapped atomically:
    <root>/CURRENT                      name of the live version
    <root>/versions/<name>/manifest.json, chunks.jsonl, vectors.npy, bm25.npz, bm25_vocab.json
                          [vectors_ml.npy]  multilingual vectors, recorded in the manifest's `multilingual`
"""
from __future__ import annotations

import json
import logging
import os
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Protocol

import numpy as np

from core.types import Chunk, Hit
from knowledge.chunking import chunk_search_text
from knowledge.embeddings import Embedder, EmbeddingError, load_multilingual_embedder
from knowledge.lexical import BM25Index
from knowledge.query import RetrievalQuery
from knowledge.text import detect_language, lexical_tokens_batch

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
# Which lexical tokens the stored BM25 terms are: 2 = Porter stems from PyStemmer (1: nltk's Porter with its extensions).
# An index with other tokens gets its BM25 terms recomputed from its chunks when it loads.
LEXICAL_TOKENS = 2
# A small k lets each ranker's first places count. The dense ranking's weight shrinks with the number of
# turns averaged into the query vector (1/sqrt(turns)): one question embeds sharply, a long conversation
# blurs, while BM25 gathers evidence from every turn (doc2dial dev: R@1 0.739, R@5 0.946 vs 0.728 / 0.941
# for a constant 0.5). MiniLM is English-only, so Korean queries lean on Kiwi BM25.
RRF_K = 5
DENSE_PARTS = 4
DENSE_WEIGHT = {"en": 1.0, "ko": 0.1}
MULTILINGUAL_WEIGHT = {"en": 1.0, "ko": 1.0}
# A chunk in another language than the query's is ranked by the multilingual ranker alone. Below 1 so a
# same-language article that BM25 or MiniLM also finds stays first (demo tickets: at 1.0 and above Korean tickets
# T-1006/T-1014 lose their Korean article to English ones; crosslingual_demo mixed_ko top-1 0.50 at 0.65-1.0, 0.48 at 0.5).
CROSS_LINGUAL_WEIGHT = 0.65
CANDIDATES = 50
MULTILINGUAL_FILE = "vectors_ml.npy"
MIN_LANGUAGE_CHUNKS = 10
NO_MULTILINGUAL = np.zeros(0, np.int64), None


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
    multilingual: dict | None = None  # {"model_id", "dim", "file"} of the second vector set; None in older indexes
    lexical_tokens: int = LEXICAL_TOKENS

    def to_json(self) -> str:
        return json.dumps(self.__dict__, ensure_ascii=False, indent=1)


class MultilingualModel(Embedder, Protocol):
    def encode_queries(self, texts: list[str]) -> np.ndarray: ...


def weighted_query_vector(query: RetrievalQuery, encode: Callable[[list[str]], np.ndarray]) -> np.ndarray:
    """Weighted mean of the turn embeddings; only the DENSE_PARTS heaviest turns are embedded
    (doc2dial dev: same recall as all ten turns, 11 ms instead of 26 ms per query)."""
    parts = sorted((p for p in query.parts if p.text.strip()), key=lambda p: -p.weight)[:DENSE_PARTS]
    weights = np.asarray([p.weight for p in parts], dtype=np.float32)
    rows = encode([p.text for p in parts])
    vec = (rows * weights[:, None]).sum(axis=0)
    return (vec / max(float(np.linalg.norm(vec)), 1e-12)).astype(np.float32)


def language_centred(vectors: np.ndarray, languages: list[str]) -> np.ndarray:
    """Each vector minus the mean vector of its language (of all chunks when a language has too few).

    The multilingual model's vectors carry a strong language component: a Korean question sits closer to any
    Korean passage than to the English one that answers it. Subtracting each language's mean removes that
    component; within one language it subtracts the same vector from every chunk, which leaves the ranking as it was.
    (Bilingual demo KB, multilingual ranker alone: the 20 Korean questions whose answer exists only in English
    find it first 0.05 raw, 0.45 centred; all 46 Korean questions, either-language answer first 0.48 raw, 0.67 centred.)"""
    if not len(vectors):
        return vectors
    langs = np.asarray(languages)
    overall = vectors.mean(axis=0)
    centred = vectors - overall
    for language in set(languages):
        rows = langs == language
        if rows.sum() >= MIN_LANGUAGE_CHUNKS:
            centred[rows] = vectors[rows] - vectors[rows].mean(axis=0)
    return centred.astype(np.float32)


class MultilingualRanker:
    """The second vector set: multilingual passages of every chunk, searched with the model's query vectors."""

    def __init__(self, embedder: MultilingualModel, vectors: np.ndarray, languages: list[str]) -> None:
        import faiss

        self.embedder = embedder
        self.vectors = vectors
        self._faiss = faiss.IndexFlatIP(vectors.shape[1] if vectors.ndim == 2 else embedder.dim)
        if len(vectors):
            self._faiss.add(language_centred(vectors, languages))

    def scores(self, query: RetrievalQuery, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-n chunk rows and their language-centred cosine scores."""
        if not len(self.vectors):
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        vector = weighted_query_vector(query, self.embedder.encode_queries)
        scores, rows = self._faiss.search(vector[None, :], min(n, len(self.vectors)))
        keep = rows[0] >= 0
        return rows[0][keep], scores[0][keep]

    def manifest_entry(self) -> dict:
        return {"model_id": self.embedder.model_id, "dim": self.embedder.dim, "file": MULTILINGUAL_FILE}


def chunk_language(chunk: Chunk) -> str:
    return (chunk.lang or "en").split("-")[0].lower()


class KnowledgeIndex:
    """Chunks with their vectors and BM25 weights; answers dense, lexical, multilingual and fused searches.

    `multilingual_status` says whether the multilingual ranker is on and, when it is off, why."""

    def __init__(self, manifest: Manifest, chunks: list[Chunk], vectors: np.ndarray, bm25: BM25Index, embedder: Embedder,
                 path: Path | None = None, multilingual: MultilingualRanker | None = None, multilingual_status: str = "") -> None:
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
        self.row_languages = np.asarray([chunk_language(c) for c in chunks])
        self.languages = set(self.row_languages.tolist())
        self.multilingual = multilingual
        self.multilingual_status = multilingual_status or (
            f"on ({multilingual.embedder.model_id})" if multilingual else "off: the index has no multilingual vectors")

    def __len__(self) -> int:
        return len(self.chunks)

    # -- queries ---------------------------------------------------------------------------
    def query_vector(self, query: RetrievalQuery) -> np.ndarray:
        return weighted_query_vector(query, self.embedder.encode)

    def uses_multilingual(self, language: str) -> bool:
        """True when the query is not English or some chunks are in another language than the query's."""
        return self.multilingual is not None and (language != "en" or bool(self.languages - {language}))

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

    def multilingual_scores(self, query: RetrievalQuery, n: int = CANDIDATES) -> tuple[np.ndarray, np.ndarray]:
        if self.multilingual is None:
            raise IndexError_(f"The multilingual ranker is {self.multilingual_status}.")
        return self.multilingual.scores(query, min(n, len(self)))

    def search(self, query: RetrievalQuery | str, k: int = 5, mode: str = "hybrid") -> list[Hit]:
        """Chunk hits, best first. mode: hybrid (RRF of the rankers), dense, lexical or multilingual.

        In hybrid mode the multilingual ranker joins only when `uses_multilingual` says so."""
        if isinstance(query, str):
            query = RetrievalQuery.of(query)
        if query.is_empty() or not len(self):
            return []
        language = detect_language(query.text)
        dense_rows, dense = self.dense_scores(query) if mode in ("hybrid", "dense") else (np.zeros(0, np.int64), None)
        lex_rows, lex = self.lexical_scores(query) if mode in ("hybrid", "lexical") else (np.zeros(0, np.int64), None)
        wants_ml = mode == "multilingual" or (mode == "hybrid" and self.uses_multilingual(language))
        ml_rows, ml = self.multilingual_scores(query) if wants_ml else NO_MULTILINGUAL
        turns = max(1, sum(1 for p in query.parts if p.text.strip()))
        dense_weight = DENSE_WEIGHT.get(language, 1.0) / turns**0.5
        ml_weight = MULTILINGUAL_WEIGHT.get(language, 1.0) / turns**0.5
        if wants_ml:
            dense_rows, dense, lex_rows, lex = self._same_language(language, dense_rows, dense, lex_rows, lex)
        return self._fuse(dense_rows, dense, lex_rows, lex, dense_weight, ml_rows, ml, ml_weight,
                          self.row_languages != language if wants_ml else None)[:k]

    def _same_language(self, language: str, dense_rows, dense, lex_rows, lex):
        """MiniLM and BM25 rankings without the chunks in another language than the query's: MiniLM reads English
        only and BM25 matches words, so their ranks of such chunks are noise; the multilingual ranker ranks them."""
        keep_dense = self.row_languages[dense_rows] == language
        keep_lex = self.row_languages[lex_rows] == language
        return (dense_rows[keep_dense], dense[keep_dense] if dense is not None else None,
                lex_rows[keep_lex], lex[keep_lex] if lex is not None else None)

    def _fuse(self, dense_rows, dense, lex_rows, lex, dense_weight: float = 1.0,
              ml_rows=NO_MULTILINGUAL[0], ml=None, ml_weight: float = 1.0, foreign: np.ndarray | None = None) -> list[Hit]:
        entries: dict[int, dict] = {}
        for rank, (row, score) in enumerate(zip(dense_rows, dense if dense is not None else [])):
            entries.setdefault(int(row), {})["dense"] = (rank + 1, float(score))
        for rank, (row, score) in enumerate(zip(lex_rows, lex if lex is not None else [])):
            entries.setdefault(int(row), {})["lexical"] = (rank + 1, float(score))
        for rank, row in enumerate(ml_rows if ml is not None else []):
            entries.setdefault(int(row), {})["multilingual"] = rank + 1
        hits = []
        for row, parts in entries.items():
            d, l, m = parts.get("dense"), parts.get("lexical"), parts.get("multilingual")
            fused = (dense_weight / (RRF_K + d[0]) if d else 0.0) + (1.0 / (RRF_K + l[0]) if l else 0.0)
            if m:  # added only when present, so rankings without the multilingual ranker keep their exact scores
                fused += (CROSS_LINGUAL_WEIGHT if foreign is not None and foreign[row] else ml_weight) / (RRF_K + m)
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
def write_version(root: Path, name: str, manifest: Manifest, chunks: list[Chunk], vectors: np.ndarray, bm25: BM25Index,
                  multilingual_vectors: np.ndarray | None = None) -> Path:
    """Write a complete version folder, then point CURRENT at it with an atomic rename.

    When the manifest records multilingual vectors but none are passed (a caller that rewrites a loaded index),
    they are taken from the embedding cache; if any is missing there the version is written without them."""
    if manifest.multilingual and multilingual_vectors is None:
        multilingual_vectors = cached_multilingual_vectors(manifest.multilingual, chunks)
    if multilingual_vectors is None:
        manifest = replace(manifest, multilingual=None)
    folder = root / "versions" / name
    tmp = root / "versions" / f".{name}.partial"
    tmp.mkdir(parents=True, exist_ok=False)
    with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as fh:
        for chunk in chunks:
            fh.write(chunk.model_dump_json() + "\n")
    np.save(tmp / "vectors.npy", vectors.astype(np.float32))
    if multilingual_vectors is not None:
        np.save(tmp / MULTILINGUAL_FILE, multilingual_vectors.astype(np.float32))
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


def live_model_id(root: Path) -> str | None:
    """The embedding model of the live version under `root`; None when there is none or its manifest is unreadable."""
    name = current_version(root)
    try:
        return read_manifest(root / "versions" / name).model_id if name else None
    except (OSError, ValueError, TypeError):
        return None


def read_manifest(folder: Path) -> Manifest:
    fields = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    fields.setdefault("lexical_tokens", 1)  # written before the field existed
    return Manifest(**fields)


def read_chunks(folder: Path) -> list[Chunk]:
    with open(folder / "chunks.jsonl", encoding="utf-8") as fh:
        return [Chunk.model_validate_json(line) for line in fh if line.strip()]


def cached_multilingual_vectors(entry: dict, chunks: list[Chunk]) -> np.ndarray | None:
    """The multilingual vectors of `chunks` from the embedding cache, without running the model; None if any is missing."""
    try:
        embedder = load_multilingual_embedder()
    except EmbeddingError:
        return None
    if embedder.model_id != entry.get("model_id"):
        return None
    return embedder.cached([chunk_search_text(c) for c in chunks])


def load_multilingual(folder: Path, manifest: Manifest, chunks: list[Chunk], embedder: MultilingualModel | None = None) -> tuple[MultilingualRanker | None, str]:
    """The multilingual ranker of a version folder and its status; the index works without it, the status says why."""
    entry = manifest.multilingual
    if not entry:
        return None, "off: the index was built without multilingual vectors; rebuild it with `make index`"
    try:
        embedder = embedder or load_multilingual_embedder()
    except EmbeddingError as exc:
        return None, f"off: {exc}"
    if embedder.model_id != entry.get("model_id"):
        return None, (f"off: the multilingual vectors were built with {entry.get('model_id')} but the app has "
                      f"{embedder.model_id}; rebuild the index with `make index`")
    try:
        vectors = np.load(folder / entry.get("file", MULTILINGUAL_FILE))
    except (OSError, ValueError, EOFError) as exc:
        return None, f"off: {entry.get('file', MULTILINGUAL_FILE)} is unreadable ({exc}); rebuild the index with `make index`"
    if len(vectors) != manifest.chunk_count:
        return None, "off: the multilingual vectors do not match the chunks; rebuild the index with `make index`"
    return MultilingualRanker(embedder, vectors, [chunk_language(c) for c in chunks]), ""


def load_index(root: Path, embedder: Embedder, multilingual: MultilingualModel | None = None) -> KnowledgeIndex:
    """The live version under `root`; a clear error says how to build it when it is missing or unreadable.

    `multilingual` defaults to the product's multilingual embedder when the version has multilingual vectors."""
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
    if manifest.lexical_tokens != LEXICAL_TOKENS:
        log.warning("the index at %s stores older lexical tokens; recomputing them (run `make index` to keep them)",
                    folder)
        bm25 = lexical_index(chunks)
    ranker, status = load_multilingual(folder, manifest, chunks, multilingual)
    return KnowledgeIndex(manifest, chunks, vectors, bm25, embedder, path=folder, multilingual=ranker,
                          multilingual_status=status)


def embed_chunks(chunks: list[Chunk], embedder: Embedder) -> np.ndarray:
    return embedder.encode([chunk_search_text(c) for c in chunks])


def lexical_index(chunks: list[Chunk]) -> BM25Index:
    return BM25Index.build(lexical_tokens_batch([chunk_search_text(c) for c in chunks]))
