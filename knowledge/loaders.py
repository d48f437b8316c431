"""Loaders turn files into Articles; a bad file is reported by name and skipped, never fatal."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import yaml

from knowledge.text import detect_language
from knowledge.types import Article


class LoadError(ValueError):
    """A file could not be turned into articles; the message says why."""


@dataclass
class LoadReport:
    articles: list[Article] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def skip(self, name: str, reason: str) -> None:
        self.skipped.append((name, reason))


@dataclass(frozen=True)
class JsonFields:
    """Which JSON keys hold an article's parts (doc2dial: id=title, text=doc_text)."""

    id: str = "id"
    title: str = "title"
    text: str = "text"
    url: str = "url"
    lang: str = "lang"
    tags: str = "tags"
    updated: str = "updated"


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoadError(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc


def _article(source: Path, data: dict, text: str) -> Article:
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
        lang=str(data.get("lang") or detect_language(title + " " + text[:2000])),
        tags=[str(t) for t in tags],
        updated=str(data.get("updated") or ""),
        source=source.name,
    )


def load_markdown(path: Path) -> list[Article]:
    """A Markdown file with optional YAML front matter (title, url, lang, tags, updated)."""
    raw = _read_text(path)
    meta: dict = {}
    body = raw
    if raw.startswith("---"):
        parts = raw.split("\n---", 1)
        if len(parts) != 2:
            raise LoadError("front matter is not closed with ---")
        try:
            meta = yaml.safe_load(parts[0][3:]) or {}
        except yaml.YAMLError as exc:
            raise LoadError(f"front matter is not valid YAML: {exc}") from exc
        if not isinstance(meta, dict):
            raise LoadError("front matter must be a mapping of keys to values")
        body = parts[1].lstrip("-").lstrip("\n")
    return [_article(path, meta, body)]


def load_json(path: Path, fields: JsonFields = JsonFields()) -> list[Article]:
    """A JSON list of articles, or JSON Lines (one article per line), with configurable field names."""
    raw = _read_text(path)
    try:
        records = _json_records(raw, path.suffix.lower() == ".jsonl")
    except json.JSONDecodeError as exc:
        raise LoadError(f"invalid JSON at line {exc.lineno}: {exc.msg}") from exc
    articles = []
    for n, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise LoadError(f"record {n} is not an object")
        data = {key: record.get(getattr(fields, key)) for key in ("id", "title", "url", "lang", "tags", "updated")}
        data["id"] = data["id"] or data["title"] or f"{path.stem}-{n}"
        text = record.get(fields.text)
        if not isinstance(text, str) or not text.strip():
            raise LoadError(f"record {n} ({data['id']}) has no text in field {fields.text!r}")
        articles.append(_article(path, data, text))
    return articles


def _json_records(raw: str, lines: bool) -> list:
    if lines:
        return [json.loads(line) for line in raw.splitlines() if line.strip()]
    data = json.loads(raw)
    if isinstance(data, dict):
        data = data.get("articles", [data])
    return data


LOADERS: dict[str, Callable[[Path], list[Article]]] = {
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".json": load_json,
    ".jsonl": load_json,
}


def supported_files(source: Path) -> Iterable[Path]:
    if source.is_file():
        yield source
        return
    for path in sorted(source.rglob("*")):
        if path.is_file() and path.suffix.lower() in LOADERS and not path.name.startswith("."):
            yield path


def load_folder(source: Path, loaders: dict[str, Callable[[Path], list[Article]]] | None = None) -> LoadReport:
    """Every supported file under `source`; unreadable, empty and duplicate articles are skipped with a reason."""
    loaders = loaders or LOADERS
    report = LoadReport()
    seen: dict[str, str] = {}
    for path in supported_files(source):
        loader = loaders.get(path.suffix.lower())
        if loader is None:
            report.skip(path.name, f"unsupported file type {path.suffix}")
            continue
        try:
            articles = loader(path)
        except LoadError as exc:
            report.skip(path.name, str(exc))
            continue
        except Exception as exc:  # a broken file must never stop the build
            report.skip(path.name, f"{type(exc).__name__}: {exc}")
            continue
        for article in articles:
            if article.id in seen:
                report.skip(path.name, f"duplicate article id {article.id!r} (first in {seen[article.id]})")
                continue
            seen[article.id] = path.name
            report.articles.append(article)
    return report
