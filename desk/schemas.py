"""Records the desk keeps: what the assistant suggested and what the agent actually sent."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Engine = Literal["offline", "llm"]
Rating = Literal[-1, 0, 1]
TicketStatus = Literal["open", "replied"]


class Strict(BaseModel):
    """Base for desk records: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


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


class AuditEvent(Strict):
    """One sent reply next to the suggestion it came from; the audit log only ever appends these.

    `edit_distance` is the character Levenshtein distance divided by the longer text's length;
    `similarity` is the Jaccard index of the two texts' lowercase word sets (see `text_metrics`).
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
