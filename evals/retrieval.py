"""doc2dial: document-level retrieval with the product's hybrid retriever and its BM25-only / dense-only halves,
then answerability and grounded drafts on the same corpus."""
from __future__ import annotations

import time

from evals import answerability, drafts
from evals.context import DatasetResult, EvalContext
from evals.datasets import doc2dial_turns
from evals.engine import product_k
from evals.kb import DOC2DIAL, full_index
from evals.metrics import clean_number, mean, recall_at_k, reciprocal_rank

DIAGNOSTIC_K = 10  # recall@10 looks past what the product shows (its k): a diagnostic only
PRODUCT_MODE = "hybrid"
BASELINE_MODES = {"bm25_only": "lexical", "dense_only": "dense"}
RETRIEVAL_CALL = "knowledge.retrieve.retrieve"


def ranked_articles(index, turns: list[tuple[str, str]], mode: str = PRODUCT_MODE, k: int | None = None) -> list[str]:
    """Article ids best first, exactly as the product's retrieval call returns them (k = the product's k)."""
    from knowledge.retrieve import retrieve

    return retrieve(index, turns, k=k or product_k(), mode=mode).article_ids


def product_metrics(shown: list[list[str]], golds: list[str]) -> dict[str, float | None]:
    """recall@1, recall@k and MRR over the articles the product shows (k of them)."""
    k = product_k()
    return {"recall@1": clean_number(mean([recall_at_k(r, g, 1) for r, g in zip(shown, golds)])),
            f"recall@{k}": clean_number(mean([recall_at_k(r, g, k) for r, g in zip(shown, golds)])),
            "mrr": clean_number(mean([reciprocal_rank(r, g) for r, g in zip(shown, golds)]))}


def ranking_metrics(rankings: list[list[str]], golds: list[str]) -> dict[str, float | None]:
    """recall@1/5/10 and MRR of longer (diagnostic) rankings."""
    out = {f"recall@{k}": clean_number(mean([recall_at_k(r, g, k) for r, g in zip(rankings, golds)]))
           for k in (1, product_k(), DIAGNOSTIC_K)}
    out["mrr"] = clean_number(mean([reciprocal_rank(r, g) for r, g in zip(rankings, golds)]))
    return out


def timed_rankings(index, conversations: list, k: int | None = None) -> tuple[list[list[str]], float]:
    """The product's rankings and the mean milliseconds per call, every query embedded afresh."""
    with index.embedder.uncached():
        started = time.perf_counter()
        rankings = [ranked_articles(index, turns, k=k) for turns in conversations]
        elapsed = time.perf_counter() - started
    return rankings, 1000.0 * elapsed / max(len(conversations), 1)


def evaluate_retrieval(ctx: EvalContext, rows: list[dict]) -> DatasetResult:
    """The product's retrieval call scored on what it returns, baselines and diagnostics beside it."""
    index = full_index(ctx)
    golds = [r["title"] for r in rows]
    conversations = [doc2dial_turns(r["question"]) for r in rows]
    shown, ms = timed_rankings(index, conversations)
    result = DatasetResult(product_metrics(shown, golds))
    longer = [ranked_articles(index, turns, k=DIAGNOSTIC_K) for turns in conversations]
    result.metrics[f"recall@{DIAGNOSTIC_K}"] = ranking_metrics(longer, golds)[f"recall@{DIAGNOSTIC_K}"]
    result.metrics["ms_per_query"] = clean_number(ms)
    for name, mode in BASELINE_MODES.items():
        result.baselines[name] = ranking_metrics(
            [ranked_articles(index, turns, mode, DIAGNOSTIC_K) for turns in conversations], golds)
    last = [ranked_articles(index, turns[-1:], k=DIAGNOSTIC_K) for turns in conversations]
    result.baselines["last_turn_only"] = ranking_metrics(last, golds)
    ctx.note(DOC2DIAL, queries=len(rows), articles=len({c.article_id for c in index.chunks}), chunks=len(index),
             retrieval=f"{RETRIEVAL_CALL} (the product's retrieval call) on the conversation turns; recall@1, "
                       f"recall@{product_k()} and mrr score the {product_k()} articles it returns (what the KB panel "
                       f"shows); recall@{DIAGNOSTIC_K} and the baselines call it with k={DIAGNOSTIC_K}; ms_per_query = "
                       "the whole call (query embedding, fused ranking, grouping, gate verdict), embedded afresh")
    return result


def evaluate(ctx: EvalContext) -> DatasetResult:
    """All doc2dial metrics: retrieval, answerability and grounded drafts."""
    rows = ctx.layout.rows(DOC2DIAL)
    result = evaluate_retrieval(ctx, rows)
    result.metrics.update(answerability.evaluate(ctx, rows))
    result.metrics.update(drafts.evaluate_grounded(ctx, rows))
    return result
