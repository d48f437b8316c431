"""draft_article: a Markdown article from agents' replies, the shared sentences as the answer, list items as
steps, greetings, thanks and sign-offs dropped, personal data and order numbers masked."""
from __future__ import annotations

from chains.kb_article import article_document, draft_article

REPLIES = [
    "Hi Minji,\n\nThanks for reaching out! We do not accept cryptocurrency at the moment. You can pay by card, bank "
    "transfer or PayPal. Your order #48213 stays reserved; write to minji@example.com or call 010-1234-5678.\n\n"
    "Best regards,\nAlex",
    "Hello John, sorry for the wait. We don't accept cryptocurrency at the moment. You can pay by card, bank "
    "transfer or PayPal. Your order #48213 stays reserved; write to minji@example.com or call 010-1234-5678.\n\n"
    "1. Open your order page\n2. Choose Change payment method\n3. Pick card or PayPal\n\nKind regards,\nSam Lee",
    "Dear customer, we do not accept cryptocurrency at this time. You can pay by card, bank transfer or PayPal. "
    "Have a great day!",
]


def test_draft_article_answers_with_the_sentences_replies_share():
    article = draft_article("crypto · bitcoin", REPLIES, "en")

    assert article.startswith("# Crypto · bitcoin\n")
    answer = article.split("## Answer")[1].split("## Steps")[0]
    assert "You can pay by card, bank transfer or PayPal." in answer
    assert answer.count("cryptocurrency") == 1, "near-duplicate sentences appear once"


def test_draft_article_masks_emails_phones_and_order_numbers():
    article = draft_article("crypto", REPLIES, "en")

    for raw in ("minji@example.com", "010-1234-5678", "48213"):
        assert raw not in article
    assert "[EMAIL_1]" in article and "[PHONE_1]" in article and "[ORDER_1]" in article


def test_draft_article_drops_greetings_thanks_and_sign_offs():
    article = draft_article("crypto", REPLIES, "en", names=["Alex", "Sam Lee"])

    for dropped in ("Hi", "Hello", "Dear", "Minji", "John", "Thanks", "sorry", "regards", "Alex", "Sam Lee",
                    "great day"):
        assert dropped not in article, dropped


def test_draft_article_lists_steps_without_their_markers_twice():
    article = draft_article("crypto", REPLIES, "en")

    assert "## Steps\n\n1. Open your order page\n2. Choose Change payment method\n3. Pick card or PayPal" in article


def test_draft_article_leaves_out_sentences_that_repeat_a_question():
    replies = ["You asked: can I pay with bitcoin? We do not accept cryptocurrency.",
               "You asked: can I pay with bitcoin? We do not accept cryptocurrency."]

    article = draft_article("crypto", replies, "en", questions=["Can I pay with bitcoin?"])

    assert "bitcoin" not in article.split("\n", 1)[1]


def test_draft_article_in_korean():
    replies = ["안녕하세요, 고객님. 현재 가상화폐 결제는 지원하지 않습니다. 카드나 계좌이체로 결제해 주세요. 감사합니다.",
               "김민지 고객님, 가상화폐 결제는 현재 지원하지 않습니다. 카드나 계좌이체로 결제해 주세요. 좋은 하루 보내세요!"]

    article = draft_article("결제 · 가상화폐", replies, "ko")

    assert "## 답변" in article and "카드나 계좌이체로 결제해 주세요." in article
    for dropped in ("안녕하세요", "고객님", "감사합니다", "좋은 하루", "김민지"):
        assert dropped not in article, dropped


def test_draft_article_without_replies_leaves_a_place_to_write():
    assert "_Write the answer here._" in draft_article("crypto", [], "en")


def test_article_document_puts_the_edited_title_in_front_matter_and_heading():
    document = article_document("Paying with cryptocurrency", "# crypto\n\n## Answer\n\nWe do not.\n", "en")

    assert document.startswith('---\ntitle: "Paying with cryptocurrency"\nlang: en\n---\n# Paying with cryptocurrency\n')
    assert "# crypto" not in document and "We do not." in document
