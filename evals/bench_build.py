"""Index build throughput per embedding backend, each backend in its own process so peak memory is its own.

Child: `python -m evals.bench_build --backend onnx-int8 --data-dir D --max-chunks N --vectors V.npy --out R.json`
runs the product's `build_in_memory` (chunking + embedding + BM25 + FAISS) once and times the embedding inside it.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

STARTED = time.perf_counter()

import numpy as np  # noqa: E402

from evals.bench_common import (  # noqa: E402
    BACKENDS, DEFAULT_BACKEND, REFERENCE_BACKEND, count_tokens, chunks_of, doc2dial_articles, peak_rss_mb, rss_mb,
    run_child, search_texts, write_json,
)


class TimedEmbedder:
    """Wraps an embedder and adds up the seconds spent in `encode`."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dim = inner.dim
        self.seconds = 0.0
        self.cpu_seconds = 0.0
        self.texts = 0

    def encode(self, texts):
        """Encode through the wrapped embedder, timing the call (wall and this process's CPU)."""
        started, cpu = time.perf_counter(), time.process_time()
        rows = self.inner.encode(texts)
        self.seconds += time.perf_counter() - started
        self.cpu_seconds += time.process_time() - cpu
        self.texts += len(texts)
        return rows


def build_once(backend: str, data_dir: Path, max_chunks: int, vectors_path: Path) -> dict:
    """Load one backend, warm it with one short text, run the product build once and save its vectors."""
    from knowledge.build import build_in_memory
    from knowledge.embeddings import load_embedder

    imported = time.perf_counter() - STARTED
    articles = doc2dial_articles(data_dir, max_chunks)
    embedder, load_s = _load(load_embedder, backend)
    rss_loaded = rss_mb()
    embedder.encode(["warm-up"])
    timed_embedder = TimedEmbedder(embedder)
    started = time.perf_counter()
    index = build_in_memory(articles, timed_embedder)
    build_s = time.perf_counter() - started
    np.save(vectors_path, index.vectors)
    return {
        "backend": backend, "model_id": embedder.model_id, "articles": len(articles), "chunks": len(index),
        "encode_seconds": round(timed_embedder.seconds, 3), "encode_cpu_seconds": round(timed_embedder.cpu_seconds, 3),
        "build_seconds": round(build_s, 3),
        "build_other_seconds": round(build_s - timed_embedder.seconds, 3),
        "import_seconds": round(imported, 3), "model_load_seconds": round(load_s, 3),
        "rss_after_model_load_mb": rss_loaded, "peak_rss_mb": peak_rss_mb(),
    }


def _load(load_embedder, backend: str):
    """The embedder for a backend and the seconds it took to load."""
    started = time.perf_counter()
    embedder = load_embedder(backend)
    return embedder, time.perf_counter() - started


