"""The hybrid index on disk: round trips, atomic version swaps, incremental rebuilds and clear errors."""
from __future__ import annotations

import json

import numpy as np
import pytest

from core.types import Article
from knowledge.build import build_articles, build_in_memory
from knowledge.chunking import chunk_article, chunk_search_text
from knowledge.embeddings import LangChainEmbedder
from knowledge.index import (
    IndexMissingError,
    ModelMismatchError,
    current_version,
    load_index,
)
from knowledge.lexical import BM25Index
from knowledge.query import RetrievalQuery

QUERIES = ["dishwasher filter", "how long do refunds take", "change my delivery address", "gift card balance"]


def kb_article(article_id: str, title: str, body: str, lang: str = "en") -> Article:
    return Article(id=article_id, title=title, text=f"# {title}\n{body}", lang=lang,
                   url=f"https://help.example/{article_id}")


def small_kb() -> list[Article]:
    return [
        kb_article("dishwasher", "Dishwasher care",
                   "Rinse the dishwasher filter every week. Run an empty hot cycle with vinegar once a month.\n\n"
                   "## Smells\nA bad smell usually means the filter is clogged. Clean the door seal with a damp cloth."),
        kb_article("refunds", "Refund timeline",
                   "Refunds are issued within 2 business days of inspection. Card refunds take 3 to 5 business days "
                   "to appear.\n\n## Bank transfer\nBank transfer refunds arrive the next business day."),
        kb_article("address", "Change the delivery address",
                   "You can change the delivery address until the order is packed. Open My Orders and choose "
                   "Edit address."),
        kb_article("giftcards", "Gift cards",
                   "Gift cards never expire. Check the balance under Account and then Wallet."),
    ]


