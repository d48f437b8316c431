"""Answerability gate: does the KB answer this query at all, judged from the retrieval evidence.

A logistic model over named retrieval features of the best article: cosine of the conversation and of the
latest message, margins, agreement of the dense and lexical rankings, IDF-weighted coverage of the query's
terms, how many of the conversation's word trigrams the article contains (agents quote the KB), the longest
run of words any turn shares with a retrieved article, how many articles the top hits spread over, and the
best IDF coverage among those articles. Parameters come from calibration (`fit_gate` on labelled data) and are
stored in the index manifest as JSON; without them a conservative prior is used. A manifest from before the
features were named (a bare weight list) is scored with the features it was fitted on.

Measured on doc2dial dev (half index, 5-fold GroupKFold on dialogues, target recall 0.90):
  14 features, threshold from training probabilities: abstain 0.677, answered 0.892, AUC 0.872
  14 features, threshold from inner-fold probabilities: abstain 0.641, answered 0.905
  18 features (these), threshold from inner-fold probabilities: abstain 0.655, answered 0.909, AUC 0.878
Richer evidence (sentence-level cosines, per-turn BM25 agreement, KB-wide n-gram matches) and tree ensembles
did not separate better (AUC 0.88 at best): what remains is vague turns ("no, not really") and near-duplicate
articles.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from core.types import Hit
from knowledge.lexical import bm25_idf
from knowledge.query import RetrievalQuery
from knowledge.text import lexical_tokens_batch

# The order of the weights in a manifest written before features were named (its last weight is the bias).
LEGACY_FEATURES = ("dense_top", "dense_margin", "coverage", "lexical_norm", "agreement", "idf_coverage",
                   "latest_coverage", "dense_latest", "agent_coverage", "has_agent", "turns", "agent_trigrams",
                   "customer_trigrams", "customer_bigrams")
FEATURES = LEGACY_FEATURES + ("longest_quote", "articles_in_hits", "agent_quoted_turns", "best_article_coverage")
# Prior for an uncalibrated index: cosine, margin, coverage, lexical strength, agreement.
PRIOR = {"features": ["dense_top", "dense_margin", "coverage", "lexical_norm", "agreement"],
         "weights": [9.0, 4.0, 4.0, 1.5, 0.8], "bias": -5.6, "threshold": 0.5}
WORD = re.compile(r"[^\W_]+")
MAX_QUOTE = 12  # words; a longer shared run is no stronger evidence
QUOTED_TURN = 5  # an agent turn sharing this many consecutive words with the article quotes it
COVERAGE_ARTICLES = 3
FOLDS = 5
UNREADABLE = " (The gate calibration in this index is unreadable, so the prior decided; run `python -m knowledge calibrate`.)"


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
        df = index.bm25.document_frequencies().astype(np.float64)
        cached = (index.bm25.vocab, bm25_idf(df, max(index.bm25.size, 1)))
        index._gate_idf = cached
    return cached


def _words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def _ngrams(text: str, n: int) -> set[tuple[str, ...]]:
    words = _words(text)
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def _article_text(index, article_id: str) -> str:
    return " ".join(index.chunks[r].text for r in index.rows_by_article.get(article_id, []))


def _article_ngrams(index, article_id: str, n: int) -> set[tuple[str, ...]]:
    cache = index.__dict__.setdefault("_gate_ngrams", {})
    key = (article_id, n)
    if key not in cache:
        cache[key] = _ngrams(_article_text(index, article_id), n)
    return cache[key]


def _article_terms(index, article_id: str) -> set[str]:
    cache = index.__dict__.setdefault("_gate_terms", {})
    if article_id not in cache:
        rows = index.rows_by_article.get(article_id, [])
        texts = [f"{index.chunks[r].title} {index.chunks[r].text}" for r in rows]
        cache[article_id] = {t for tokens in lexical_tokens_batch(texts) for t in tokens}
    return cache[article_id]


def _overlap(text: str, grams: set, n: int) -> float:
    mine = _ngrams(text, n)
    return len(mine & grams) / len(mine) if mine else 0.0


def _longest_shared_run(index, text: str, article_id: str) -> int:
    """Length (in words, at most MAX_QUOTE) of the longest word run of `text` that the article also contains."""
    words, longest = _words(text), 0
    for n in range(1, min(len(words), MAX_QUOTE) + 1):
        grams = _article_ngrams(index, article_id, n)
        if not any(tuple(words[i : i + n]) in grams for i in range(len(words) - n + 1)):
            break
        longest = n
    return longest


def _articles(hits: list[Hit]) -> list[str]:
    return list(dict.fromkeys(h.chunk.article_id for h in hits))


def gate_features(index, query: RetrievalQuery | str, hits: list[Hit]) -> dict[str, float]:
    """Retrieval evidence for the best article among `hits`."""
    query = _as_query(query)
    if not hits:
        return dict.fromkeys(FEATURES, 0.0)
    return {**_ranking_features(index, query, hits), **_quote_features(index, query, hits)}


def _ranking_features(index, query: RetrievalQuery, hits: list[Hit]) -> dict[str, float]:
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
        "articles_in_hits": float(len(_articles(hits))),
        "best_article_coverage": _best_article_coverage(index, query, hits),
    }


def _quote_features(index, query: RetrievalQuery, hits: list[Hit]) -> dict[str, float]:
    """Word runs the conversation shares with the retrieved articles (doc2dial agents quote the document)."""
    best_article = hits[0].chunk.article_id
    agent = query.agent_text()
    customer = " ".join(p.text for p in query.parts if p.role == "customer")
    agent_turns = [p.text for p in query.parts if p.role == "agent"]
    quoted = [_longest_shared_run(index, text, best_article) >= QUOTED_TURN for text in agent_turns]
    return {
        "agent_trigrams": _overlap(agent, _article_ngrams(index, best_article, 3), 3) if agent else 0.0,
        "customer_trigrams": _overlap(customer, _article_ngrams(index, best_article, 3), 3),
        "customer_bigrams": _overlap(customer, _article_ngrams(index, best_article, 2), 2),
        "longest_quote": float(max((_longest_shared_run(index, p.text, a) for a in _articles(hits) for p in query.parts),
                                   default=0)),
        "agent_quoted_turns": sum(quoted) / len(quoted) if quoted else 0.0,
    }


def _best_article_coverage(index, query: RetrievalQuery, hits: list[Hit]) -> float:
    """IDF-weighted share of the conversation's distinct terms found in the best-covering of the first articles."""
    terms = dict.fromkeys((t for tokens in lexical_tokens_batch([p.text for p in query.parts]) for t in tokens), 1.0)
    return max((_coverage(terms, _article_terms(index, a), _idf(index), unknown_weight=0.0)
                for a in _articles(hits)[:COVERAGE_ARTICLES]), default=0.0)


