"""`assist(ticket, deps)`: the one path every ticket takes.

    cached? -> redact -> retrieve -> triage -> (summary | draft x tones, concurrently) -> restore -> AssistResult

The UI, `python -m chains assist`, the evaluation and the benchmark all call `assist()`. A task that fails on
the configured model falls back to the offline engine and says so in `notices`; if redaction fails nothing
is sent to a provider and the offline engine answers. A result with notices is degraded: it is never stored
in the shared cache (see `chains.results`).
"""
from __future__ import annotations

import hashlib
import json
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Callable, Iterator

from langchain_core.callbacks import UsageMetadataCallbackHandler
from langchain_core.language_models import BaseChatModel

from chains import draft as draft_task
from chains import summarize as summary_task
from chains import triage as triage_task
from chains.checks import repeated_display_name
from chains.context import TaskContext
from chains.injection import Finding, plausible_name, scan_ticket
from chains.models import engine_of, model_name_of
from chains.offline import OfflineChatModel
from chains.prompts import prompt_versions
from chains.redact import RedactionError, Redactor, RestoringSink, redact_hits, redact_ticket
from chains.results import RecentResults, ResultCache, read_shared, write_shared
from chains.runner import TaskRunner
from core.tickets import bounded_ticket
from core.types import AssistResult, Draft, Summary, Ticket, Triage
from knowledge.index import KnowledgeIndex
from knowledge.retrieve import DEFAULT_K, Retrieval, conversation_turns, retrieve
from knowledge.text import detect_language

PROMPTS = ("triage", "summarize", "draft")
RESULT_FORMAT = 3  # bump when AssistResult or the meaning of its fields changes: old cache entries are then missed
StreamSink = Callable[[str, str], None]  # (tone, text piece)


@dataclass
class AssistDeps:
    model: BaseChatModel
    index: KnowledgeIndex
    offline: OfflineChatModel
    agent_name: str = "Support team"
    company_name: str = "Maru Market"
    sign_off: str = ""  # the configured signature, filled in; "" = the built-in one per language
    ui_language: str = "en"
    intents: tuple[str, ...] = ()
    tones: tuple[str, ...] = draft_task.TONES
    k: int = DEFAULT_K
    cache: ResultCache | None = None
    price_input_per_1k: float = 0.0
    price_output_per_1k: float = 0.0
    recent: RecentResults = field(default_factory=RecentResults)
    counters: dict[str, int] = field(default_factory=lambda: {"assist_computed": 0, "cache_hits": 0, "model_calls": 0})
    max_message_chars: int = 20_000  # longer messages are read by their beginning and end (ASSIST_MAX_MESSAGE_CHARS)
    max_messages: int = 200          # a longer thread is read by its latest messages (ASSIST_MAX_MESSAGES)


def assist(ticket: Ticket, deps: AssistDeps, stream: StreamSink | None = None) -> AssistResult:
    """The assist result for a ticket; with `stream`, draft text is passed on piece by piece as it is produced."""
    key = cache_key(ticket, deps)
    found = cached_result(key, deps)
    if found is not None:
        return found
    result = compute(ticket, deps, stream)
    deps.recent.put(key, result)
    write_shared(deps.cache, key, result)
    return result


def ticket_hash(ticket: Ticket) -> str:
    return hashlib.sha256(ticket.model_dump_json().encode("utf-8")).hexdigest()[:20]


def index_version(index: KnowledgeIndex) -> str:
    """The live version's folder name, or (in memory) the build time and size of the index."""
    return index.path.name if index.path else f"{index.manifest.created}:{len(index)}"


def cache_key(ticket: Ticket, deps: AssistDeps) -> str:
    """Everything that shapes the result: ticket content, prompts, model, index version and presentation."""
    parts = {"format": RESULT_FORMAT, "ticket": ticket_hash(ticket), "prompts": prompt_versions(*PROMPTS),
             "model": model_name_of(deps.model), "engine": engine_of(deps.model), "index": index_version(deps.index),
             "agent": deps.agent_name, "company": deps.company_name, "sign_off": deps.sign_off, "ui": deps.ui_language,
             "tones": list(deps.tones), "k": deps.k}
    return "assist:" + hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:32]


