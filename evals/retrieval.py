"""doc2dial: document-level retrieval with the product's hybrid retriever and its BM25-only / dense-only halves,
then answerability and grounded drafts on the same corpus."""
from __future__ import annotations

import time

from evals import answerability, drafts
from evals.context import DatasetResult, EvalContext
from evals.datasets import doc2dial_turns
from evals.kb import DOC2DIAL, full_index
from evals.metrics import clean_number, mean, recall_at_k, reciprocal_rank

KS = (1, 5, 10)
PRODUCT_MODE = "hybrid"
BASELINE_MODES = {"bm25_only": "lexical", "dense_only": "dense"}


def conversation_query(row: dict):
    """The retrieval query the product builds from the whole conversation so far."""
    from knowledge.query import query_from_turns

    return query_from_turns(doc2dial_turns(row["question"]))


def last_turn_query(row: dict):
    """Only the latest user turn, as a diagnostic against the conversation query."""
    from knowledge.query import query_from_turns

    return query_from_turns(doc2dial_turns(row["question"])[-1:])


def ranked_articles(index, query, mode: str, k: int = max(KS)) -> list[str]:
    """Article ids best first, from the product's `search_articles`."""
    return [group[0].chunk.article_id for group in index.search_articles(query, k=k, mode=mode)]


def ranking_metrics(rankings: list[list[str]], golds: list[str]) -> dict[str, float | None]:
    """recall@1/5/10 and MRR over queries."""
    out = {f"recall@{k}": clean_number(mean([recall_at_k(r, g, k) for r, g in zip(rankings, golds)])) for k in KS}
    out["mrr"] = clean_number(mean([reciprocal_rank(r, g) for r, g in zip(rankings, golds)]))
    return out


def timed_rankings(index, queries: list, mode: str) -> tuple[list[list[str]], float]:
    """Rankings for `queries` and the mean milliseconds per query, every query embedded afresh."""
    with index.embedder.uncached():
        started = time.perf_counter()
        rankings = [ranked_articles(index, q, mode) for q in queries]
        elapsed = time.perf_counter() - started
    return rankings, 1000.0 * elapsed / max(len(queries), 1)


def evaluate_retrieval(ctx: EvalContext, rows: list[dict]) -> DatasetResult:
    """Hybrid product retrieval with baselines beside it and the last-turn-only diagnostic."""
    index = full_index(ctx)
    golds = [r["title"] for r in rows]
    queries = [conversation_query(r) for r in rows]
    rankings, ms = timed_rankings(index, queries, PRODUCT_MODE)
    result = DatasetResult(ranking_metrics(rankings, golds))
    result.metrics["ms_per_query"] = clean_number(ms)
    for name, mode in BASELINE_MODES.items():
        result.baselines[name] = ranking_metrics([ranked_articles(index, q, mode) for q in queries], golds)
    last = [ranked_articles(index, last_turn_query(r), PRODUCT_MODE) for r in rows]
    result.baselines["last_turn_only"] = ranking_metrics(last, golds)
    ctx.note(DOC2DIAL, queries=len(rows), articles=len({c.article_id for c in index.chunks}), chunks=len(index),
             retrieval="search_articles over the conversation query (query_from_turns); ms_per_query = hybrid, "
                       "query embedded afresh each time")
    return result


def evaluate(ctx: EvalContext) -> DatasetResult:
    """All doc2dial metrics: retrieval, answerability and grounded drafts."""
    rows = ctx.layout.rows(DOC2DIAL)
    result = evaluate_retrieval(ctx, rows)
    result.metrics.update(answerability.evaluate(ctx, rows))
    result.metrics.update(drafts.evaluate_grounded(ctx, rows))
    return result
