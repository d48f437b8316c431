"""Cross-lingual retrieval on the demo KB: Korean questions answered by English articles, English questions answered
by Korean articles (`evals/data/crosslingual_demo.jsonl`, shipped with the repository).

Each question is retrieved with the product's `knowledge.retrieve.retrieve()` on indexes built by the product's
`build_in_memory` from the demo articles:
- `ko_to_en_*` / `en_to_ko_*`: the demo articles in the target language only, so the question's language never
  matches the article's (the KB answers only in the other language);
- `mixed_ko_*` / `mixed_en_*`: the whole bilingual demo KB; a hit is the target article or its same-topic
  article in the question's language (`same_topic`), whichever ranks first.
The `minilm_only` baseline repeats everything on indexes without the multilingual vectors (MiniLM + BM25).
"""
from __future__ import annotations

import json
from pathlib import Path

from evals.context import DatasetResult, EvalContext
from evals.metrics import clean_number

NAME = "crosslingual_demo"
DATA_FILE = Path(__file__).resolve().parent / "data" / "crosslingual_demo.jsonl"
TOP_K = 3
TARGET_LANGUAGE = {"ko": "en", "en": "ko"}


def load_questions(path: Path = DATA_FILE) -> list[dict]:
    """The translated questions: question, lang, article_id and, when the KB has one, same_topic."""
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def demo_articles() -> list:
    from knowledge.loaders import load_folder
    from knowledge.paths import demo_articles_dir

    return load_folder(demo_articles_dir()).articles


def build_index(ctx: EvalContext, articles: list, language: str, multilingual: bool):
    """The product's in-memory index of the demo articles in `language` ("all" for every article)."""
    from knowledge.build import build_in_memory

    chosen = [a for a in articles if language == "all" or a.lang == language]
    key = f"index:crosslingual:{language}:{'ml' if multilingual else 'minilm'}"
    return ctx.memo(key, lambda: build_in_memory(chosen, ctx.embedder(), "product" if multilingual else None))


def top_articles(index, question: str) -> list[str]:
    from knowledge.retrieve import retrieve

    return retrieve(index, question, k=TOP_K).article_ids


def hit_ranks(index, rows: list[dict], accept_same_topic: bool) -> list[int | None]:
    """1-based article rank of each question's first accepted article, None when it is not in the top TOP_K."""
    ranks = []
    for row in rows:
        accepted = {row["article_id"]} | ({row["same_topic"]} if accept_same_topic and row.get("same_topic") else set())
        found = top_articles(index, row["question"])
        ranks.append(next((n for n, aid in enumerate(found, start=1) if aid in accepted), None))
    return ranks


def top_k_rates(prefix: str, ranks: list[int | None]) -> dict[str, float | None]:
    n = max(len(ranks), 1)
    return {f"{prefix}_top1": clean_number(sum(r == 1 for r in ranks) / n),
            f"{prefix}_top3": clean_number(sum(r is not None for r in ranks) / n)}


def scores(ctx: EvalContext, rows: list[dict], multilingual: bool) -> dict[str, float | None]:
    """Top-1/top-3 in both directions, against one-language indexes and against the whole demo KB."""
    articles = demo_articles()
    out: dict[str, float | None] = {}
    for source, target in TARGET_LANGUAGE.items():
        asked = [r for r in rows if r["lang"] == source]
        one_language = build_index(ctx, articles, target, multilingual)
        out.update(top_k_rates(f"{source}_to_{target}", hit_ranks(one_language, asked, False)))
        mixed = build_index(ctx, articles, "all", multilingual)
        out.update(top_k_rates(f"mixed_{source}", hit_ranks(mixed, asked, True)))
    return out


def evaluate(ctx: EvalContext) -> DatasetResult:
    """Cross-lingual top-1 / top-3 with the multilingual ranker, MiniLM + BM25 alone beside it."""
    rows = load_questions()
    result = DatasetResult(scores(ctx, rows, multilingual=True))
    result.baselines["minilm_only"] = scores(ctx, rows, multilingual=False)
    ctx.note(NAME, questions={lang: sum(r["lang"] == lang for r in rows) for lang in TARGET_LANGUAGE},
             data=str(DATA_FILE.name), k=TOP_K, scored_from="knowledge.retrieve.retrieve on build_in_memory demo indexes",
             multilingual_model=build_index(ctx, demo_articles(), "all", True).multilingual_status)
    return result
