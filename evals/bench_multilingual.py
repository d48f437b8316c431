"""The multilingual model beside MiniLM: build throughput, query embedding latency and search latency.

Child: `python -m evals.bench_multilingual --data-dir D --texts N --queries Q --out R.json` (a fresh process, so the
C engine's OpenMP threads and memory are its own). Build throughput embeds the same doc2dial chunk texts with both
models, the multilingual one with an empty content-hash cache (the cold cost a first build pays) and then again
from that cache (what a rebuild pays). Latency is per query, warm, on the bilingual demo index through
`KnowledgeIndex.search`: an English query on the English-only part (the multilingual ranker stays out) and
Korean / English queries on the whole demo KB (it joins).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from evals.bench_common import (
    chunks_of,
    doc2dial_articles,
    peak_rss_mb,
    search_texts,
    summary_ms,
    write_json,
)

WARMUP = 3
KOREAN_QUERIES = ["반품 신청은 어떻게 하나요?", "환불은 며칠 걸려요?", "기프트카드 잔액을 현금으로 받을 수 있나요?",
                  "배송지 주소를 바꾸고 싶어요", "비밀번호 재설정 메일이 안 와요", "포인트는 언제 소멸되나요?"]
ENGLISH_QUERIES = ["how do I return an item", "how long does a refund take", "can I get cash for my gift card",
                   "I need to change my delivery address", "the password reset e-mail never arrives", "when do points expire"]


def throughput(encode, texts: list[str]) -> dict:
    """Texts per second of one `encode` call over all texts (batched as the product's build does)."""
    started = time.perf_counter()
    encode(texts)
    seconds = time.perf_counter() - started
    return {"texts": len(texts), "seconds": round(seconds, 3), "texts_per_second": round(len(texts) / max(seconds, 1e-9), 1)}


def per_call_ms(fn, items: list, repeats: int) -> dict:
    """p50/p95 ms of `fn(item)` over `repeats` passes after WARMUP calls."""
    for item in items[:WARMUP]:
        fn(item)
    seconds = []
    for _ in range(repeats):
        for item in items:
            started = time.perf_counter()
            fn(item)
            seconds.append(time.perf_counter() - started)
    return summary_ms(seconds)


def build_section(data_dir: Path, count: int, minilm, multilingual_cls) -> dict:
    texts = search_texts(chunks_of(doc2dial_articles(data_dir, count)))[:count]
    with tempfile.TemporaryDirectory(prefix="bench-ml-cache-") as tmp:
        multilingual = multilingual_cls(cache_path=Path(tmp) / "cache.sqlite3")
        multilingual.encode_queries(["warm-up"])
        minilm.encode(["warm-up"])
        return {"minilm": {"model_id": minilm.model_id, **throughput(minilm.encode, texts)},
                "multilingual": {"model_id": multilingual.model_id, **throughput(multilingual.encode, texts)},
                "multilingual_from_cache": throughput(multilingual.encode, texts)}


def latency_section(minilm, multilingual, repeats: int) -> dict:
    from knowledge.build import build_in_memory
    from knowledge.loaders import load_folder
    from knowledge.paths import demo_articles_dir

    articles = load_folder(demo_articles_dir()).articles
    bilingual = build_in_memory(articles, minilm, multilingual)
    english_only = build_in_memory([a for a in articles if a.lang == "en"], minilm, multilingual)
    both = KOREAN_QUERIES + ENGLISH_QUERIES
    return {
        "query_embedding_ms": {"minilm": per_call_ms(lambda q: minilm.encode([q]), both, repeats),
                               "multilingual": per_call_ms(lambda q: multilingual.encode_queries([q]), both, repeats)},
        "hybrid_search_ms": {
            "english_query_english_index_minilm_bm25": per_call_ms(lambda q: english_only.search(q), ENGLISH_QUERIES, repeats),
            "english_query_bilingual_index_with_multilingual": per_call_ms(lambda q: bilingual.search(q), ENGLISH_QUERIES, repeats),
            "korean_query_bilingual_index_with_multilingual": per_call_ms(lambda q: bilingual.search(q), KOREAN_QUERIES, repeats),
        },
        "demo_chunks": len(bilingual),
    }


def measure(data_dir: Path, count: int, repeats: int) -> dict:
    from knowledge.embeddings import MultilingualEmbedder, load_embedder, load_multilingual_embedder

    minilm = load_embedder("onnx-int8")
    out = {"build": build_section(data_dir, count, minilm, MultilingualEmbedder),
           "latency": latency_section(minilm, load_multilingual_embedder(), repeats)}
    out["peak_rss_mb"] = peak_rss_mb()
    out["method"] = __doc__.split("\n\n", 1)[1].strip()
    return out


def child_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.bench_multilingual")
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--texts", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    write_json(args.out, measure(args.data_dir, args.texts, args.repeats))
    return 0


def run_multilingual(data_dir: Path, texts: int, repeats: int, workdir: Path) -> dict:
    """The multilingual section, measured in its own process."""
    from evals.bench_common import run_child

    args = ["--data-dir", str(data_dir), "--texts", str(texts), "--repeats", str(repeats)]
    return run_child("evals.bench_multilingual", args, workdir / "multilingual.json")


def summary_lines(section: dict) -> list[str]:
    """Human summary: throughput and latency of both models side by side."""
    if "error" in section:
        return [f"multilingual model: ERROR {section['error']}"]
    build, latency = section.get("build", {}), section.get("latency", {})
    ml, mini, cached = build.get("multilingual", {}), build.get("minilm", {}), build.get("multilingual_from_cache", {})
    emb = latency.get("query_embedding_ms", {})
    lines = [f"multilingual model vs MiniLM over {ml.get('texts')} chunk texts: build {ml.get('texts_per_second')} vs "
             f"{mini.get('texts_per_second')} texts/s (from the hash cache {cached.get('texts_per_second')} texts/s)",
             f"  query embedding p50/p95 ms: multilingual {emb.get('multilingual', {}).get('p50')}/"
             f"{emb.get('multilingual', {}).get('p95')}, MiniLM {emb.get('minilm', {}).get('p50')}/{emb.get('minilm', {}).get('p95')}"]
    for label, stats in latency.get("hybrid_search_ms", {}).items():
        lines.append(f"  hybrid search {label}: p50/p95 {stats.get('p50')}/{stats.get('p95')} ms")
    return lines


if __name__ == "__main__":
    sys.exit(child_main(sys.argv[1:]))
