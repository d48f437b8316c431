"""How far a sent reply moved from the suggestion, both measured with rapidfuzz's Levenshtein.

`normalized_edit_distance` counts character edits; `similarity` compares the sequences of lowercase
words, so reordered, added or removed words lower it while case and punctuation do not. Two texts
without words have similarity 1.0; two empty texts have edit distance 0.0.
"""
from __future__ import annotations

import re

from rapidfuzz.distance import Levenshtein

_WORD = re.compile(r"\w+")


def normalized_edit_distance(a: str, b: str) -> float:
    """Levenshtein distance divided by the longer length: 0 identical, 1 nothing in common."""
    return Levenshtein.normalized_distance(a, b)


def similarity(a: str, b: str) -> float:
    """1 - word-level Levenshtein distance / longer word count: 1 for the same words in order."""
    return Levenshtein.normalized_similarity(words(a), words(b))


def words(text: str) -> list[str]:
    """The lowercase word tokens of a text, in order."""
    return _WORD.findall(text.lower())