def _counts(text: str) -> dict[str, float]:
    return dict.fromkeys(lexical_tokens_batch([text])[0], 1.0) if text.strip() else {}


def _present_terms(hits: list[Hit]) -> set[str]:
    present: set[str] = set()
    for tokens in lexical_tokens_batch([f"{h.chunk.title} {h.chunk.text}" for h in hits]):
        present.update(tokens)
    return present


def _coverage(terms: dict[str, float], present: set[str], idf: tuple[dict[str, int], np.ndarray] | None = None,
              unknown_weight: float | None = None) -> float:
    """Share of the query's weighted term mass (IDF-weighted when given) found in `present`. Terms the KB never
    uses weigh `unknown_weight` (default: the highest IDF)."""
    if not terms or not present:
        return 0.0

    def mass(term: str, weight: float) -> float:
        if idf is None:
            return weight
        vocab, values = idf
        if term in vocab:
            return weight * values[vocab[term]]
        return weight * (float(values.max(initial=1.0)) if unknown_weight is None else unknown_weight)

    total = sum(mass(t, w) for t, w in terms.items())
    return float(sum(mass(t, w) for t, w in terms.items() if t in present) / total) if total else 0.0


def _dense_latest(index, text: str, article_id: str) -> float:
    if not text.strip() or not len(index.vectors):
        return 0.0
    rows = index.rows_by_article.get(article_id, [])
    vector = index.embedder.encode([text])[0]
    return float((index.vectors[rows] @ vector).max()) if rows else 0.0


