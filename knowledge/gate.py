"""Answerability gate: does the KB answer this query at all, judged from the retrieval evidence.

A logistic model over a few retrieval features (best cosine, query-term coverage, margins, agreement of
the dense and lexical rankings). Its weights come from calibration on labelled or self-supervised data
(`fit_gate`), are stored in the index manifest, and fall back to a conservative prior when absent.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from knowledge.query import RetrievalQuery
from knowledge.text import lexical_tokens_batch
from knowledge.types import Hit

FEATURES = ("dense_top", "dense_margin", "coverage", "lexical_norm", "agreement", "bias")
PRIOR = {"weights": [9.0, 4.0, 4.0, 1.5, 0.8, -5.6], "threshold": 0.5}


@dataclass
class Verdict:
    answerable: bool
    confidence: float
    reason: str
    features: dict[str, float]


def _as_query(query: RetrievalQuery | str) -> RetrievalQuery:
    return RetrievalQuery.of(query) if isinstance(query, str) else query


def gate_features(index, query: RetrievalQuery | str, hits: list[Hit]) -> dict[str, float]:
    """Retrieval evidence for the best article among `hits`."""
    query = _as_query(query)
    if not hits:
        return {name: 0.0 for name in FEATURES[:-1]}
    best_article = hits[0].chunk.article_id
    dense_by_article: dict[str, float] = {}
    for hit in hits:
        if hit.dense is not None:
            aid = hit.chunk.article_id
            dense_by_article[aid] = max(dense_by_article.get(aid, -1.0), hit.dense)
    top = dense_by_article.get(best_article, max(dense_by_article.values(), default=0.0))
    others = [v for a, v in dense_by_article.items() if a != best_article]
    terms = index.query_terms(query)
    coverage = _coverage(terms, [h for h in hits if h.chunk.article_id == best_article])
    lexical_top = max((h.lexical or 0.0 for h in hits), default=0.0)
    lexical_norm = lexical_top / (lexical_top + 10.0)
    dense_first = min(hits, key=lambda h: h.dense_rank or 10**6).chunk.article_id
    lexical_first = min(hits, key=lambda h: h.lexical_rank or 10**6).chunk.article_id
    return {
        "dense_top": float(top),
        "dense_margin": float(top - max(others, default=0.0)),
        "coverage": coverage,
        "lexical_norm": float(lexical_norm),
        "agreement": 1.0 if dense_first == lexical_first else 0.0,
    }


def _coverage(terms: dict[str, float], hits: list[Hit]) -> float:
    """Share of the query's weighted term mass that appears in the best article's retrieved chunks."""
    if not terms or not hits:
        return 0.0
    present: set[str] = set()
    for tokens in lexical_tokens_batch([f"{h.chunk.title} {h.chunk.text}" for h in hits]):
        present.update(tokens)
    total = sum(terms.values())
    return float(sum(w for t, w in terms.items() if t in present) / total) if total else 0.0


def score(features: dict[str, float], params: dict | None = None) -> float:
    params = params or PRIOR
    x = [features.get(name, 0.0) for name in FEATURES[:-1]] + [1.0]
    z = sum(w * v for w, v in zip(params["weights"], x))
    return 1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))


def judge(index, query: RetrievalQuery | str, hits: list[Hit]) -> Verdict:
    """The gate's verdict for hits already retrieved for `query`."""
    params = (index.manifest.gate if index is not None and index.manifest.gate else None) or PRIOR
    feats = gate_features(index, query, hits)
    p = score(feats, params)
    answerable = bool(hits) and p >= params["threshold"]
    return Verdict(answerable, p, _reason(answerable, feats, hits), feats)


def _reason(answerable: bool, feats: dict[str, float], hits: list[Hit]) -> str:
    if not hits:
        return "No knowledge-base passage matches this conversation."
    if answerable:
        return f"Best match \u201c{hits[0].chunk.title}\u201d covers {feats['coverage']:.0%} of the query terms (cosine {feats['dense_top']:.2f})."
    return (f"No article answers this confidently: the closest, \u201c{hits[0].chunk.title}\u201d, has cosine "
            f"{feats['dense_top']:.2f} and covers {feats['coverage']:.0%} of the query terms.")


def fit_gate(rows: list[dict[str, float]], labels: list[int], target_recall: float | None = None) -> dict:
    """Fit logistic weights on feature rows (1 = answerable). Optionally move the threshold so that
    at least `target_recall` of the answerable rows are kept."""
    from sklearn.linear_model import LogisticRegression

    x = np.asarray([[r.get(n, 0.0) for n in FEATURES[:-1]] for r in rows], dtype=np.float64)
    y = np.asarray(labels)
    model = LogisticRegression(C=1.0, max_iter=1000, class_weight="balanced").fit(x, y)
    params = {"weights": [float(w) for w in model.coef_[0]] + [float(model.intercept_[0])], "threshold": 0.5}
    if target_recall is not None and y.sum():
        probs = np.asarray([score(r, params) for r, lab in zip(rows, labels) if lab == 1])
        params["threshold"] = float(min(0.5, np.quantile(probs, 1.0 - target_recall)))
    return params
