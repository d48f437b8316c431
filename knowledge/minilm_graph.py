"""all-MiniLM-L6-v2 (a 6-layer BERT) written as an ONNX graph straight from its safetensors weights, with the
`onnx` package and numpy only: the fp32 reference model needs no torch or transformers.

The graph takes input_ids, attention_mask and token_type_ids ([batch, sequence], int64) and returns the
last hidden state ([batch, sequence, 384]); mean pooling and normalisation happen in the embedder.

With `half_weights` the large weights are stored in float16 and cast to float32 where they are used (the tables after
the lookup, so only the looked-up rows): the arithmetic stays float32, the weights take half the memory.
"""
from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np

OPSET = 17
IR_VERSION = 8
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
OUTPUT = "last_hidden_state"
HALF_WEIGHTS_MIN_SIZE = 4096  # biases and LayerNorm vectors stay float32: too small to matter


class _Graph:
    """A small builder: named initialisers and nodes, each output named after the node that makes it."""

    def __init__(self, half_weights: bool = False) -> None:
        self.nodes: list = []
        self.initializers: list = []
        self._count = 0
        self.half_weights = half_weights

    def const(self, name: str, value: np.ndarray) -> str:
        from onnx import numpy_helper

        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def weight(self, name: str, value: np.ndarray) -> str:
        """A float32 weight for the next node: stored as float16 and cast back here when weights are halved."""
        return self.to_float(self._half_const(name, value)) if self._halved(value) else self.const(name, value)

    def table(self, name: str, value: np.ndarray, indices: str) -> str:
        """Rows of an embedding table: looked up in float16 and only those rows cast, when weights are halved."""
        if not self._halved(value):
            return self.op("Gather", self.const(name, value), indices)
        return self.to_float(self.op("Gather", self._half_const(name, value), indices))

    def _half_const(self, name: str, value: np.ndarray) -> str:
        return self.const(f"{name}_fp16", value.astype(np.float16))

    def to_float(self, x: str) -> str:
        return self.op("Cast", x, to=1)  # float32

    def _halved(self, value: np.ndarray) -> bool:
        return self.half_weights and value.dtype == np.float32 and value.size >= HALF_WEIGHTS_MIN_SIZE

    def op(self, kind: str, *inputs: str, **attributes) -> str:
        from onnx import helper

        self._count += 1
        output = f"{kind.lower()}_{self._count}"
        self.nodes.append(helper.make_node(kind, list(inputs), [output], name=output, **attributes))
        return output


def _linear(g: _Graph, x: str, weights: dict[str, np.ndarray], prefix: str) -> str:
    """x·Wᵀ + b, the weight stored transposed as torch's exporter does."""
    w = g.weight(f"{prefix}.weight_t", weights[f"{prefix}.weight"].T.astype(np.float32))
    b = g.const(f"{prefix}.bias", weights[f"{prefix}.bias"].astype(np.float32))
    return g.op("Add", g.op("MatMul", x, w), b)


def _layer_norm(g: _Graph, x: str, weights: dict[str, np.ndarray], prefix: str, epsilon: float) -> str:
    scale = g.const(f"{prefix}.weight", weights[f"{prefix}.weight"].astype(np.float32))
    bias = g.const(f"{prefix}.bias", weights[f"{prefix}.bias"].astype(np.float32))
    return g.op("LayerNormalization", x, scale, bias, axis=-1, epsilon=epsilon)


def _heads(g: _Graph, x: str, heads: int, head_size: int, perm: list[int]) -> str:
    shape = g.const(f"heads_shape_{g._count}", np.array([0, 0, heads, head_size], dtype=np.int64))
    return g.op("Transpose", g.op("Reshape", x, shape), perm=perm)


def _attention(g: _Graph, x: str, mask_bias: str, weights: dict, prefix: str, heads: int, hidden: int) -> str:
    head_size = hidden // heads
    q = _heads(g, _linear(g, x, weights, f"{prefix}.self.query"), heads, head_size, [0, 2, 1, 3])
    k = _heads(g, _linear(g, x, weights, f"{prefix}.self.key"), heads, head_size, [0, 2, 3, 1])
    v = _heads(g, _linear(g, x, weights, f"{prefix}.self.value"), heads, head_size, [0, 2, 1, 3])
    # 1/√d split over q and k as torch's exporter does, so int8 quantisation of this MatMul sees the same inputs
    root_scale = g.const(f"{prefix}.root_scale", np.array(head_size ** -0.25, dtype=np.float32))
    scores = g.op("Add", g.op("MatMul", g.op("Mul", q, root_scale), g.op("Mul", k, root_scale)), mask_bias)
    context = g.op("MatMul", g.op("Softmax", scores, axis=-1), v)
    merged_shape = g.const(f"{prefix}.merged_shape", np.array([0, 0, hidden], dtype=np.int64))
    merged = g.op("Reshape", g.op("Transpose", context, perm=[0, 2, 1, 3]), merged_shape)
    return _linear(g, merged, weights, f"{prefix}.output.dense")


