"""Structured answers from any chat model: function calling (the widest OpenAI-compatible support),
one retry when the answer is malformed, then a typed error so the pipeline can fall back."""
from __future__ import annotations

import json
from typing import TypeVar

from langchain_core.exceptions import OutputParserException
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from pydantic import BaseModel, ValidationError

from chains.calls import task_kwargs
from chains.context import TaskInput

S = TypeVar("S", bound=BaseModel)
METHOD = "function_calling"
ATTEMPTS = 2


class MalformedOutputError(ValueError):
    """The model's structured answer could not be parsed into the schema, even after a retry."""


def invoke_structured(model: BaseChatModel, schema: type[S], messages: list[BaseMessage], task: TaskInput,
                      config: dict | None = None) -> S:
    runnable = model.with_structured_output(schema, method=METHOD)
    problem: Exception | str = "no answer"
    for _ in range(ATTEMPTS):
        try:
            answer = runnable.invoke(messages, config=config, **task_kwargs(model, task))
        except (OutputParserException, ValidationError, json.JSONDecodeError) as exc:
            problem = exc
            continue
        if isinstance(answer, schema):
            return answer
        if isinstance(answer, dict):
            try:
                return schema.model_validate(answer)
            except ValidationError as exc:
                problem = exc
                continue
        problem = f"empty or invalid {schema.__name__} answer"
    raise MalformedOutputError(f"{schema.__name__}: {str(problem).splitlines()[0][:200]}")
