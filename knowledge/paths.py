"""Default locations: the demo KB shipped with the package and the index root (ASSIST_INDEX_DIR)."""
from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def demo_articles_dir() -> Path:
    return PACKAGE_DIR / "demo" / "articles"


def default_index_dir() -> Path:
    return Path(os.environ.get("ASSIST_INDEX_DIR", Path.cwd() / "var" / "index"))
