"""Pieces every loader shares: the error type, row-level skips, text decoding and Article assembly."""
from __future__ import annotations

import re
from pathlib import Path

from core.types import Article
from knowledge.text import detect_language

LANG_TAG = re.compile(r"^([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)*$")


class LoadError(ValueError):
    """A file could not be turned into articles; the message says why."""


class LoadedArticles(list):
    """Articles from one file, plus the rows or records of it that were skipped, as (label, reason)."""

    def __init__(self, articles=()) -> None:
        super().__init__(articles)
        self.skipped: list[tuple[str, str]] = []

    def skip(self, label: str, reason: str) -> None:
        """Record that part of the file (e.g. "faq.csv row 4") was left out and why."""
        self.skipped.append((label, reason))


def normalise_lang(value: object) -> str:
    """The primary subtag of a language tag, lower-cased ('ko-KR' → 'ko', 'en_US' → 'en'); '' if not a tag."""
    match = LANG_TAG.match(str(value or "").strip())
    return match.group(1).lower() if match else ""


def read_text(path: Path) -> str:
    """A file's text as UTF-8 (a byte-order mark is dropped); LoadError otherwise."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoadError(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc


def decode_text(raw: bytes) -> str:
    """Bytes as UTF-8 (with or without BOM), else CP949 as Korean Excel exports it; LoadError otherwise."""
    for encoding in ("utf-8-sig", "cp949"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return text
    raise LoadError("not UTF-8 or CP949 text")


def make_article(source: Path, data: dict, text: str) -> Article:
    """An Article from its parts; missing id and title fall back to the file stem, a missing lang is detected."""
    text = text.strip()
    if not text:
        raise LoadError("article has no text")
    title = str(data.get("title") or source.stem).strip()
    tags = data.get("tags") or []
    if isinstance(tags, str):
        tags = [t.strip() for t in tags.split(",") if t.strip()]
    return Article(
        id=str(data.get("id") or source.stem),
        title=title,
        text=text,
        url=str(data.get("url") or ""),
        lang=normalise_lang(data.get("lang")) or detect_language(title + " " + text[:2000]),
        tags=[str(t) for t in tags],
        updated=str(data.get("updated") or ""),
        source=source.name,
    )
