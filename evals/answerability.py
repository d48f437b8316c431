"""doc2dial answerability: a second index without a seeded half of the documents; the product's gate should
abstain on queries whose gold document was left out and answer the others.

The gate's weights are learned with the product's `fit_gate` from dev queries only: with the dev split by
5-fold group cross-validation on dialogues (each fold judged by weights fitted on the other folds), with any
other split from all dev queries. Verdicts come from the product's `judge` with the weights set on the index.
"""
from __future__ import annotations

from dataclasses import dataclass

from evals.context import EvalContext
from evals.datasets import doc2dial_turns
from evals.engine import product_k
from evals.kb import DOC2DIAL, doc2dial_articles, half_index, removed_titles
from evals.metrics import clean_number, mean, roc_auc

FOLDS = 5
TARGET_RECALL = 0.90  # fit_gate moves the threshold so at least this share of answerable training queries pass


@dataclass
class GateItem:
    """One conversation run against the half index: its gate features and whether its gold document is there."""

    turns: list
    features: dict
    present: int
    group: str


def gate_items(ctx: EvalContext, rows: list[dict]) -> list[GateItem]:
    """Gate features of each conversation from the product's retrieval call on the half index (the gold title
    is used only for the label)."""
    from knowledge.retrieve import retrieve

    index = half_index(ctx)
    removed = removed_titles(doc2dial_articles(ctx))
    items = []
    for row in rows:
        turns = doc2dial_turns(row["question"])
        features = retrieve(index, turns, k=product_k()).verdict.features
        items.append(GateItem(turns, features, int(row["title"] not in removed),
                              str(row.get("dial_id", row.get("id", "")))))
    return items


def fit_params(items: list[GateItem]) -> dict | None:
    """Gate weights fitted on `items`, or None when they hold a single class."""
    from knowledge.gate import fit_gate

    labels = [i.present for i in items]
    if len(set(labels)) < 2:
        return None
    return fit_gate([i.features for i in items], labels, target_recall=TARGET_RECALL)


def verdicts(ctx: EvalContext, items: list[GateItem], params: dict | None) -> list[tuple[bool, float]]:
    """(answerable, confidence) of the product's retrieval call with `params` as the index's calibration."""
    from knowledge.retrieve import retrieve

    index = half_index(ctx)
    index.manifest.gate = params
    try:
        return [(v.answerable, v.confidence) for v in (retrieve(index, i.turns, k=product_k()).verdict for i in items)]
    finally:
        index.manifest.gate = None


def group_folds(groups: list[str], n: int = FOLDS) -> list[tuple[list[int], list[int]]]:
    """Train/test positions of a group k-fold split (no shuffling, so fixed for fixed data)."""
    from sklearn.model_selection import GroupKFold

    n = min(n, len(set(groups)))
    if n < 2:
        return []
    return [(list(tr), list(te)) for tr, te in GroupKFold(n_splits=n).split(groups, groups=groups)]


def cross_validated(ctx: EvalContext, items: list[GateItem]) -> list[tuple[bool, float]]:
    """Out-of-fold verdicts for every dev item."""
    folds = group_folds([i.group for i in items])
    if not folds:
        return verdicts(ctx, items, None)
    out: list[tuple[bool, float]] = [(True, 1.0)] * len(items)
    for train, test in folds:
        params = fit_params([items[j] for j in train])
        for j, verdict in zip(test, verdicts(ctx, [items[j] for j in test], params)):
            out[j] = verdict
    return out


def scores(items: list[GateItem], judged: list[tuple[bool, float]]) -> dict[str, float | None]:
    """The two headline rates and the gate confidence's AUC (answerable = positive)."""
    labels = [i.present for i in items]
    return {
        "abstain_when_gold_removed": clean_number(mean([0.0 if a else 1.0 for (a, _), y in zip(judged, labels) if y == 0])),
        "answered_when_gold_present": clean_number(mean([1.0 if a else 0.0 for (a, _), y in zip(judged, labels) if y == 1])),
        "gate_auc": clean_number(roc_auc(labels, [c for _, c in judged])),
    }


def evaluate(ctx: EvalContext, rows: list[dict]) -> dict[str, float | None]:
    """Answerability metrics for the scored split."""
    items = gate_items(ctx, rows)
    if ctx.layout.is_dev:
        judged = cross_validated(ctx, items)
        scheme = f"{FOLDS}-fold GroupKFold on dial_id within dev"
    else:
        params = fit_params(gate_items(ctx, ctx.layout.dev_rows(DOC2DIAL)))
        judged = verdicts(ctx, items, params)
        scheme = "fitted on all dev queries" if params else "dev had one class: prior gate"
    removed = removed_titles(doc2dial_articles(ctx))
    ctx.note(DOC2DIAL, answerability=f"half index without {len(removed)} of {len(doc2dial_articles(ctx))} documents "
                                     f"(random.Random(0).sample of sorted titles); fit_gate(target_recall={TARGET_RECALL}); "
                                     f"{scheme}; verdicts of knowledge.retrieve.retrieve (the gate judges the top chunks of its ranking)")
    return scores(items, judged)
