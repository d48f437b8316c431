"""A chat model double that records every message list it receives and fails on demand.

Plain calls (`invoke`, `stream`) answer with `reply`. `with_structured_output(Schema)` answers with the
payload scripted in `structured[Schema.__name__]` (and raises when none is scripted, as a provider
without structured output would). When `error` is set, every call is recorded and then raises it.
"""
from __future__ import annotations

import threading
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable, RunnableLambda
from pydantic import Field, PrivateAttr


class RecordingChatModel(BaseChatModel):
    """Records the messages of every call; replies with scripted text or structured payloads."""

    model_name: str = "recording-fake"
    reply: str = "Thanks for your message."
    structured: dict[str, dict] = Field(default_factory=dict)
    error: Any = None
    calls: list[list[BaseMessage]] = Field(default_factory=list)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "recording-fake"

    def _record(self, messages: list[BaseMessage]) -> None:
        with self._lock:
            self.calls.append(list(messages))
        if self.error is not None:
            raise self.error

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        self._record(messages)
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=self.reply))])

    def with_structured_output(self, schema: Any, **kwargs: Any) -> Runnable:
        def answer(messages: Any) -> Any:
            if hasattr(messages, "to_messages"):
                messages = messages.to_messages()
            self._record(list(messages))
            payload = self.structured.get(schema.__name__)
            if payload is None:
                raise NotImplementedError(f"no structured reply scripted for {schema.__name__}")
            return schema.model_validate(payload)

        return RunnableLambda(answer)

    def fail_with(self, error: BaseException) -> "RecordingChatModel":
        """From now on every call raises `error` (after being recorded)."""
        self.error = error
        return self

    def received_texts(self) -> list[str]:
        """The content of every message of every call, in order."""
        with self._lock:
            return [str(m.content) for call in self.calls for m in call]

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
