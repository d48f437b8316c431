"""Which datasets exist, what files each needs, and running the ones present in a data folder."""
from __future__ import annotations

import os
import platform
import time
import traceback
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

from evals.context import INDEX_EMBEDDINGS, DatasetResult, EvalContext
from evals.datasets import DEV, DatasetMissing

PACKAGES = ("numpy", "scipy", "scikit-learn", "rouge-score", "nltk", "PyStemmer", "kiwipiepy", "onnxruntime", "tokenizers",
            "faiss-cpu", "langchain-core", "pydantic")


@dataclass(frozen=True)
class Dataset:
    """A dataset the harness knows: the files it needs ("{split}" is the scored split) and its evaluator."""

    name: str
    files: tuple[str, ...]
    evaluate: Callable[[EvalContext], DatasetResult]
    trains_on_dev: bool = False

    def needed(self, split: str) -> list[str]:
        """File names that must exist for this split."""
        names = [f.format(split=split) for f in self.files]
        if self.trains_on_dev and split != DEV:
            names.append(f"{DEV}.jsonl")
        return list(dict.fromkeys(names))


def _doc2dial(ctx: EvalContext) -> DatasetResult:
    from evals import retrieval

    return retrieval.evaluate(ctx)


def _banking77(ctx: EvalContext) -> DatasetResult:
    from evals import intent

    return intent.evaluate_banking77(ctx)


def _bitext(ctx: EvalContext) -> DatasetResult:
    from evals import intent

    return intent.evaluate_bitext(ctx)


def _tweetsumm(ctx: EvalContext) -> DatasetResult:
    from evals import summaries

    return summaries.evaluate(ctx)


def _ko_3i4k(ctx: EvalContext) -> DatasetResult:
    from evals import korean

    return korean.evaluate_3i4k(ctx)


def _ko_question_pair(ctx: EvalContext) -> DatasetResult:
    from evals import korean

    return korean.evaluate_pairs(ctx)


def _crosslingual_demo(ctx: EvalContext) -> DatasetResult:
    from evals import crosslingual

    return crosslingual.evaluate(ctx)


def _injection_suite(ctx: EvalContext) -> DatasetResult:
    from evals import injection

    return injection.evaluate(ctx)


def _pii_masking(ctx: EvalContext) -> DatasetResult:
    from evals import pii

    return pii.evaluate(ctx)


def _abcd_kb(ctx: EvalContext) -> DatasetResult:
    from evals import kb

    return DatasetResult(kb.abcd_counts(ctx))


DATASETS: tuple[Dataset, ...] = (
    Dataset("doc2dial", ("docs.jsonl", "{split}.jsonl"), _doc2dial, trains_on_dev=True),
    Dataset("banking77", ("{split}.jsonl",), _banking77, trains_on_dev=True),
    Dataset("bitext_customer_support", ("{split}.jsonl",), _bitext, trains_on_dev=True),
    Dataset("tweetsumm", ("{split}.jsonl",), _tweetsumm),
    Dataset("ko_3i4k", ("{split}.jsonl",), _ko_3i4k, trains_on_dev=True),
    Dataset("ko_question_pair", ("{split}.jsonl",), _ko_question_pair, trains_on_dev=True),
    Dataset("crosslingual_demo", (), _crosslingual_demo),  # its questions ship in evals/data/, not the data folder
    Dataset("pii_masking", (), _pii_masking),  # its labelled texts ship in evals/data/, not the data folder
    Dataset("abcd_kb", ("guidelines.jsonl",), _abcd_kb),
    Dataset("injection_suite", (), _injection_suite),  # ships in evals/data/injection_suite.jsonl
)
NAMES = tuple(d.name for d in DATASETS)


def missing_file(ctx: EvalContext, dataset: Dataset) -> str | None:
    """The first needed file that is absent, as a path string, or None when all are there."""
    for name in dataset.needed(ctx.layout.split):
        path = ctx.layout.folder(dataset.name) / name
        if not path.is_file():
            return str(path)
    return None


@dataclass
class RunOutcome:
    """Results of the datasets that ran, plus what was skipped or failed and how long each took."""

    results: dict[str, DatasetResult]
    skipped: dict[str, str]
    errors: dict[str, str]
    seconds: dict[str, float]


