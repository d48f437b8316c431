"""Where the shipped demo KB lives (the index folder itself is a setting: `Settings.index_path`)."""
from __future__ import annotations

from pathlib import Path

from core.settings import DEMO_ARTICLES

PACKAGE_DIR = Path(__file__).resolve().parent


def demo_articles_dir() -> Path:
    return DEMO_ARTICLES
