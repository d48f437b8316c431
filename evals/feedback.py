"""Agents' ratings as a regression set: `python -m evals --feedback FILE.jsonl` reads the file
`python -m desk feedback export` writes, runs every rated ticket through `chains.pipeline.assist()` again and
compares the current draft in the rated tone, as the customer would get it (signed by the rating agent, markers
removed as the workspace removes them), with the suggestion the agent rated.

- `rejected_reproduced`: share of thumbs-down suggestions the product still produces (word similarity of the new
  draft to the rejected one >= 0.9, `desk.text_metrics.similarity`); lower is better. Broken down by reason and by
  the intent recorded with the rating.
- `accepted_kept`: share of thumbs-up suggestions still produced similarly (similarity >= 0.6); higher is better.
- `wrong_facts_repeated`: share of "wrong_facts" rejects with a factual sentence (one `chains.draft.CLAIM` matches,
  not a greeting or sign-off) that reappears verbatim (the same lowercase words in order) in the new draft;
  `wrong_facts_unbacked_repeated` counts only sentences that the passages the new draft cites do not contain.
Rows without a ticket, with an unusable field, or not JSON are skipped with their line number and why. Each scored
row is recorded under `_meta.notes.feedback.rows` (ids, numbers and the repeated sentences, not the drafts).
"""
from __future__ import annotations

import json
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from evals.context import DatasetResult, EvalContext
from evals.metrics import clean_number

NAME = "feedback"
REJECTED_REPRODUCED_AT = 0.9
ACCEPTED_KEPT_AT = 0.6
WRONG_FACTS = "wrong_facts"
NO_VALUE = "(none)"


class FeedbackFileError(Exception):
    """The feedback file cannot be read or holds no usable row; the message says which and why."""


@dataclass(frozen=True)
class Rated:
    """One usable feedback row: its line number, the row as exported and its ticket."""

    line: int
    row: dict
    ticket: object


@dataclass
class FeedbackSet:
    """The rows of a feedback file that can be scored, the ones skipped (line and why) and the lines read."""

    rated: list[Rated]
    skipped: list[dict]
    read: int


@dataclass
class Rescored:
    """A rated suggestion against the product's current draft for the same ticket, tone and agent."""

    rated: Rated
    similarity: float
    engine: str
    model: str
    intent_now: str
    abstained: bool
    same_prompts: bool
    repeated: list[str] = field(default_factory=list)
    unbacked_repeated: list[str] = field(default_factory=list)

    @property
    def rating(self) -> int:
        return self.rated.row["rating"]

    @property
    def still_produced(self) -> bool:
        """Rejected: reproduced (similarity >= 0.9); accepted: kept (similarity >= 0.6)."""
        return self.similarity >= (REJECTED_REPRODUCED_AT if self.rating < 0 else ACCEPTED_KEPT_AT)


@dataclass
class FeedbackResult(DatasetResult):
    """The headline metrics plus the breakdowns (by reason, by intent), written nested in the JSON."""

    breakdowns: dict[str, dict[str, dict]] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {**super().to_json(), **self.breakdowns}


# -- reading -------------------------------------------------------------------------------------


