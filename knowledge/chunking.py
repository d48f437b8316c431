"""Heading- and sentence-aware chunking with overlap; each chunk carries its title and section path."""
from __future__ import annotations

import re
from dataclasses import dataclass

from core.types import Article, Chunk
from knowledge.text import split_sentences

INLINE_MARKUP = re.compile(r"\*\*|__|`")
LINK = re.compile(r"\[([^\]]+)\]\((?:[^)]+)\)")
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
CHUNKER_VERSION = "2"  # bump when chunk boundaries or chunk text change: stored vectors are then re-embedded
DEFAULT_MAX_WORDS = 120
DEFAULT_OVERLAP = 1


@dataclass
class Section:
    path: list[str]
    body: str


def split_sections(text: str) -> list[Section]:
    """Markdown sections keyed by their heading path ("Returns > Fees"); text before any heading has an empty path."""
    sections: list[Section] = []
    path: list[tuple[int, str]] = []
    lines: list[str] = []

    def flush() -> None:
        body = "\n".join(lines).strip()
        if body:
            sections.append(Section([h for _, h in path], body))
        lines.clear()

    for line in text.splitlines():
        match = HEADING.match(line.strip())
        if match:
            flush()
            level = len(match.group(1))
            path = [(lvl, h) for lvl, h in path if lvl < level] + [(level, match.group(2).strip())]
        else:
            lines.append(line)
    flush()
    return sections


TABLE_ROW = re.compile(r"^\s*\|(.+)\|\s*$")
TABLE_RULE = re.compile(r"^\s*\|?[\s:|-]+\|?\s*$")


def flatten_tables(text: str) -> str:
    """Markdown tables become one sentence per row ("Option: Standard; Cost: ₩3,000.") so rows survive chunking."""
    out: list[str] = []
    header: list[str] | None = None
    for line in text.splitlines():
        row = TABLE_ROW.match(line)
        if not row:
            header = None
            out.append(line)
            continue
        cells = [c.strip() for c in row.group(1).split("|")]
        if header is None:
            header = cells
        elif not TABLE_RULE.match(line):
            pairs = [f"{h}: {c}" for h, c in zip(header, cells) if c]
            out.append("- " + "; ".join(pairs) + ".")
    return "\n".join(out)


def _words(text: str) -> int:
    return len(text.split())


def pack_sentences(sentences: list[str], max_words: int, overlap: int) -> list[list[str]]:
    """Greedy packing of whole sentences into windows of at most max_words, repeating `overlap` sentences."""
    windows: list[list[str]] = []
    current: list[str] = []
    count = 0
    for sentence in sentences:
        n = _words(sentence)
        if current and count + n > max_words:
            windows.append(current)
            current = current[-overlap:] if overlap else []
            count = sum(_words(s) for s in current)
            if count + n > max_words:
                current, count = [], 0
        current.append(sentence)
        count += n
    if current and (not windows or current != windows[-1][-len(current) :]):
        windows.append(current)
    return windows


def chunk_article(article: Article, max_words: int = DEFAULT_MAX_WORDS, overlap: int = DEFAULT_OVERLAP) -> list[Chunk]:
    """Chunks of an article, never crossing a section boundary."""
    chunks: list[Chunk] = []
    for section in split_sections(article.text):
        path = [p for p in section.path if p.strip().lower() != article.title.strip().lower()]
        body = flatten_tables(LINK.sub(r"\1", INLINE_MARKUP.sub("", section.body)))
        for window in pack_sentences(split_sentences(body), max_words, overlap):
            chunks.append(
                Chunk(
                    id=f"{article.id}#{len(chunks)}",
                    article_id=article.id,
                    title=article.title,
                    url=article.url,
                    text="\n".join(window),
                    lang=article.lang,
                    section=" > ".join(path),
                )
            )
    return chunks


def chunk_search_text(chunk: Chunk) -> str:
    """What gets embedded and indexed for a chunk: title and section give short passages their context."""
    head = chunk.title if not chunk.section else f"{chunk.title} — {chunk.section}"
    return f"{head}\n{chunk.text}"
