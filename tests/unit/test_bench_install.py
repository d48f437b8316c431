"""The install-cost section reads sizes from what pip resolved: local files by their size, installed distributions
by their RECORD, and says when a size is unknown rather than guessing."""
from __future__ import annotations

from importlib import metadata

from evals.bench_common import BACKENDS, REFERENCE_BACKEND, torch_reference_installed
from evals.bench_install import file_size, normalise, unpacked_size


def test_bench_install_file_url_size_is_the_file_size(tmp_path):
    wheel = tmp_path / "demo-1.0-py3-none-any.whl"
    wheel.write_bytes(b"x" * 1234)

    assert file_size(wheel.as_uri()) == 1234
    assert file_size((tmp_path / "missing.whl").as_uri()) is None


def test_bench_install_unpacked_size_counts_an_installed_distribution_of_that_version_only():
    version = metadata.version("rapidfuzz")

    assert unpacked_size("rapidfuzz", version) > 100_000
    assert unpacked_size("rapidfuzz", version + ".post9") is None
    assert unpacked_size("no-such-distribution", "1.0") is None
    assert normalise("Sentence_Transformers") == "sentence-transformers"


def test_bench_reference_is_torch_only_when_the_extra_is_installed():
    assert BACKENDS[-2:] == ("onnx-fp32", "onnx-int8")
    assert REFERENCE_BACKEND == ("torch-fp32" if torch_reference_installed() else "onnx-fp32")
