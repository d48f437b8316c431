"""The offline engine's chat model. It answers the product's tasks from their typed input (`TaskInput`, passed
as the `task_input` keyword by `chains.calls`): the redacted ticket, the retrieved passages and the triage.
It never reads prompt text, so customer text is only ever data here and a prompt's wording cannot change
what it does.
"""
from __future__ import annotations

import re
from typing import Any, Iterator

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable, RunnableLambda
from pydantic import ConfigDict, Field

from chains import signals
from chains.context import TaskContext, TaskInput
from chains.offline.compose import Passage, compose_reply
from chains.offline.extractive import summarize_conversation
from chains.offline.rewrite import rewrite_text
from core.types import Summary, Triage
from knowledge.text import detect_language

OFFLINE_MODEL_NAME = "offline-grounded-v1"
HIGH_PRIORITY_INTENTS = {"payment_failed", "damaged_or_lost", "account_access", "privacy_request"}
LOW_PRIORITY_INTENTS = {"product_care", "shipping_info", "payment_methods", "gift_card"}


class OfflineEngineError(ValueError):
    """The offline engine was called without the typed task input it answers from."""


class OfflineChatModel(BaseChatModel):
    """Offline drafting engine behind the standard chat-model interface."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    model_name: str = OFFLINE_MODEL_NAME
    intent_classifier: Any = Field(default=None, exclude=True)

    @property
    def _llm_type(self) -> str:
        return "assist-offline"

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, task_input: TaskInput | None = None,
                  **kwargs: Any) -> ChatResult:
        message = AIMessage(content=self.respond(task_input), response_metadata={"model_name": self.model_name})
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None, task_input: TaskInput | None = None,
                **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        for piece in re.findall(r"\S+\s*|\s+", self.respond(task_input)):
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
            if run_manager:
                run_manager.on_llm_new_token(piece, chunk=chunk)
            yield chunk

    def with_structured_output(self, schema: Any, **kwargs: Any) -> Runnable:
        """Triage and Summary come straight from the engine's analysers, already validated."""
        analysers = {Triage: self.triage, Summary: self.summarize}
        if schema not in analysers:
            raise NotImplementedError(f"the offline engine has no structured output for {schema!r}")
        analyse = analysers[schema]
        return RunnableLambda(lambda _messages, task_input=None: analyse(_context(task_input)))

    # -- tasks ---------------------------------------------------------------------------------
    def respond(self, task: TaskInput | None) -> str:
        """The text answer to a task: a draft, a rewrite, or a triage/summary as JSON."""
        if task is None:
            raise OfflineEngineError("the offline engine answers the product's tasks from their typed input; "
                                     "call it through chains' task functions (chains.calls), not with a bare prompt")
        if task.kind == "draft":
            return self.draft(_context(task), task.tone or "concise")
        if task.kind == "rewrite":
            return rewrite_text(task.text, task.operation)
        if task.kind == "summarize":
            return self.summarize(_context(task)).model_dump_json()
        if task.kind == "triage":
            return self.triage(_context(task)).model_dump_json()
        raise OfflineEngineError(f"unknown task kind {task.kind!r}")

    def draft(self, ctx: TaskContext, tone: str) -> str:
        conversation = ctx.ticket.public_messages()
        customer_turns = [m.text for m in conversation if m.role == "customer"]
        triage = ctx.triage or self.triage(ctx)
        passages = [Passage(n=n, id=h.chunk.id, title=h.chunk.title, text=h.chunk.text, lang=h.chunk.lang,
                            section=h.chunk.section, article=h.chunk.article_id, score=h.score) for n, h in enumerate(ctx.hits, start=1)]
        return compose_reply(
            passages, customer_turns[-1] if customer_turns else "", " ".join(m.text for m in conversation[-4:]),
            tone=tone, lang=ctx.language, sentiment=triage.sentiment,
            customer=ctx.customer_first_name or ctx.ticket.customer.name, agent=ctx.agent_name,
            company=ctx.company_name, sign_off=ctx.sign_off, answerable=ctx.answerable,
            agent_turns=[m.text for m in conversation if m.role == "agent"], customer_turns=customer_turns,
        )

    def summarize(self, ctx: TaskContext) -> Summary:
        return Summary(**summarize_conversation(ctx.conversation(), ctx.ui_language))

    def classify_ticket(self, subject: str, customer_turns: list[str]) -> tuple[str, float]:
        """Intent from the subject, the opening message and the latest message together."""
        if self.intent_classifier is None or not customer_turns:
            return "other", 0.0
        segments = [(subject, 1.0), (customer_turns[0], 1.0)]
        if len(customer_turns) > 1:
            segments.append((customer_turns[-1], 1.0))
        prediction = self.intent_classifier.predict_weighted(segments)
        return prediction.label, prediction.confidence

    def triage(self, ctx: TaskContext) -> Triage:
        customer = [m.text for m in ctx.ticket.customer_messages()]
        latest = " ".join(customer[-2:])
        intent, confidence = self.classify_ticket(ctx.ticket.subject, customer)
        if ctx.intents and intent not in ctx.intents:
            intent = "other"
        sentiment = signals.sentiment_label(latest)
        return Triage(
            intent=intent, intent_confidence=round(confidence, 3), sentiment=sentiment,
            priority=priority_for(intent, sentiment, latest),
            language="ko" if detect_language(" ".join(customer)) == "ko" else "en",
            injection_suspected=any(signals.injection_suspected(t) for t in customer),
        )


def priority_for(intent: str, sentiment: str, text: str) -> str:
    """Urgent: a deadline with frustration; high: money, safety, access or data at stake or an unhappy customer."""
    urgent = signals.is_urgent(text)
    if urgent and (sentiment == "negative" or intent in HIGH_PRIORITY_INTENTS):
        return "urgent"
    if urgent or sentiment == "negative" or intent in HIGH_PRIORITY_INTENTS:
        return "high"
    if intent in LOW_PRIORITY_INTENTS and sentiment != "negative":
        return "low"
    return "normal"


def _context(task: TaskInput | None) -> TaskContext:
    if task is None or task.context is None:
        raise OfflineEngineError("the offline engine needs the task's context (TaskInput.context)")
    return task.context
