"""Knowledge bases for evaluation, built with the product's ingestion (loaders -> chunking -> embeddings -> BM25).

Built indexes live for the run; the doc2dial indexes are also kept on disk under the cache folder, keyed by the
corpus file's hash, the embedding model id, the chunker version and the variant (full, or the seeded half), so
a rerun does not re-embed them.
"""
from __future__ import annotations

import hashlib
import random
import shutil
from pathlib import Path

from evals.context import EvalContext

DOC2DIAL = "doc2dial"
HALF_SEED = 0
CACHE_VERSION = "v1"


def doc2dial_articles(ctx: EvalContext) -> list:
    """The doc2dial corpus as product Articles (id = title)."""
    from knowledge.loaders import doc2dial_fields, load_json

    path = ctx.layout.file(DOC2DIAL, "docs.jsonl")
    return ctx.memo("articles:doc2dial", lambda: load_json(path, doc2dial_fields()))


def removed_titles(articles: list) -> set[str]:
    """The fixed, seeded half of the corpus left out of the answerability index."""
    titles = sorted(a.id for a in articles)
    return set(random.Random(HALF_SEED).sample(titles, len(titles) // 2))


def full_index(ctx: EvalContext):
    """The whole doc2dial corpus indexed as the product would (from the disk cache when valid)."""
    return ctx.memo("index:doc2dial", lambda: _cached_build(ctx, doc2dial_articles(ctx), "full"))


def half_index(ctx: EvalContext):
    """The doc2dial corpus without the removed half, indexed the same way."""
    def build():
        removed = removed_titles(doc2dial_articles(ctx))
        return _cached_build(ctx, [a for a in doc2dial_articles(ctx) if a.id not in removed], f"half-seed{HALF_SEED}")

    return ctx.memo("index:doc2dial-half", build)


def demo_index(ctx: EvalContext):
    """The product's shipped demo KB, indexed in memory."""
    from knowledge.loaders import load_folder
    from knowledge.paths import demo_articles_dir

    return ctx.memo("index:demo", lambda: _build(ctx, load_folder(demo_articles_dir()).articles))


def _build(ctx: EvalContext, articles: list):
    from knowledge.build import build_in_memory

    return build_in_memory(articles, ctx.embedder())


def cache_key(source: Path, model_id: str, variant: str) -> str:
    """Hash of the corpus bytes, the embedding model id, the chunker version and the index variant."""
    from knowledge.chunking import CHUNKER_VERSION

    digest = hashlib.sha256(source.read_bytes())
    digest.update(f"\x1f{model_id}\x1f{CHUNKER_VERSION}\x1f{variant}\x1f{CACHE_VERSION}".encode())
    return digest.hexdigest()[:20]


def _cached_build(ctx: EvalContext, articles: list, variant: str):
    """Load a doc2dial index from the cache folder when its key matches, else build it and store it there."""
    if ctx.cache_dir is None:
        return _build(ctx, articles)
    embedder = ctx.embedder()
    source = ctx.layout.file(DOC2DIAL, "docs.jsonl")
    root = ctx.cache_dir / f"{DOC2DIAL}-{variant}-{cache_key(source, embedder.model_id, variant)}"
    index = _load(root, embedder)
    if index is None:
        index = _build(ctx, articles)
        _store(root, index)
    return index


def _load(root: Path, embedder):
    """The cached index, or None when it is absent or unreadable."""
    from knowledge.index import IndexError_, load_index

    if not (root / "CURRENT").is_file():
        return None
    try:
        return load_index(root, embedder)
    except (IndexError_, OSError, ValueError):
        return None


def _store(root: Path, index) -> None:
    """Write the index with the product's versioned layout; a failure only costs the next run a rebuild."""
    from knowledge.index import write_version

    shutil.rmtree(root, ignore_errors=True)
    try:
        root.mkdir(parents=True, exist_ok=True)
        write_version(root, "eval", index.manifest, index.chunks, index.vectors, index.bm25)
    except OSError:
        shutil.rmtree(root, ignore_errors=True)


def abcd_counts(ctx: EvalContext) -> dict[str, float]:
    """Articles, chunks and skipped records when ABCD's guidelines go through the product's loaders and chunker."""
    from knowledge.chunking import chunk_article
    from knowledge.loaders import load_abcd_guidelines, load_folder

    path = ctx.layout.file("abcd_kb", "guidelines.jsonl")
    report = load_folder(path, {path.suffix.lower(): load_abcd_guidelines})
    chunks = sum(len(chunk_article(a)) for a in report.articles)
    return {"articles": len(report.articles), "chunks": chunks, "skipped": len(report.skipped)}
