"""How far a sent reply moved from the suggestion: edit distance and word-set similarity."""
from __future__ import annotations

import re

_WORD = re.compile(r"\w+")


def levenshtein(a: str, b: str) -> int:
    """Character edit distance (insert, delete, substitute), using two rows of memory."""
    a, b = _trim_common_ends(a, b)
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            current.append(min(
                previous[j] + 1,
                current[j - 1] + 1,
                previous[j - 1] + (char_a != char_b),
            ))
        previous = current
    return previous[-1]


def _trim_common_ends(a: str, b: str) -> tuple[str, str]:
    """Drop the shared prefix and suffix, which never change the distance."""
    start = 0
    limit = min(len(a), len(b))
    while start < limit and a[start] == b[start]:
        start += 1
    end = 0
    while end < limit - start and a[-1 - end] == b[-1 - end]:
        end += 1
    return a[start:len(a) - end], b[start:len(b) - end]


def normalized_edit_distance(a: str, b: str) -> float:
    """Levenshtein distance divided by the longer length: 0 identical, 1 nothing in common."""
    longest = max(len(a), len(b))
    if longest == 0:
        return 0.0
    return levenshtein(a, b) / longest


def similarity(a: str, b: str) -> float:
    """Jaccard index of the lowercase word sets: 1 when both texts use the same words."""
    words_a = set(_WORD.findall(a.lower()))
    words_b = set(_WORD.findall(b.lower()))
    if not words_a and not words_b:
        return 1.0
    return len(words_a & words_b) / len(words_a | words_b)