def run(ctx: EvalContext, only: list[str] | None = None, say: Callable[[str], None] = print) -> RunOutcome:
    """Evaluate every selected dataset present in the data folder, in a fixed order."""
    outcome = RunOutcome({}, {}, {}, {})
    for dataset in DATASETS:
        if only and dataset.name not in only:
            continue
        absent = missing_file(ctx, dataset)
        if absent:
            outcome.skipped[dataset.name] = f"{absent} not found"
            say(f"skipping {dataset.name}: {absent} not found")
            continue
        say(f"running {dataset.name} ...")
        started = time.perf_counter()
        try:
            outcome.results[dataset.name] = dataset.evaluate(ctx)
        except DatasetMissing as exc:
            outcome.skipped[dataset.name] = str(exc)
            say(f"skipping {dataset.name}: {exc}")
        except KeyError as exc:
            outcome.errors[dataset.name] = f"its rows lack the field {exc}"
            say(f"error in {dataset.name}: its rows lack the field {exc} (the format is in the data folder's FORMAT.md)")
        except Exception as exc:  # one broken dataset must not hide the others' numbers
            outcome.errors[dataset.name] = f"{type(exc).__name__}: {exc}"
            detail = f"\n{traceback.format_exc()}" if os.environ.get("ASSIST_DEBUG") else " (ASSIST_DEBUG=1 shows where)"
            say(f"error in {dataset.name}: {type(exc).__name__}: {exc}{detail}")
        outcome.seconds[dataset.name] = round(time.perf_counter() - started, 2)
    return outcome


def versions() -> dict[str, str]:
    """Python and key package versions."""
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def source_digest(packages: tuple[str, ...] = ("core", "knowledge", "chains")) -> str:
    """A short hash of the product packages' files, so two reports can be told apart without version control."""
    import hashlib
    import importlib.util
    from pathlib import Path

    digest = hashlib.sha256()
    for name in packages:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            continue
        root = Path(list(spec.submodule_search_locations)[0])
        for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in (".py", ".md", ".jsonl")):
            digest.update(str(path.relative_to(root)).encode() + b"\x00" + path.read_bytes())
    return digest.hexdigest()[:12]


def product_versions() -> dict[str, object]:
    """Versions of the product pieces that shape the numbers (chunker, prompts, offline engine, source hash)."""
    from chains.offline import OFFLINE_MODEL_NAME
    from chains.prompts import prompt_versions
    from knowledge.chunking import CHUNKER_VERSION

    return {"chunker": CHUNKER_VERSION, "offline_engine": OFFLINE_MODEL_NAME,
            "prompts": prompt_versions("draft", "summarize", "triage"), "source_digest": source_digest()}


def retrieval_meta() -> dict[str, object]:
    """How retrieval is scored: from the product's own retrieval call, at the product's k."""
    from evals.engine import product_k
    from knowledge.retrieve import GATE_HITS, MAX_PASSAGES, PER_ARTICLE

    return {"scored_from": "knowledge.retrieve.retrieve (the product's own retrieval call, as used by assist())",
            "k": product_k(), "per_article": PER_ARTICLE, "max_passages": MAX_PASSAGES, "gate_hits": GATE_HITS,
            "drafts_and_summaries_from": "chains.pipeline.assist"}


def embedding_models(ctx: EvalContext) -> dict[str, str]:
    """Model ids by role (knowledge index, intent) among the embedders the run loaded."""
    from evals.intent import intent_backend

    roles = {INDEX_EMBEDDINGS: "index", intent_backend(): "intent"}
    return {roles.get(backend, backend): model_id for backend, model_id in ctx.model_ids().items()}


def meta(ctx: EvalContext, outcome: RunOutcome, wall: float, started_at: datetime) -> dict:
    """The `_meta` block of the report."""
    out = {
        "engine": ctx.engine,
        "embedding_model": embedding_models(ctx),
        "versions": versions(),
        "product": product_versions(),
        "retrieval": retrieval_meta(),
        "wall_seconds": round(wall, 2),
        "seconds_per_dataset": outcome.seconds,
        "split": ctx.layout.split,
        "data_dir": str(ctx.layout.data_dir.resolve()),
        "date": started_at.isoformat(timespec="seconds"),
        "notes": ctx.notes,
        "skipped": outcome.skipped,
        "errors": outcome.errors,
        "index_cache": str(ctx.cache_dir) if ctx.cache_dir else None,
    }
    if ctx.layout.limit:
        out["limit"] = f"{ctx.layout.limit} rows per file (debug run: numbers are not comparable)"
    return out


def now() -> datetime:
    """The current UTC time."""
    return datetime.now(timezone.utc)
