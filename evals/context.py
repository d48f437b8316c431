"""What one evaluation run shares across datasets: the data layout, the engine, embedders with a text cache,
memoised indexes, and the notes that end up in the report's `_meta`."""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence, TypeVar

import numpy as np

from evals.datasets import Layout

T = TypeVar("T")
INDEX_EMBEDDINGS = "onnx-int8"  # the product's default backend for the knowledge index


class CachingEmbedder:
    """An embedder that remembers the rows of every call (same model id as the one it wraps).

    The cache is keyed by the whole list of texts of a call, not by single texts: with dynamic int8
    quantisation a text's vector depends on the other texts encoded with it, so only repeating the exact
    call reproduces what the product computes.
    """

    def __init__(self, inner) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dim = inner.dim
        self._calls: dict[tuple[str, ...], np.ndarray] = {}
        self._read = True

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Normalised rows for `texts`, from the model unless this exact call was made before."""
        key = tuple(texts)
        if not key:
            return np.zeros((0, self.dim), dtype=np.float32)
        if not self._read or key not in self._calls:
            self._calls[key] = np.asarray(self.inner.encode(list(key)), dtype=np.float32)
        return self._calls[key].copy()

    @contextmanager
    def uncached(self) -> Iterator[None]:
        """Within the block every call reaches the model (for honest latency); results are still remembered."""
        self._read = False
        try:
            yield
        finally:
            self._read = True


@dataclass
class DatasetResult:
    """Headline metrics of one dataset plus named baseline groups shown beside them."""

    metrics: dict[str, float | None] = field(default_factory=dict)
    baselines: dict[str, dict[str, float | None]] = field(default_factory=dict)

    def to_json(self) -> dict:
        """Metrics, each baseline group nested, and the same baseline numbers flattened as `<group>_<metric>`."""
        out: dict = dict(self.metrics)
        for group, values in self.baselines.items():
            out[group] = dict(values)
            out.update({f"{group}_{name}": value for name, value in values.items()})
        return out


@dataclass
class EvalContext:
    """Run-wide settings and caches; nothing here is read from disk until asked for."""

    layout: Layout
    engine: str = "offline"
    cache_dir: Path | None = None
    notes: dict[str, dict] = field(default_factory=dict)
    _embedders: dict[str, CachingEmbedder] = field(default_factory=dict)
    _memo: dict[str, object] = field(default_factory=dict)

    def embedder(self, backend: str = INDEX_EMBEDDINGS) -> CachingEmbedder:
        """The product's embedder for `backend`, wrapped with the run's text cache."""
        if backend not in self._embedders:
            from knowledge.embeddings import load_embedder

            self._embedders[backend] = CachingEmbedder(load_embedder(backend))
        return self._embedders[backend]

    def memo(self, key: str, factory: Callable[[], T]) -> T:
        """`factory()` computed once per run under `key`."""
        if key not in self._memo:
            self._memo[key] = factory()
        return self._memo[key]  # type: ignore[return-value]

    def note(self, dataset: str, **values) -> None:
        """Record how a dataset was evaluated (caps, folds, seeds) for `_meta`."""
        self.notes.setdefault(dataset, {}).update(values)

    def model_ids(self) -> dict[str, str]:
        """Model ids of the embedders this run used, by backend."""
        return {backend: e.model_id for backend, e in self._embedders.items()}
