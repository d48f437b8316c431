"""Core types of the assist pipeline. Every model output is one of these schemas."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from knowledge.types import Hit

Role = Literal["customer", "agent", "note"]
Language = Literal["en", "ko"]
Sentiment = Literal["negative", "neutral", "positive"]
Priority = Literal["low", "normal", "high", "urgent"]
Tone = Literal["concise", "detailed", "warm"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Message(Strict):
    role: Role
    author: str = ""
    text: str
    at: datetime | None = None

    @field_validator("text")
    @classmethod
    def text_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("message text is empty")
        return value


class Customer(Strict):
    name: str = ""
    email: str = ""


class Ticket(Strict):
    id: str
    subject: str = ""
    channel: str = "email"
    customer: Customer = Field(default_factory=Customer)
    messages: list[Message] = Field(min_length=1)
    language: Language | None = None

    def customer_messages(self) -> list[Message]:
        return [m for m in self.messages if m.role == "customer"]

    def public_messages(self) -> list[Message]:
        """Messages that may leave the building: internal notes are never sent to a provider."""
        return [m for m in self.messages if m.role != "note"]


class Triage(Strict):
    intent: str
    intent_confidence: float = 0.0
    sentiment: Sentiment
    priority: Priority
    language: Language
    injection_suspected: bool = False


class Summary(Strict):
    issue: str
    done_so_far: str
    next_steps: str
    entities: dict[str, list[str]] = Field(default_factory=dict)


class Citation(Strict):
    sentence_index: int
    chunk_id: str
    marker: int


class Draft(Strict):
    text: str
    tone: Tone
    citations: list[Citation] = Field(default_factory=list)
    unsupported_sentences: list[int] = Field(default_factory=list)
    abstained: bool = False
    reason: str = ""
    engine: Literal["offline", "llm"] = "offline"


class AssistResult(Strict):
    ticket_id: str
    triage: Triage | None
    summary: Summary | None
    hits: list[Hit]
    drafts: list[Draft]
    engine: Literal["offline", "llm"]
    model: str
    prompt_versions: dict[str, str] = Field(default_factory=dict)
    timings: dict[str, float] = Field(default_factory=dict)
    cost: dict[str, float] = Field(default_factory=dict)
    answerable: bool = True
    notices: list[str] = Field(default_factory=list)
    partial_drafts: dict[str, str] = Field(default_factory=dict)  # text a provider streamed before failing
