"""The labelled masking set: recall per category and must-keep strings, at the targets the product promises."""
from __future__ import annotations

from collections import Counter

import pytest

from evals.pii import CATEGORIES, load_examples, score

STRICT = ("email", "phone", "card", "rrn", "account", "name")
TARGETS = {**{c: 0.99 for c in STRICT}, **{c: 0.95 for c in ("address", "passport", "birth_date", "ip")}}


@pytest.fixture(scope="module")
def scored():
    return score(load_examples())


def test_evals_pii_set_covers_every_category_in_english_and_korean():
    examples = load_examples()
    per_category = Counter(s["category"] for e in examples for s in e["spans"])
    negatives = [e for e in examples if not e["spans"]]

    assert all(per_category[c] >= 15 for c in CATEGORIES), per_category
    assert len(negatives) >= 40
    assert any("\uac00" <= ch <= "\ud7a3" for e in examples for ch in e["text"])
    assert all(s["value"] in e["text"] for e in examples for s in e["spans"])


@pytest.mark.parametrize("category", CATEGORIES)
def test_evals_pii_recall_meets_target(scored, category):
    misses = [m for m in scored["misses"] if m["category"] == category]
    assert scored["recall"][category] >= TARGETS[category], misses


def test_evals_pii_every_keep_string_stays_intact(scored):
    assert scored["kept_intact"] == 1.0, [m for m in scored["misses"] if m["category"] == "keep"]
