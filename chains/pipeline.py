"""`assist(ticket, deps)`: the one path every ticket takes.

    redact -> retrieve -> (triage | summarize | draft x tones, concurrently) -> restore -> AssistResult

A task that fails on the configured model falls back to the offline engine and says so in `notices`;
if redaction fails nothing is sent to a provider and the offline engine answers.
"""
from __future__ import annotations

import hashlib
import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Protocol, TypeVar

from langchain_core.callbacks import UsageMetadataCallbackHandler
from langchain_core.language_models import BaseChatModel

from chains import draft as draft_task
from chains import summarize as summary_task
from chains import triage as triage_task
from chains.context import TaskContext
from chains.models import engine_of, model_name_of
from chains.offline import OfflineChatModel
from chains.prompts import prompt_versions
from chains.redact import RedactionError, Redactor, RestoringSink, redact_ticket
from chains.schemas import AssistResult, Draft, Summary, Ticket, Triage
from knowledge.gate import judge
from knowledge.index import KnowledgeIndex
from knowledge.query import query_from_turns
from knowledge.text import detect_language

T = TypeVar("T")
PROMPTS = ("triage", "summarize", "draft")


class ResultCache(Protocol):
    def get(self, key: str) -> str | None: ...
    def put(self, key: str, payload: str) -> None: ...


@dataclass
class AssistDeps:
    model: BaseChatModel
    index: KnowledgeIndex
    offline: OfflineChatModel
    agent_name: str = "Support team"
    shop_name: str = "Maru Market"
    ui_language: str = "en"
    intents: list[str] = field(default_factory=list)
    tones: tuple[str, ...] = draft_task.TONES
    k: int = 5
    cache: ResultCache | None = None
    price_input_per_1k: float = 0.0
    price_output_per_1k: float = 0.0
    counters: dict[str, int] = field(default_factory=lambda: {"assist_computed": 0, "cache_hits": 0, "model_calls": 0})


def ticket_hash(ticket: Ticket) -> str:
    return hashlib.sha256(ticket.model_dump_json().encode("utf-8")).hexdigest()[:20]


def cache_key(ticket: Ticket, deps: AssistDeps) -> str:
    parts = {"ticket": ticket_hash(ticket), "prompts": prompt_versions(*PROMPTS), "model": model_name_of(deps.model),
             "engine": engine_of(deps.model), "index": deps.index.path.name if deps.index.path else str(len(deps.index)),
             "agent": deps.agent_name, "ui": deps.ui_language, "tones": list(deps.tones), "k": deps.k}
    return "assist:" + hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:32]


StreamSink = Callable[[str, str], None]  # (tone, text piece)


def cached_result(key: str, deps: AssistDeps) -> AssistResult | None:
    """The stored result under `key` (see `cache_key`), if any."""
    if deps.cache is None or not (cached := deps.cache.get(key)):
        return None
    deps.counters["cache_hits"] += 1
    return AssistResult.model_validate_json(cached)


def assist(ticket: Ticket, deps: AssistDeps, stream: StreamSink | None = None) -> AssistResult:
    """The assist result for a ticket; with `stream`, draft text is passed on piece by piece as it is produced."""
    key = cache_key(ticket, deps)
    cached = cached_result(key, deps)
    return cached if cached is not None else assist_fresh(ticket, deps, key, stream)


def assist_fresh(ticket: Ticket, deps: AssistDeps, key: str, stream: StreamSink | None = None) -> AssistResult:
    """Compute the result (the cache was already missed) and store it under `key` unless it is degraded."""
    result = _assist_uncached(ticket, deps, stream)
    if deps.cache is not None and not result.notices:  # a degraded result must not outlive the outage
        deps.cache.put(key, result.model_dump_json())
    return result


