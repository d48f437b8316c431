"""The product's shared types. Every model output and every stored record is one of these schemas.

Tickets and messages come from a helpdesk; articles, chunks and hits from the knowledge base; triage,
summary, drafts and the assist result from the assistant; suggestion and audit records from the desk.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Role = Literal["customer", "agent", "note"]
Language = Literal["en", "ko"]
Sentiment = Literal["negative", "neutral", "positive"]
Priority = Literal["low", "normal", "high", "urgent"]
Tone = Literal["concise", "detailed", "warm"]
Engine = Literal["offline", "llm"]
Rating = Literal[-1, 0, 1]
TicketStatus = Literal["open", "replied"]


class Strict(BaseModel):
    """Base of every core type: an unknown field is an error, never silently dropped."""

    model_config = ConfigDict(extra="forbid")


# -- tickets ---------------------------------------------------------------------------------------
def as_utc(value: datetime | None) -> datetime | None:
    """A time with its timezone; one without (helpdesk exports often omit it) is read as UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


class Message(Strict):
    """One message of a ticket's thread. `at` always has a timezone: a time given without one is UTC."""

    role: Role
    author: str = ""
    text: str
    at: datetime | None = None

    @field_validator("at")
    @classmethod
    def at_has_timezone(cls, value: datetime | None) -> datetime | None:
        return as_utc(value)

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


# -- knowledge -------------------------------------------------------------------------------------
class Article(Strict):
    """One knowledge-base article as a loader produced it."""

    id: str
    title: str
    text: str
    url: str = ""
    lang: str = "en"
    tags: list[str] = Field(default_factory=list)
    updated: str = ""
    source: str = ""


class Chunk(Strict):
    """A retrievable passage of an article, carrying its title and section path."""

    id: str
    article_id: str
    title: str
    url: str = ""
    text: str
    lang: str = "en"
    section: str = ""


class Hit(Strict):
    """A retrieved chunk with its fused score and the ranks that produced it."""

    chunk: Chunk
    score: float
    dense: float | None = None
    lexical: float | None = None
    dense_rank: int | None = None
    lexical_rank: int | None = None


# -- assist ----------------------------------------------------------------------------------------
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


ClaimKind = Literal["url", "amount", "date", "promise", "citation", "display_name"]


class UnsupportedClaim(Strict):
    """Something a draft states that neither the cited passages nor the ticket support."""

    kind: ClaimKind
    text: str
    sentence_index: int = -1


class Draft(Strict):
    text: str
    tone: Tone
    citations: list[Citation] = Field(default_factory=list)
    unsupported_sentences: list[int] = Field(default_factory=list)
    unsupported_claims: list[UnsupportedClaim] = Field(default_factory=list)
    notices: list[str] = Field(default_factory=list)  # codes the UI translates, e.g. "injection_suspected"
    abstained: bool = False
    reason: str = ""
    engine: Engine = "offline"

    def audit_flags(self) -> list[str]:
        """What the audit records about this draft: abstention, uncited facts and each unsupported claim."""
        flags = (["abstained"] if self.abstained else []) + (["unsupported_sentences"] if self.unsupported_sentences else [])
        return flags + [f"unsupported_{c.kind}: {c.text[:200]}" for c in self.unsupported_claims]


class AssistResult(Strict):
    """Everything the sidebar shows for one ticket.

    `hits` are the passages the drafts cite as [1], [2], …: the best passages of the top articles,
    grouped by article (best article first).
    """

    ticket_id: str
    triage: Triage | None
    summary: Summary | None
    hits: list[Hit]
    drafts: list[Draft]
    engine: Engine
    model: str
    prompt_versions: dict[str, str] = Field(default_factory=dict)
    timings: dict[str, float] = Field(default_factory=dict)
    cost: dict[str, float] = Field(default_factory=dict)
    answerable: bool = True
    gate_reason: str = ""
    notices: list[str] = Field(default_factory=list)
    injection_sources: list[str] = Field(default_factory=list)  # where customer text tried to instruct the assistant
    partial_drafts: dict[str, str] = Field(default_factory=dict)  # text a provider streamed before failing

    def articles(self) -> list[tuple[list[int], list[Hit]]]:
        """The hits grouped per article, best article first, each passage with its citation number (1-based)."""
        groups: dict[str, tuple[list[int], list[Hit]]] = {}
        for n, hit in enumerate(self.hits, start=1):
            numbers, members = groups.setdefault(hit.chunk.article_id, ([], []))
            numbers.append(n)
            members.append(hit)
        return list(groups.values())


# -- desk records ----------------------------------------------------------------------------------
class SuggestionRecord(Strict):
    """The suggestion an agent started from, as shown in the sidebar."""

    engine: Engine
    model: str
    suggested: str
    tone: str = ""
    citations: list[str] = Field(default_factory=list)
    flags: list[str] = Field(default_factory=list)
    prompt_versions: dict[str, str] = Field(default_factory=dict)
    suggested_at: datetime | None = None
    rating: Rating | None = None
    feedback_reason: str = ""
    # The ticket as the assistant read it, kept for leads' reports and the KB-gap loop.
    intent: str = ""
    language: str = ""
    abstained: bool = False  # the assistant found no grounded answer on this ticket
    question: str = ""  # the customer's latest message, personal data masked
    cost_usd: float = Field(default=0.0, ge=0.0)  # provider cost of the assist behind this reply


class AuditEvent(Strict):
    """One sent reply next to the suggestion it came from; the audit log only ever appends these.

    `edit_distance` is the character Levenshtein distance divided by the longer text's length;
    `similarity` is the word-level Levenshtein similarity of the two texts (1 = the same words in the
    same order; see `desk.text_metrics`).
    """

    id: int | None = None
    ticket_id: str
    agent: str
    engine: Engine
    model: str
    suggested: str
    sent: str
    tone: str = ""
    edit_distance: float = Field(ge=0.0, le=1.0)
    similarity: float = Field(ge=0.0, le=1.0)
    citations: list[str] = Field(default_factory=list)
    flags: list[str] = Field(default_factory=list)
    rating: Rating | None = None
    prompt_versions: dict[str, str] = Field(default_factory=dict)
    suggested_at: datetime | None = None
    sent_at: datetime
    feedback_reason: str = ""
    intent: str = ""
    language: str = ""
    abstained: bool = False
    question: str = ""
    cost_usd: float = Field(default=0.0, ge=0.0)
    opened_at: datetime | None = None  # when this agent first opened the ticket (server clock)
    first_typed_at: datetime | None = None  # when this agent first saved text in the reply box
    handle_seconds: float | None = Field(default=None, ge=0.0)  # sent_at - opened_at

    @property
    def used_suggestion(self) -> bool:
        """Whether the reply started from a suggested draft."""
        return bool(self.suggested)
