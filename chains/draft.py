"""Draft task: a reply in the customer's language whose factual sentences cite retrieved passages as [n]."""
from __future__ import annotations

import re
from typing import Callable, Iterator

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage

from chains.calls import invoke_text, stream_text
from chains.checks import check_sentences
from chains.context import TaskContext, TaskInput
from chains.prompts import conversation_block, load_prompt, task_block
from core.types import Citation, Draft
from knowledge.text import split_sentences

PROMPT = "draft"
TONES = ("concise", "detailed", "warm")
MARKER = re.compile(r"\s?\[(\d{1,2})\]")
CLAIM = re.compile(
    r"\d|[$€£₩]|\b(within|days?|hours?|weeks?|fee|free|refund\w*|return\w*|policy|must|cannot|can't|will be|"
    r"charge\w*|cost\w*|deliver\w*|ship\w*|warranty|eligible|required?)\b|(일 이내|영업일|수수료|무료|환불|반품|배송|보증|가능합니다|불가)",
    re.I,
)


def draft_messages(ctx: TaskContext, tone: str) -> list[BaseMessage]:
    triage = ctx.triage
    task = task_block(
        "draft", tone=tone, language=ctx.language, customer_name=ctx.ticket.customer.name,
        customer_first_name=ctx.customer_first_name, agent_name=ctx.agent_name, company_name=ctx.company_name,
        sign_off=ctx.sign_off, answerable=ctx.answerable,
        intent=triage.intent if triage else "", sentiment=triage.sentiment if triage else "",
    )
    return load_prompt(PROMPT).render(task=task, passages=ctx.passages_json(), conversation=conversation_block(ctx),
                                      company_name=ctx.company_name)


def draft_sentences(text: str) -> list[str]:
    """The sentence segmentation that citation indexes refer to."""
    return [s for line in text.splitlines() if line.strip() for s in split_sentences(line)]


TRAILING_MARKERS = re.compile(r"([.!?。])((?:[ \t]?\[\d{1,2}\])+)")


def parse_draft(text: str, ctx: TaskContext, tone: str) -> Draft:
    """Resolve [n] markers to chunk ids, drop markers that point nowhere, and list uncited factual sentences.

    A marker written after the full stop ("days. [2]") belongs to the sentence before it.
    """
    text = TRAILING_MARKERS.sub(lambda m: m.group(2) + m.group(1), text)
    chunk_ids = [h.chunk.id for h in ctx.hits]
    citations: list[Citation] = []
    unsupported: list[int] = []
    sentences: list[str] = []
    cleaned_lines = []
    index = 0
    for line in text.splitlines():
        kept = []
        for sentence in split_sentences(line) if line.strip() else []:
            markers = [int(n) for n in MARKER.findall(sentence)]
            valid = [n for n in markers if 1 <= n <= len(chunk_ids)]
            if len(valid) != len(markers):
                sentence = MARKER.sub(lambda m: m.group(0) if 1 <= int(m.group(1)) <= len(chunk_ids) else "", sentence)
            citations.extend(Citation(sentence_index=index, chunk_id=chunk_ids[n - 1], marker=n) for n in dict.fromkeys(valid))
            if not valid and CLAIM.search(MARKER.sub("", sentence)) and not _framing(sentence):
                unsupported.append(index)
            kept.append(sentence)
            sentences.append(MARKER.sub("", sentence))
            index += 1
        cleaned_lines.append(" ".join(kept) if kept else line)
    cited: dict[int, list[str]] = {}
    for c in citations:
        cited.setdefault(c.sentence_index, []).append(c.chunk_id)
    claims = check_sentences(sentences, cited, ctx)
    abstained = not ctx.answerable or not citations
    reason = ctx.gate_reason if not ctx.answerable else ("The draft cites no knowledge-base passage." if not citations else "")
    return Draft(text="\n".join(cleaned_lines).strip(), tone=tone, citations=citations,
                 unsupported_sentences=unsupported, unsupported_claims=claims, abstained=abstained, reason=reason)


FRAMING = re.compile(r"^(hi|hello|dear|best regards|kind regards|regards|thanks|thank you|if anything|if you have|"
                     r"안녕하세요|감사합니다|더 궁금하신)", re.I)


def _framing(sentence: str) -> bool:
    return bool(FRAMING.match(sentence.strip("- ")))


def run_draft(model: BaseChatModel, ctx: TaskContext, tone: str, config: dict | None = None) -> Draft:
    text = invoke_text(model, draft_messages(ctx, tone), TaskInput("draft", ctx, tone=tone), config)
    return parse_draft(text, ctx, tone)


class StreamCutError(RuntimeError):
    """The provider's stream stopped midway; `partial` holds the text received so far."""

    def __init__(self, partial: str, cause: Exception) -> None:
        super().__init__(f"the stream stopped after {len(partial)} characters: {type(cause).__name__}")
        self.partial = partial


def run_draft_streaming(model: BaseChatModel, ctx: TaskContext, tone: str, sink: Callable[[str], None],
                        config: dict | None = None) -> Draft:
    """Like run_draft, but every piece is passed to `sink` as it arrives."""
    parts: list[str] = []
    try:
        for piece in stream_draft(model, ctx, tone, config):
            parts.append(piece)
            sink(piece)
    except Exception as exc:
        if parts:
            raise StreamCutError("".join(parts), exc) from exc
        raise
    return parse_draft("".join(parts), ctx, tone)


def stream_draft(model: BaseChatModel, ctx: TaskContext, tone: str, config: dict | None = None) -> Iterator[str]:
    yield from stream_text(model, draft_messages(ctx, tone), TaskInput("draft", ctx, tone=tone), config)
