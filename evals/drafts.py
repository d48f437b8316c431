"""Reply drafts of the product's `assist()` (the concise tone), scored against references.

doc2dial (gold grounding span `answers.text`):
- `span_token_recall`: per query, the share of the gold span's distinct lowercase word tokens found in the draft
  body (the lines of the draft that carry a citation marker, markers removed: greeting, acknowledgement and
  sign-off are left out); an abstained draft has an empty body and scores 0. Averaged over queries.
  `span_token_recall_answered` averages over non-abstained drafts only.
- `draft_token_precision`, `draft_token_recall`, `draft_token_f1`: the same cited body against the gold span,
  distinct lowercase word tokens, per query (an abstained draft scores 0 on all three), averaged over queries;
  `draft_body_words` is the cited body's mean length in words (the gold spans average about 21).
- `supported_sentence_rate`: claim sentences are those that either carry a valid citation or that
  `chains.draft.parse_draft` lists as unsupported (uncited sentences that state facts); the rate is
  cited claim sentences / all claim sentences, pooled over every draft (1 - unsupported / claims).
- `abstain_rate`: share of drafts the product marks as abstained (gate said unanswerable, or nothing cited).

bitext (`response`): `draft_rougeL`, ROUGE-L F1 of the full draft text against the reference reply.
"""
from __future__ import annotations

from evals.context import EvalContext
from evals.datasets import doc2dial_gold_span, doc2dial_turns, spread
from evals.engine import DRAFT_TONE, Drafted, deps_for, draft_reply, make_ticket
from evals.kb import DOC2DIAL, demo_index, full_index
from evals.metrics import clean_number, mean, rouge_scores, span_token_recall, token_overlap

DOC2DIAL_CAP = 400
BITEXT_CAP = 300
BITEXT = "bitext_customer_support"


def cited_body(draft) -> str:
    """The draft lines that cite a passage, with their [n] markers removed ('' for an abstained draft).

    `parse_draft` has already dropped markers that point to no passage, so every marker left is valid.
    """
    from chains.draft import MARKER

    if draft.abstained:
        return ""
    return " ".join(MARKER.sub("", line).strip() for line in draft.text.splitlines() if MARKER.search(line))


def claim_counts(draft) -> tuple[int, int]:
    """(cited claim sentences, all claim sentences) of one draft."""
    cited = {c.sentence_index for c in draft.citations}
    return len(cited), len(cited | set(draft.unsupported_sentences))


def grounded_scores(outcomes: list[Drafted], spans: list[str]) -> dict[str, float | None]:
    """The grounded-draft metrics (see the module docstring)."""
    recalls = [span_token_recall(span, cited_body(o.draft)) for o, span in zip(outcomes, spans)]
    scored = [(r, o) for r, o in zip(recalls, outcomes) if r == r]
    counts = [claim_counts(o.draft) for o in outcomes]
    claims = sum(c for _, c in counts)
    bodies = [cited_body(o.draft) for o in outcomes]
    overlaps = [token_overlap(span, body) for span, body in zip(spans, bodies)]
    return {
        "draft_token_precision": clean_number(mean([p for p, _, _ in overlaps])),
        "draft_token_recall": clean_number(mean([r for _, r, _ in overlaps])),
        "draft_token_f1": clean_number(mean([f for _, _, f in overlaps])),
        "draft_body_words": clean_number(mean([len(b.split()) for b in bodies])),
        "span_token_recall": clean_number(mean([r for r, _ in scored])),
        "span_token_recall_answered": clean_number(mean([r for r, o in scored if not o.draft.abstained])),
        "supported_sentence_rate": clean_number(sum(s for s, _ in counts) / claims if claims else float("nan")),
        "abstain_rate": clean_number(mean([1.0 if o.draft.abstained else 0.0 for o in outcomes])),
    }


def evaluate_grounded(ctx: EvalContext, rows: list[dict]) -> dict[str, float | None]:
    """Concise drafts for (at most DOC2DIAL_CAP, evenly spread) doc2dial queries on the full index."""
    chosen = spread(rows, DOC2DIAL_CAP)
    index = full_index(ctx)
    deps = deps_for(ctx, index, "doc2dial")
    outcomes = [draft_reply(make_ticket(str(r.get("id", n)), doc2dial_turns(r["question"])), deps)
                for n, r in enumerate(chosen)]
    gate = "weights stored in the index manifest" if index.manifest.gate else "the prior weights (none in the manifest)"
    ctx.note(DOC2DIAL, drafts=f"{len(chosen)} of {len(rows)} queries at evenly spaced positions; tone {DRAFT_TONE}; "
                              f"full index with the gate as ingestion leaves it: {gate}",
             draft_fallbacks=sum(o.fell_back for o in outcomes))
    return grounded_scores(outcomes, [doc2dial_gold_span(r) for r in chosen])


def evaluate_bitext_drafts(ctx: EvalContext, rows: list[dict]) -> dict[str, float | None]:
    """ROUGE-L F1 of concise drafts over the demo KB against Bitext's reference responses."""
    chosen = spread(rows, BITEXT_CAP)
    deps = deps_for(ctx, demo_index(ctx), "demo")
    outcomes = [draft_reply(make_ticket(str(r.get("id", n)), [("customer", r["instruction"])]), deps)
                for n, r in enumerate(chosen)]
    ctx.note(BITEXT, drafts=f"{len(chosen)} of {len(rows)} rows at evenly spaced positions; KB = the product's demo "
                            f"articles indexed in memory; tone {DRAFT_TONE}; full draft text vs `response`",
             draft_fallbacks=sum(o.fell_back for o in outcomes),
             draft_abstain_rate=clean_number(mean([1.0 if o.draft.abstained else 0.0 for o in outcomes])))
    rouge = [rouge_scores(o.draft.text, r.get("response", ""))["rougeL"] for o, r in zip(outcomes, chosen)]
    return {"draft_rougeL": clean_number(mean(rouge))}
