"""How far a sent reply moved from the suggestion, both measured with rapidfuzz's Levenshtein.

`normalized_edit_distance` counts character edits; `similarity` compares the sequences of lowercase
words, so reordered, added or removed words lower it while case and punctuation do not. Two texts
without words have similarity 1.0; two empty texts have edit distance 0.0.
"""
from __future__ import annotations

import re
from difflib import SequenceMatcher

from rapidfuzz.distance import Levenshtein

_WORD = re.compile(r"\w+")
_WORD_RUN = re.compile(r"\S+\s*|\s+")


def normalized_edit_distance(a: str, b: str) -> float:
    """Levenshtein distance divided by the longer length: 0 identical, 1 nothing in common."""
    return Levenshtein.normalized_distance(a, b)


def similarity(a: str, b: str) -> float:
    """1 - word-level Levenshtein distance / longer word count: 1 for the same words in order."""
    return Levenshtein.normalized_similarity(words(a), words(b))


def words(text: str) -> list[str]:
    """The lowercase word tokens of a text, in order."""
    return _WORD.findall(text.lower())


def word_diff(suggested: str, sent: str) -> list[tuple[str, str]]:
    """The sent reply as runs of ("equal" | "delete" | "insert", text) against the suggestion, word by word
    (whitespace stays with the word before it), so a reader sees what the agent removed and added."""
    a, b = _WORD_RUN.findall(suggested), _WORD_RUN.findall(sent)
    runs: list[tuple[str, str]] = []
    for op, a0, a1, b0, b1 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op in ("delete", "replace"):
            runs.append(("delete", "".join(a[a0:a1])))
        if op in ("insert", "replace"):
            runs.append(("insert", "".join(b[b0:b1])))
        if op == "equal":
            runs.append(("equal", "".join(b[b0:b1])))
    return runs
