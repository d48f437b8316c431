"""The one retrieval call: conversation -> query -> hits -> gate verdict.

The assistant, the Knowledge page, the CLI and the evaluation all retrieve through `retrieve()`, so the
articles an agent sees are the ones the retrieval metrics score.

- The query is built from the whole conversation (`query_from_turns`).
- The fused ranking (`KnowledgeIndex.search`) of CANDIDATES chunks is grouped per article: the result is
  the best `k` articles, best first, each with its best passage, and the next best passages of those
  articles in ranking order (at most PER_ARTICLE each, MAX_PASSAGES in all). These passages are what the
  drafts cite as [1], [2], … and what the KB panel shows under each article. (doc2dial dev, offline concise
  drafts: span token recall 0.561 with 4/8, 0.533 with two passages per article, 0.556 for the former top five
  chunks regardless of article.)
- The answerability gate judges the top GATE_HITS chunks of the same ranking (what calibration fits on).
"""
from __future__ import annotations

from dataclasses import dataclass

from core.types import Hit, Ticket
from knowledge.gate import Verdict, judge
from knowledge.index import CANDIDATES, KnowledgeIndex
from knowledge.query import RetrievalQuery, query_from_turns

DEFAULT_K = 5
PER_ARTICLE = 4
MAX_PASSAGES = 8
GATE_HITS = 5
Turns = list[tuple[str, str]]


@dataclass
class Retrieval:
    """What one retrieval call returns."""

    query: RetrievalQuery
    articles: list[list[Hit]]  # best article first; each article's best passages, best first
    verdict: Verdict

    @property
    def hits(self) -> list[Hit]:
        """The passages in citation order ([1] is the best passage of the best article)."""
        return [hit for group in self.articles for hit in group]

    @property
    def article_ids(self) -> list[str]:
        return [group[0].chunk.article_id for group in self.articles]

    @property
    def answerable(self) -> bool:
        return self.verdict.answerable


def conversation_turns(ticket: Ticket) -> Turns:
    """(role, text) of the messages that may leave the building, in order: internal notes never count."""
    return [(m.role, m.text) for m in ticket.public_messages()]


def group_by_article(ranked: list[Hit], k: int, per_article: int, max_passages: int) -> list[list[Hit]]:
    """The first `k` articles of a chunk ranking, each with its best chunk, then more of their chunks in ranking
    order (at most `per_article` each) until `max_passages` are taken."""
    groups: dict[str, list[Hit]] = {}
    for hit in ranked:
        if hit.chunk.article_id not in groups and len(groups) < k:
            groups[hit.chunk.article_id] = [hit]
    budget = max_passages - len(groups)
    for hit in ranked:
        if budget <= 0:
            break
        group = groups.get(hit.chunk.article_id)
        if group is not None and hit is not group[0] and len(group) < per_article:
            group.append(hit)
            budget -= 1
    return list(groups.values())


def retrieve(index: KnowledgeIndex, conversation: Turns | RetrievalQuery | str, k: int = DEFAULT_K,
             mode: str = "hybrid", per_article: int = PER_ARTICLE, max_passages: int = MAX_PASSAGES) -> Retrieval:
    """The best `k` articles for a conversation ((role, text) turns, a query, or one question) and the gate's verdict."""
    if k < 1:
        raise ValueError(f"k must be at least 1 (got {k})")
    query = _as_query(conversation)
    ranked = index.search(query, k=CANDIDATES, mode=mode)
    verdict = judge(index, query, ranked[:GATE_HITS])
    return Retrieval(query, group_by_article(ranked, k, per_article, max(max_passages, k)), verdict)


def _as_query(conversation: Turns | RetrievalQuery | str) -> RetrievalQuery:
    if isinstance(conversation, RetrievalQuery):
        return conversation
    if isinstance(conversation, str):
        return RetrievalQuery.of(conversation)
    return query_from_turns(list(conversation))
