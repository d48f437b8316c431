"""Masking of personal data: per-category recall and the share of must-keep strings left intact
(`evals/data/pii_labelled.jsonl`, shipped with the repository).

Each line is {"text", "spans": [{"category", "value"}], "keep": [...], "customer"?: {"name", "email"},
"agents"?: [...]}. A span counts as caught when every one of its characters was replaced by a placeholder
(a half-masked address is a miss); a keep string counts as intact when it is still in the redacted text.
The text is redacted as `chains.redact` does it for a ticket: with the customer's and agents' names known.
"""
from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from evals.context import DatasetResult, EvalContext

NAME = "pii_masking"
DATA_FILE = Path(__file__).resolve().parent / "data" / "pii_labelled.jsonl"
CATEGORIES = ("email", "phone", "card", "rrn", "account", "name", "address", "passport", "birth_date", "ip")


def load_examples(path: Path = DATA_FILE) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def known_names(example: dict) -> list[str]:
    from chains.redact import customer_names
    from core.types import Ticket

    ticket = Ticket(id="eval", customer=example.get("customer") or {}, messages=[{"role": "customer", "text": "-"}])
    return customer_names(ticket) + list(example.get("agents", []))


def masked_positions(text: str, names: list[str]) -> set[int]:
    """Indexes of the original text's characters that redaction replaces."""
    from chains.pii import find_pii

    return {i for f in find_pii(text, names) for i in range(f.start, f.end)}


def score(examples: list[dict]) -> dict:
    """Recall per category, kept-intact rate, and the misses (for reading, not for tuning one by one)."""
    from chains.redact import Redactor

    caught: dict[str, list[bool]] = defaultdict(list)
    kept: list[bool] = []
    misses: list[dict] = []
    for example in examples:
        text, names = example["text"], known_names(example)
        masked = masked_positions(text, names)
        redacted = Redactor().redact(text, names)
        for span in example["spans"]:
            start = text.index(span["value"])
            ok = all(i in masked for i in range(start, start + len(span["value"])))
            caught[span["category"]].append(ok)
            if not ok:
                misses.append({"category": span["category"], "value": span["value"], "text": text})
        for keep in example["keep"]:
            kept.append(keep in redacted)
            if keep not in redacted:
                misses.append({"category": "keep", "value": keep, "text": redacted})
    recall = {c: round(sum(caught[c]) / len(caught[c]), 4) for c in CATEGORIES if caught[c]}
    return {"recall": recall, "spans": {c: len(caught[c]) for c in CATEGORIES},
            "kept_intact": round(sum(kept) / len(kept), 4) if kept else 1.0, "keep_strings": len(kept),
            "examples": len(examples), "misses": misses}


def evaluate(ctx: EvalContext) -> DatasetResult:
    scored = score(load_examples())
    metrics = {f"recall_{c}": v for c, v in scored["recall"].items()}
    metrics["kept_intact"] = scored["kept_intact"]
    metrics["examples"] = scored["examples"]
    return DatasetResult(metrics)
