"""Build or incrementally rebuild an index: only new or changed articles are re-embedded.

Every chunk also gets a multilingual vector (Korean and cross-lingual queries search them): the multilingual
model is slow (15-37 texts/s) but its vectors are cached by content hash, so a rebuild embeds only new or changed
chunks; the demo KB's 179 chunks take ~15 s once, then ~0.1 s."""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Literal

import numpy as np

from core.types import Article, Chunk
from knowledge.chunking import CHUNKER_VERSION, chunk_article
from knowledge.embeddings import Embedder, EmbeddingError, load_multilingual_embedder
from knowledge.index import (
    KnowledgeIndex,
    Manifest,
    MultilingualModel,
    MultilingualRanker,
    chunk_language,
    current_version,
    embed_chunks,
    lexical_index,
    read_chunks,
    read_manifest,
    write_version,
)
from knowledge.loaders import LoadReport, load_folder
from knowledge.versions import prune_versions

KEEP_VERSIONS = 3
Progress = Callable[[float, str], None]
# "product": the product's multilingual embedder (skipped, and reported, when its package is missing); None: none.
MultilingualChoice = MultilingualModel | Literal["product"] | None
CONFIRM_HINT = "pass --allow-shrink (CLI) or confirm on the Knowledge page to replace it anyway"


class BuildRefused(RuntimeError):
    """A build that would harm the live index was refused before anything was written."""


class ShrinkRefused(BuildRefused):
    """The build would leave no articles, or remove more than half of the live index's articles."""


class SourcesMissing(BuildRefused):
    """None of the article sources exists (a mistyped or unmounted folder)."""


@dataclass
class BuildReport:
    version: str = ""
    articles: int = 0
    chunks: int = 0
    embedded_chunks: int = 0
    reused_chunks: int = 0
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    gate: str = ""  # what happened to the gate calibration: kept, dropped (and why), or "" when there was none
    multilingual: str = ""  # the multilingual vectors: model and how many were embedded, or why there are none


def article_hash(article: Article) -> str:
    payload = "\x1f".join([CHUNKER_VERSION, article.title, article.url, article.lang, article.text])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def live_manifest(root: Path) -> Manifest | None:
    """The manifest of the live version, or None when there is none or it is unreadable."""
    name = current_version(root)
    if name is None:
        return None
    try:
        return read_manifest(root / "versions" / name)
    except (OSError, ValueError, TypeError):
        return None


def carried_gate(previous: Manifest | None, model_id: str) -> tuple[dict | None, str]:
    """The gate calibration a new version inherits, and what to tell the user about it.

    Calibrated weights describe retrieval scores of one embedding model: they carry over while the model is
    unchanged and are dropped (the prior gate applies until `python -m knowledge calibrate` runs) when it is not.
    """
    if previous is None or not previous.gate:
        return None, ""
    if previous.model_id != model_id:
        return None, (f"dropped: the gate was calibrated for {previous.model_id}, the index is now built with "
                      f"{model_id}; run `python -m knowledge calibrate` again")
    examples = previous.gate.get("examples")
    return dict(previous.gate), "kept" + (f" (calibrated on {examples} questions)" if examples else "")


def shrink_problem(live: Manifest | None, new_ids: set[str]) -> str:
    """Why replacing the live index by one of the articles `new_ids` needs confirmation, or "" when it does not."""
    if live is None:
        return "" if new_ids else f"This build found no articles and an empty index is useless; nothing was written: {CONFIRM_HINT}."
    live_ids = set(live.articles)
    removed = len(live_ids - new_ids)
    if new_ids and removed <= len(live_ids) / 2:
        return ""
    return (f"The live index has {len(live_ids)} articles; this build would keep {len(live_ids) - removed} of them and "
            f"remove {removed} ({len(new_ids)} articles in the new index). Nothing was changed: {CONFIRM_HINT}.")


