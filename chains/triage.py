"""Triage task: intent, sentiment, priority, language and an injection flag, as a `Triage` schema."""
from __future__ import annotations

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage

from chains import signals
from chains.context import TaskContext, TaskInput
from chains.injection import scan_ticket
from chains.offline import OfflineChatModel
from chains.prompts import conversation_block, load_prompt, task_block
from chains.redact import RedactionError, redact_ticket
from chains.structured import invoke_structured
from core.types import Ticket, Triage

PROMPT = "triage"


def triage_messages(ctx: TaskContext) -> list[BaseMessage]:
    task = task_block("triage", intents=list(ctx.intents), ui_language=ctx.ui_language)
    return load_prompt(PROMPT).render(task=task, conversation=conversation_block(ctx), company_name=ctx.company_name)


def run_triage(model: BaseChatModel, ctx: TaskContext, config: dict | None = None) -> Triage:
    triage = invoke_structured(model, Triage, triage_messages(ctx), TaskInput("triage", ctx), config)
    return harden_triage(triage, ctx)


def harden_triage(triage: Triage, ctx: TaskContext) -> Triage:
    """Whatever a model said, an unknown intent becomes 'other' and a visible injection attempt is flagged."""
    updates = {}
    if ctx.intents and triage.intent not in ctx.intents:
        updates["intent"] = "other"
    if not triage.injection_suspected and any(signals.injection_suspected(m.text) for m in ctx.ticket.customer_messages()):
        updates["injection_suspected"] = True
    return triage.model_copy(update=updates) if updates else triage


def quick_triage(ticket: Ticket, offline: OfflineChatModel) -> Triage:
    """The offline engine's triage of a ticket (for the queue's priority): local, cheap, never sent anywhere,
    and needing no knowledge index."""
    try:
        ticket = redact_ticket(ticket)[0]
    except RedactionError:
        pass  # nothing leaves the machine here, so the raw ticket may be read
    intents = tuple(sorted(set(offline.intent_classifier.labels))) if offline.intent_classifier else ()
    triage = run_triage(offline, TaskContext(ticket=ticket, intents=intents))
    if not triage.injection_suspected and scan_ticket(ticket):  # the subject and display name count too
        triage = triage.model_copy(update={"injection_suspected": True})
    return triage