def cached_result(key: str, deps: AssistDeps) -> AssistResult | None:
    """This process's recent result under `key`, else the shared cache's, else None."""
    found = deps.recent.get(key)
    if found is None:
        found = read_shared(deps.cache, key)
        if found is not None:
            deps.recent.put(key, found)
    if found is not None:
        deps.counters["cache_hits"] += 1
    return found


def compute(ticket: Ticket, deps: AssistDeps, stream: StreamSink | None = None) -> AssistResult:
    """Run every task for the ticket (no cache involved)."""
    deps.counters["assist_computed"] += 1
    timings: dict[str, float] = {}
    notices: list[str] = []
    ticket, cut = bounded_ticket(ticket, deps.max_message_chars, deps.max_messages)
    notices.extend(cut)
    findings = scan_ticket(ticket)
    with _timed(timings, "redact"):
        redacted, redactor, model = _redact_for(ticket, deps, notices)
    with _timed(timings, "retrieve"):
        found = retrieve(deps.index, conversation_turns(redacted), k=deps.k)
    ctx = task_context(without_implausible_name(redacted, ticket), found, deps, first_name_placeholder(ticket, redactor))
    ctx, model = _mask_passages(ctx, redactor, model, deps, notices)
    usage = UsageMetadataCallbackHandler()
    runner = TaskRunner(model, deps.offline, notices, {"callbacks": [usage]}, deps.counters)
    with _timed(timings, "triage"):
        triage: Triage | None = runner.run("triage", lambda m: triage_task.run_triage(m, ctx, runner.config(m)))
    triage = _flag_injection(triage, findings)
    ctx = ctx.with_triage(triage)
    with _timed(timings, "summary_and_drafts"):
        summary, drafts = _summary_and_drafts(ctx, deps, runner, redactor, stream)
    notices.extend(runner.failure_notices())
    engine = runner.overall_engine()
    return AssistResult(
        ticket_id=ticket.id, triage=triage, summary=_restore_summary(summary, redactor), hits=found.hits,
        drafts=[_checked_draft(_restore_draft(d, redactor), ticket, findings) for d in drafts], engine=engine,
        model=model_name_of(model) if engine == "llm" else model_name_of(deps.offline),
        prompt_versions=prompt_versions(*PROMPTS), timings={k: round(v, 4) for k, v in timings.items()},
        cost=_cost(usage, deps), answerable=ctx.answerable, gate_reason=ctx.gate_reason, notices=notices,
        injection_sources=list(dict.fromkeys(f.source for f in findings)),
        partial_drafts={tone: redactor.restore(text) for tone, text in runner.partials.items()},
    )


def _redact_for(ticket: Ticket, deps: AssistDeps, notices: list[str]) -> tuple[Ticket, Redactor, BaseChatModel]:
    """The ticket as it may leave the building, its redactor, and the model allowed to see it."""
    try:
        redacted, redactor = redact_ticket(ticket)
        return redacted, redactor, deps.model
    except RedactionError as exc:
        notices.append(f"Redaction failed ({exc}); nothing was sent to the provider and the offline engine answered.")
        return ticket, Redactor(), deps.offline


def _mask_passages(ctx: TaskContext, redactor: Redactor, model: BaseChatModel, deps: AssistDeps,
                   notices: list[str]) -> tuple[TaskContext, BaseChatModel]:
    """The passages masked like the ticket before a provider sees them (the agent is shown the originals)."""
    if engine_of(model) == "offline":
        return ctx, model
    try:
        return replace(ctx, hits=redact_hits(ctx.hits, redactor)), model
    except RedactionError as exc:
        notices.append(f"Redaction failed ({exc}); nothing was sent to the provider and the offline engine answered.")
        return ctx, deps.offline


def task_context(redacted: Ticket, found: Retrieval, deps: AssistDeps, first_name: str = "") -> TaskContext:
    """What the tasks receive: the redacted ticket, the retrieved passages with the gate's verdict, presentation."""
    customer_text = " ".join(m.text for m in redacted.customer_messages())
    return TaskContext(
        ticket=redacted, hits=found.hits, answerable=found.answerable, gate_reason=found.verdict.reason,
        language=redacted.language or detect_language(customer_text), ui_language=deps.ui_language,
        agent_name=deps.agent_name, company_name=deps.company_name, sign_off=deps.sign_off,
        intents=tuple(deps.intents), customer_first_name=first_name,
    )


