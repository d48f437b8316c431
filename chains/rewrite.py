"""Rewrite task on the agent's own text: shorten, expand, formal, friendly, grammar, translate."""
from __future__ import annotations

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from pydantic import BaseModel, ConfigDict

from chains.prompts import load_prompt

PROMPT = "rewrite"
OPERATIONS = ("shorten", "expand", "formal", "friendly", "grammar", "translate")


class RewriteResult(BaseModel):
    """Errors are values: the agent's original text always comes back."""

    model_config = ConfigDict(extra="forbid")
    ok: bool
    text: str
    original_text: str
    error: str = ""


def rewrite_messages(text: str, operation: str, language: str, shop_name: str) -> list[BaseMessage]:
    import json

    task = json.dumps({"kind": "rewrite", "operation": operation, "language": language}, ensure_ascii=False)
    return load_prompt(PROMPT).render(task=task, draft=text, shop_name=shop_name)


def rewrite(model: BaseChatModel, text: str, operation: str, language: str = "en", shop_name: str = "Maru Market") -> RewriteResult:
    if operation not in OPERATIONS:
        return RewriteResult(ok=False, text=text, original_text=text, error=f"Unknown rewrite {operation!r}.")
    if not text.strip():
        return RewriteResult(ok=False, text=text, original_text=text, error="There is no text to rewrite.")
    try:
        out = str(model.invoke(rewrite_messages(text, operation, language, shop_name)).content).strip()
    except Exception as exc:  # provider or engine failure: keep the agent's text
        return RewriteResult(ok=False, text=text, original_text=text, error=str(exc) or type(exc).__name__)
    if not out:
        return RewriteResult(ok=False, text=text, original_text=text, error="The rewrite came back empty.")
    return RewriteResult(ok=True, text=out, original_text=text)
