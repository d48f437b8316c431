"""What every assist task receives: the redacted ticket, the retrieved passages and the settings that shape output."""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from chains.schemas import Ticket
from knowledge.types import Hit


def fenced_json(value) -> str:
    """JSON for a prompt's data block; `<` and `>` are escaped so no text can close the fence it sits in."""
    return json.dumps(value, ensure_ascii=False, indent=1).replace("<", "\\u003c").replace(">", "\\u003e")


@dataclass
class TaskContext:
    ticket: Ticket                      # already redacted
    hits: list[Hit] = field(default_factory=list)
    answerable: bool = True
    gate_reason: str = ""
    language: str = "en"               # the customer's language
    ui_language: str = "en"            # the agent's interface language
    agent_name: str = "Support team"
    shop_name: str = "Maru Market"
    intents: list[str] = field(default_factory=list)
    customer_first_name: str = ""      # a placeholder like [NAME_2] once redacted

    def conversation_json(self) -> str:
        """Public messages only: internal notes never leave for a provider."""
        rows = [{"role": m.role, "author": m.author, "text": m.text} for m in self.ticket.public_messages()]
        return fenced_json(rows)

    def passages(self) -> list[dict]:
        return [{"n": i, "id": h.chunk.id, "title": h.chunk.title, "section": h.chunk.section,
                 "lang": h.chunk.lang, "text": h.chunk.text} for i, h in enumerate(self.hits, start=1)]

    def passages_json(self) -> str:
        return fenced_json(self.passages())

    def task_json(self, kind: str, **extra) -> str:
        return fenced_json({"kind": kind, "subject": self.ticket.subject, **extra}).replace("\n", " ")
