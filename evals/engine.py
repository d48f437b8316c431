"""Runs the product's own task path on evaluation items: ticket -> redact -> retrieve_context -> draft / summary."""
from __future__ import annotations

from dataclasses import dataclass, fields

from evals.context import EvalContext

DRAFT_TONE = "concise"
ROLE_OF = {"user": "customer", "customer": "customer", "agent": "agent"}
PRESENTATION = ("agent_name", "shop_name", "ui_language")


def product_k() -> int:
    """How many chunks the product retrieves per ticket (AssistDeps.k)."""
    from chains.pipeline import AssistDeps

    return next(f.default for f in fields(AssistDeps) if f.name == "k")


def settings():
    """Product settings from the environment, with names and UI language at their defaults so drafts do not
    depend on who runs the harness."""
    from chains.settings import Settings, load_settings

    defaults = {Settings.model_fields[n].alias: Settings.model_fields[n].default for n in PRESENTATION}
    return load_settings(defaults)


def check_engine(engine: str) -> str | None:
    """Why `engine` cannot be used (unknown provider, missing key), or None when it can."""
    if engine == "offline":
        return None
    from chains.models import UnknownProviderError, load_chat_model
    from chains.settings import MissingSecretError

    try:
        load_chat_model(engine, settings())
    except (UnknownProviderError, MissingSecretError, ImportError) as exc:
        return str(exc)
    return None


def deps_for(ctx: EvalContext, index, key: str):
    """The product's AssistDeps around `index` for the run's engine (memoised per index)."""
    from chains.runtime import build_deps

    return ctx.memo(f"deps:{key}", lambda: build_deps(settings(), index=index, llm=ctx.engine))


def deps_without_kb(ctx: EvalContext):
    """AssistDeps over an empty in-memory index, for tasks that never retrieve (summaries)."""
    from knowledge.build import build_in_memory

    return deps_for(ctx, ctx.memo("index:empty", lambda: build_in_memory([], ctx.embedder())), "empty")


def make_ticket(ticket_id: str, turns: list[tuple[str, str]], subject: str = ""):
    """A product Ticket from (role, text) turns in dialogue order; unknown roles count as the customer."""
    from chains.schemas import Message, Ticket

    messages = [Message(role=ROLE_OF.get(role, "customer"), text=text) for role, text in turns if text.strip()]
    return Ticket(id=ticket_id, subject=subject, messages=messages)


@dataclass
class Drafted:
    """A draft as the agent would see it, with the retrieval context it was written from."""

    draft: object
    answerable: bool
    hits: list
    fell_back: bool = False


def redact(ticket, deps):
    """The ticket as it may leave the building, its redactor, and the model allowed to see it."""
    from chains.redact import RedactionError, Redactor, redact_ticket

    try:
        redacted, redactor = redact_ticket(ticket)
        return redacted, redactor, deps.model
    except RedactionError:
        return ticket, Redactor(), deps.offline


def draft_reply(ticket, deps, tone: str = DRAFT_TONE) -> Drafted:
    """Retrieve, judge and draft exactly as `assist()` does for one tone, falling back to the offline engine."""
    from chains.draft import run_draft
    from chains.pipeline import retrieve_context

    redacted, redactor, model = redact(ticket, deps)
    task_ctx = retrieve_context(redacted, deps)
    draft, fell_back = _with_fallback(lambda m: run_draft(m, task_ctx, tone), model, deps.offline)
    restored = draft.model_copy(update={"text": redactor.restore(draft.text)})
    return Drafted(restored, task_ctx.answerable, task_ctx.hits, fell_back)


def summarize(ticket, deps) -> tuple[str, bool]:
    """The summary task's output as prose (`summary_text`), and whether the offline engine had to step in."""
    from chains.context import TaskContext
    from chains.extractive import summary_text
    from chains.summarize import run_summary

    redacted, redactor, model = redact(ticket, deps)
    task_ctx = TaskContext(ticket=redacted, ui_language=deps.ui_language, agent_name=deps.agent_name,
                           shop_name=deps.shop_name, intents=deps.intents)
    summary, fell_back = _with_fallback(lambda m: run_summary(m, task_ctx), model, deps.offline)
    return redactor.restore(summary_text(summary.model_dump())), fell_back


def _with_fallback(task, model, offline):
    """`task(model)`, or `task(offline)` when a provider model fails (the product's fallback rule)."""
    if model is offline:
        return task(model), False
    try:
        return task(model), False
    except Exception:
        return task(offline), True
