"""`python -m chains assist TICKET.json [--json]` prints the AssistResult for a ticket (a stable public interface);
`python -m chains prepare-intent` fits the shipped intent model once, before the app starts (`make run` does)."""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from core.settings import MissingSecretError, load_settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m chains", description="Agent-assist pipeline")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("assist", help="run assist() on a ticket JSON file")
    run.add_argument("ticket", type=Path)
    run.add_argument("--json", action="store_true", help="print the AssistResult as JSON")
    run.add_argument("--index", type=Path, default=None, help="index folder (default: ASSIST_INDEX_DIR, var/index)")
    run.add_argument("--llm", default=None, help="override ASSIST_LLM (offline, openai:<model>, azure:<deployment>)")
    sub.add_parser("prepare-intent", help="fit and save the intent model unless it is saved already")
    return parser


CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def terminal_safe(text: str) -> str:
    """Text with control characters (ANSI escapes included) shown as visible escapes, never acted on by a terminal."""
    return CONTROL.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), text)


def render_text(result) -> str:
    lines = [f"Ticket {result.ticket_id} — engine: {result.engine} ({result.model})"]
    if result.triage:
        t = result.triage
        lines.append(f"Triage: intent={t.intent} ({t.intent_confidence:.2f}) sentiment={t.sentiment} priority={t.priority} "
                     f"language={t.language}{' INJECTION SUSPECTED' if t.injection_suspected else ''}")
    if result.summary:
        lines += ["Summary:", f"  issue: {result.summary.issue}", f"  done so far: {result.summary.done_so_far}",
                  f"  next steps: {result.summary.next_steps}"]
    lines.append("Knowledge base:" if result.answerable else "Knowledge base (weak matches — the KB does not answer this):")
    for numbers, hits in result.articles():
        refs = " ".join(f"[{n}]" for n in numbers)
        lines.append(f"  {refs} {hits[0].chunk.title} ({hits[0].chunk.article_id}) score={hits[0].score:.4f}")
    for draft in result.drafts:
        lines += ["", f"--- {draft.tone} draft{' (abstained: ' + draft.reason + ')' if draft.abstained else ''} ---", draft.text]
    for notice in result.notices:
        lines.append(f"! {notice}")
    return "\n".join(lines)


def prepare_intent() -> int:
    from chains.offline.intent_store import IntentModelError, prepare
    from chains.runtime import INTENT_EMBEDDINGS
    from knowledge.embeddings import EmbeddingError

    try:
        print(f"ready: {prepare(INTENT_EMBEDDINGS)}")
    except (IntentModelError, EmbeddingError, OSError, ValueError) as exc:
        print(terminal_safe(f"error: the intent model could not be fitted: {exc}"), file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "prepare-intent":
        return prepare_intent()
    from chains.models import UnknownProviderError
    from chains.pipeline import assist
    from chains.runtime import build_deps
    from core.tickets import TicketFormatError, load_ticket
    from knowledge.embeddings import EmbeddingError
    from knowledge.index import IndexError_

    settings = load_settings({"ASSIST_INDEX_DIR": str(args.index.resolve()) if args.index else None})
    try:
        ticket = load_ticket(args.ticket)
        result = assist(ticket, build_deps(settings, llm=args.llm))
    except OSError as exc:
        print(f"error: cannot read the ticket file {args.ticket}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except (TicketFormatError, IndexError_, EmbeddingError, MissingSecretError, UnknownProviderError) as exc:
        print(terminal_safe(f"error: {exc}"), file=sys.stderr)
        return 1
    print(result.model_dump_json(indent=1) if args.json else terminal_safe(render_text(result)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