# -- the model ---------------------------------------------------------------------------------------------
def readable_params(params: dict | None) -> dict | None:
    """`params` in the named form ({features, weights, bias, threshold}), converting a legacy bare weight list;
    None when they cannot be scored."""
    if not isinstance(params, dict):
        return None
    try:
        weights = [float(w) for w in params["weights"]]
        threshold = float(params["threshold"])
        if "features" in params:
            names, bias = [str(n) for n in params["features"]], float(params["bias"])
        else:
            names, bias, weights = list(LEGACY_FEATURES[: len(weights) - 1]), weights[-1], weights[:-1]
    except (KeyError, TypeError, ValueError, IndexError):
        return None
    if len(names) != len(weights) or not set(names) <= set(FEATURES):
        return None
    return {"features": names, "weights": weights, "bias": bias, "threshold": threshold}


def score(features: dict[str, float], params: dict | None = None) -> float:
    """Probability that the KB answers, from gate features and (readable) parameters."""
    params = readable_params(params) or PRIOR
    z = params["bias"] + sum(w * features.get(n, 0.0) for n, w in zip(params["features"], params["weights"]))
    return 1.0 / (1.0 + math.exp(-max(min(z, 40.0), -40.0)))


def judge(index, query: RetrievalQuery | str, hits: list[Hit]) -> Verdict:
    """The gate's verdict for hits already retrieved for `query`."""
    stored = index.manifest.gate if index is not None else None
    params = readable_params(stored) if stored else PRIOR
    feats = gate_features(index, query, hits)
    p = score(feats, params or PRIOR)
    answerable = bool(hits) and p >= (params or PRIOR)["threshold"]
    reason = _reason(answerable, feats, hits) + ("" if params else UNREADABLE)
    return Verdict(answerable, p, reason, feats)


def _reason(answerable: bool, feats: dict[str, float], hits: list[Hit]) -> str:
    if not hits:
        return "No knowledge-base passage matches this conversation."
    if answerable:
        return f"Best match \u201c{hits[0].chunk.title}\u201d covers {feats['coverage']:.0%} of the query terms (cosine {feats['dense_top']:.2f})."
    return (f"No article answers this confidently: the closest, \u201c{hits[0].chunk.title}\u201d, has cosine "
            f"{feats['dense_top']:.2f} and covers {feats['coverage']:.0%} of the query terms.")


# -- fitting -----------------------------------------------------------------------------------------------
def fit_gate(rows: list[dict[str, float]], labels: list[int], target_recall: float | None = None,
             groups: list | None = None) -> dict:
    """Fit logistic weights on feature rows (1 = answerable). With `target_recall`, the threshold keeps at least
    that share of the answerable rows, judged on out-of-fold probabilities when `groups` allow a group k-fold
    (probabilities of the rows a model was fitted on are optimistic, so it would keep fewer on new queries)."""
    x = np.asarray([[r.get(n, 0.0) for n in FEATURES] for r in rows], dtype=np.float64)
    y = np.asarray(labels)
    params = _logistic(x, y)
    if target_recall is not None and y.sum():
        probs = _held_out_probabilities(x, y, groups)
        if probs is None:
            probs = np.asarray([score(r, params) for r in rows])
        params["threshold"] = float(min(0.5, np.quantile(probs[y == 1], 1.0 - target_recall)))
    return params


def _logistic(x: np.ndarray, y: np.ndarray) -> dict:
    """Standardised, class-balanced logistic regression, returned as weights on the raw features."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(x)
    model = LogisticRegression(C=1.0, max_iter=2000, class_weight="balanced").fit(scaler.transform(x), y)
    coef = model.coef_[0] / scaler.scale_
    bias = float(model.intercept_[0] - (model.coef_[0] * scaler.mean_ / scaler.scale_).sum())
    return {"features": list(FEATURES), "weights": [float(w) for w in coef], "bias": bias, "threshold": 0.5}


def _held_out_probabilities(x: np.ndarray, y: np.ndarray, groups: list | None) -> np.ndarray | None:
    """Each row's probability from a model fitted without its group, or None when the groups are too few."""
    from sklearn.model_selection import GroupKFold

    if groups is None or len(set(groups)) < FOLDS:
        return None
    probs = np.zeros(len(y))
    for train, test in GroupKFold(n_splits=FOLDS).split(x, y, groups=groups):
        if len(set(y[train])) < 2:
            return None
        params = _logistic(x[train], y[train])
        z = x[test] @ np.asarray(params["weights"]) + params["bias"]
        probs[test] = 1.0 / (1.0 + np.exp(-np.clip(z, -40.0, 40.0)))
    return probs
