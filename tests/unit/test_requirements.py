"""requirements.txt pins exactly what the product and its tests import (plus a few named run-time needs)."""
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
    "onnx": "onnxruntime.quantization and torch.onnx.export import it (knowledge prepare-models)",
    "lxml-html-clean": "trafilatura's justext imports lxml.html.clean",
    "psycopg": "SQLAlchemy loads it for postgresql+psycopg URLs",
    "kiwipiepy-model": "kiwipiepy loads its model files",
    "pytest-timeout": "a pytest plugin (timeout in tests/pytest.ini)",
    "import-linter": "make test runs lint-imports",
}


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned() -> dict[str, str]:
    pins = {}
    for line in (REPO / "requirements.txt").read_text(encoding="utf-8").splitlines():
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


def imported_distributions() -> set[str]:
    owners = packages_distributions()
    return {normalise(owners[m][0]) for m in imported_modules() if m in owners}


def test_requirements_pin_every_entry_to_one_version():
    assert all(re.fullmatch(r"\d+(\.\d+)*", v) for v in pinned().values()), pinned()


def test_requirements_pin_every_third_party_import():
    missing = imported_distributions() - set(pinned())

    assert not missing, f"imported but not pinned in requirements.txt: {sorted(missing)}"


def test_requirements_pin_nothing_that_is_not_imported():
    unused = set(pinned()) - imported_distributions() - set(NOT_IMPORTED_BY_NAME)

    assert not unused, f"pinned but imported nowhere: {sorted(unused)}"


def test_every_imported_module_belongs_to_an_installed_distribution():
    owners = packages_distributions()

    assert not [m for m in imported_modules() if m not in owners]
