"""Chunking: heading sections, sentence packing with overlap, Korean sentences, tables, sizes and stable ids."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.types import Article
from knowledge.chunking import (
    DEFAULT_MAX_WORDS,
    chunk_article,
    flatten_tables,
    split_sections,
)
from knowledge.text import split_sentences

REPO = Path(__file__).resolve().parents[2]

RETURNS_MD = """# Returns and fees

You can return most items within 30 days. Opening the box to inspect an item is fine.

## Fees
Change of mind costs a small fee. Faulty items are always free.

### Domestic orders
| Option | Cost |
|---|---|
| Pickup | ₩3,000 |
| Drop-off | Free |

## Steps
1. Open My Orders and select the order.
2. Choose Return items and pick a reason.
"""


def article(text: str, title: str = "Returns and fees", article_id: str = "returns", lang: str = "en") -> Article:
    return Article(id=article_id, title=title, text=text, lang=lang)


def numbered_sentences(prefix: str, count: int, words: int = 5) -> list[str]:
    """Distinct sentences of `words` words each: "Alpha one filler filler filler."."""
    return [" ".join([f"{prefix}{i}"] + ["filler"] * (words - 1)) + "." for i in range(count)]


def test_split_sections_follow_heading_levels():
    sections = split_sections(RETURNS_MD)

    assert [s.path for s in sections] == [
        ["Returns and fees"],
        ["Returns and fees", "Fees"],
        ["Returns and fees", "Fees", "Domestic orders"],
        ["Returns and fees", "Steps"],
    ]
    assert sections[1].body == "Change of mind costs a small fee. Faulty items are always free."


def test_split_sections_keeps_text_before_first_heading_with_empty_path():
    sections = split_sections("Read this first.\n\n# Guide\nBody text.")

    assert sections[0].path == [] and sections[0].body == "Read this first."
    assert sections[1].path == ["Guide"]


def test_chunk_article_section_path_omits_the_article_title():
    chunks = chunk_article(article(RETURNS_MD))

    by_section = {c.section: c.text for c in chunks}
    assert set(by_section) == {"", "Fees", "Fees > Domestic orders", "Steps"}
    assert "Faulty items are always free." in by_section["Fees"]
    assert "Choose Return items" in by_section["Steps"]
    assert all(c.title == "Returns and fees" and c.article_id == "returns" for c in chunks)


def test_chunk_article_never_crosses_a_section():
    first, second, third = numbered_sentences("Alpha", 7), numbered_sentences("Beta", 9), numbered_sentences("Gamma", 4)
    text = "# Guide\n" + " ".join(first) + "\n\n## Second\n" + " ".join(second) + "\n\n## Third\n" + " ".join(third)
    owner = {s: "" for s in first} | {s: "Second" for s in second} | {s: "Third" for s in third}

    chunks = chunk_article(article(text, title="Guide"), max_words=12, overlap=1)

    assert len(chunks) > 3
    for chunk in chunks:
        sentences = split_sentences(chunk.text)
        assert {owner[s] for s in sentences} == {chunk.section}, chunk


def test_chunk_article_keeps_every_sentence():
    sentences = numbered_sentences("Delta", 11, words=6)
    chunks = chunk_article(article("# Guide\n" + " ".join(sentences), title="Guide"), max_words=14, overlap=1)

    chunked = [s for c in chunks for s in split_sentences(c.text)]
    assert set(chunked) == set(sentences)


def test_chunk_article_overlap_repeats_the_last_sentence():
    sentences = numbered_sentences("Step", 8)
    chunks = chunk_article(article("# Guide\n" + " ".join(sentences), title="Guide"), max_words=12, overlap=1)

    assert len(chunks) >= 3
    for before, after in zip(chunks, chunks[1:]):
        assert split_sentences(after.text)[0] == split_sentences(before.text)[-1]


def test_chunk_article_without_overlap_uses_each_sentence_once():
    sentences = numbered_sentences("Step", 8)
    chunks = chunk_article(article("# Guide\n" + " ".join(sentences), title="Guide"), max_words=12, overlap=0)

    chunked = [s for c in chunks for s in split_sentences(c.text)]
    assert chunked == sentences


def test_split_sentences_splits_korean_polite_endings():
    text = "주문은 마이페이지에서 취소할 수 있습니다. 출고 후에는 반품으로 진행해요. 반품비는 3,000원입니다."

    assert split_sentences(text) == [
        "주문은 마이페이지에서 취소할 수 있습니다.",
        "출고 후에는 반품으로 진행해요.",
        "반품비는 3,000원입니다.",
    ]


def test_chunk_article_splits_korean_text_at_sentence_endings():
    sentences = [f"{n}번째 안내 문장은 반품 절차를 설명합니다." if n % 2 else f"{n}번째 안내 문장은 교환 방법을 알려 드려요."
                 for n in range(1, 9)]
    chunks = chunk_article(article("# 반품 안내\n" + " ".join(sentences), title="반품 안내", lang="ko"),
                           max_words=12, overlap=0)

    assert len(chunks) > 1
    assert [s for c in chunks for s in split_sentences(c.text)] == sentences
    assert all(c.text.endswith(("다.", "요.")) for c in chunks)
    assert all(c.lang == "ko" for c in chunks)


def test_flatten_tables_turns_rows_into_header_value_sentences():
    table = "Prices:\n| Option | Cost |\n|---|---|\n| Pickup | ₩3,000 |\n| Drop-off | Free |\nThat is all."

    assert flatten_tables(table).splitlines() == [
        "Prices:",
        "- Option: Pickup; Cost: ₩3,000.",
        "- Option: Drop-off; Cost: Free.",
        "That is all.",
    ]


def test_flatten_tables_skips_empty_cells():
    table = "| Item | Note |\n|:--|--:|\n| Socks | |"

    assert flatten_tables(table) == "- Item: Socks."


def test_chunk_article_flattens_tables_into_rows():
    chunks = chunk_article(article(RETURNS_MD))

    table_chunk = next(c for c in chunks if c.section == "Fees > Domestic orders")
    assert "Option: Pickup; Cost: ₩3,000." in table_chunk.text
    assert "Option: Drop-off; Cost: Free." in table_chunk.text
    assert "|" not in table_chunk.text and "---" not in table_chunk.text


def test_chunk_article_respects_max_words_unless_one_sentence_is_longer():
    long_sentence = " ".join(["lengthy"] * 40) + "."
    sentences = numbered_sentences("Short", 5, words=4) + [long_sentence] + numbered_sentences("Tail", 6, words=7)
    chunks = chunk_article(article("# Guide\n" + " ".join(sentences), title="Guide"), max_words=15, overlap=1)

    oversized = [c for c in chunks if len(c.text.split()) > 15]
    assert oversized, "the 40-word sentence should produce one oversized chunk"
    assert all(split_sentences(c.text) == [long_sentence] for c in oversized)


def test_chunk_article_demo_chunks_fit_the_default_size(demo_articles):
    for demo in demo_articles:
        for chunk in chunk_article(demo):
            words = len(chunk.text.split())
            assert words <= DEFAULT_MAX_WORDS or len(split_sentences(chunk.text)) == 1, chunk.id


def test_chunk_article_ids_are_unique_across_the_demo_kb(demo_articles):
    ids = [c.id for a in demo_articles for c in chunk_article(a)]

    assert len(ids) == len(set(ids))
    assert all(c.id.startswith(f"{a.id}#") for a in demo_articles for c in chunk_article(a))


def _demo_chunk_fingerprint() -> list[list[str]]:
    from knowledge.loaders import load_folder
    from knowledge.paths import demo_articles_dir

    return [[c.id, c.section, hashlib.sha256(c.text.encode()).hexdigest()]
            for a in load_folder(demo_articles_dir()).articles for c in chunk_article(a)]


FINGERPRINT_SCRIPT = """
import hashlib, json
from knowledge.chunking import chunk_article
from knowledge.loaders import load_folder
from knowledge.paths import demo_articles_dir
print(json.dumps([[c.id, c.section, hashlib.sha256(c.text.encode()).hexdigest()]
                  for a in load_folder(demo_articles_dir()).articles for c in chunk_article(a)]))
"""


def test_chunk_article_ids_and_texts_are_stable_across_processes():
    here = _demo_chunk_fingerprint()
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", FINGERPRINT_SCRIPT], cwd=REPO, env=env, capture_output=True,
                         text=True, timeout=120, check=True)

    assert json.loads(out.stdout) == here
    assert here == _demo_chunk_fingerprint()


@pytest.mark.parametrize("max_words", [8, 30, 120])
def test_chunk_article_same_input_gives_same_chunks(max_words):
    text = RETURNS_MD + "\n" + " ".join(numbered_sentences("Extra", 20))

    first = chunk_article(article(text), max_words=max_words)
    second = chunk_article(article(text), max_words=max_words)

    assert [c.model_dump() for c in first] == [c.model_dump() for c in second]
