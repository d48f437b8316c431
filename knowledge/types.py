"""Value types shared by every part of the knowledge package."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Article(BaseModel):
    """One knowledge-base article as a loader produced it."""

    model_config = ConfigDict(extra="forbid")

    id: str
    title: str
    text: str
    url: str = ""
    lang: str = "en"
    tags: list[str] = Field(default_factory=list)
    updated: str = ""
    source: str = ""


class Chunk(BaseModel):
    """A retrievable passage of an article, carrying its title and section path."""

    model_config = ConfigDict(extra="forbid")

    id: str
    article_id: str
    title: str
    url: str = ""
    text: str
    lang: str = "en"
    section: str = ""


class Hit(BaseModel):
    """A retrieved chunk with its fused score and the ranks that produced it."""

    model_config = ConfigDict(extra="forbid")

    chunk: Chunk
    score: float
    dense: float | None = None
    lexical: float | None = None
    dense_rank: int | None = None
    lexical_rank: int | None = None
