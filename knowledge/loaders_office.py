"""FAQ tables (CSV, XLSX: one article per row) and PDF manuals (one article per file, a section per page)."""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Callable, Iterable

from core.types import Article
from knowledge.loaders_base import LoadedArticles, LoadError, decode_text, make_article

REQUIRED_COLUMNS = ("question", "answer")
COLUMN_ALIASES = {
    "question": ("question", "q", "title", "질문", "제목"),
    "answer": ("answer", "a", "body", "답변", "답", "내용"),
    "url": ("url", "link", "링크"),
    "id": ("id", "article id", "faq id"),
    "lang": ("lang", "language", "언어"),
    "tags": ("tags", "tag", "category", "태그", "카테고리", "분류"),
    "updated": ("updated", "updated at", "last updated", "수정일"),
}


@dataclass(frozen=True)
class TableColumns:
    """Which FAQ columns hold an article's parts; matched case-insensitively, common aliases accepted too."""

    question: str = "question"
    answer: str = "answer"
    url: str = "url"
    id: str = "id"
    lang: str = "lang"
    tags: str = "tags"
    updated: str = "updated"


def _column_key(name: object) -> str:
    """A header cell folded for matching: case, underscores, dashes and extra spaces ignored."""
    return " ".join(re.sub(r"[_\-]+", " ", cell_text(name)).casefold().split())


def resolve_columns(header: list, columns: TableColumns = TableColumns()) -> dict[str, int]:
    """Index of each article part in the header row; LoadError naming the columns found if question or answer is missing."""
    index: dict[str, int] = {}
    for i, name in enumerate(header):
        index.setdefault(_column_key(name), i)
    found: dict[str, int] = {}
    for role, aliases in COLUMN_ALIASES.items():
        for name in (getattr(columns, role), *aliases):
            if _column_key(name) in index:
                found[role] = index[_column_key(name)]
                break
    missing = [role for role in REQUIRED_COLUMNS if role not in found]
    if missing:
        names = ", ".join(repr(cell_text(h)) for h in header if cell_text(h)) or "none"
        raise LoadError(f"missing column(s) {', '.join(missing)}; columns found: {names}")
    return found


def cell_text(value: object) -> str:
    """A cell as text: None as '', whole floats without '.0', dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def table_articles(path: Path, rows: Iterable[list], columns: TableColumns = TableColumns()) -> LoadedArticles:
    """One article per row under the header row (the first non-blank one); rows without an answer are skipped and noted."""
    result = LoadedArticles()
    found: dict[str, int] | None = None
    data_rows = 0
    for number, row in enumerate(rows, start=1):
        cells = [cell_text(c) for c in row]
        if not any(cells):
            continue
        if found is None:
            found = resolve_columns(cells, columns)
            continue
        data_rows += 1
        _add_row(result, path, number, {role: cells[i] if i < len(cells) else "" for role, i in found.items()})
    if found is None:
        raise LoadError("empty table: no header row")
    if not data_rows:
        raise LoadError("no FAQ rows under the header")
    return result


def _add_row(result: LoadedArticles, path: Path, number: int, data: dict[str, str]) -> None:
    """Append the row's article, or note why the row was skipped."""
    label = f"{path.name} row {number}"
    if not data["answer"]:
        result.skip(label, "empty answer")
    elif not data["question"]:
        result.skip(label, "empty question")
    else:
        data.update(title=data["question"], id=data.get("id") or f"{path.stem}-{number}")
        result.append(make_article(path, data, data["answer"]))


def _delimiter(text: str) -> str:
    """The separator the header line uses most: comma, semicolon or tab."""
    header = text.split("\n", 1)[0]
    return max(",;\t", key=header.count)


def load_csv(path: Path, columns: TableColumns = TableColumns()) -> list[Article]:
    """A FAQ CSV (UTF-8 or CP949): question → title, answer → text; row-level skips ride on the result."""
    text = decode_text(path.read_bytes())
    try:
        return table_articles(path, csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text)), columns)
    except csv.Error as exc:
        raise LoadError(f"malformed CSV: {exc}") from exc


def load_xlsx(path: Path, columns: TableColumns = TableColumns()) -> list[Article]:
    """A FAQ workbook's first sheet: question → title, answer → text; row-level skips ride on the result."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zip, XML and key errors for damaged files
        raise LoadError(f"not an Excel workbook or damaged: {exc}") from exc
    try:
        rows = [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
    finally:
        workbook.close()
    return table_articles(path, rows, columns)


def load_table_with(columns: TableColumns) -> Callable[[Path], list[Article]]:
    """A registry loader for .csv and .xlsx files with these column names."""

    def loader(path: Path) -> list[Article]:
        load = load_xlsx if path.suffix.lower() == ".xlsx" else load_csv
        return load(path, columns)

    return loader


def load_pdf(path: Path) -> list[Article]:
    """A PDF manual as one article with a `## Page N` section per page; title from metadata, first line or file name."""
    reader = _open_pdf(path)
    pages = [_page_text(page) for page in reader.pages]
    if not any(pages):
        raise LoadError("no extractable text (scanned PDF?)")
    body = "\n\n".join(f"## Page {n}\n\n{text}" for n, text in enumerate(pages, start=1) if text)
    title = _pdf_title(reader) or next(line.strip() for text in pages for line in text.splitlines() if line.strip())
    return [make_article(path, {"title": title[:200]}, body)]


def _open_pdf(path: Path):
    """A PdfReader with its page tree read; LoadError for encrypted, damaged or non-PDF files."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(path)
    except Exception as exc:  # pypdf raises many types for damaged input
        raise LoadError(f"not a PDF or damaged: {exc}") from exc
    if reader.is_encrypted:
        try:
            opened = reader.decrypt("")
        except Exception as exc:  # e.g. AES without the crypto dependency
            raise LoadError(f"encrypted PDF ({exc})") from exc
        if not opened:
            raise LoadError("encrypted PDF")
    try:
        len(reader.pages)
    except Exception as exc:
        raise LoadError(f"not a PDF or damaged: {exc}") from exc
    return reader


def _page_text(page) -> str:
    """A page's text with trailing spaces and runs of blank lines removed; '' if it cannot be read."""
    try:
        text = page.extract_text() or ""
    except Exception:  # one unreadable page must not lose the rest of the manual
        return ""
    lines = [line.rstrip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _pdf_title(reader) -> str:
    """The document title from PDF metadata, or '' when absent or unreadable."""
    try:
        title = reader.metadata.title if reader.metadata else ""
    except Exception:
        return ""
    return " ".join(str(title or "").split())
