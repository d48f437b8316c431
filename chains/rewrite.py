"""Rewrite task on the agent's own text: shorten, expand, formal, friendly, grammar, translate."""
from __future__ import annotations

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from pydantic import BaseModel, ConfigDict

from chains.calls import invoke_text
from chains.context import TaskInput, fenced_json
from chains.prompts import load_prompt
from chains.redact import Redactor, customer_names, redact_ticket
from core.types import Ticket

PROMPT = "rewrite"
OPERATIONS = ("shorten", "expand", "formal", "friendly", "grammar", "translate")


class RewriteResult(BaseModel):
    """Errors are values: the agent's original text always comes back."""

    model_config = ConfigDict(extra="forbid")
    ok: bool
    text: str
    original_text: str
    error: str = ""


def rewrite_messages(text: str, operation: str, language: str, company_name: str) -> list[BaseMessage]:
    task = fenced_json({"kind": "rewrite", "operation": operation, "language": language})
    return load_prompt(PROMPT).render(task=task, draft=fenced_json(text), company_name=company_name)


def rewrite(model: BaseChatModel, text: str, operation: str, language: str = "en", company_name: str = "Maru Market",
            ticket: Ticket | None = None) -> RewriteResult:
    """Rewrite the agent's text; personal data of the ticket's customer is redacted on the way out and restored."""
    if operation not in OPERATIONS:
        return RewriteResult(ok=False, text=text, original_text=text, error=f"Unknown rewrite {operation!r}.")
    if not text.strip():
        return RewriteResult(ok=False, text=text, original_text=text, error="There is no text to rewrite.")
    try:
        redactor = redact_ticket(ticket)[1] if ticket is not None else Redactor()
        outgoing = redactor.redact(text, customer_names(ticket) if ticket is not None else [])
        task = TaskInput("rewrite", text=outgoing, operation=operation, language=language)
        out = redactor.restore(invoke_text(model, rewrite_messages(outgoing, operation, language, company_name), task).strip())
    except Exception as exc:  # provider, engine or redaction failure: keep the agent's text
        return RewriteResult(ok=False, text=text, original_text=text, error=str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__)
    if not out:
        return RewriteResult(ok=False, text=text, original_text=text, error="The rewrite came back empty.")
    return RewriteResult(ok=True, text=out, original_text=text)
