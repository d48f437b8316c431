"""Prompts are files under chains/prompts/; each has a name and a short hash that goes into every audit record."""
from __future__ import annotations

import hashlib
import re
import string
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from chains.context import TaskContext, TaskKind, fenced_json

PROMPT_DIR = Path(__file__).resolve().parent / "prompts"
BLOCK = re.compile(r"^<(system|human)>\n(.*?)\n</\1>\s*$", re.S | re.M)


class MissingVariables(KeyError):
    """A prompt was rendered without all of its variables."""


@dataclass(frozen=True)
class Prompt:
    name: str
    version: str
    system: str
    human: str

    @property
    def variables(self) -> set[str]:
        found = set()
        for text in (self.system, self.human):
            found.update(f for _, f, _, _ in string.Formatter().parse(text) if f)
        return found

    def render(self, **values: str) -> list[BaseMessage]:
        missing = self.variables - values.keys()
        if missing:
            raise MissingVariables(f"prompt {self.name!r} needs {', '.join(sorted(missing))}")
        return [SystemMessage(self.system.format(**values)), HumanMessage(self.human.format(**values))]


@lru_cache(maxsize=None)
def load_prompt(name: str) -> Prompt:
    path = PROMPT_DIR / f"{name}.md"
    text = path.read_text(encoding="utf-8")
    blocks = dict((m.group(1), m.group(2)) for m in BLOCK.finditer(text))
    if set(blocks) != {"system", "human"}:
        raise ValueError(f"{path.name} must contain a <system> and a <human> block")
    return Prompt(name, hashlib.sha256(text.encode("utf-8")).hexdigest()[:8], blocks["system"], blocks["human"])


def prompt_versions(*names: str) -> dict[str, str]:
    return {n: load_prompt(n).version for n in names}


def task_block(kind: TaskKind, **fields) -> str:
    """The <task> block: settings the product chose, on one line. Nothing the customer wrote goes here."""
    return fenced_json({"kind": kind, **fields}).replace("\n", " ")


def conversation_block(ctx: TaskContext) -> str:
    """The <conversation> block: everything the customer controls (subject, display name, messages), fenced as data."""
    return fenced_json({"subject": ctx.ticket.subject, "customer_name": ctx.ticket.customer.name,
                        "messages": ctx.conversation()})
