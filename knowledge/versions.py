"""The versions kept under an index root: list them, point CURRENT back at an older one, prune the oldest.

Version names are UTC timestamps (`v20261120T091200123456Z`), so sorting by name sorts by age.
Restoring only moves the CURRENT pointer; it never deletes a version.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from knowledge.index import IndexError_, current_version, read_manifest


class RestoreError(IndexError_):
    """A version cannot be restored (none older than the live one, or no such name)."""


@dataclass
class VersionInfo:
    name: str
    created: str
    articles: int
    chunks: int
    live: bool


def version_folders(root: Path) -> list[Path]:
    """Complete version folders under `root`, oldest first (half-written `.partial` ones are left out)."""
    versions = root / "versions"
    if not versions.is_dir():
        return []
    return sorted((p for p in versions.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.name)


def list_versions(root: Path) -> list[VersionInfo]:
    """Every readable version under `root`, newest first; one whose manifest cannot be read is left out."""
    live = current_version(root)
    infos = []
    for folder in reversed(version_folders(root)):
        try:
            manifest = read_manifest(folder)
        except (OSError, ValueError, TypeError):
            continue
        infos.append(VersionInfo(name=folder.name, created=manifest.created, articles=len(manifest.articles),
                                 chunks=manifest.chunk_count, live=folder.name == live))
    return infos


def point_current(root: Path, name: str) -> None:
    """Make `name` the live version with an atomic rename of the CURRENT pointer."""
    handle, pointer = tempfile.mkstemp(prefix=".CURRENT.", suffix=".tmp", dir=root)
    with os.fdopen(handle, "w", encoding="utf-8") as fh:
        fh.write(name)
    os.replace(pointer, root / "CURRENT")


def restore_version(root: Path, name: str | None = None) -> str:
    """Point CURRENT at version `name` (default: the newest one older than the live one) and return its name."""
    versions = list_versions(root)
    if not versions:
        raise RestoreError(f"No index versions at {root}. Build one with `python -m knowledge build`.")
    target = _previous_name(versions, current_version(root)) if name is None else _known_name(versions, name, root)
    point_current(root, target)
    return target


def _previous_name(versions: list[VersionInfo], live: str | None) -> str:
    older = [v.name for v in versions if live is None or v.name < live]
    if not older:
        raise RestoreError(f"There is no version older than the live one ({live}) to restore; "
                           f"kept: {', '.join(v.name for v in versions)}.")
    return older[0]


def _known_name(versions: list[VersionInfo], name: str, root: Path) -> str:
    names = [v.name for v in versions]
    if name not in names:
        raise RestoreError(f"No readable version {name!r} at {root}; kept: {', '.join(names)}.")
    return name


def prune_versions(root: Path, keep: int) -> None:
    """Drop old versions but the newest `keep`; the live one always stays, and readers holding one keep their copy."""
    live = current_version(root)
    folders = version_folders(root)
    for folder in folders[: max(len(folders) - keep, 0)]:
        if folder.name != live:
            shutil.rmtree(folder, ignore_errors=True)