def _previous(root: Path, model_id: str) -> tuple[dict[str, str], dict[str, tuple[list[Chunk], np.ndarray]]]:
    """Article hashes and per-article (chunks, vectors) of the live version, if built with the same model."""
    name = current_version(root)
    if name is None:
        return {}, {}
    folder = root / "versions" / name
    try:
        manifest = read_manifest(folder)
        if manifest.model_id != model_id:
            return {}, {}
        chunks = read_chunks(folder)
        vectors = np.load(folder / "vectors.npy")
    except (OSError, ValueError, TypeError):
        return {}, {}
    by_article: dict[str, tuple[list[Chunk], list[int]]] = {}
    for row, chunk in enumerate(chunks):
        by_article.setdefault(chunk.article_id, ([], []))
        by_article[chunk.article_id][0].append(chunk)
        by_article[chunk.article_id][1].append(row)
    hashes = {aid: meta.get("hash", "") for aid, meta in manifest.articles.items()}
    return hashes, {aid: (cs, vectors[rows]) for aid, (cs, rows) in by_article.items()}


def assemble(articles: list[Article], embedder: Embedder, reuse: dict[str, tuple[list[Chunk], np.ndarray]] | None = None,
             progress: Progress | None = None) -> tuple[list[Chunk], np.ndarray, int]:
    """Chunks and vectors for all articles, embedding only those not in `reuse`."""
    reuse = reuse or {}
    chunks: list[Chunk] = []
    parts: list[np.ndarray | None] = []
    fresh: list[Chunk] = []
    for article in articles:
        if article.id in reuse:
            old_chunks, old_vectors = reuse[article.id]
            chunks.extend(old_chunks)
            parts.append(old_vectors)
        else:
            new = chunk_article(article)
            chunks.extend(new)
            fresh.extend(new)
            parts.append(None)
    fresh_vectors = _embed_with_progress(fresh, embedder, progress)
    vectors, cursor = [], 0
    for article, part in zip(articles, parts):
        if part is None:
            n = sum(1 for c in fresh[cursor:] if c.article_id == article.id)
            part = fresh_vectors[cursor : cursor + n]
            cursor += n
        vectors.append(part)
    matrix = np.vstack(vectors) if vectors else np.zeros((0, embedder.dim), np.float32)
    return chunks, matrix.astype(np.float32), len(fresh)


def _embed_with_progress(chunks: list[Chunk], embedder: Embedder, progress: Progress | None, step: int = 256,
                         label: str = "chunks") -> np.ndarray:
    if not chunks:
        return np.zeros((0, embedder.dim), np.float32)
    if progress is None:
        return embed_chunks(chunks, embedder)
    out = []
    for start in range(0, len(chunks), step):
        out.append(embed_chunks(chunks[start : start + step], embedder))
        progress(min(1.0, (start + step) / len(chunks)), f"Embedded {min(start + step, len(chunks))}/{len(chunks)} {label}")
    return np.vstack(out)


def multilingual_embedder(choice: MultilingualChoice) -> tuple[MultilingualModel | None, str]:
    """The multilingual embedder a build uses, or None and why."""
    if choice is None:
        return None, "not requested"
    if choice != "product":
        return choice, ""
    try:
        return load_multilingual_embedder(), ""
    except EmbeddingError as exc:
        return None, str(exc)


def multilingual_ranker(chunks: list[Chunk], choice: MultilingualChoice,
                        progress: Progress | None = None) -> tuple[MultilingualRanker | None, str]:
    """Multilingual vectors for every chunk (from the content-hash cache where possible) and a report line
    (or why there are none)."""
    embedder, why_not = multilingual_embedder(choice)
    if embedder is None:
        return None, f"none: {why_not}"
    runs_before = getattr(embedder, "model_runs", None)
    vectors = _embed_with_progress(chunks, embedder, progress, label="multilingual vectors")
    line = f"{embedder.model_id}: {len(chunks)} chunks"
    if runs_before is not None:
        embedded = embedder.model_runs - runs_before
        line += f" ({embedded} embedded, {len(chunks) - embedded} from the cache)"
    return MultilingualRanker(embedder, vectors, [chunk_language(c) for c in chunks]), line


def build_in_memory(articles: list[Article], embedder: Embedder, multilingual: MultilingualChoice = "product") -> KnowledgeIndex:
    """An index that lives only in memory (evaluation, tests)."""
    chunks, vectors, _ = assemble(articles, embedder)
    ranker, status = multilingual_ranker(chunks, multilingual)
    manifest = _manifest(articles, chunks, embedder, ranker)
    return KnowledgeIndex(manifest, chunks, vectors, lexical_index(chunks), embedder, multilingual=ranker,
                          multilingual_status="" if ranker else f"off: {status.removeprefix('none: ')}")


