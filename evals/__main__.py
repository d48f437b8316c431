"""`python -m evals`: run the product on every dataset present in a data folder and report the metrics."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from core.cli import positive_int

CACHE_DIR = Path("var") / "eval_cache"  # under ASSIST_HOME


def parser() -> argparse.ArgumentParser:
    """Command-line options."""
    p = argparse.ArgumentParser(prog="python -m evals", description="Evaluate the agent-assist product on datasets.")
    p.add_argument("--data-dir", type=Path, default=None,
                   help="folder of <dataset>/<split>.jsonl (default: ASSIST_DATA_DIR, ../shared/data)")
    p.add_argument("--split", default="dev", help="split to score; labelled examples always come from dev")
    p.add_argument("--only", default="", help="comma-separated dataset names")
    p.add_argument("--json", type=Path, default=None, help="write the metrics as JSON here")
    p.add_argument("--markdown", type=Path, default=None, help="write a Markdown report here")
    p.add_argument("--engine", default="offline", help="offline (default) or openai:<model>")
    p.add_argument("--limit", type=positive_int, default=None, help="debug only: first N rows of each file")
    p.add_argument("--cache-dir", type=Path, default=None,
                   help="where built indexes are kept between runs (default: var/eval_cache under ASSIST_HOME)")
    p.add_argument("--no-cache", action="store_true", help="build every index afresh and keep nothing on disk")
    p.add_argument("--feedback", type=Path, default=None, metavar="FILE.jsonl",
                   help="instead of the datasets, score the product on agents' ratings exported by "
                        "`python -m desk feedback export` (a regression set)")
    return p


def selected(only: str) -> list[str] | None:
    """Dataset names from --only, or None for all; unknown names are an error."""
    from evals.runner import NAMES

    names = [n.strip() for n in only.split(",") if n.strip()]
    unknown = [n for n in names if n not in NAMES]
    if unknown:
        raise SystemExit(f"error: unknown dataset(s) {', '.join(unknown)}; known: {', '.join(NAMES)}")
    return names or None


def main(argv: list[str] | None = None) -> int:
    """Run the harness; exit status 1 when a dataset failed, 2 on bad arguments."""
    from evals import report, runner
    from evals.context import EvalContext
    from evals.datasets import Layout
    from evals.engine import check_engine

    from core.settings import load_settings

    args = parser().parse_args(argv)
    settings = load_settings()
    args.data_dir = args.data_dir or settings.data_path
    args.cache_dir = args.cache_dir or settings.resolve(CACHE_DIR)
    only = selected(args.only)
    if args.feedback is not None:
        return run_feedback(args, only)
    if not args.data_dir.is_dir():
        print(f"error: data folder {args.data_dir} does not exist", file=sys.stderr)
        return 2
    problem = check_engine(args.engine)
    if problem:
        print(f"error: engine {args.engine}: {problem}", file=sys.stderr)
        return 2
    ctx = EvalContext(Layout(args.data_dir, args.split, args.limit), engine=args.engine,
                      cache_dir=None if args.no_cache else args.cache_dir)
    started_at, started = runner.now(), time.perf_counter()
    outcome = runner.run(ctx, only)
    meta = runner.meta(ctx, outcome, time.perf_counter() - started, started_at)
    print()
    print(report.header_line(meta))
    print(report.text_table(outcome.results))
    if args.json:
        report.write_json(args.json, outcome.results, meta)
    if args.markdown:
        report.write_markdown(args.markdown, outcome.results, meta)
    return 1 if outcome.errors else 0


def run_feedback(args: argparse.Namespace, only: list[str] | None) -> int:
    """`--feedback FILE.jsonl`: the regression set of agents' ratings, not the datasets."""
    from evals import feedback

    if only:
        print("error: --only selects datasets; it does not apply with --feedback", file=sys.stderr)
        return 2
    return feedback.main(args.feedback, engine=args.engine, json_path=args.json, markdown_path=args.markdown,
                         limit=args.limit)


if __name__ == "__main__":
    sys.exit(main())
