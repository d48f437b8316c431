"""Offline rewrites of the agent's own text: deterministic edits that never add facts."""
from __future__ import annotations

import re

from knowledge.text import split_sentences

FORMAL_EN = {r"\bhi\b": "Hello", r"\bthanks\b": "Thank you", r"\bcan't\b": "cannot", r"\bwon't\b": "will not",
             r"\bdon't\b": "do not", r"\bI'm\b": "I am", r"\bwe're\b": "we are", r"\bit's\b": "it is",
             r"\byou're\b": "you are", r"\bgonna\b": "going to", r"\bwanna\b": "want to", r"\bASAP\b": "as soon as possible"}
FRIENDLY_EN = {r"\bHello\b": "Hi", r"\bThank you\b": "Thanks so much", r"\bcannot\b": "can't", r"\bdo not\b": "don't",
               r"\bI am\b": "I'm", r"\bwe are\b": "we're", r"\bRegards\b": "Warm wishes"}
COMMON_FIXES = {r"\bi\b": "I", r"\s+([,.!?])": r"\1", r"([,.!?])(?=[A-Za-z])": r"\1 ", r"\s{2,}": " ",
                r"\brecieve": "receive", r"\bteh\b": "the", r"\bdefinately\b": "definitely", r"\bseperate": "separate",
                r"\boccured\b": "occurred", r"\buntill\b": "until", r"\bwich\b": "which", r"\baddres\b": "address"}


class RewriteUnavailable(ValueError):
    """The offline engine cannot perform this rewrite (for example translation)."""


def _apply(text: str, table: dict[str, str]) -> str:
    for pattern, repl in table.items():
        text = re.sub(pattern, repl, text, flags=re.I if pattern.startswith(r"\b") and pattern[2].islower() else 0)
    return text


def _paragraphs(text: str) -> list[str]:
    return [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]


def shorten(text: str) -> str:
    """Keep greeting, sign-off and the cited (or first) sentences of the body."""
    paragraphs = _paragraphs(text)
    if len(paragraphs) <= 2:
        sentences = split_sentences(text)
        return " ".join(sentences[: max(2, (len(sentences) + 1) // 2)])
    head, body, tail = paragraphs[0], paragraphs[1:-1], paragraphs[-1]
    sentences = [s for p in body for s in split_sentences(p)]
    cited = [s for s in sentences if re.search(r"\[\d+\]", s)]
    keep = cited[:2] if cited else sentences[:2]
    return "\n\n".join([head, " ".join(keep), tail])


def expand(text: str) -> str:
    """Put each sentence of the body on its own bullet line so steps are easy to follow."""
    paragraphs = _paragraphs(text)
    if len(paragraphs) < 3:
        return "\n".join(f"- {s}" for s in split_sentences(text))
    body = [s for p in paragraphs[1:-1] for s in split_sentences(p)]
    return "\n\n".join([paragraphs[0], "\n".join(f"- {s.lstrip('- ')}" for s in body), paragraphs[-1]])


def rewrite_text(text: str, operation: str) -> str:
    if operation == "shorten":
        return shorten(text)
    if operation == "expand":
        return expand(text)
    if operation == "formal":
        return _apply(text, FORMAL_EN)
    if operation == "friendly":
        return _apply(text, FRIENDLY_EN)
    if operation == "grammar":
        return _apply(text, COMMON_FIXES)
    if operation == "translate":
        raise RewriteUnavailable("Translation needs an LLM provider; the offline engine cannot translate.")
    raise RewriteUnavailable(f"Unknown rewrite {operation!r}.")