def _manifest(articles: list[Article], chunks: list[Chunk], embedder: Embedder,
              multilingual: MultilingualRanker | None = None) -> Manifest:
    counts: dict[str, int] = {}
    for chunk in chunks:
        counts[chunk.article_id] = counts.get(chunk.article_id, 0) + 1
    meta = {
        a.id: {"hash": article_hash(a), "title": a.title, "lang": a.lang, "url": a.url, "source": a.source,
               "updated": a.updated, "chunks": counts.get(a.id, 0)}
        for a in articles
    }
    return Manifest(model_id=embedder.model_id, dim=embedder.dim, created=datetime.now(timezone.utc).isoformat(),
                    articles=meta, chunk_count=len(chunks),
                    multilingual=multilingual.manifest_entry() if multilingual else None)


def build_articles(articles: list[Article], root: Path, embedder: Embedder, progress: Progress | None = None,
                   report: BuildReport | None = None, allow_shrink: bool = False,
                   multilingual: MultilingualChoice = "product") -> BuildReport:
    """Write a new version for `articles` beside the old one and swap it in atomically.

    Raises ShrinkRefused, before anything is embedded or written, when the build would leave no articles or
    remove more than half of the live ones, unless `allow_shrink`."""
    started = time.perf_counter()
    report = report or BuildReport()
    live = live_manifest(root)
    problem = shrink_problem(live, {a.id for a in articles})
    if problem and not allow_shrink:
        raise ShrinkRefused(problem)
    old_hashes, old_parts = _previous(root, embedder.model_id)
    new_hashes = {a.id: article_hash(a) for a in articles}
    reuse = {aid: old_parts[aid] for aid, h in new_hashes.items() if old_hashes.get(aid) == h and aid in old_parts}
    report.added = sorted(a for a in new_hashes if a not in old_hashes)
    report.changed = sorted(a for a in new_hashes if a in old_hashes and a not in reuse)
    report.removed = sorted(a for a in old_hashes if a not in new_hashes)
    chunks, vectors, embedded = assemble(articles, embedder, reuse, progress)
    ranker, report.multilingual = multilingual_ranker(chunks, multilingual, progress)
    if progress:
        progress(1.0, "Writing the index")
    manifest = _manifest(articles, chunks, embedder, ranker)
    manifest.gate, report.gate = carried_gate(live, embedder.model_id)
    name = datetime.now(timezone.utc).strftime("v%Y%m%dT%H%M%S%fZ")
    write_version(root, name, manifest, chunks, vectors, lexical_index(chunks), ranker.vectors if ranker else None)
    prune_versions(root, keep=KEEP_VERSIONS)
    report.version, report.articles, report.chunks = name, len(articles), len(chunks)
    report.embedded_chunks, report.reused_chunks = embedded, len(chunks) - embedded
    report.seconds = time.perf_counter() - started
    return report


def build_folder(source: Path, root: Path, embedder: Embedder, progress: Progress | None = None,
                 allow_shrink: bool = False) -> BuildReport:
    """Ingest one folder or file into the index (see build_sources)."""
    return build_sources([source], root, embedder, progress, allow_shrink)


def build_sources(sources: list[Path], root: Path, embedder: Embedder, progress: Progress | None = None,
                  allow_shrink: bool = False) -> BuildReport:
    """Ingest several folders or files into one index; an id seen twice is skipped the second time.

    Raises SourcesMissing when none of the sources exists, and ShrinkRefused as build_articles does."""
    if not any(source.exists() for source in sources):
        listed = ", ".join(str(s) for s in sources) or "none given"
        raise SourcesMissing(f"None of the article sources exists ({listed}); check the article folder (--source or "
                             "ASSIST_KB_DIR) or upload files. The live index was left as it is.")
    articles, skipped, seen = [], [], set()
    for source in sources:
        if not source.exists():
            skipped.append((str(source), "folder does not exist"))
            continue
        loaded: LoadReport = load_folder(source)
        skipped.extend(loaded.skipped)
        for article in loaded.articles:
            if article.id in seen:
                skipped.append((article.source, f"duplicate article id {article.id!r}"))
                continue
            seen.add(article.id)
            articles.append(article)
    return build_articles(articles, root, embedder, progress, BuildReport(skipped=skipped), allow_shrink)

