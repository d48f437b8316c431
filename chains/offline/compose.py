"""The offline engine's grounded reply: template framing around sentences taken from the retrieved passages.

Every factual sentence is a KB sentence followed by its passage marker [n]; nothing else states facts.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.text import lexical_tokens_batch, split_sentences

SENTENCES_PER_TONE = {"concise": 2, "warm": 3, "detailed": 5}
LIST_MARKER = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+")

ACKNOWLEDGE = {
    "en": {
        "track_order": "Thanks for asking about where your order is.",
        "delivery_delay": "I'm sorry your delivery is taking longer than expected.",
        "damaged_or_lost": "I'm sorry your parcel didn't reach you in good condition.",
        "return_item": "Thanks for letting us know you'd like to return an item.",
        "refund_status": "Thanks for checking in about your refund.",
        "exchange_item": "Happy to help you exchange your item.",
        "payment_failed": "I'm sorry your payment didn't go through.",
        "payment_methods": "Thanks for asking about payment options.",
        "invoice_request": "Happy to help with your invoice or receipt.",
        "account_access": "I'm sorry you're having trouble getting into your account.",
        "change_order": "Thanks for letting us know you'd like to change your order.",
        "cancel_order": "I understand you'd like to cancel your order.",
        "warranty_claim": "I'm sorry your product isn't working as it should.",
        "product_care": "Thanks for asking how to look after your product.",
        "privacy_request": "Thanks for your request about your personal data.",
        "coupon_problem": "I'm sorry your coupon isn't working as expected.",
        "gift_card": "Thanks for your question about gift cards and store credit.",
        "shipping_info": "Thanks for asking about our delivery options.",
        "complaint": "I'm sorry about your experience, and thank you for telling us.",
        "other": "Thanks for getting in touch.",
    },
    "ko": {
        "track_order": "주문하신 상품의 배송 위치를 문의해 주셔서 감사합니다.",
        "delivery_delay": "배송이 예상보다 늦어지고 있어 죄송합니다.",
        "damaged_or_lost": "상품이 온전히 도착하지 못해 죄송합니다.",
        "return_item": "반품을 원하신다고 알려 주셔서 감사합니다.",
        "refund_status": "환불 진행 상황을 문의해 주셔서 감사합니다.",
        "exchange_item": "교환을 도와드리겠습니다.",
        "payment_failed": "결제가 정상적으로 완료되지 않아 불편을 드려 죄송합니다.",
        "payment_methods": "결제 수단을 문의해 주셔서 감사합니다.",
        "invoice_request": "영수증 및 증빙 발급을 도와드리겠습니다.",
        "account_access": "계정에 로그인하지 못해 불편을 드려 죄송합니다.",
        "change_order": "주문 변경을 원하신다고 알려 주셔서 감사합니다.",
        "cancel_order": "주문 취소를 원하신다는 말씀 잘 알겠습니다.",
        "warranty_claim": "제품이 정상적으로 작동하지 않아 죄송합니다.",
        "product_care": "제품 관리 방법을 문의해 주셔서 감사합니다.",
        "privacy_request": "개인정보 관련 요청을 보내 주셔서 감사합니다.",
        "coupon_problem": "쿠폰이 적용되지 않아 불편을 드려 죄송합니다.",
        "gift_card": "기프트카드 및 적립금 관련 문의 감사합니다.",
        "shipping_info": "배송 옵션을 문의해 주셔서 감사합니다.",
        "complaint": "불편을 드려 정말 죄송합니다. 말씀해 주셔서 감사합니다.",
        "other": "문의해 주셔서 감사합니다.",
    },
}
EMPATHY = {"en": "I completely understand how frustrating this is.", "ko": "많이 답답하셨을 텐데 기다려 주셔서 감사합니다."}
WARM_OPENER = {"en": "I've looked into this for you, and here is what applies:", "ko": "확인해 보니 다음과 같이 안내해 드릴 수 있습니다."}
NEXT_STEP = {
    "en": "If anything is still unclear, just reply to this message and I'll take it from there.",
    "ko": "더 궁금하신 점이 있으시면 이 메시지에 회신해 주세요. 바로 도와드리겠습니다.",
}
HOLDING = {
    "en": ["I want to make sure you get an accurate answer, so I'm checking this with the right team now.",
           "I'll get back to you as soon as I have confirmed the details."],
    "ko": ["정확한 답변을 드리기 위해 담당 부서에 지금 확인하고 있습니다.",
           "내용을 확인하는 대로 바로 다시 연락드리겠습니다."],
}


@dataclass
class Passage:
    n: int
    id: str
    title: str
    text: str
    lang: str = "en"


def greeting(name: str, lang: str) -> str:
    first = name
    if lang == "ko":
        return f"{name} 고객님, 안녕하세요." if name else "고객님, 안녕하세요."
    return f"Hi {first}," if first else "Hello,"


def default_sign_off(agent: str, company: str, lang: str) -> str:
    if lang == "ko":
        return f"감사합니다.\n{company} 고객센터 {agent} 드림"
    return f"Best regards,\n{agent}\n{company} Support"


def _clean(sentence: str) -> str:
    sentence = LIST_MARKER.sub("", sentence).strip()
    sentence = re.sub(r"\s+", " ", sentence).rstrip(" ;,")
    if sentence and sentence[-1] not in ".!?。:다요":
        sentence += "."
    return sentence[:1].upper() + sentence[1:]


def _usable(sentence: str) -> bool:
    words = sentence.split()
    return len(words) >= 4 and not sentence.endswith(":") and len(sentence) <= 400


def _cite(sentence: str, n: int) -> str:
    """The marker goes inside the sentence, before its final punctuation."""
    if sentence and sentence[-1] in ".!?。":
        return f"{sentence[:-1]} [{n}]{sentence[-1]}"
    return f"{sentence} [{n}]"


def select_sentences(passages: list[Passage], question: str, context: str, count: int) -> list[tuple[Passage, str]]:
    """The `count` passage sentences that best answer the question, in passage and reading order."""
    candidates: list[tuple[int, int, Passage, str]] = []
    seen: set[str] = set()  # chunks overlap by a sentence: never offer the same sentence twice
    for rank, passage in enumerate(passages):
        for pos, raw in enumerate(split_sentences(passage.text)):
            sentence = _clean(raw)
            if _usable(sentence) and sentence.lower() not in seen:
                seen.add(sentence.lower())
                candidates.append((rank, pos, passage, sentence))
    if not candidates:
        return []
    token_lists = lexical_tokens_batch([question, context] + [c[3] for c in candidates])
    q_terms, c_terms = set(token_lists[0]), set(token_lists[1])
    scored = []
    for (rank, pos, passage, sentence), tokens in zip(candidates, token_lists[2:]):
        terms = set(tokens)
        overlap = len(terms & q_terms) / max(len(q_terms), 1)
        context_overlap = len(terms & c_terms) / max(len(c_terms), 1)
        score = overlap + 0.3 * context_overlap + 0.35 / (1 + rank) + 0.08 / (1 + pos)
        scored.append((score, rank, pos, passage, sentence))
    best = sorted(scored, key=lambda s: -s[0])[:count]
    return [(p, s) for _, _, _, p, s in sorted(best, key=lambda s: (s[1], s[2]))]


def compose_reply(passages: list[Passage], question: str, context: str, *, tone: str, lang: str, intent: str,
                  sentiment: str, customer: str, agent: str, company: str, answerable: bool, sign_off: str = "") -> str:
    """A complete reply: greeting, acknowledgement, cited KB sentences, next step, sign-off.

    `sign_off` is the configured signature (already filled in); without one the built-in sign-off is used."""
    lang = lang if lang in ("en", "ko") else "en"
    same_language = [p for p in passages if p.lang == lang]
    usable = same_language or passages
    lines = [greeting(customer, lang), ""]
    opening = [ACKNOWLEDGE[lang].get(intent, ACKNOWLEDGE[lang]["other"])]
    if sentiment == "negative" or tone == "warm":
        opening.append(EMPATHY[lang])
    chosen = select_sentences(usable, question, context, SENTENCES_PER_TONE.get(tone, 3)) if answerable else []
    if not chosen:
        lines.append(" ".join(opening + HOLDING[lang]))
    else:
        if tone == "warm":
            opening.append(WARM_OPENER[lang])
        lines.append(" ".join(opening))
        lines.append("")
        body = [_cite(sentence, passage.n) for passage, sentence in chosen]
        if tone == "detailed":
            lines.extend(f"- {b}" for b in body)
        else:
            lines.append(" ".join(body))
        lines.append("")
        lines.append(NEXT_STEP[lang])
    lines.extend(["", sign_off or default_sign_off(agent, company, lang)])
    return "\n".join(lines)

