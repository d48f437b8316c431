"""Where the screens put knowledge-base files and how they rebuild the index: the configured article folder
plus the uploads folder, nothing else (there is no free path box, so no screen can ingest an arbitrary folder)."""
from __future__ import annotations

import re
from pathlib import Path

from assist_ui import deps
from knowledge.build import BuildReport, build_sources
from knowledge.embeddings import load_embedder


def uploads_dir() -> Path:
    """The uploads folder, beside the index."""
    return deps.index_root().parent / "kb_uploads"


def kb_sources() -> list[Path]:
    """The only folders a rebuild reads: the configured article folder and the uploads folder."""
    return [deps.get_settings().kb_path, uploads_dir()]


def safe_name(name: str) -> str:
    """A file name the uploads folder accepts: letters (Hangul included), digits, '.', '-' and '_'."""
    return re.sub(r"[^\w.\-가-힣]", "_", Path(name).name)[:120] or "upload"


def new_article_path(title: str) -> Path:
    """A new Markdown file in the uploads folder for an article titled `title` (never an existing file)."""
    stem = safe_name(re.sub(r"\s+", "-", title.strip().lower()))[:80].strip("-_.") or "article"
    path, n = uploads_dir() / f"{stem}.md", 2
    while path.exists():
        path, n = uploads_dir() / f"{stem}-{n}.md", n + 1
    return path


def rebuild_index(progress=None, allow_shrink: bool = False) -> BuildReport:
    """Rebuild the live index from kb_sources() (raises BuildRefused / ShrinkRefused as build_sources does)."""
    return build_sources(kb_sources(), deps.index_root(), load_embedder(deps.get_settings().embeddings),
                         progress=progress, allow_shrink=allow_shrink)