def read_feedback(path: Path) -> FeedbackSet:
    """Every usable row of a feedback export; a missing or unreadable file is a FeedbackFileError."""
    if not path.exists():
        raise FeedbackFileError(f"feedback file {path} does not exist "
                                "(write one with `python -m desk feedback export --out FILE.jsonl`)")
    if not path.is_file():
        raise FeedbackFileError(f"feedback file {path} is not a regular file")
    try:
        with open(path, encoding="utf-8-sig", errors="strict") as fh:
            lines = fh.readlines()
    except UnicodeDecodeError as exc:
        raise FeedbackFileError(f"feedback file {path} is not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise FeedbackFileError(f"feedback file {path} cannot be read: {exc.strerror or exc}") from None
    found = FeedbackSet([], [], 0)
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        found.read += 1
        row, why = parse_line(line)
        ticket = None
        if row is not None:
            ticket, why = row_ticket(row)
        if why:
            found.skipped.append({"line": n, "why": why})
        else:
            found.rated.append(Rated(n, row, ticket))
    return found


def parse_line(line: str) -> tuple[dict | None, str]:
    """The line's JSON object, or None and why not."""
    try:
        row = json.loads(line)
    except (json.JSONDecodeError, RecursionError) as exc:
        return None, f"not valid JSON ({getattr(exc, 'msg', 'nested too deeply')})"
    if not isinstance(row, dict):
        return None, "not a JSON object"
    return row, ""


def row_ticket(row: dict) -> tuple[object, str]:
    """The row's ticket, or None and why the row cannot be scored."""
    from chains.draft import TONES
    from core.tickets import TicketFormatError, parse_ticket

    if isinstance(row.get("rating"), bool) or row.get("rating") not in (1, -1):
        return None, f"rating {row.get('rating')!r} is neither 1 nor -1"
    if row.get("tone") not in TONES:
        return None, f"tone {row.get('tone')!r} is not one of the product's tones ({', '.join(TONES)})"
    if not isinstance(row.get("suggested"), str) or not row["suggested"].strip():
        return None, "no suggested text"
    if row.get("ticket") is None:
        return None, f"no ticket (the export did not find the file of ticket {row.get('ticket_id', '?')})"
    try:
        return parse_ticket(row["ticket"], source="ticket"), ""
    except TicketFormatError as exc:
        return None, f"the ticket is not valid Ticket JSON ({exc})"


# -- scoring ---------------------------------------------------------------------------------------


def rescore(rated: list[Rated], deps, settings) -> list[Rescored]:
    """Each rated suggestion against the current draft; one `assist()` per distinct ticket and agent."""
    results: dict[tuple[str, str], object] = {}
    out = []
    for item in rated:
        user = str(item.row.get("user") or "")
        key = (item.ticket.model_dump_json(), user)
        if key not in results:
            results[key] = assist_as(item.ticket, deps, settings, user)
        out.append(compare(item, results[key], settings, user))
    return out


def assist_as(ticket, deps, settings, user: str):
    """The product's AssistResult for the ticket, drafts signed by `user` as the workspace signs them."""
    from chains.runtime import deps_for_agent
    from evals.engine import assist_ticket

    return assist_ticket(ticket, deps_for_agent(deps, settings, user) if user else deps)


def customer_copy(draft, result, settings, user: str) -> str:
    """The draft as the customer would get it from `user` (what the workspace puts in the reply box)."""
    from chains.customer_text import for_customer

    language = result.triage.language if result.triage else None
    return for_customer(draft, result.hits, settings.customer_citations, language,
                        sign_off=settings.sign_off(user or settings.agent_name))


def compare(item: Rated, result, settings, user: str) -> Rescored:
    """Similarity of the current draft in the rated tone to the rated one, and the rejected facts it repeats."""
    from desk.text_metrics import similarity

    row = item.row
    draft = next((d for d in result.drafts if d.tone == row["tone"]), None)
    text = customer_copy(draft, result, settings, user) if draft else ""
    scored = Rescored(item, similarity(text, row["suggested"]), engine=result.engine, model=result.model,
                      intent_now=result.triage.intent if result.triage else "",
                      abstained=draft.abstained if draft else True,
                      same_prompts=row.get("prompt_versions") == result.prompt_versions)
    if row["rating"] < 0 and row.get("reason") == WRONG_FACTS and draft:
        passages = cited_passages(draft, result)
        scored.repeated = repeated_sentences(row["suggested"], text)
        scored.unbacked_repeated = [s for s in scored.repeated if not any(contains(p, s) for p in passages)]
    return scored


def cited_passages(draft, result) -> list[str]:
    """Texts of the passages the draft cites."""
    texts = {h.chunk.id: h.chunk.text for h in result.hits}
    return [texts[c] for c in dict.fromkeys(c.chunk_id for c in draft.citations) if c in texts]


def factual_sentences(text: str) -> list[str]:
    """Sentences that state something (as `chains.draft` tells claims from greetings and sign-offs)."""
    from chains.draft import CLAIM, FRAMING, draft_sentences

    return [s for s in draft_sentences(text) if CLAIM.search(s) and not FRAMING.match(s.strip("- "))]


def repeated_sentences(rejected: str, new: str) -> list[str]:
    """The rejected draft's factual sentences that stand, word for word, in the new draft."""
    return [s for s in factual_sentences(rejected) if contains(new, s)]


def contains(text: str, sentence: str) -> bool:
    """Whether the sentence's lowercase words appear in `text` in the same order, side by side."""
    from desk.text_metrics import words

    wanted = " ".join(words(sentence))
    return bool(wanted) and f" {wanted} " in f" {' '.join(words(text))} "


# -- metrics ---------------------------------------------------------------------------------------


def share(part: int, whole: int) -> float | None:
    return clean_number(part / whole) if whole else None


def breakdown(items: list[Rescored], label) -> dict[str, dict]:
    """Rejected and reproduced counts and the share per value of `label(item)`."""
    groups: dict[str, list[Rescored]] = defaultdict(list)
    for item in items:
        groups[label(item) or NO_VALUE].append(item)
    return {value: {"rejected": len(g), "reproduced": sum(i.still_produced for i in g),
                    "share": share(sum(i.still_produced for i in g), len(g))} for value, g in sorted(groups.items())}


def score(found: FeedbackSet, scored: list[Rescored]) -> FeedbackResult:
    """The regression metrics of the module docstring."""
    rejected = [s for s in scored if s.rating < 0]
    accepted = [s for s in scored if s.rating > 0]
    wrong = [s for s in rejected if s.rated.row.get("reason") == WRONG_FACTS]
    metrics = {
        "rows_read": found.read, "rows_skipped": len(found.skipped), "rows_scored": len(scored),
        "rejected": len(rejected), "rejected_reproduced": share(sum(s.still_produced for s in rejected), len(rejected)),
        "accepted": len(accepted), "accepted_kept": share(sum(s.still_produced for s in accepted), len(accepted)),
        "wrong_facts_rejected": len(wrong),
        "wrong_facts_repeated": share(sum(bool(s.repeated) for s in wrong), len(wrong)),
        "wrong_facts_unbacked_repeated": share(sum(bool(s.unbacked_repeated) for s in wrong), len(wrong)),
    }
    return FeedbackResult(metrics, breakdowns={
        "rejected_reproduced_by_reason": breakdown(rejected, lambda s: s.rated.row.get("reason")),
        "rejected_reproduced_by_intent": breakdown(rejected, lambda s: s.rated.row.get("intent"))})


def row_detail(item: Rescored) -> dict:
    """What the report keeps of one scored row: ids, the rating, the numbers and the repeated sentences."""
    row = item.rated.row
    detail = {"line": item.rated.line, "suggestion_key": row.get("suggestion_key", ""),
              "ticket_id": item.rated.ticket.id, "user": row.get("user", ""), "rating": row["rating"],
              "reason": row.get("reason", ""), "intent": row.get("intent", ""), "intent_now": item.intent_now,
              "tone": row["tone"], "similarity": clean_number(item.similarity), "still_produced": item.still_produced,
              "abstained_now": item.abstained, "engine_then": f"{row.get('engine', '')} ({row.get('model', '')})",
              "engine_now": f"{item.engine} ({item.model})", "same_prompts": item.same_prompts}
    if item.rating < 0 and row.get("reason") == WRONG_FACTS:
        detail["repeated_sentences"] = item.repeated
        detail["unbacked_repeated_sentences"] = item.unbacked_repeated
    return detail


def evaluate_rows(ctx: EvalContext, found: FeedbackSet, deps, settings) -> FeedbackResult:
    """Score the usable rows with `deps` and note every row (scored or skipped) for the report."""
    scored = rescore(found.rated, deps, settings)
    other_engine = sum((s.rated.row.get("engine"), s.rated.row.get("model")) != (s.engine, s.model) for s in scored)
    ctx.note(NAME, thresholds={"rejected_reproduced": REJECTED_REPRODUCED_AT, "accepted_kept": ACCEPTED_KEPT_AT},
             scored_from="chains.pipeline.assist on each row's ticket; the draft in the rated tone as the customer "
                         "would get it from the rating agent; desk.text_metrics.similarity against `suggested`",
             rated_on_another_engine=other_engine, rated_on_other_prompts=sum(not s.same_prompts for s in scored),
             rows=[row_detail(s) for s in scored], skipped=found.skipped)
    return score(found, scored)


# -- command line ----------------------------------------------------------------------------------


def rated_tones(found: FeedbackSet) -> tuple[str, ...]:
    """The product's tones that the rows rated, in the product's order."""
    from chains.draft import TONES

    wanted = {item.row["tone"] for item in found.rated}
    return tuple(t for t in TONES if t in wanted)


def section_text(result: FeedbackResult, notes: dict) -> str:
    """The breakdowns and the skipped lines, for the console and the Markdown report."""
    lines = []
    for name, groups in result.breakdowns.items():
        cells = " · ".join(f"{value} {g['reproduced']}/{g['rejected']}" for value, g in groups.items())
        lines.append(f"{name.replace('_by_', ' by ')}: {cells or 'no rejected rows'}")
    for item in notes.get("skipped", []):
        lines.append(f"skipped line {item['line']}: {item['why']}")
    if notes.get("rated_on_another_engine"):
        lines.append(f"note: {notes['rated_on_another_engine']} scored row(s) were rated on another engine or model "
                     "than this run's; their similarity says little")
    return "\n".join(lines)


def header_line(meta: dict, path: Path) -> str:
    models = ", ".join(f"{k}: {v}" for k, v in meta.get("embedding_model", {}).items()) or "none"
    return (f"Feedback regression {meta.get('date', '')} · engine {meta.get('engine', '')} · embeddings {models} · "
            f"file {path}")


def main(path: Path, engine: str = "offline", json_path: Path | None = None, markdown_path: Path | None = None,
         limit: int | None = None) -> int:
    """Run the regression set and print it; exit status 2 when the file or the engine cannot be used."""
    from evals import report, runner
    from evals.datasets import Layout, spread
    from evals.engine import check_engine, deps_for, settings
    from evals.kb import demo_index

    try:
        found = read_feedback(path)
    except FeedbackFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    found.rated = spread(found.rated, limit)
    if not found.rated:
        whys = "; ".join(f"line {s['line']}: {s['why']}" for s in found.skipped[:5])
        print(f"error: feedback file {path} has no usable row ({found.read} read{', ' + whys if whys else ''})",
              file=sys.stderr)
        return 2
    problem = check_engine(engine)
    if problem:
        print(f"error: engine {engine}: {problem}", file=sys.stderr)
        return 2
    ctx = EvalContext(Layout(path.parent, NAME, limit), engine=engine)
    started_at, started = runner.now(), time.perf_counter()
    print(f"running {NAME} ({len(found.rated)} rows) ...")
    deps = deps_for(ctx, demo_index(ctx), "demo", tones=rated_tones(found))
    result = evaluate_rows(ctx, found, deps, settings())
    seconds = round(time.perf_counter() - started, 2)
    meta = runner.meta(ctx, runner.RunOutcome({NAME: result}, {}, {}, {NAME: seconds}), seconds, started_at)
    meta.update(data_dir=str(path.resolve()), split=NAME,
                knowledge_base="the product's demo articles, indexed in memory")
    section = section_text(result, ctx.notes[NAME])
    print()
    print(header_line(meta, path))
    print(report.text_table({NAME: result}))
    print(section)
    if json_path:
        report.write_json(json_path, {NAME: result}, meta)
    if markdown_path:
        report.write_markdown(markdown_path, {NAME: result}, meta)
        with open(markdown_path, "a", encoding="utf-8") as fh:
            fh.write("\n" + "".join(f"- {line}\n" for line in section.splitlines()))
    return 0
