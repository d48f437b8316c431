"""Readers for the evaluation data layout: `<data-dir>/<dataset>/<split>.jsonl` plus per-dataset extra files."""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

DEV = "dev"


class DatasetMissing(Exception):
    """A file the dataset needs is not in the data folder; the message names it."""


@dataclass(frozen=True)
class Layout:
    """Where one run reads its data: the data folder, the scored split and an optional debug row cap."""

    data_dir: Path
    split: str = DEV
    limit: int | None = None

    @property
    def is_dev(self) -> bool:
        """True when the scored split is the labelled dev split itself (score by cross-validation)."""
        return self.split == DEV

    def folder(self, dataset: str) -> Path:
        """The dataset's folder."""
        return self.data_dir / dataset

    def file(self, dataset: str, name: str) -> Path:
        """A named file of the dataset, or DatasetMissing."""
        path = self.folder(dataset) / name
        if not path.is_file():
            raise DatasetMissing(f"{path} not found")
        return path

    def rows(self, dataset: str, split: str | None = None) -> list[dict]:
        """Records of `<split>.jsonl` (the scored split by default); with `limit`, that many evenly spaced rows."""
        return spread(read_jsonl(self.file(dataset, f"{split or self.split}.jsonl")), self.limit)

    def dev_rows(self, dataset: str) -> list[dict]:
        """The labelled dev records (the only source of training labels)."""
        return self.rows(dataset, DEV)


def read_jsonl(path: Path) -> list[dict]:
    """One JSON object per non-blank line (a UTF-8 BOM is accepted); a line that is not a JSON object is
    reported on stderr by its number and skipped, the rest is kept."""
    rows = []
    with open(path, encoding="utf-8-sig", errors="strict") as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except (json.JSONDecodeError, RecursionError) as exc:
                _skip(path, n, f"not valid JSON ({getattr(exc, 'msg', 'nested too deeply')})")
                continue
            if not isinstance(row, dict):
                _skip(path, n, "not a JSON object")
                continue
            rows.append(row)
    return rows


def _skip(path: Path, line: int, why: str) -> None:
    print(f"warning: {path} line {line}: {why}; skipped", file=sys.stderr)


def spread(rows: list, cap: int | None) -> list:
    """At most `cap` rows taken at evenly spaced positions (all rows when there are fewer)."""
    if not cap or len(rows) <= cap:
        return list(rows)
    return [rows[i * len(rows) // cap] for i in range(cap)]


def doc2dial_turns(question: str) -> list[tuple[str, str]]:
    """doc2dial's `question` (history latest first, `role:text` joined by tabs) as (role, text) in dialogue order."""
    turns = []
    for segment in question.split("\t"):
        segment = segment.strip()
        if not segment:
            continue
        role, sep, text = segment.partition(":")
        if not sep:
            role, text = "user", segment
        if text.strip():
            turns.append((role.strip().lower(), text.strip()))
    return list(reversed(turns))


def doc2dial_gold_span(row: dict) -> str:
    """The grounding span text(s) of a doc2dial turn joined by spaces."""
    texts = (row.get("answers") or {}).get("text") or []
    return " ".join(t for t in texts if isinstance(t, str))


def tweetsumm_conversation(row: dict) -> list[dict]:
    """TweetSumm turns as product messages: Customer -> customer, Agent -> agent, empty turns dropped."""
    roles = {"customer": "customer", "agent": "agent"}
    return [{"role": roles.get(str(t.get("speaker", "")).lower(), "customer"), "text": t["text"]}
            for t in row.get("turns") or [] if str(t.get("text", "")).strip()]


def tweetsumm_references(row: dict) -> list[str]:
    """Each abstractive summary (a list of sentences) joined with spaces."""
    refs = []
    for summary in row.get("abstractive_summaries") or []:
        text = " ".join(summary) if isinstance(summary, list) else str(summary)
        if text.strip():
            refs.append(text.strip())
    return refs
