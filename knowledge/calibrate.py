"""Calibrate the answerability gate on the KB it guards, from labelled example questions.

Each question is scored twice: once against the whole index (its article is there: answerable) and
once with that article's chunks removed from the hits (the KB lacks the answer: should abstain). The two
rows of a question stay in the same fold when the threshold is chosen on held-out probabilities.
Without calibration the gate uses its conservative prior (`knowledge.gate.PRIOR`).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

from knowledge.gate import fit_gate, gate_features
from knowledge.index import CANDIDATES, KnowledgeIndex, write_version
from knowledge.query import RetrievalQuery
from knowledge.retrieve import GATE_HITS

TARGET_RECALL = 0.9
MIN_QUESTIONS = 20


class CalibrationError(ValueError):
    """Not enough usable labelled questions to calibrate."""


def load_questions(path: Path, warn: Callable[[str], None] | None = None) -> list[tuple[str, str]]:
    """(question, article_id) pairs from JSON Lines with `question` and `article_id` fields. A bad line is passed
    to `warn` by its number and skipped (without `warn` it raises CalibrationError); a missing file, a directory or
    a pipe is a CalibrationError naming it."""
    if not path.is_file():
        raise CalibrationError(f"{path.name}: {'no such file' if not path.exists() else 'not a regular file'}")
    pairs = []
    for n, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
        if not line.strip():
            continue
        problem, row = _question_row(line)
        if problem:
            if warn is None:
                raise CalibrationError(f"{path.name} line {n}: {problem}")
            warn(f"{path.name} line {n}: {problem}; skipped")
            continue
        pairs.append((str(row["question"]), str(row["article_id"])))
    return pairs


def _question_row(line: str) -> tuple[str, dict]:
    try:
        row = json.loads(line)
    except (json.JSONDecodeError, RecursionError):
        return "not valid JSON", {}
    if not isinstance(row, dict) or "question" not in row or "article_id" not in row:
        return "needs 'question' and 'article_id'", {}
    return "", row


def feature_rows(index: KnowledgeIndex, pairs: list[tuple[str, str]]) -> tuple[list[dict], list[int]]:
    """Gate features with the gold article present (label 1) and removed (label 0)."""
    rows, labels = [], []
    for question, gold in pairs:
        query = RetrievalQuery.of(question)
        hits = index.search(query, k=CANDIDATES)
        rows.append(gate_features(index, query, hits[:GATE_HITS]))
        labels.append(1)
        without = [h for h in hits if h.chunk.article_id != gold]
        rows.append(gate_features(index, query, without[:GATE_HITS]))
        labels.append(0)
    return rows, labels


def calibrate(index: KnowledgeIndex, pairs: list[tuple[str, str]]) -> dict:
    """Gate parameters for this index from questions whose answering article is known."""
    known = set(index.article_titles())
    usable = [(q, a) for q, a in pairs if a in known]
    if len(usable) < MIN_QUESTIONS:
        raise CalibrationError(f"{len(usable)} usable questions (their article_id must be in the index); "
                               f"at least {MIN_QUESTIONS} are needed")
    rows, labels = feature_rows(index, usable)
    questions = [n // 2 for n in range(len(rows))]  # feature_rows gives each question two consecutive rows
    return {**fit_gate(rows, labels, target_recall=TARGET_RECALL, groups=questions), "examples": len(usable)}


def save_calibrated(index: KnowledgeIndex, root: Path, params: dict) -> str:
    """Write the live index again as a new version whose manifest carries the gate parameters."""
    from datetime import datetime, timezone

    index.manifest.gate = params
    name = datetime.now(timezone.utc).strftime("v%Y%m%dT%H%M%S%fZ")
    write_version(root, name, index.manifest, index.chunks, index.vectors, index.bm25)
    return name