def _gelu(g: _Graph, x: str, prefix: str) -> str:
    """The exact GELU BERT uses: (x · (1 + erf(x / √2))) · ½, in torch's order of operations."""
    root2 = g.const(f"{prefix}.sqrt2", np.array(math.sqrt(2.0), dtype=np.float32))
    one = g.const(f"{prefix}.one", np.array(1.0, dtype=np.float32))
    half = g.const(f"{prefix}.half", np.array(0.5, dtype=np.float32))
    return g.op("Mul", g.op("Mul", x, g.op("Add", g.op("Erf", g.op("Div", x, root2)), one)), half)


def _embeddings(g: _Graph, weights: dict, epsilon: float) -> str:
    words = g.table("word_embeddings", weights["embeddings.word_embeddings.weight"], "input_ids")
    types = g.table("token_type_embeddings", weights["embeddings.token_type_embeddings.weight"], "token_type_ids")
    # position ids as torch's exporter writes them (a slice of a constant row), the shape ORT's fusions expect
    table = weights["embeddings.position_embeddings.weight"]
    row = g.const("position_ids", np.arange(table.shape[0], dtype=np.int64)[None, :])
    length = g.op("Shape", "input_ids", start=1, end=2)
    positions = g.op("Slice", row, g.const("slice_start", np.array([0], dtype=np.int64)), length,
                     g.const("slice_axis", np.array([1], dtype=np.int64)))
    placed = g.table("position_embeddings", table, positions)
    summed = g.op("Add", g.op("Add", words, types), placed)
    return _layer_norm(g, summed, weights, "embeddings.LayerNorm", epsilon)


def _mask_bias(g: _Graph) -> str:
    """0 where a token is real, a large negative number where it is padding: [batch, 1, 1, sequence]."""
    mask = g.op("Cast", "attention_mask", to=1)  # float
    axes = g.const("mask_axes", np.array([1, 2], dtype=np.int64))
    expanded = g.op("Unsqueeze", mask, axes)
    one = g.const("mask_one", np.array(1.0, dtype=np.float32))
    floor = g.const("mask_floor", np.array(np.finfo(np.float32).min, dtype=np.float32))
    return g.op("Mul", g.op("Sub", one, expanded), floor)


def build_graph(weights: dict[str, np.ndarray], config: dict, half_weights: bool = False):
    """The ONNX model of a BERT encoder from its weights and config.json."""
    from onnx import TensorProto, helper

    g, epsilon = _Graph(half_weights), float(config.get("layer_norm_eps", 1e-12))
    hidden, heads = int(config["hidden_size"]), int(config["num_attention_heads"])
    x, mask_bias = _embeddings(g, weights, epsilon), _mask_bias(g)
    for layer in range(int(config["num_hidden_layers"])):
        prefix = f"encoder.layer.{layer}"
        attended = _attention(g, x, mask_bias, weights, f"{prefix}.attention", heads, hidden)
        x = _layer_norm(g, g.op("Add", attended, x), weights, f"{prefix}.attention.output.LayerNorm", epsilon)
        inner = _gelu(g, _linear(g, x, weights, f"{prefix}.intermediate.dense"), prefix)
        out = _linear(g, inner, weights, f"{prefix}.output.dense")
        x = _layer_norm(g, g.op("Add", out, x), weights, f"{prefix}.output.LayerNorm", epsilon)
    g.nodes.append(helper.make_node("Identity", [x], [OUTPUT], name=OUTPUT))
    inputs = [helper.make_tensor_value_info(name, TensorProto.INT64, ["batch", "sequence"]) for name in INPUTS]
    output = helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, ["batch", "sequence", hidden])
    graph = helper.make_graph(g.nodes, "minilm", inputs, [output], initializer=g.initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="maru-assist")
    model.ir_version = IR_VERSION  # what onnxruntime 1.31 reads (onnx 1.23 would write a newer one)
    return model


def export(model_dir: Path, target: Path, half_weights: bool = False) -> Path:
    """Write the ONNX model of the BERT weights in `model_dir` (model.safetensors, config.json) to `target`."""
    import onnx
    from safetensors.numpy import load_file

    weights = load_file(str(model_dir / "model.safetensors"))
    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    model = build_graph(weights, config, half_weights)
    onnx.checker.check_model(model)
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    onnx.save_model(model, str(tmp))
    tmp.replace(target)
    return target
