"""Answerability gate: does the KB answer this query at all, judged from the retrieval evidence.

A logistic model over retrieval features of the best article: cosine of the conversation and of the
latest message, margins, agreement of the dense and lexical rankings, IDF-weighted coverage of the
query's terms, and how many of the conversation's word trigrams the article contains (agents quote
the KB). Weights come from calibration (`fit_gate` on labelled data) and are stored in the index
manifest; without them a conservative prior is used.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from core.types import Hit
from knowledge.query import RetrievalQuery
from knowledge.text import lexical_tokens_batch

FEATURES = ("dense_top", "dense_margin", "coverage", "lexical_norm", "agreement", "idf_coverage", "latest_coverage",
            "dense_latest", "agent_coverage", "has_agent", "turns", "agent_trigrams", "customer_trigrams",
            "customer_bigrams", "bias")
# Prior for an uncalibrated index: only the first five features, the rest weigh 0.
PRIOR = {"weights": [9.0, 4.0, 4.0, 1.5, 0.8] + [0.0] * 9 + [-5.6], "threshold": 0.5}
WORD = re.compile(r"[^\W_]+")


@dataclass
class Verdict:
    answerable: bool
    confidence: float
    reason: str
    features: dict[str, float]


def _as_query(query: RetrievalQuery | str) -> RetrievalQuery:
    return RetrievalQuery.of(query) if isinstance(query, str) else query


def _idf(index) -> tuple[dict[str, int], np.ndarray]:
    cached = getattr(index, "_gate_idf", None)
    if cached is None:
        weights = index.bm25.weights.tocsc()
        n = max(weights.shape[0], 1)
        df = np.diff(weights.indptr).astype(np.float64)
        cached = (index.bm25.vocab, np.log1p((n - df + 0.5) / (df + 0.5)))
        index._gate_idf = cached
    return cached


def _ngrams(text: str, n: int) -> set[tuple[str, ...]]:
    words = WORD.findall(text.lower())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def _article_ngrams(index, article_id: str, n: int) -> set[tuple[str, ...]]:
    cache = index.__dict__.setdefault("_gate_ngrams", {})
    key = (article_id, n)
    if key not in cache:
        rows = index.rows_by_article.get(article_id, [])
        cache[key] = _ngrams(" ".join(index.chunks[r].text for r in rows), n)
    return cache[key]


def _overlap(text: str, grams: set, n: int) -> float:
    mine = _ngrams(text, n)
    return len(mine & grams) / len(mine) if mine else 0.0


def gate_features(index, query: RetrievalQuery | str, hits: list[Hit]) -> dict[str, float]:
    """Retrieval evidence for the best article among `hits`."""
    query = _as_query(query)
    if not hits:
        return {name: 0.0 for name in FEATURES[:-1]}
    best_article = hits[0].chunk.article_id
    best_hits = [h for h in hits if h.chunk.article_id == best_article]
    dense_by_article: dict[str, float] = {}
    for hit in hits:
        if hit.dense is not None:
            aid = hit.chunk.article_id
            dense_by_article[aid] = max(dense_by_article.get(aid, -1.0), hit.dense)
    top = dense_by_article.get(best_article, max(dense_by_article.values(), default=0.0))
    others = [v for a, v in dense_by_article.items() if a != best_article]
    latest, agent = query.latest_customer_text(), query.agent_text()
    customer = " ".join(p.text for p in query.parts if p.role == "customer")
    present = _present_terms(best_hits)
    lexical_top = max((h.lexical or 0.0 for h in hits), default=0.0)
    dense_first = min(hits, key=lambda h: h.dense_rank or 10**6).chunk.article_id
    lexical_first = min(hits, key=lambda h: h.lexical_rank or 10**6).chunk.article_id
    terms = index.query_terms(query)
    return {
        "dense_top": float(top),
        "dense_margin": float(top - max(others, default=0.0)),
        "coverage": _coverage(terms, present),
        "lexical_norm": float(lexical_top / (lexical_top + 10.0)),
        "agreement": 1.0 if dense_first == lexical_first else 0.0,
        "idf_coverage": _coverage(terms, present, _idf(index)),
        "latest_coverage": _coverage(_counts(latest), present, _idf(index)),
        "dense_latest": _dense_latest(index, latest, best_article),
        "agent_coverage": _coverage(_counts(agent), present, _idf(index)) if agent else 0.0,
        "has_agent": 1.0 if agent else 0.0,
        "turns": float(len(query.parts)),
        "agent_trigrams": _overlap(agent, _article_ngrams(index, best_article, 3), 3) if agent else 0.0,
        "customer_trigrams": _overlap(customer, _article_ngrams(index, best_article, 3), 3),
        "customer_bigrams": _overlap(customer, _article_ngrams(index, best_article, 2), 2),
    }


def _counts(text: str) -> dict[str, float]:
    return dict.fromkeys(lexical_tokens_batch([text])[0], 1.0) if text.strip() else {}


def _present_terms(hits: list[Hit]) -> set[str]:
    present: set[str] = set()
    for tokens in lexical_tokens_batch([f"{h.chunk.title} {h.chunk.text}" for h in hits]):
        present.update(tokens)
    return present


def _coverage(terms: dict[str, float], present: set[str], idf: tuple[dict[str, int], np.ndarray] | None = None) -> float:
    """Share of the query's weighted term mass (IDF-weighted when given) found in the best article's chunks."""
    if not terms or not present:
        return 0.0

    def mass(term: str, weight: float) -> float:
        if idf is None:
            return weight
        vocab, values = idf
        return weight * (values[vocab[term]] if term in vocab else float(values.max(initial=1.0)))

    total = sum(mass(t, w) for t, w in terms.items())
    return float(sum(mass(t, w) for t, w in terms.items() if t in present) / total) if total else 0.0


def _dense_latest(index, text: str, article_id: str) -> float:
    if not text.strip() or not len(index.vectors):
        return 0.0
    rows = index.rows_by_article.get(article_id, [])
    vector = index.embedder.encode([text])[0]
    return float((index.vectors[rows] @ vector).max()) if rows else 0.0


def score(features: dict[str, float], params: dict | None = None) -> float:
    params = params or PRIOR
    weights = params["weights"]
    names = FEATURES[:-1] if len(weights) == len(FEATURES) else FEATURES[: len(weights) - 1]
    x = [features.get(name, 0.0) for name in names] + [1.0]
    z = sum(w * v for w, v in zip(weights, x))
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
    from sklearn.preprocessing import StandardScaler

    x = np.asarray([[r.get(n, 0.0) for n in FEATURES[:-1]] for r in rows], dtype=np.float64)
    y = np.asarray(labels)
    scaler = StandardScaler().fit(x)
    model = LogisticRegression(C=1.0, max_iter=2000, class_weight="balanced").fit(scaler.transform(x), y)
    coef = model.coef_[0] / scaler.scale_
    intercept = float(model.intercept_[0] - (model.coef_[0] * scaler.mean_ / scaler.scale_).sum())
    params = {"weights": [float(w) for w in coef] + [intercept], "threshold": 0.5}
    if target_recall is not None and y.sum():
        probs = np.asarray([score(r, params) for r, lab in zip(rows, labels) if lab == 1])
        params["threshold"] = float(min(0.5, np.quantile(probs, 1.0 - target_recall)))
    return params