def child_main(argv: list[str]) -> int:
    """Entry point of the per-backend child process."""
    parser = argparse.ArgumentParser(prog="python -m evals.bench_build")
    parser.add_argument("--backend", choices=BACKENDS, required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--max-chunks", type=int, default=0)
    parser.add_argument("--vectors", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    write_json(args.out, build_once(args.backend, args.data_dir, args.max_chunks, args.vectors))
    return 0


# -- parent side --------------------------------------------------------------------------------
def run_builds(data_dir: Path, max_chunks: int, workdir: Path, log=print) -> tuple[dict, dict[str, np.ndarray]]:
    """Every backend built once in its own process; returns the report section and each backend's vectors."""
    chunks = chunks_of(doc2dial_articles(data_dir, max_chunks))
    tokens = count_tokens(search_texts(chunks))
    backends, vectors = {}, {}
    for backend in BACKENDS:
        log(f"  building with {backend} ...")
        out, vec_path = workdir / f"build-{backend}.json", workdir / f"vectors-{backend}.npy"
        args = ["--backend", backend, "--data-dir", str(data_dir), "--max-chunks", str(max_chunks), "--vectors", str(vec_path)]
        try:
            backends[backend] = run_child("evals.bench_build", args, out)
            vectors[backend] = np.load(vec_path)
        except Exception as exc:  # one backend failing must not hide the others
            backends[backend] = {"error": f"{type(exc).__name__}: {exc}"}
    _add_rates(backends, tokens)
    section = {
        "corpus": _corpus_note(chunks, tokens, max_chunks), "backends": backends,
        "product_build_default_backend": _product_build(backends.get(DEFAULT_BACKEND, {})),
        "vector_agreement": agreement(vectors), "runs": 1, "reference_backend": REFERENCE_BACKEND,
        "torch_fp32": "measured" if "torch-fp32" in BACKENDS else "not installed (optional: make reference); "
                      "the reference is onnx-fp32, the product's own fp32 model",
        "method": "One run per backend, each in a fresh process. The product's build_in_memory (chunk, embed, BM25, "
                  "FAISS) is run once; encode_seconds is the time inside embedder.encode (one call over all chunk "
                  "search texts, batch 32; the model was loaded and warmed with one short text first). torch-fp32, when "
                  "installed, is SentenceTransformerEmbedder: plain sentence-transformers encode, batch 32, normalised; "
                  "speedup_vs_reference is against reference_backend. peak_rss_mb "
                  "is the child's VmHWM (imports, model, build). encode_cpu_seconds is the child's CPU time during the "
                  "encode (all threads); cpu_utilisation well below the core count means other processes competed "
                  "for the CPU, and chunks_per_cpu_second is then the steadier comparison.",
    }
    return section, vectors


def _add_rates(backends: dict, tokens: int) -> None:
    """Add chunks/s, tokens/s and the speed-up over the reference to each backend's stats."""
    ref = backends.get(REFERENCE_BACKEND, {}).get("encode_seconds")
    for stats in backends.values():
        if "encode_seconds" not in stats:
            continue
        seconds = max(stats["encode_seconds"], 1e-9)
        stats["chunks_per_second"] = round(stats["chunks"] / seconds, 1)
        stats["tokens_per_second"] = round(tokens / seconds, 0)
        stats["wall_seconds"] = stats["encode_seconds"]
        stats["speedup_vs_reference"] = round(ref / seconds, 2) if ref else None
        stats["cpu_utilisation"] = round(stats["encode_cpu_seconds"] / seconds, 2)
        stats["chunks_per_cpu_second"] = round(stats["chunks"] / max(stats["encode_cpu_seconds"], 1e-9), 1)


def _corpus_note(chunks: list, tokens: int, max_chunks: int) -> dict:
    """What the build corpus is and how big."""
    words = [len(t.split()) for t in search_texts(chunks)]
    return {
        "source": "doc2dial docs.jsonl via knowledge.loaders.load_json(doc2dial_fields()), chunked by "
                  "knowledge.chunking.chunk_article with its defaults (max_words=120, overlap=1)"
                  + (f"; limited to the first documents reaching {max_chunks} chunks" if max_chunks else "; all documents"),
        "chunks": len(chunks), "tokens": tokens, "mean_tokens_per_chunk": round(tokens / max(len(chunks), 1), 1),
        "mean_words_per_chunk": round(float(np.mean(words)), 1) if words else 0,
        "tokenizer": "MiniLM tokenizer.json, truncation 256, special tokens counted",
    }


def _product_build(stats: dict) -> dict:
    """The full product build of the default backend, split into embedding and the rest."""
    if "build_seconds" not in stats:
        return {"error": stats.get("error", "default backend build missing")}
    return {"backend": DEFAULT_BACKEND, "chunks": stats["chunks"], "seconds": stats["build_seconds"],
            "embedding_seconds": stats["encode_seconds"], "chunking_bm25_faiss_seconds": stats["build_other_seconds"],
            "model_load_seconds": stats["model_load_seconds"], "peak_rss_mb": stats["peak_rss_mb"]}


def agreement(vectors: dict[str, np.ndarray]) -> dict:
    """How close the backends' vectors are (row-wise cosine; all rows are unit length)."""
    out = {}
    pairs = (("onnx-fp32", "torch-fp32"), ("onnx-int8", "onnx-fp32"), ("onnx-int8", "torch-fp32"))
    for a, b in pairs:
        if a in vectors and b in vectors and vectors[a].shape == vectors[b].shape:
            cos = (vectors[a] * vectors[b]).sum(axis=1)
            out[f"{a}_vs_{b}"] = {"mean_cosine": round(float(cos.mean()), 5), "min_cosine": round(float(cos.min()), 5),
                                  "max_abs_diff": float(np.abs(vectors[a] - vectors[b]).max())}
    return out


if __name__ == "__main__":
    sys.exit(child_main(sys.argv[1:]))
