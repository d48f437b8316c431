"""Loaders turn files into Articles; a bad file is reported by name and skipped, never fatal."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import yaml

from core.types import Article
from knowledge.loaders_base import (
    LoadedArticles,
    LoadError,
    make_article,
    normalise_lang,
    read_text,
)
from knowledge.loaders_html import load_html
from knowledge.loaders_office import (
    TableColumns,
    load_csv,
    load_pdf,
    load_table_with,
    load_xlsx,
)

__all__ = [
    "Article", "JsonFields", "LOADERS", "LoadError", "LoadReport", "LoadedArticles", "TableColumns",
    "abcd_guideline_fields", "abcd_guideline_text", "doc2dial_fields", "load_abcd_guidelines", "load_csv",
    "load_folder", "load_html", "load_json", "load_json_with", "load_markdown", "load_pdf", "load_table_with",
    "load_xlsx", "normalise_lang", "supported_files",
]

Loader = Callable[[Path], list[Article]]
TextBuilder = Callable[[dict], str]


@dataclass
class LoadReport:
    """Articles loaded from a folder, and every file or row left out as (name, reason)."""

    articles: list[Article] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def skip(self, name: str, reason: str) -> None:
        """Record that a file or row was left out and why."""
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


def load_markdown(path: Path) -> list[Article]:
    """A Markdown file with optional YAML front matter (title, url, lang, tags, updated)."""
    raw = read_text(path)
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
    return [make_article(path, meta, body)]


def load_json(path: Path, fields: JsonFields = JsonFields(), text_builder: TextBuilder | None = None) -> list[Article]:
    """A JSON list of articles, or JSON Lines (one per line); `text_builder` assembles text spread over several keys."""
    raw = read_text(path)
    try:
        records = _json_records(raw, path.suffix.lower() == ".jsonl")
    except json.JSONDecodeError as exc:
        raise LoadError(f"invalid JSON at line {exc.lineno}: {exc.msg}") from exc
    if not isinstance(records, list):
        raise LoadError("expected a list of articles, an object with 'articles', or JSON Lines")
    articles = []
    for n, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise LoadError(f"record {n} is not an object")
        data = {key: record.get(getattr(fields, key)) for key in ("id", "title", "url", "lang", "tags", "updated")}
        data["id"] = data["id"] or data["title"] or f"{path.stem}-{n}"
        text = _record_text(record, fields, text_builder, n)
        if not isinstance(text, str) or not text.strip():
            raise LoadError(f"record {n} ({data['id']}) has no text in field {fields.text!r}")
        articles.append(make_article(path, data, text))
    return articles


def _record_text(record: dict, fields: JsonFields, text_builder: TextBuilder | None, n: int) -> object:
    """The record's text: from the builder when one is given, else from the text field."""
    if text_builder is None:
        return record.get(fields.text)
    try:
        return text_builder(record)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise LoadError(f"record {n}: cannot build its text ({type(exc).__name__}: {exc})") from exc


def _json_records(raw: str, lines: bool) -> list:
    if lines:
        return [json.loads(line) for line in raw.splitlines() if line.strip()]
    data = json.loads(raw)
    if isinstance(data, dict):
        data = data.get("articles", [data])
    return data


def load_json_with(fields: JsonFields, text_builder: TextBuilder | None = None) -> Loader:
    """A registry loader: `load_json` with these field names and optional text builder."""

    def loader(path: Path) -> list[Article]:
        return load_json(path, fields, text_builder)

    return loader


def doc2dial_fields() -> JsonFields:
    """doc2dial docs.jsonl: the title is the id, the text is doc_text, the domain becomes a tag."""
    return JsonFields(id="title", text="doc_text", tags="domain")


def abcd_guideline_fields() -> JsonFields:
    """ABCD guidelines.jsonl: one article per subflow, tagged with its flow; text via `abcd_guideline_text`."""
    return JsonFields(id="subflow", title="subflow", text="instructions", tags="flow")


def abcd_guideline_text(record: dict) -> str:
    """An ABCD guideline as Markdown: flow and first instruction, a `## Step N: button` per action, then the rest."""
    flow = " — ".join(str(record[k]) for k in ("flow", "flow_description") if record.get(k))
    instructions = record.get("instructions") or []
    instructions = [instructions] if isinstance(instructions, str) else [str(i) for i in instructions]
    parts = ([f"Flow: {flow}."] if flow else []) + instructions[:1]
    for n, action in enumerate(record.get("actions") or [], start=1):
        head = f"## Step {n}: {action.get('button') or action.get('type') or 'action'}"
        subtext = [f"- {s}" for s in action.get("subtext") or [] if str(s).strip()]
        parts.append("\n".join([head, "", str(action.get("text") or ""), *subtext]))
    if instructions[1:]:
        parts.append("\n\n".join(["## Wrap-up", *instructions[1:]]))
    return "\n\n".join(p.strip() for p in parts if p.strip())


load_abcd_guidelines = load_json_with(abcd_guideline_fields(), abcd_guideline_text)

LOADERS: dict[str, Loader] = {
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".json": load_json,
    ".jsonl": load_json,
    ".html": load_html,
    ".htm": load_html,
    ".csv": load_csv,
    ".xlsx": load_xlsx,
    ".pdf": load_pdf,
}


def supported_files(source: Path, suffixes: Iterable[str] | None = None) -> Iterable[Path]:
    """`source` itself if a file, else the files under it with a loader (hidden files and Office lock files left out)."""
    if source.is_file():
        yield source
        return
    wanted = {s.lower() for s in (suffixes if suffixes is not None else LOADERS)}
    for path in sorted(source.rglob("*")):
        if path.is_file() and path.suffix.lower() in wanted and not path.name.startswith((".", "~$")):
            yield path


MAX_FILE_BYTES = 10_000_000  # an article file larger than this is an export to split, not an article


def _too_big(path: Path) -> str:
    size = path.stat().st_size
    if size <= MAX_FILE_BYTES:
        return ""
    return f"{size / 1e6:.1f} MB is larger than an article file can be ({MAX_FILE_BYTES / 1e6:.0f} MB); split it"


def load_folder(source: Path, loaders: dict[str, Loader] | None = None) -> LoadReport:
    """Every supported file under `source`; unreadable, empty and duplicate articles are skipped with a reason."""
    loaders = loaders or LOADERS
    report = LoadReport()
    seen: dict[str, str] = {}
    for path in supported_files(source, loaders):
        loader = loaders.get(path.suffix.lower())
        if loader is None:
            report.skip(path.name, f"unsupported file type {path.suffix}")
            continue
        too_big = _too_big(path)
        if too_big:
            report.skip(path.name, too_big)
            continue
        try:
            articles = loader(path)
        except LoadError as exc:
            report.skip(path.name, str(exc))
            continue
        except Exception as exc:  # a broken file must never stop the build
            report.skip(path.name, f"{type(exc).__name__}: {exc}")
            continue
        report.skipped.extend(getattr(articles, "skipped", ()))
        for article in articles:
            if article.id in seen:
                report.skip(path.name, f"duplicate article id {article.id!r} (first in {seen[article.id]})")
                continue
            seen[article.id] = path.name
            report.articles.append(article)
    return report
