"""Triage task: intent, sentiment, priority, language and an injection flag, as a `Triage` schema."""
from __future__ import annotations

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage

from chains import signals
from chains.context import TaskContext
from chains.prompts import load_prompt
from chains.schemas import Triage
from chains.structured import invoke_structured

PROMPT = "triage"


def triage_messages(ctx: TaskContext) -> list[BaseMessage]:
    task = ctx.task_json("triage", intents=ctx.intents, ui_language=ctx.ui_language)
    return load_prompt(PROMPT).render(task=task, conversation=ctx.conversation_json(), shop_name=ctx.shop_name)


def run_triage(model: BaseChatModel, ctx: TaskContext, config: dict | None = None) -> Triage:
    return harden_triage(invoke_structured(model, Triage, triage_messages(ctx), config), ctx)


def harden_triage(triage: Triage, ctx: TaskContext) -> Triage:
    """Whatever a model said, an unknown intent becomes 'other' and a visible injection attempt is flagged."""
    updates = {}
    if ctx.intents and triage.intent not in ctx.intents:
        updates["intent"] = "other"
    if not triage.injection_suspected and any(signals.injection_suspected(m.text) for m in ctx.ticket.customer_messages()):
        updates["injection_suspected"] = True
    return triage.model_copy(update=updates) if updates else triage