def _summary_and_drafts(ctx: TaskContext, deps: AssistDeps, runner: TaskRunner, redactor: Redactor,
                        stream: StreamSink | None) -> tuple[Summary | None, list[Draft]]:
    """The summary and one draft per tone, concurrently (the drafts already know the triage)."""
    with ThreadPoolExecutor(max_workers=1 + max(len(deps.tones), 1)) as pool:
        summary_f = pool.submit(runner.run, "summary", lambda m: summary_task.run_summary(m, ctx, runner.config(m)))
        draft_fs = [pool.submit(runner.run, f"{tone} draft", _draft_job(ctx, tone, runner, redactor, stream))
                    for tone in deps.tones]
        summary = summary_f.result()
        drafts = [d.model_copy(update={"engine": runner.engine_for(f"{d.tone} draft")})
                  for d in (f.result() for f in draft_fs) if d is not None]
    return summary, drafts


def _draft_job(ctx: TaskContext, tone: str, runner: TaskRunner, redactor: Redactor, stream: StreamSink | None):
    """A draft task; streamed (placeholders restored on the fly) when a sink is given."""
    if stream is None:
        return lambda m: draft_task.run_draft(m, ctx, tone, runner.config(m))

    def job(model: BaseChatModel) -> Draft:
        sink = RestoringSink(redactor, lambda piece: stream(tone, piece))
        try:
            return draft_task.run_draft_streaming(model, ctx, tone, sink, runner.config(model))
        finally:
            sink.flush()

    return job


def first_name_placeholder(ticket: Ticket, redactor: Redactor) -> str:
    """The customer's first name as the redacted prompt will know it (Latin-script names only)."""
    parts = ticket.customer.name.split()
    if len(parts) < 2 or not parts[0].isascii() or not plausible_name(ticket.customer.name):
        return ""
    return redactor.placeholder("NAME", parts[0])


@contextmanager
def _timed(timings: dict[str, float], name: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        timings[name] = time.perf_counter() - started


def without_implausible_name(redacted: Ticket, ticket: Ticket) -> Ticket:
    """The tasks' ticket: a display name that is no plausible personal name ('REFUNDAPPROVED') is not the customer's
    name, so no draft greets with it."""
    if not ticket.customer.name or plausible_name(ticket.customer.name):
        return redacted
    return redacted.model_copy(update={"customer": redacted.customer.model_copy(update={"name": ""})})


def _flag_injection(triage: Triage | None, findings: list[Finding]) -> Triage | None:
    """Whatever the triage said, an attempt found in the subject, the display name or any customer turn is flagged."""
    if triage is None or triage.injection_suspected or not findings:
        return triage
    return triage.model_copy(update={"injection_suspected": True})


def _checked_draft(draft: Draft, ticket: Ticket, findings: list[Finding]) -> Draft:
    """A flagged ticket's drafts say so; a draft that repeats an implausible display name is flagged too."""
    updates: dict = {}
    if findings:
        updates["notices"] = [*draft.notices, "injection_suspected"]
    if repeated := repeated_display_name(draft.text, ticket.customer.name):
        updates["unsupported_claims"] = [*draft.unsupported_claims, repeated]
    return draft.model_copy(update=updates) if updates else draft


def _restore_draft(draft: Draft, redactor: Redactor) -> Draft:
    claims = [c.model_copy(update={"text": redactor.restore(c.text)}) for c in draft.unsupported_claims]
    return draft.model_copy(update={"text": redactor.restore(draft.text), "unsupported_claims": claims})


def _restore_summary(summary: Summary | None, redactor: Redactor) -> Summary | None:
    if summary is None:
        return None
    return summary.model_copy(update={
        "issue": redactor.restore(summary.issue), "done_so_far": redactor.restore(summary.done_so_far),
        "next_steps": redactor.restore(summary.next_steps),
        "entities": {k: [redactor.restore(v) for v in vs] for k, vs in summary.entities.items()},
    })


def _cost(usage: UsageMetadataCallbackHandler, deps: AssistDeps) -> dict[str, float]:
    totals = {"input_tokens": 0.0, "output_tokens": 0.0}
    for meta in usage.usage_metadata.values():
        totals["input_tokens"] += meta.get("input_tokens", 0)
        totals["output_tokens"] += meta.get("output_tokens", 0)
    totals["usd"] = round(totals["input_tokens"] / 1000 * deps.price_input_per_1k
                          + totals["output_tokens"] / 1000 * deps.price_output_per_1k, 6)
    return totals
