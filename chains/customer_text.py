"""The customer's copy of a draft: the [n] markers the agent reads are removed, or become one sources line.

The agent sees which passage backs each sentence; the customer gets plain prose. With `sources`, the cited
articles are listed once each, in reading order, before the sign-off, labelled in the reply's language.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from core.settings import CustomerCitations
from core.types import Draft, Hit
from knowledge.text import detect_language

SOURCES_LABEL = {"en": "Sources:", "ko": "참고:"}
# One run of markers ("[1]", "[1][2]", "[1] [2]") with the spaces around it.
MARKER_RUN = re.compile(r"(?P<lead>[ \t]*)(?P<markers>(?:\[\d{1,2}\][ \t]*)*\[\d{1,2}\])(?P<trail>[ \t]*)")
MARKER_NUMBER = re.compile(r"\[(\d{1,2})\]")
CLOSES_SENTENCE = frozenset(".,!?;:。、)")
BLANK_LINE = re.compile(r"\n[ \t]*\n")
SIGN_OFF_MAX_LINES = 4
SIGN_OFF_MAX_CHARS = 200


def for_customer(draft: Draft, hits: list[Hit], mode: CustomerCitations = "remove", language: str | None = None,
                 sign_off: str = "") -> str:
    """The draft as the customer should read it: markers removed, and with `sources` the cited articles listed.

    `language` is the reply's (detected from the text when not given); `sign_off`, when known, is where the
    sources line goes before, else the draft's last short paragraph is taken for the sign-off."""
    text = strip_markers(draft.text, cited_numbers(draft))
    articles = cited_articles(draft, hits)
    if mode != "sources" or not articles:
        return text
    line = sources_line(articles, language or detect_language(text))
    return insert_before_sign_off(text, line, sign_off)


def cited_numbers(draft: Draft) -> list[int]:
    """The marker numbers the draft's citations use, each once."""
    return list(dict.fromkeys(c.marker for c in draft.citations))


def markers_in(text: str, numbers: Iterable[int]) -> list[int]:
    """Which of `numbers` still stand in `text` as [n] markers, each once, in order of appearance."""
    wanted = set(numbers)
    return list(dict.fromkeys(n for n in map(int, MARKER_NUMBER.findall(text)) if n in wanted))


def strip_markers(text: str, numbers: Iterable[int]) -> str:
    """`text` without the [n] markers of `numbers`, spacing and punctuation tidy ("fee [1]." -> "fee.")."""
    cited = set(numbers)
    if not cited:
        return text

    def replace(match: re.Match) -> str:
        found = [int(n) for n in MARKER_NUMBER.findall(match.group("markers"))]
        kept = [f"[{n}]" for n in found if n not in cited]
        if kept:
            return match.group("lead") + " ".join(kept) + match.group("trail")
        return _gap(match)

    return MARKER_RUN.sub(replace, text)


def _gap(match: re.Match) -> str:
    """What stands where a removed run of markers was: nothing at a line's edge or before punctuation, else a space."""
    text, start, end = match.string, match.start(), match.end()
    at_line_start = start == 0 or text[start - 1] == "\n"
    after = text[end:end + 1]
    if at_line_start or after in ("", "\n", "\r") or after in CLOSES_SENTENCE:
        return ""
    return " " if match.group("lead") or match.group("trail") else ""


def cited_articles(draft: Draft, hits: list[Hit]) -> list[tuple[str, str]]:
    """(title, link) of each article the draft cites, once each in reading order; the link only when http(s)."""
    articles: dict[str, tuple[str, str]] = {}
    for citation in draft.citations:
        if not 1 <= citation.marker <= len(hits):
            continue
        chunk = hits[citation.marker - 1].chunk
        link = chunk.url if chunk.url.startswith(("http://", "https://")) else ""
        articles.setdefault(chunk.article_id, (" ".join(chunk.title.split()), link))
    return list(articles.values())


def sources_line(articles: list[tuple[str, str]], language: str) -> str:
    """'Sources: Title (link); Title' with the label in the reply's language (English when unknown)."""
    label = SOURCES_LABEL.get(language, SOURCES_LABEL["en"])
    return f"{label} " + "; ".join(f"{title} ({link})" if link else title for title, link in articles)


def insert_before_sign_off(text: str, line: str, sign_off: str = "") -> str:
    """`text` with `line` as its own paragraph before the sign-off, or at the end when there is none."""
    body = text.rstrip()
    if sign_off.strip() and body.endswith(sign_off.strip()):
        cut = len(body) - len(sign_off.strip())
        return f"{body[:cut].rstrip()}\n\n{line}\n\n{body[cut:]}"
    breaks = list(BLANK_LINE.finditer(body))
    if breaks and _looks_like_sign_off(body[breaks[-1].end():]):
        last = breaks[-1]
        return f"{body[:last.start()]}\n\n{line}{body[last.start():]}"
    return f"{body}\n\n{line}"


def _looks_like_sign_off(paragraph: str) -> bool:
    lines = [ln for ln in paragraph.splitlines() if ln.strip()]
    return 0 < len(lines) <= SIGN_OFF_MAX_LINES and len(paragraph) <= SIGN_OFF_MAX_CHARS
