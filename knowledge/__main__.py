"""`python -m knowledge build|search|stats|versions|restore` — build the index, query it, describe it, roll it back."""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from core.cli import positive_int
from core.settings import Settings, load_settings
from knowledge.build import BuildRefused, build_folder
from knowledge.embeddings import EmbeddingError, backend_model_id, load_embedder
from knowledge.index import IndexError_, IndexMissingError, current_version, live_model_id, load_index
from knowledge.loaders import LOADERS, supported_files
from knowledge.versions import list_versions, restore_version

EXIT_REFUSED = 3
EXIT_CODES = """exit codes:
  0  done
  1  index or model problem (no index, unreadable index, unknown version, nothing to restore)
  2  bad input (missing source folder, bad questions file, bad arguments)
  3  build refused: it would leave no articles or remove more than half of the live ones (see build --allow-shrink)"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m knowledge", description="Knowledge base index", epilog=EXIT_CODES,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="ingest articles and (re)build the index", epilog=EXIT_CODES,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    build.add_argument("--source", type=Path, default=None, help="folder or file of articles (default: ASSIST_KB_DIR, else the demo KB)")
    build.add_argument("--index", type=Path, default=None, help="index folder (default: ASSIST_INDEX_DIR, var/index)")
    build.add_argument("--embeddings", default="", help="onnx-int8, onnx-fp32 or torch-fp32 (default: ASSIST_EMBEDDINGS, onnx-int8)")
    build.add_argument("--if-missing", action="store_true", help="do nothing when the index folder already has a live version built with the same embedding model")
    build.add_argument("--allow-shrink", action="store_true",
                       help="replace the live index even when the build leaves no articles or removes more than half of them")
    build.add_argument("--json", action="store_true", help="print the build report as JSON")
    search = sub.add_parser("search", help="search the index")
    search.add_argument("query")
    search.add_argument("--k", type=positive_int, default=5, help="how many articles to show")
    search.add_argument("--mode", choices=["hybrid", "dense", "lexical"], default="hybrid")
    search.add_argument("--index", type=Path, default=None)
    search.add_argument("--embeddings", default="")
    search.add_argument("--json", action="store_true")
    sub.add_parser("prepare-models", help="build MiniLM's ONNX files (fp32, int8 and fp16) from the installed weights "
                                         "once, offline and without torch, and check them")
    cal = sub.add_parser("calibrate", help="fit the answerability gate on labelled questions (JSONL: question, article_id)")
    cal.add_argument("questions", type=Path)
    cal.add_argument("--index", type=Path, default=None)
    stats = sub.add_parser("stats", help="describe the live index")
    stats.add_argument("--index", type=Path, default=None)
    stats.add_argument("--json", action="store_true")
    versions = sub.add_parser("versions", help="list the kept index versions, newest first (* = live)")
    versions.add_argument("--index", type=Path, default=None)
    versions.add_argument("--json", action="store_true")
    restore = sub.add_parser("restore", help="make an older version live again (default: the one before the live one)")
    restore.add_argument("version", nargs="?", default=None, help="version name from `versions` (default: the previous one)")
    restore.add_argument("--index", type=Path, default=None)
    return parser


def index_root(args, settings: Settings) -> Path:
    return args.index or settings.index_path


def run_build(args, settings: Settings) -> int:
    source = args.source or settings.kb_path
    root = index_root(args, settings)
    backend = args.embeddings or settings.embeddings
    if args.if_missing and current_version(root):
        built_with, wanted = live_model_id(root), backend_model_id(backend)
        if built_with == wanted:
            print(f"Index already built at {root} (version {current_version(root)}).")
            return 0
        print(f"The index at {root} was built with {built_with or 'an unreadable manifest'}; rebuilding it with {wanted}.")
    if not source.exists():
        print(f"error: source {source} does not exist", file=sys.stderr)
        return 2
    if not next(iter(supported_files(source)), None):
        print(f"error: no article files in {source} (supported: {', '.join(sorted(LOADERS))}); nothing was built",
              file=sys.stderr)
        return 2
    report = build_folder(source, root, load_embedder(backend), allow_shrink=args.allow_shrink)
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
    if report.gate:
        print(f"  gate calibration: {report.gate}")
    if report.multilingual:
        print(f"  multilingual vectors: {report.multilingual}")
    return 0


def run_search(args, settings: Settings) -> int:
    from knowledge.retrieve import retrieve

    index = load_index(index_root(args, settings), load_embedder(args.embeddings or settings.embeddings))
    found = retrieve(index, args.query, k=args.k, mode=args.mode)
    verdict = found.verdict
    if args.json:
        payload = {"query": args.query, "answerable": verdict.answerable, "confidence": verdict.confidence,
                   "reason": verdict.reason, "articles": found.article_ids,
                   "hits": [{"article_id": h.chunk.article_id, "chunk_id": h.chunk.id, "title": h.chunk.title,
                             "url": h.chunk.url, "section": h.chunk.section, "text": h.chunk.text, "score": h.score,
                             "dense": h.dense, "lexical": h.lexical} for h in found.hits]}
        print(json.dumps(payload, ensure_ascii=False, indent=1))
        return 0
    print(f"{'answerable' if verdict.answerable else 'NOT answerable'} ({verdict.confidence:.2f}): {verdict.reason}")
    for rank, group in enumerate(found.articles, start=1):
        best = group[0]
        print(f"{rank}. [{best.chunk.article_id}] {best.chunk.title}  score={best.score:.4f} "
              f"dense={_fmt(best.dense)} lexical={_fmt(best.lexical)}  {best.chunk.url}")
        for hit in group:
            print(f"   - {hit.chunk.section or 'intro'}: {hit.chunk.text[:220]}")
    return 0


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def multilingual_stats(folder: Path, manifest) -> str:
    """Whether the multilingual ranker is on for this version, and why not when it is off."""
    from knowledge.index import load_multilingual, read_chunks

    if not manifest.multilingual:
        return load_multilingual(folder, manifest, [])[1]
    ranker, status = load_multilingual(folder, manifest, read_chunks(folder))
    return f"on ({manifest.multilingual['model_id']}; Korean and cross-lingual queries)" if ranker else status


def run_stats(args, settings: Settings) -> int:
    from knowledge.index import read_manifest

    root = index_root(args, settings)
    name = current_version(root)
    if name is None:
        print(f"No index at {root}. Build it with `make index`.", file=sys.stderr)
        return 1
    folder = root / "versions" / name
    manifest = read_manifest(folder)
    langs: dict[str, int] = {}
    for meta in manifest.articles.values():
        langs[meta.get("lang", "?")] = langs.get(meta.get("lang", "?"), 0) + 1
    info = {"version": name, "model_id": manifest.model_id, "articles": len(manifest.articles),
            "chunks": manifest.chunk_count, "languages": langs, "created": manifest.created,
            "gate": "calibrated" if manifest.gate else "prior (not calibrated)",
            "multilingual": multilingual_stats(folder, manifest)}
    print(json.dumps(info, ensure_ascii=False, indent=1) if args.json else "\n".join(f"{k}: {v}" for k, v in info.items()))
    return 0


def run_calibrate(args, settings: Settings) -> int:
    from knowledge.calibrate import (
        CalibrationError,
        calibrate,
        load_questions,
        save_calibrated,
    )

    root = index_root(args, settings)
    try:
        questions = load_questions(args.questions, warn=lambda text: print(f"warning: {text}", file=sys.stderr))
    except (CalibrationError, OSError, ValueError) as exc:
        print(f"error: cannot calibrate: {exc}", file=sys.stderr)
        return 2
    index = load_index(root, load_embedder(settings.embeddings))
    try:
        params = calibrate(index, questions)
    except (CalibrationError, OSError, ValueError) as exc:
        print(f"error: cannot calibrate: {exc}", file=sys.stderr)
        return 2
    name = save_calibrated(index, root, params)
    print(f"Calibrated the gate on {params['examples']} questions (threshold {params['threshold']:.2f}) -> {name}")
    return 0


def run_versions(args, settings: Settings) -> int:
    root = index_root(args, settings)
    versions = list_versions(root)
    if not versions:
        raise IndexMissingError(f"No index versions at {root}. Build one with `python -m knowledge build`.")
    if args.json:
        print(json.dumps([asdict(v) for v in versions], ensure_ascii=False, indent=1))
        return 0
    for v in versions:
        print(f"{'*' if v.live else ' '} {v.name}  {v.articles} articles, {v.chunks} chunks, created {v.created}"
              f"{'  (live)' if v.live else ''}")
    return 0


def run_restore(args, settings: Settings) -> int:
    root = index_root(args, settings)
    before = current_version(root)
    name = restore_version(root, args.version)
    if name == before:
        print(f"{name} is already the live version; nothing changed.")
        return 0
    live = next(v for v in list_versions(root) if v.name == name)
    print(f"Restored {name} ({live.articles} articles, {live.chunks} chunks); it replaces {before} as the live "
          f"version. No version was deleted: `restore {before}` goes back.")
    return 0


def run_prepare_models(args, settings: Settings) -> int:
    from knowledge.embeddings import ensure_onnx_model

    from knowledge.embeddings import EmbeddingError

    try:
        for precision in ("fp32", "int8", "fp16"):
            print(f"ready: {ensure_onnx_model(precision)}")
    except EmbeddingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    commands = {"build": run_build, "search": run_search, "stats": run_stats, "prepare-models": run_prepare_models,
                "calibrate": run_calibrate, "versions": run_versions, "restore": run_restore}
    try:
        return commands[args.command](args, load_settings())
    except BuildRefused as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except (IndexError_, EmbeddingError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
