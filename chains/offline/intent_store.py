"""The fitted intent model on disk, so the app never imports scikit-learn (and, through it, pandas).

Fitting runs once in a child process (`python -m chains.offline.intent_store BACKEND EXAMPLES OUT`) and writes an
`.npz` beside the ONNX files, named after everything that decides the fit: the examples, the embedding model, the
classifier's settings and the scikit-learn release. The app loads that file; a missing, half-written or altered
file is fitted again."""
from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from chains.offline.intent import (CHAR_NGRAMS, EMBEDDING_WEIGHT, EXAMPLES_FILE, KNN_NEIGHBOURS, KNN_SHARPNESS,
                                   KNN_WEIGHT, REGULARISATION_C, WORD_NGRAMS, IntentClassifier, load_examples)
from knowledge.embeddings import load_embedder, matches_checksum, model_cache_dir, record_checksum

log = logging.getLogger(__name__)
FORMAT = 1
FIT_TIMEOUT_SECONDS = 600
REPO_ROOT = Path(__file__).resolve().parents[2]


class IntentModelError(RuntimeError):
    """The intent model could not be fitted."""


def _sklearn_release() -> str:
    try:
        return version("scikit-learn")
    except PackageNotFoundError:
        return "absent"


def model_key(examples: Path, embedding_model_id: str) -> str:
    """A digest of everything the fitted model depends on."""
    digest = hashlib.sha256(examples.read_bytes())
    settings = (FORMAT, embedding_model_id, REGULARISATION_C, EMBEDDING_WEIGHT, WORD_NGRAMS, CHAR_NGRAMS,
                KNN_WEIGHT, KNN_NEIGHBOURS, KNN_SHARPNESS, _sklearn_release())
    digest.update(repr(settings).encode("utf-8"))
    return digest.hexdigest()


def model_path(examples: Path, embedding_model_id: str) -> Path:
    return model_cache_dir() / f"intent-{model_key(examples, embedding_model_id)[:16]}.npz"


def fit_and_save(backend: str, examples: Path, target: Path) -> None:
    """Fit on `examples` with the `backend` embeddings and write the model and its checksum to `target`."""
    texts, labels = load_examples(examples)
    classifier = IntentClassifier(load_embedder(backend)).fit(texts, labels)
    classifier.model.save(target)
    record_checksum(target)


def fit_in_child(backend: str, examples: Path, target: Path) -> None:
    """Fit in a separate Python process, so scikit-learn's memory leaves with it."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])))
    command = [sys.executable, "-m", "chains.offline.intent_store", backend, str(examples), str(target)]
    try:
        done = subprocess.run(command, env=env, cwd=REPO_ROOT, capture_output=True, text=True,
                              timeout=FIT_TIMEOUT_SECONDS)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise IntentModelError(f"Fitting the intent model failed: {exc}") from exc
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise IntentModelError(f"Fitting the intent model failed (exit {done.returncode}): {last}")


def load_classifier(backend: str, examples: Path = EXAMPLES_FILE) -> IntentClassifier:
    """The intent classifier for `examples`: the saved fit when it is intact, else a new fit saved first."""
    embedder = load_embedder(backend)
    target = model_path(examples, embedder.model_id)
    if not matches_checksum(target):
        log.info("fitting the intent model into %s", target)
        fit_in_child(backend, examples, target)
        if not matches_checksum(target):
            raise IntentModelError(f"The intent model {target} was not written completely.")
    return IntentClassifier.load(target, embedder)


def prepare(backend: str, examples: Path = EXAMPLES_FILE) -> Path:
    """The saved model for `examples`, fitted in this process now unless an intact one is there already (for a
    command run before the app starts, so the app's warm-up only loads it)."""
    target = model_path(examples, load_embedder(backend).model_id)
    if not matches_checksum(target):
        log.info("fitting the intent model into %s", target)
        fit_and_save(backend, examples, target)
    return target


def main(argv: list[str] | None = None) -> int:
    backend, examples, target = sys.argv[1:] if argv is None else argv
    fit_and_save(backend, Path(examples), Path(target))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
