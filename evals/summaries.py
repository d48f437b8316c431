"""TweetSumm: the product's conversation summary (as prose) against three human summaries, beside a lead-3 baseline.

ROUGE-1/2/L F1 with the best of the references per metric, averaged over dialogues; tokens are lowercase Unicode
words with Porter stemming of ASCII words (see evals.metrics.UnicodeTokenizer).
"""
from __future__ import annotations

from evals.context import DatasetResult, EvalContext
from evals.datasets import tweetsumm_conversation, tweetsumm_references
from evals.engine import deps_without_kb, make_ticket, summarize
from evals.metrics import ROUGE_TYPES, clean_number, mean, rouge_scores

TWEETSUMM = "tweetsumm"
LEAD = 3


def lead_sentences(conversation: list[dict], n: int = LEAD) -> str:
    """The first `n` sentences of the dialogue text (turns in order, each its own block)."""
    from knowledge.text import split_sentences

    sentences = split_sentences("\n\n".join(m["text"] for m in conversation))
    return " ".join(sentences[:n])


def product_summary(ctx: EvalContext, row: dict, n: int) -> tuple[str, bool]:
    """The summary task's prose for one dialogue, through the run's engine."""
    conversation = tweetsumm_conversation(row)
    ticket = make_ticket(str(row.get("conversation_id", n)), [(m["role"], m["text"]) for m in conversation])
    return summarize(ticket, deps_without_kb(ctx))


def averaged(predictions: list[str], references: list[list[str]]) -> dict[str, float | None]:
    """Mean best-reference ROUGE F1 per type, and the mean summary length in words."""
    per_item = [rouge_scores(p, refs) for p, refs in zip(predictions, references)]
    out = {name: clean_number(mean([s[name] for s in per_item])) for name in ROUGE_TYPES}
    out["mean_words"] = clean_number(mean([len(p.split()) for p in predictions]))
    return out


def evaluate(ctx: EvalContext) -> DatasetResult:
    """Product summaries and the lead-3 baseline on the scored split (no training involved)."""
    rows = [r for r in ctx.layout.rows(TWEETSUMM) if tweetsumm_conversation(r) and tweetsumm_references(r)]
    produced = [product_summary(ctx, r, n) for n, r in enumerate(rows)]
    references = [tweetsumm_references(r) for r in rows]
    result = DatasetResult(averaged([s for s, _ in produced], references))
    result.baselines["lead3"] = averaged([lead_sentences(tweetsumm_conversation(r)) for r in rows], references)
    ctx.note(TWEETSUMM, dialogues=len(rows), summary="chains.offline.extractive.summary_text of the summary task's output",
             fallbacks=sum(f for _, f in produced))
    return result
