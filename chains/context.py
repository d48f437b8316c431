"""What every assist task receives: the redacted ticket, the retrieved passages, the triage once it is known,
and the settings that shape output. The offline engine receives the same object (`TaskInput`), never prompt text."""
from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Literal

from core.types import Hit, Ticket, Triage

TaskKind = Literal["triage", "summarize", "draft", "rewrite"]


def fenced_json(value) -> str:
    """JSON for a prompt's data block; `<` and `>` are escaped so no text can close the fence it sits in."""
    return json.dumps(value, ensure_ascii=False, indent=1).replace("<", "\\u003c").replace(">", "\\u003e")


@dataclass(frozen=True)
class TaskContext:
    ticket: Ticket                      # already redacted
    hits: list[Hit] = field(default_factory=list)
    answerable: bool = True
    gate_reason: str = ""
    language: str = "en"               # the customer's language
    ui_language: str = "en"            # the agent's interface language
    agent_name: str = "Support team"
    company_name: str = "Maru Market"
    sign_off: str = ""                 # the configured signature, filled in; "" = the built-in one
    intents: tuple[str, ...] = ()
    customer_first_name: str = ""      # a placeholder like [NAME_2] once redacted
    triage: Triage | None = None       # known once the triage task has run (drafts receive it)

    def with_triage(self, triage: Triage | None) -> "TaskContext":
        """The context the drafts see: the triage attached, and its language when the ticket sets none."""
        if triage is None:
            return self
        language = self.ticket.language or triage.language
        return replace(self, triage=triage, language=language)

    def conversation(self) -> list[dict]:
        """Public messages only: internal notes never leave for a provider."""
        return [{"role": m.role, "author": m.author, "text": m.text} for m in self.ticket.public_messages()]

    def conversation_json(self) -> str:
        return fenced_json(self.conversation())

    def passages(self) -> list[dict]:
        return [{"n": i, "id": h.chunk.id, "title": h.chunk.title, "section": h.chunk.section,
                 "lang": h.chunk.lang, "text": h.chunk.text} for i, h in enumerate(self.hits, start=1)]

    def passages_json(self) -> str:
        return fenced_json(self.passages())

    def task_json(self, kind: TaskKind, **extra) -> str:
        return fenced_json({"kind": kind, "subject": self.ticket.subject, **extra}).replace("\n", " ")


@dataclass(frozen=True)
class TaskInput:
    """The offline engine's input: which task, on what. A provider model gets the rendered prompt instead."""

    kind: TaskKind
    context: TaskContext | None = None
    tone: str = ""
    text: str = ""          # rewrite: the agent's (redacted) text
    operation: str = ""     # rewrite: shorten, expand, formal, friendly, grammar, translate
    language: str = "en"    # rewrite: the customer's language
