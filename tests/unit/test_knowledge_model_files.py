"""MiniLM's ONNX files are built from the installed weights without torch, checked by SHA-256 whenever they load,
and every missing or damaged file is named in a clear error."""
from __future__ import annotations

import shutil
import sys

import numpy as np
import pytest

from knowledge import embeddings
from knowledge.embeddings import EmbeddingError, OnnxEmbedder, ensure_onnx_model


@pytest.fixture
def model_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ASSIST_MODEL_CACHE", str(tmp_path / "models"))
    return tmp_path / "models"


@pytest.fixture(scope="module")
def built_models(tmp_path_factory):
    """The three ONNX files, built once for this module in a folder of its own."""
    folder = tmp_path_factory.mktemp("models")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ASSIST_MODEL_CACHE", str(folder))
        yield ensure_onnx_model("fp32"), ensure_onnx_model("int8"), ensure_onnx_model("fp16")


def test_model_files_are_built_without_torch_and_embed_like_sentence_transformers(built_models, monkeypatch):
    fp32, _, _ = built_models
    monkeypatch.setenv("ASSIST_MODEL_CACHE", str(fp32.parents[1]))
    assert "torch" not in sys.modules and "transformers" not in sys.modules
    texts = ["How do I return an item?", "I want to send a product back", "The weather in Busan is sunny"]

    full, small = OnnxEmbedder("fp32").encode(texts), OnnxEmbedder("int8").encode(texts)

    assert full.shape == (3, 384) and np.allclose(np.linalg.norm(full, axis=1), 1.0, atol=1e-5)
    assert full[0] @ full[1] > 0.5 > full[0] @ full[2]
    assert min(float(a @ b) for a, b in zip(full, small)) > 0.95
    assert (fp32.with_name("model.onnx.sha256").read_text().strip() == embeddings.file_sha256(fp32))


def test_model_files_half_weights_embed_as_the_fp32_model_in_half_the_file(built_models, monkeypatch):
    fp32, _, fp16 = built_models
    monkeypatch.setenv("ASSIST_MODEL_CACHE", str(fp32.parents[1]))
    texts = ["Where is my parcel?", "환불은 언제 되나요?", "Please cancel the order I placed on Monday " * 12]

    full, half = OnnxEmbedder("fp32").encode(texts), OnnxEmbedder("fp16").encode(texts)

    assert min(float(a @ b) for a, b in zip(full, half)) > 0.9999
    assert fp16.stat().st_size < 0.55 * fp32.stat().st_size
    assert embeddings.load_embedder("onnx-fp16").model_id.endswith("@onnx-fp16")


def test_model_files_int8_weights_keep_to_seven_bits(built_models):
    # with the full signed 8-bit range, ONNX Runtime's int8 kernels saturate on CPUs without VNNI and the same text
    # gets different vectors on different machines
    import onnx
    from onnx import numpy_helper

    _, int8, _ = built_models
    graph = onnx.load(str(int8)).graph
    weights = [numpy_helper.to_array(t) for t in graph.initializer if t.data_type == onnx.TensorProto.INT8]

    assert len(weights) >= 36  # every linear layer of the six transformer blocks
    assert max(int(np.abs(w.astype(np.int16)).max()) for w in weights) <= 64


def test_model_files_int8_vectors_have_their_own_model_id():
    assert embeddings.backend_model_id("onnx-int8").endswith("@onnx-int8-7bit")
    assert embeddings.backend_model_id("onnx-fp16").endswith("@onnx-fp16")
    with pytest.raises(EmbeddingError, match="Unknown embedding backend 'onnx-fp8'"):
        embeddings.backend_model_id("onnx-fp8")


def test_model_files_an_unknown_precision_is_refused():
    with pytest.raises(EmbeddingError, match="Unknown ONNX precision 'fp8'"):
        ensure_onnx_model("fp8")


def test_model_files_a_damaged_file_is_refused_by_name(built_models, model_cache):
    _, int8, _ = built_models
    folder = embeddings.onnx_model_folder()
    shutil.copytree(int8.parent, folder)
    with (folder / "model.int8-7bit.onnx").open("ab") as handle:
        handle.write(b"\0")

    with pytest.raises(EmbeddingError, match=r"model\.int8-7bit\.onnx is not the expected one .*prepare-models"):
        ensure_onnx_model("int8")


def test_model_files_missing_weights_say_how_to_install_them(model_cache, monkeypatch, tmp_path):
    monkeypatch.setattr(embeddings, "_weights_package_folder", lambda: tmp_path / "empty")

    with pytest.raises(EmbeddingError, match=r"model\.safetensors.*missing.*--no-deps"):
        ensure_onnx_model("fp32")


def test_model_files_weights_that_are_not_the_known_ones_are_refused(model_cache, monkeypatch, tmp_path):
    weights = tmp_path / "weights"
    shutil.copytree(embeddings.bundled_model_path(), weights)
    (weights / "config.json").write_text('{"hidden_size": 384}', encoding="utf-8")
    monkeypatch.setattr(embeddings, "_weights_package_folder", lambda: weights)

    with pytest.raises(EmbeddingError, match=r"config\.json is not the expected one"):
        ensure_onnx_model("fp32")
    assert not list(model_cache.rglob("*.onnx"))


def test_model_files_torch_reference_without_the_extra_points_to_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)

    with pytest.raises(EmbeddingError, match="requirements-dev.txt"):
        embeddings.SentenceTransformerEmbedder()