class CountingEmbedder:
    """Wraps an embedder and remembers every text it was asked to encode."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dim = inner.dim
        self.texts: list[str] = []

    def encode(self, texts):
        self.texts.extend(texts)
        return self.inner.encode(texts)


def other_model_embedder() -> LangChainEmbedder:
    from langchain_core.embeddings import DeterministicFakeEmbedding

    return LangChainEmbedder(DeterministicFakeEmbedding(size=384), model_id="other-model-384", dim=384)


def ranked(index, query: str, mode: str = "hybrid") -> list[tuple[str, float]]:
    return [(h.chunk.id, round(h.score, 9)) for h in index.search(query, k=10, mode=mode)]


# -- round trip and versions ----------------------------------------------------------------------
def test_load_index_round_trip_gives_identical_search_results(tmp_path, fake_embedder):
    articles = small_kb()
    in_memory = build_in_memory(articles, fake_embedder)
    build_articles(articles, tmp_path, fake_embedder)

    loaded = load_index(tmp_path, fake_embedder)

    assert [c.model_dump() for c in loaded.chunks] == [c.model_dump() for c in in_memory.chunks]
    np.testing.assert_array_equal(loaded.vectors, in_memory.vectors)
    for query in QUERIES:
        for mode in ("hybrid", "dense", "lexical"):
            assert ranked(loaded, query, mode) == ranked(in_memory, query, mode), (query, mode)


def test_load_index_manifest_records_model_and_articles(tmp_path, fake_embedder):
    build_articles(small_kb(), tmp_path, fake_embedder)

    manifest = load_index(tmp_path, fake_embedder).manifest

    assert manifest.model_id == "fake-384" and manifest.dim == 384
    assert set(manifest.articles) == {"dishwasher", "refunds", "address", "giftcards"}
    assert manifest.chunk_count == sum(len(chunk_article(a)) for a in small_kb())


def test_load_index_recomputes_the_lexical_terms_of_an_index_written_with_older_tokens(tmp_path, fake_embedder):
    build_articles(small_kb(), tmp_path, fake_embedder)
    folder = tmp_path / "versions" / current_version(tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    del manifest["lexical_tokens"]  # as written before the field existed
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    BM25Index.build([["stale"] for _ in range(manifest["chunk_count"])]).save(folder)

    loaded = load_index(tmp_path, fake_embedder)

    assert loaded.manifest.lexical_tokens == 1
    assert ranked(loaded, "dishwasher filter", "lexical")[0][0].startswith("dishwasher")


def test_write_version_swap_keeps_old_readers_working_and_new_readers_see_new(tmp_path, fake_embedder):
    first_kb = small_kb()
    build_articles(first_kb, tmp_path, fake_embedder)
    first_version = current_version(tmp_path)
    old_reader = load_index(tmp_path, fake_embedder)
    before = ranked(old_reader, "dishwasher filter")

    second_kb = [a for a in first_kb if a.id != "dishwasher"] + [
        kb_article("warranty", "Electronics warranty", "Electronics carry a two year warranty against defects.")]
    build_articles(second_kb, tmp_path, fake_embedder)

    assert current_version(tmp_path) != first_version
    assert ranked(old_reader, "dishwasher filter") == before
    assert old_reader.search("dishwasher filter", k=1)[0].chunk.article_id == "dishwasher"
    new_reader = load_index(tmp_path, fake_embedder)
    assert {c.article_id for c in new_reader.chunks} == {"refunds", "address", "giftcards", "warranty"}
    assert new_reader.search("two year warranty", k=1, mode="lexical")[0].chunk.article_id == "warranty"


def test_write_version_leaves_no_partial_files_behind(tmp_path, fake_embedder):
    build_articles(small_kb(), tmp_path, fake_embedder)
    build_articles(small_kb()[:2], tmp_path, fake_embedder)

    leftovers = [p.name for p in tmp_path.rglob("*") if p.name.startswith(".")]
    assert leftovers == []
    assert (tmp_path / "versions" / current_version(tmp_path) / "manifest.json").is_file()


def test_write_version_failure_keeps_the_live_version(tmp_path, fake_embedder, monkeypatch):
    build_articles(small_kb(), tmp_path, fake_embedder)
    live = current_version(tmp_path)

    def broken_save(self, folder):
        raise OSError("disk full")

    monkeypatch.setattr(BM25Index, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        build_articles(small_kb()[:1], tmp_path, fake_embedder, allow_shrink=True)
    monkeypatch.undo()

    assert current_version(tmp_path) == live
    reader = load_index(tmp_path, fake_embedder)
    assert {c.article_id for c in reader.chunks} == {"dishwasher", "refunds", "address", "giftcards"}


# -- incremental rebuilds --------------------------------------------------------------------------
def test_build_articles_reembeds_only_changed_and_new_articles(tmp_path, fake_embedder):
    counting = CountingEmbedder(fake_embedder)
    kb = small_kb()
    first = build_articles(kb, tmp_path, counting)
    assert first.embedded_chunks == len(counting.texts) == sum(len(chunk_article(a)) for a in kb)

    changed = kb_article("refunds", "Refund timeline", "Refunds now arrive within 1 business day of inspection.")
    added = kb_article("warranty", "Electronics warranty", "Electronics carry a two year warranty against defects.")
    updated_kb = [kb[0], changed, kb[2], added]  # "giftcards" was deleted
    counting.texts.clear()

    report = build_articles(updated_kb, tmp_path, counting)

    expected = [chunk_search_text(c) for a in (changed, added) for c in chunk_article(a)]
    assert sorted(counting.texts) == sorted(expected)
    assert (report.changed, report.added, report.removed) == (["refunds"], ["warranty"], ["giftcards"])
    assert report.embedded_chunks == len(expected)
    assert report.reused_chunks == len(chunk_article(kb[0])) + len(chunk_article(kb[2]))


def test_build_articles_incremental_index_drops_deleted_and_keeps_vectors_aligned(tmp_path, fake_embedder):
    kb = small_kb()
    build_articles(kb, tmp_path, fake_embedder)
    changed = kb_article("refunds", "Refund timeline", "Refunds now arrive within 1 business day of inspection.")
    build_articles([kb[0], changed, kb[2]], tmp_path, fake_embedder)

    index = load_index(tmp_path, fake_embedder)

    assert {c.article_id for c in index.chunks} == {"dishwasher", "refunds", "address"}
    assert all(h.chunk.article_id != "giftcards" for h in index.search("gift card balance wallet", k=20))
    assert any("1 business day" in c.text for c in index.chunks if c.article_id == "refunds")
    assert not any("3 to 5 business days" in c.text for c in index.chunks)
    for row, chunk in enumerate(index.chunks):
        rows, scores = index.dense_scores(RetrievalQuery.of(chunk_search_text(chunk)), n=1)
        assert int(rows[0]) == row and scores[0] == pytest.approx(1.0, abs=1e-4), chunk.id


def test_build_articles_unchanged_kb_embeds_nothing(tmp_path, fake_embedder):
    counting = CountingEmbedder(fake_embedder)
    build_articles(small_kb(), tmp_path, counting)
    counting.texts.clear()

    report = build_articles(small_kb(), tmp_path, counting)

    assert counting.texts == []
    assert report.embedded_chunks == 0 and (report.added, report.changed, report.removed) == ([], [], [])


def test_build_articles_with_another_model_reembeds_everything(tmp_path, fake_embedder):
    build_articles(small_kb(), tmp_path, fake_embedder)
    counting = CountingEmbedder(other_model_embedder())

    report = build_articles(small_kb(), tmp_path, counting)

    assert report.reused_chunks == 0
    assert len(counting.texts) == report.chunks == sum(len(chunk_article(a)) for a in small_kb())
    assert load_index(tmp_path, counting).manifest.model_id == "other-model-384"


# -- errors -------------------------------------------------------------------------------------
def test_load_index_with_another_model_raises_model_mismatch(tmp_path, fake_embedder):
    build_articles(small_kb(), tmp_path, fake_embedder)

    with pytest.raises(ModelMismatchError) as excinfo:
        load_index(tmp_path, other_model_embedder())

    message = str(excinfo.value)
    assert "fake-384" in message and "other-model-384" in message


@pytest.mark.parametrize("where", ["empty folder", "no folder"])
def test_load_index_missing_raises_with_build_instructions(tmp_path, fake_embedder, where):
    root = tmp_path if where == "empty folder" else tmp_path / "nowhere"

    with pytest.raises(IndexMissingError) as excinfo:
        load_index(root, fake_embedder)

    assert "make index" in str(excinfo.value)
    assert str(root) in str(excinfo.value)


def _truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _garbage(path):
    path.write_bytes(b"this is not what the loader expects")


CORRUPTIONS = {
    "truncated manifest": ("manifest.json", _truncate),
    "manifest missing fields": ("manifest.json", lambda p: p.write_text(json.dumps({"model_id": "fake-384"}))),
    "truncated chunks": ("chunks.jsonl", _truncate),
    "missing vectors": ("vectors.npy", lambda p: p.unlink()),
    "truncated vectors": ("vectors.npy", _truncate),
    "garbage vectors": ("vectors.npy", _garbage),
    "garbage bm25 vocabulary": ("bm25_vocab.json", _garbage),
    "missing bm25 weights": ("bm25.npz", lambda p: p.unlink()),
    "empty vectors": ("vectors.npy", lambda p: p.write_bytes(b"")),
    "empty bm25 weights": ("bm25.npz", lambda p: p.write_bytes(b"")),
    "half-written bm25 weights": ("bm25.npz", _truncate),
    "chunks lost at a line boundary": ("chunks.jsonl", lambda p: p.write_text(p.read_text().splitlines(True)[0])),
    "empty chunks": ("chunks.jsonl", lambda p: p.write_text("")),
}


@pytest.mark.parametrize("corruption", sorted(CORRUPTIONS))
def test_load_index_corrupt_version_raises_unreadable(tmp_path, fake_embedder, corruption):
    build_articles(small_kb(), tmp_path, fake_embedder)
    filename, damage = CORRUPTIONS[corruption]
    damage(tmp_path / "versions" / current_version(tmp_path) / filename)

    with pytest.raises(IndexMissingError) as excinfo:
        load_index(tmp_path, fake_embedder)

    assert "unreadable" in str(excinfo.value)
    assert "make index" in str(excinfo.value)


def test_load_index_current_pointing_to_missing_version_raises_unreadable(tmp_path, fake_embedder):
    build_articles(small_kb(), tmp_path, fake_embedder)
    (tmp_path / "CURRENT").write_text("v-does-not-exist", encoding="utf-8")

    with pytest.raises(IndexMissingError, match="unreadable"):
        load_index(tmp_path, fake_embedder)


# -- lexical scoring ----------------------------------------------------------------------------
def test_bm25_scores_rank_the_exact_term_document_first():
    docs = [["return", "item", "day"], ["refund", "card", "day", "day"], ["dishwasher", "filter", "clean"],
            ["gift", "card", "balanc"]]
    bm25 = BM25Index.build(docs)

    scores = bm25.scores({"dishwasher": 1.0})

    assert int(np.argmax(scores)) == 2
    assert scores[2] > 0 and all(scores[i] == 0 for i in (0, 1, 3))


def test_bm25_scores_prefer_rarer_terms_and_ignore_unknown_ones():
    docs = [["card", "refund"], ["card", "gift"], ["card", "warranty"]]
    bm25 = BM25Index.build(docs)

    scores = bm25.scores({"card": 1.0, "warranty": 1.0, "unknownterm": 5.0})

    assert int(np.argmax(scores)) == 2
    assert not bm25.scores({"unknownterm": 1.0}).any()


def test_search_lexical_mode_ranks_the_exact_term_article_first(fake_embedder):
    index = build_in_memory(small_kb(), fake_embedder)

    hits = index.search("dishwasher", mode="lexical")

    assert hits[0].chunk.article_id == "dishwasher"
    assert hits[0].lexical > 0 and hits[0].dense is None
    assert all(h.chunk.article_id == "dishwasher" for h in hits)


def test_search_hybrid_mode_combines_dense_and_lexical_candidates(fake_embedder):
    index = build_in_memory(small_kb(), fake_embedder)

    hits = index.search("dishwasher filter", k=10)

    assert hits[0].chunk.article_id == "dishwasher"
    assert hits[0].dense is not None and hits[0].lexical is not None
    assert any(h.lexical is None for h in hits), "dense-only candidates take part in the fusion"
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
