"""`python -m knowledge build|search|stats` — build the index, query it, describe it."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from knowledge.build import build_folder
from knowledge.embeddings import EmbeddingError, load_embedder
from knowledge.index import IndexError_, load_index
from knowledge.paths import default_index_dir, demo_articles_dir


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m knowledge", description="Knowledge base index")
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="ingest articles and (re)build the index")
    build.add_argument("--source", type=Path, default=None, help="folder or file of articles (default: demo KB)")
    build.add_argument("--index", type=Path, default=None, help="index folder (default: var/index or ASSIST_INDEX_DIR)")
    build.add_argument("--embeddings", default="", help="onnx-int8 (default), onnx-fp32 or torch-fp32")
    build.add_argument("--json", action="store_true", help="print the build report as JSON")
    search = sub.add_parser("search", help="search the index")
    search.add_argument("query")
    search.add_argument("--k", type=int, default=5)
    search.add_argument("--mode", choices=["hybrid", "dense", "lexical"], default="hybrid")
    search.add_argument("--index", type=Path, default=None)
    search.add_argument("--embeddings", default="")
    search.add_argument("--json", action="store_true")
    sub.add_parser("prepare-models", help="export the bundled MiniLM to ONNX (fp32 and int8) once, offline")
    cal = sub.add_parser("calibrate", help="fit the answerability gate on labelled questions (JSONL: question, article_id)")
    cal.add_argument("questions", type=Path)
    cal.add_argument("--index", type=Path, default=None)
    stats = sub.add_parser("stats", help="describe the live index")
    stats.add_argument("--index", type=Path, default=None)
    stats.add_argument("--json", action="store_true")
    return parser


def run_build(args) -> int:
    source = args.source or demo_articles_dir()
    if not source.exists():
        print(f"error: source {source} does not exist", file=sys.stderr)
        return 2
    root = args.index or default_index_dir()
    report = build_folder(source, root, load_embedder(args.embeddings))
    if args.json:
        print(json.dumps(report.__dict__, ensure_ascii=False, indent=1))
        return 0
    print(f"Built {report.version}: {report.articles} articles, {report.chunks} chunks "
          f"({report.embedded_chunks} embedded, {report.reused_chunks} reused) in {report.seconds:.1f}s -> {root}")
    for label, ids in (("added", report.added), ("changed", report.changed), ("removed", report.removed)):
        if ids:
            print(f"  {label}: {len(ids)} ({', '.join(ids[:8])}{' …' if len(ids) > 8 else ''})")
    for name, reason in report.skipped:
        print(f"  skipped {name}: {reason}")
    return 0


def run_search(args) -> int:
    index = load_index(args.index or default_index_dir(), load_embedder(args.embeddings))
    from knowledge.gate import judge

    hits = index.search(args.query, k=args.k, mode=args.mode)
    verdict = judge(index, args.query, hits)
    if args.json:
        payload = {"query": args.query, "answerable": verdict.answerable, "confidence": verdict.confidence,
                   "reason": verdict.reason,
                   "hits": [{"article_id": h.chunk.article_id, "chunk_id": h.chunk.id, "title": h.chunk.title,
                             "url": h.chunk.url, "section": h.chunk.section, "text": h.chunk.text, "score": h.score,
                             "dense": h.dense, "lexical": h.lexical} for h in hits]}
        print(json.dumps(payload, ensure_ascii=False, indent=1))
        return 0
    print(f"{'answerable' if verdict.answerable else 'NOT answerable'} ({verdict.confidence:.2f}): {verdict.reason}")
    for rank, hit in enumerate(hits, start=1):
        print(f"{rank}. [{hit.chunk.article_id}] {hit.chunk.title}  score={hit.score:.4f} "
              f"dense={_fmt(hit.dense)} lexical={_fmt(hit.lexical)}\n   {hit.chunk.url}\n   {hit.chunk.text[:220]}")
    return 0


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def run_stats(args) -> int:
    from knowledge.index import current_version, read_manifest

    root = args.index or default_index_dir()
    name = current_version(root)
    if name is None:
        print(f"No index at {root}. Build it with `make index`.", file=sys.stderr)
        return 1
    manifest = read_manifest(root / "versions" / name)
    langs: dict[str, int] = {}
    for meta in manifest.articles.values():
        langs[meta.get("lang", "?")] = langs.get(meta.get("lang", "?"), 0) + 1
    info = {"version": name, "model_id": manifest.model_id, "articles": len(manifest.articles),
            "chunks": manifest.chunk_count, "languages": langs, "created": manifest.created}
    print(json.dumps(info, ensure_ascii=False, indent=1) if args.json else "\n".join(f"{k}: {v}" for k, v in info.items()))
    return 0


def run_calibrate(args) -> int:
    from knowledge.calibrate import CalibrationError, calibrate, load_questions, save_calibrated

    root = args.index or default_index_dir()
    index = load_index(root, load_embedder())
    try:
        params = calibrate(index, load_questions(args.questions))
    except (CalibrationError, OSError, ValueError) as exc:
        print(f"error: cannot calibrate: {exc}", file=sys.stderr)
        return 2
    name = save_calibrated(index, root, params)
    print(f"Calibrated the gate on {params['examples']} questions (threshold {params['threshold']:.2f}) -> {name}")
    return 0


def run_prepare_models(args) -> int:
    from knowledge.embeddings import ensure_onnx_model

    for quantized in (False, True):
        print(f"ready: {ensure_onnx_model(quantized)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    commands = {"build": run_build, "search": run_search, "stats": run_stats, "prepare-models": run_prepare_models,
                "calibrate": run_calibrate}
    try:
        return commands[args.command](args)
    except (IndexError_, EmbeddingError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