def _assist_uncached(ticket: Ticket, deps: AssistDeps, stream: StreamSink | None = None) -> AssistResult:
    deps.counters["assist_computed"] += 1
    timings: dict[str, float] = {}
    notices: list[str] = []
    model = deps.model
    started = time.perf_counter()
    try:
        redacted, redactor = redact_ticket(ticket)
    except RedactionError as exc:
        notices.append(f"Redaction failed ({exc}); nothing was sent to the provider and the offline engine answered.")
        redacted, redactor, model = ticket, Redactor(), deps.offline
    timings["redact"] = time.perf_counter() - started

    started = time.perf_counter()
    ctx = retrieve_context(redacted, deps)
    ctx.customer_first_name = _first_name_placeholder(ticket, redactor)
    timings["retrieve"] = time.perf_counter() - started

    usage = UsageMetadataCallbackHandler()
    runner = _TaskRunner(model, deps.offline, notices, {"callbacks": [usage]}, deps.counters)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2 + len(deps.tones)) as pool:
        triage_f = pool.submit(runner.run, "triage", lambda m: triage_task.run_triage(m, ctx, runner.config(m)))
        summary_f = pool.submit(runner.run, "summary", lambda m: summary_task.run_summary(m, ctx, runner.config(m)))
        draft_fs = [pool.submit(runner.run, f"{tone} draft", _draft_job(ctx, tone, runner, redactor, stream))
                    for tone in deps.tones]
        triage: Triage | None = triage_f.result()
        summary: Summary | None = summary_f.result()
        drafts = [d.model_copy(update={"engine": runner.engine_for(f"{d.tone} draft")})
                  for d in (f.result() for f in draft_fs) if d is not None]
    timings["tasks"] = time.perf_counter() - started
    notices.extend(runner.failure_notices())
    return AssistResult(
        ticket_id=ticket.id, triage=triage, summary=_restore_summary(summary, redactor), hits=ctx.hits,
        drafts=[_restore_draft(d, redactor) for d in drafts], engine=runner.overall_engine(),
        model=model_name_of(model) if runner.overall_engine() == "llm" else model_name_of(deps.offline),
        prompt_versions=prompt_versions(*PROMPTS), timings={k: round(v, 4) for k, v in timings.items()},
        cost=_cost(usage, deps), answerable=ctx.answerable, notices=notices,
        partial_drafts={tone: redactor.restore(text) for tone, text in runner.partials.items()},
    )


def _draft_job(ctx: TaskContext, tone: str, runner: "_TaskRunner", redactor: Redactor, stream: StreamSink | None):
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


def retrieve_context(redacted: Ticket, deps: AssistDeps) -> TaskContext:
    """Hits for the conversation and the gate's verdict, packed with what the tasks need."""
    turns = [(m.role, m.text) for m in redacted.public_messages()]
    query = query_from_turns(turns)
    hits = deps.index.search(query, k=deps.k)
    verdict = judge(deps.index, query, hits)
    customer_text = " ".join(m.text for m in redacted.customer_messages())
    return TaskContext(
        ticket=redacted, hits=hits, answerable=verdict.answerable, gate_reason=verdict.reason,
        language=redacted.language or detect_language(customer_text), ui_language=deps.ui_language,
        agent_name=deps.agent_name, shop_name=deps.shop_name, intents=deps.intents,
    )


def _first_name_placeholder(ticket: Ticket, redactor: Redactor) -> str:
    """The customer's first name as the redacted prompt will know it (Latin-script names only)."""
    parts = ticket.customer.name.split()
    if len(parts) < 2 or not parts[0].isascii():
        return ""
    return redactor.placeholder("NAME", parts[0])


class _TaskRunner:
    """Runs a task on the configured model and falls back to the offline engine when that fails."""

    def __init__(self, model: BaseChatModel, offline: OfflineChatModel, notices: list[str], llm_config: dict,
                 counters: dict[str, int]) -> None:
        self.model, self.offline, self.notices, self._llm_config = model, offline, notices, llm_config
        self.counters = counters
        self.fallbacks: set[str] = set()
        self.started: set[str] = set()
        self.partials: dict[str, str] = {}
        self.failures: dict[str, list[str]] = {}

    def failure_notices(self) -> list[str]:
        """One banner per distinct provider error, naming the tasks it hit."""
        order = ["triage", "summary", "concise draft", "detailed draft", "warm draft"]
        return [f"The provider failed on the {', '.join(sorted(names, key=lambda n: order.index(n) if n in order else 9))} "
                f"({description}); showing the offline engine's result." for description, names in self.failures.items()]

    def config(self, model: BaseChatModel) -> dict | None:
        return None if model is self.offline else self._llm_config

    def engine_for(self, name: str) -> str:
        return "offline" if name in self.fallbacks else engine_of(self.model)

    def overall_engine(self) -> str:
        """'llm' when the provider produced at least one suggestion, else 'offline'."""
        if engine_of(self.model) == "offline":
            return "offline"
        return "offline" if self.fallbacks >= self.started else "llm"

    def run(self, name: str, task: Callable[[BaseChatModel], T]) -> T | None:
        self.counters["model_calls"] += 1
        self.started.add(name)
        try:
            return task(self.model)
        except Exception as exc:
            if self.model is self.offline:
                self.notices.append(f"The {name} could not be produced: {_describe(exc)}")
                return None
            if isinstance(exc, draft_task.StreamCutError):
                self.partials[name.split()[0]] = exc.partial
                self.notices.append(f"The provider's stream stopped midway on the {name}; the partial text is kept and the offline draft is shown.")
            else:
                self.failures.setdefault(_describe(exc), []).append(name)
            self.fallbacks.add(name)
            self.counters["model_calls"] += 1
            try:
                return task(self.offline)
            except Exception as offline_exc:
                self.notices.append(f"The offline {name} failed too: {_describe(offline_exc)}")
                return None


def _describe(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__


def _restore_draft(draft: Draft, redactor: Redactor) -> Draft:
    return draft.model_copy(update={"text": redactor.restore(draft.text)})


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
