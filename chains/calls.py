"""Calling a chat model for a task. Both engines get the rendered prompt through the LangChain interface;
the offline engine also gets the typed `TaskInput` (as the `task_input` keyword), which is all it reads.
A provider model never receives that keyword: it would be sent as a request parameter."""
from __future__ import annotations

from typing import Iterator

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage

from chains.context import TaskInput
from chains.offline import OfflineChatModel

TASK_INPUT = "task_input"


def task_kwargs(model: BaseChatModel, task: TaskInput) -> dict:
    """Keyword arguments that hand the offline engine its typed input (none for a provider model)."""
    return {TASK_INPUT: task} if isinstance(model, OfflineChatModel) else {}


def invoke_text(model: BaseChatModel, messages: list[BaseMessage], task: TaskInput, config: dict | None = None) -> str:
    return str(model.invoke(messages, config=config, **task_kwargs(model, task)).content)


def stream_text(model: BaseChatModel, messages: list[BaseMessage], task: TaskInput,
                config: dict | None = None) -> Iterator[str]:
    for chunk in model.stream(messages, config=config, **task_kwargs(model, task)):
        if chunk.content:
            yield str(chunk.content)
