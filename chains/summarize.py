"""Summary task: issue, what has been done, next step and entities, as a `Summary` schema."""
from __future__ import annotations

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage

from chains.context import TaskContext, TaskInput
from chains.prompts import conversation_block, load_prompt, task_block
from chains.structured import invoke_structured
from core.types import Summary

PROMPT = "summarize"


def summary_messages(ctx: TaskContext) -> list[BaseMessage]:
    task = task_block("summarize", ui_language=ctx.ui_language)
    return load_prompt(PROMPT).render(task=task, conversation=conversation_block(ctx), company_name=ctx.company_name)


def run_summary(model: BaseChatModel, ctx: TaskContext, config: dict | None = None) -> Summary:
    return invoke_structured(model, Summary, summary_messages(ctx), TaskInput("summarize", ctx), config)
