"""The offline engine: a LangChain chat model that answers the product's own prompts without any provider.

It reads the fenced data blocks of the prompt it is given (<task>, <knowledge_base>, <conversation>,
<draft>) and composes grounded drafts, extractive summaries and triage from them. Customer text is
only ever data here: nothing in it can change what the engine does.
"""
from __future__ import annotations

import json
import re
from typing import Any, Iterator

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable, RunnableLambda
from pydantic import ConfigDict, Field

from chains import signals
from chains.compose import Passage, compose_reply
from chains.extractive import summarize_conversation
from chains.rewrite_offline import rewrite_text
from chains.schemas import Summary, Triage
from knowledge.text import detect_language

BLOCK = re.compile(r"<(task|knowledge_base|conversation|draft)>\n?(.*?)\n?</\1>", re.S)
OFFLINE_MODEL_NAME = "offline-grounded-v1"


class OfflineEngineError(ValueError):
    """The prompt did not carry the data blocks the offline engine needs."""


def parse_blocks(text: str) -> dict[str, Any]:
    blocks: dict[str, Any] = {}
    for name, body in BLOCK.findall(text):
        body = body.strip()
        try:
            blocks[name] = json.loads(body) if body else None
        except json.JSONDecodeError as exc:
            raise OfflineEngineError(f"<{name}> block is not JSON: {exc.msg}") from exc
    if "task" not in blocks:
        raise OfflineEngineError("the prompt has no <task> block")
    return blocks


class OfflineChatModel(BaseChatModel):
    """Offline drafting engine behind the standard chat-model interface."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    model_name: str = OFFLINE_MODEL_NAME
    intent_classifier: Any = Field(default=None, exclude=True)

    @property
    def _llm_type(self) -> str:
        return "assist-offline"

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        text = self.respond(messages)
        message = AIMessage(content=text, response_metadata={"model_name": self.model_name})
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        text = self.respond(messages)
        for piece in re.findall(r"\S+\s*|\s+", text):
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
            if run_manager:
                run_manager.on_llm_new_token(piece, chunk=chunk)
            yield chunk

    def with_structured_output(self, schema: Any, **kwargs: Any) -> Runnable:
        """Triage and Summary come straight from the engine's analysers, already validated."""
        if schema is Triage:
            return RunnableLambda(lambda messages: self.triage(_blocks(messages)))
        if schema is Summary:
            return RunnableLambda(lambda messages: self.summarize(_blocks(messages)))
        raise NotImplementedError(f"the offline engine has no structured output for {schema!r}")

    # -- tasks ---------------------------------------------------------------------------------
    def respond(self, messages: list[BaseMessage]) -> str:
        blocks = _blocks(messages)
        kind = blocks["task"].get("kind")
        if kind == "draft":
            return self.draft(blocks)
        if kind == "rewrite":
            return rewrite_text(blocks.get("draft", ""), blocks["task"])
        if kind == "summarize":
            return self.summarize(blocks).model_dump_json()
        if kind == "triage":
            return self.triage(blocks).model_dump_json()
        raise OfflineEngineError(f"unknown task kind {kind!r}")

    def draft(self, blocks: dict) -> str:
        task, conversation = blocks["task"], blocks.get("conversation") or []
        passages = [Passage(n=p["n"], id=p["id"], title=p.get("title", ""), text=p["text"], lang=p.get("lang", "en"))
                    for p in blocks.get("knowledge_base") or []]
        customer_turns = [m["text"] for m in conversation if m.get("role") == "customer"]
        question = customer_turns[-1] if customer_turns else ""
        context = " ".join(m["text"] for m in conversation[-4:])
        intent = task.get("intent") or self.classify_ticket(task.get("subject", ""), customer_turns)[0]
        sentiment = task.get("sentiment") or signals.sentiment_label(" ".join(customer_turns[-2:]))
        return compose_reply(
            passages, question, context, tone=task.get("tone", "concise"), lang=task.get("language", "en"),
            intent=intent, sentiment=sentiment, customer=task.get("customer_first_name") or task.get("customer_name", ""),
            agent=task.get("agent_name", ""), shop=task.get("shop_name", ""), answerable=bool(task.get("answerable", True)),
        )

    def summarize(self, blocks: dict) -> Summary:
        fields = summarize_conversation(blocks.get("conversation") or [], blocks["task"].get("ui_language", "en"))
        return Summary(**fields)

    def classify_ticket(self, subject: str, customer_turns: list[str]) -> tuple[str, float]:
        """Intent from the subject, the opening message and the latest message together."""
        if self.intent_classifier is None or not customer_turns:
            return "other", 0.0
        segments = [(subject, 1.0), (customer_turns[0], 1.0)]
        if len(customer_turns) > 1:
            segments.append((customer_turns[-1], 1.0))
        prediction = self.intent_classifier.predict_weighted(segments)
        return prediction.label, prediction.confidence

    def triage(self, blocks: dict) -> Triage:
        conversation = blocks.get("conversation") or []
        customer = [m["text"] for m in conversation if m.get("role") == "customer"]
        latest = " ".join(customer[-2:])
        intent, confidence = self.classify_ticket(blocks["task"].get("subject", ""), customer)
        allowed = blocks["task"].get("intents") or []
        if allowed and intent not in allowed:
            intent = "other"
        sentiment = signals.sentiment_label(latest)
        return Triage(
            intent=intent, intent_confidence=round(confidence, 3), sentiment=sentiment,
            priority=priority_for(intent, sentiment, latest),
            language="ko" if detect_language(" ".join(customer)) == "ko" else "en",
            injection_suspected=any(signals.injection_suspected(t) for t in customer),
        )


HIGH_PRIORITY_INTENTS = {"payment_failed", "damaged_or_lost", "account_access", "privacy_request"}
LOW_PRIORITY_INTENTS = {"product_care", "shipping_info", "payment_methods", "gift_card"}


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


def _blocks(messages: Any) -> dict:
    if hasattr(messages, "to_messages"):
        messages = messages.to_messages()
    human = [m for m in messages if getattr(m, "type", "") == "human"] or list(messages)
    return parse_blocks(str(human[-1].content))
