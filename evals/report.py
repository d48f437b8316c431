"""The results table (console and Markdown) and the JSON document written with `--json`."""
from __future__ import annotations

import json
from pathlib import Path

from evals.context import DatasetResult

HEADERS = ("dataset", "metric", "value", "baselines")


def fmt(value) -> str:
    """A number for the table: integers plain, floats to 4 places, missing as n/a."""
    if value is None:
        return "n/a"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and abs(value) >= 10):
        return str(int(value))
    return f"{value:.4f}"


def baseline_cell(result: DatasetResult, metric: str) -> str:
    """Every baseline group's value for `metric`, side by side."""
    return " · ".join(f"{group} {fmt(values[metric])}" for group, values in result.baselines.items() if metric in values)


def table_rows(results: dict[str, DatasetResult]) -> list[tuple[str, str, str, str]]:
    """One row per headline metric of each dataset."""
    return [(name, metric, fmt(value), baseline_cell(result, metric))
            for name, result in results.items() for metric, value in result.metrics.items()]


def text_table(results: dict[str, DatasetResult]) -> str:
    """A fixed-width table for the console."""
    rows = [HEADERS] + table_rows(results)
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADERS))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def header_line(meta: dict) -> str:
    """Date, engine, embedding models and split in one line."""
    models = ", ".join(f"{k}: {v}" for k, v in meta.get("embedding_model", {}).items()) or "none"
    return (f"Evaluation {meta.get('date', '')} · engine {meta.get('engine', '')} · embeddings {models} · "
            f"split {meta.get('split', '')} · data {meta.get('data_dir', '')}")


def markdown(results: dict[str, DatasetResult], meta: dict) -> str:
    """The Markdown report: header line, metrics table, timings and skipped datasets."""
    lines = ["# Evaluation results", "", header_line(meta), "", "| " + " | ".join(HEADERS) + " |", "|---|---|---:|---|"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in table_rows(results)]
    timings = meta.get("seconds_per_dataset", {})
    if timings:
        lines += ["", "Seconds per dataset: " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items())
                  + f"; total {meta.get('wall_seconds', 0):.1f}."]
    for name, reason in meta.get("skipped", {}).items():
        lines.append(f"- skipped {name}: {reason}")
    for name, error in meta.get("errors", {}).items():
        lines.append(f"- failed {name}: {error}")
    return "\n".join(lines) + "\n"


def json_document(results: dict[str, DatasetResult], meta: dict) -> dict:
    """`{"<dataset>": {"<metric>": number, ...}, "_meta": {...}}`."""
    doc: dict = {name: result.to_json() for name, result in results.items()}
    doc["_meta"] = meta
    return doc


def write_json(path: Path, results: dict[str, DatasetResult], meta: dict) -> None:
    """Write the JSON document (parent folders created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(json_document(results, meta), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def write_markdown(path: Path, results: dict[str, DatasetResult], meta: dict) -> None:
    """Write the Markdown report (parent folders created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(markdown(results, meta), encoding="utf-8")
