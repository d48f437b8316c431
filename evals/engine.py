"""Runs the product on evaluation items: every draft and summary comes from `chains.pipeline.assist()`, the
same call the workspace and `python -m chains assist` make, so the numbers describe what an agent sees."""
from __future__ import annotations

from dataclasses import dataclass

from evals.context import EvalContext

DRAFT_TONE = "concise"
ROLE_OF = {"user": "customer", "customer": "customer", "agent": "agent"}
PRESENTATION = ("agent_name", "company_name", "agent_signature", "ui_language")


def product_k() -> int:
    """How many articles the product retrieves and shows per ticket (AssistDeps.k)."""
    from knowledge.retrieve import DEFAULT_K

    return DEFAULT_K


def settings():
    """Product settings from the environment, with names, signature and UI language at their defaults so drafts
    do not depend on who runs the harness."""
    from core.settings import Settings, load_settings

    defaults = {Settings.model_fields[n].alias: Settings.model_fields[n].default for n in PRESENTATION}
    return load_settings(defaults)


def check_engine(engine: str) -> str | None:
    """Why `engine` cannot be used (unknown provider, missing key), or None when it can."""
    if engine == "offline":
        return None
    from chains.models import UnknownProviderError, load_chat_model
    from core.settings import MissingSecretError

    try:
        load_chat_model(engine, settings())
    except (UnknownProviderError, MissingSecretError, ImportError) as exc:
        return str(exc)
    return None


def deps_for(ctx: EvalContext, index, key: str, tones: tuple[str, ...] = (DRAFT_TONE,)):
    """The product's AssistDeps around `index` for the run's engine (memoised per index and tones)."""
    from chains.runtime import build_deps

    return ctx.memo(f"deps:{key}:{','.join(tones)}",
                    lambda: build_deps(settings(), index=index, llm=ctx.engine, tones=tones))


def deps_without_kb(ctx: EvalContext):
    """AssistDeps over an empty in-memory index and no draft tones, for summaries."""
    from knowledge.build import build_in_memory

    index = ctx.memo("index:empty", lambda: build_in_memory([], ctx.embedder()))
    return deps_for(ctx, index, "empty", tones=())


def make_ticket(ticket_id: str, turns: list[tuple[str, str]], subject: str = ""):
    """A product Ticket from (role, text) turns in dialogue order; unknown roles count as the customer."""
    from core.types import Message, Ticket

    messages = [Message(role=ROLE_OF.get(role, "customer"), text=text) for role, text in turns if text.strip()]
    return Ticket(id=ticket_id, subject=subject, messages=messages)


def assist_ticket(ticket, deps):
    """The product's AssistResult for a ticket: `chains.pipeline.assist()`, nothing else."""
    from chains.pipeline import assist

    return assist(ticket, deps)


@dataclass
class Drafted:
    """A draft as the agent would see it, and whether the offline engine had to stand in for the provider."""

    draft: object
    fell_back: bool = False


def draft_reply(ticket, deps, tone: str = DRAFT_TONE) -> Drafted:
    """The `tone` draft of the product's assist result; `fell_back` when the provider failed and the offline
    engine answered."""
    result = assist_ticket(ticket, deps)
    draft = next(d for d in result.drafts if d.tone == tone)
    return Drafted(draft, fell_back=_fell_back(result, deps))


def summarize(ticket, deps) -> tuple[str, bool]:
    """The summary of the product's assist result as prose (`summary_text`), and whether it fell back."""
    from chains.offline.extractive import summary_text

    result = assist_ticket(ticket, deps)
    return summary_text(result.summary.model_dump()), _fell_back(result, deps)


def _fell_back(result, deps) -> bool:
    from chains.models import engine_of

    return engine_of(deps.model) == "llm" and bool(result.notices)
