"""Demo activity for a fresh desk: a few weeks of audited replies by five agents, with a baseline period
before the assistant was switched on, two versions of the draft prompt, ratings with reasons and the
matching feedback rows, so the lead report and the Audit page have something real to show.

Everything is labelled: ticket ids DEMO-00001…, the flag "demo" on every event. The same seed and end
date give the same rows.
"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from core.types import AuditEvent
from desk import tables
from desk.feedback import suggestion_key
from desk.records import UNEDITED_FLAG
from desk.rows import audit_row
from desk.store import DeskStore
from desk.text_metrics import normalized_edit_distance, similarity

DEMO_FLAG = "demo"
WITHOUT_SUGGESTION_FLAG = "written_without_suggestion"
ABSTAINED_FLAG = "abstained"
AGENTS = ("Alex Morgan", "Priya Shah", "Jonas Weber", "Seo-yeon Lee", "Daniel Okafor")
TONES = ("concise", "warm", "detailed")
LLM_MODEL = "gpt-4o-mini"
OFFLINE_MODEL = "offline-grounded-v1"
PRICE_PER_TOKEN = {"input": 0.15 / 1e6, "output": 0.60 / 1e6}  # gpt-4o-mini list price, USD
# The draft prompt changed half-way through the assisted period, so a lead can compare the two versions.
PROMPTS_BEFORE = {"triage": "ca405a5e", "summarize": "455887c3", "draft": "7d1e04c2"}
PROMPTS_AFTER = {"triage": "ca405a5e", "summarize": "455887c3", "draft": "b2476b5f"}
BASELINE_WEEKS = 2
BATCH = 5000


class AlreadySeeded(ValueError):
    """The audit log already has events; demo data goes into a fresh database only."""


@dataclass(frozen=True)
class Topic:
    """One intent's demo texts: the customer questions and the answer a reply is built from."""

    intent: str
    article: str
    questions: dict[str, tuple[str, ...]]
    answer: dict[str, str]


def _topic(intent: str, article: str, en: tuple[str, ...], ko: tuple[str, ...], answer_en: str, answer_ko: str) -> Topic:
    return Topic(intent, article, {"en": en, "ko": ko}, {"en": answer_en, "ko": answer_ko})


# The intent labels are those of the offline engine's classifier (chains/offline/data/intent_examples.jsonl).
TOPICS = (
    _topic("track_order", "track-order",
           ("Where is my order #{order}? It was meant to ship on Monday.", "Can you send me the tracking link again?",
            "The tracking page has said 'label created' for three days."),
           ("주문 {order} 배송 조회가 안 돼요.", "송장번호를 어디서 확인하나요?"),
           "You can follow order #{order} on the Orders page; the tracking link appears as soon as the courier scans the parcel.",
           "주문 {order}은 주문 내역 페이지에서 확인하실 수 있고, 택배사가 스캔하면 바로 송장 링크가 표시됩니다."),
    _topic("delivery_delay", "delivery-delays",
           ("My parcel is late and I need it for a birthday on Saturday.", "Why has my delivery not moved since Tuesday?"),
           ("배송이 일주일째 멈춰 있어요.", "주말까지 받을 수 있을까요?"),
           "Your parcel is delayed at the courier's depot; most delayed parcels arrive within three working days, and we refund the shipping fee if it takes longer.",
           "현재 택배사 물류센터에서 지연되고 있습니다. 대부분 영업일 기준 3일 안에 도착하며, 더 늦어지면 배송비를 환불해 드립니다."),
    _topic("damaged_or_lost", "lost-or-damaged-package",
           ("The box arrived crushed and the lamp inside is broken.", "Tracking says delivered but nothing is at my door."),
           ("상품이 파손된 채로 도착했어요.", "배송 완료로 나오는데 물건을 못 받았어요."),
           "I'm sorry about this. Please send a photo of the parcel and we will ship a replacement or refund you in full, whichever you prefer.",
           "불편을 드려 죄송합니다. 포장 사진을 보내 주시면 교환품 발송이나 전액 환불 중 원하시는 방법으로 처리해 드리겠습니다."),
    _topic("return_item", "returns-how-to",
           ("How do I return a pair of shoes that don't fit?", "Is the return label free?", "Can I return something I bought in a sale?"),
           ("반품은 어떻게 하나요?", "반품 택배비는 누가 내나요?"),
           "You can start a return within 30 days from the Orders page; the prepaid label is free and the refund follows once we receive the item.",
           "주문일로부터 30일 이내에 주문 내역에서 반품을 신청하실 수 있습니다. 반품 송장은 무료이며 상품 도착 후 환불됩니다."),
    _topic("refund_status", "refunds-timeline",
           ("You received my return a week ago and I still have no refund.", "When will the money be back on my card?"),
           ("환불이 아직 안 들어왔어요.", "카드 환불은 언제 되나요?"),
           "Your refund for order #{order} was issued today; banks usually show it within three to five business days.",
           "주문 {order}의 환불이 오늘 처리되었습니다. 카드사에 따라 영업일 기준 3~5일 안에 반영됩니다."),
    _topic("payment_failed", "payment-failed",
           ("My card keeps getting declined at checkout.", "The payment failed but the money left my account."),
           ("결제가 계속 실패해요.", "결제 오류가 났는데 돈이 빠져나갔어요."),
           "A declined payment is usually held by the bank for a few minutes and then released; please try again or use another method, and the hold disappears within five days.",
           "결제가 실패하면 카드사에서 잠시 승인 보류 후 해제합니다. 다시 시도하시거나 다른 결제 수단을 이용해 주시면 보류 금액은 5일 안에 사라집니다."),
    _topic("payment_methods", "payment-methods",
           ("Do you accept PayPal?", "Can I pay in instalments?"),
           ("카카오페이로 결제할 수 있나요?",),
           "We accept major cards, PayPal and Apple Pay; instalments are offered at checkout for orders over $100.",
           "신용카드, 카카오페이, 네이버페이로 결제하실 수 있으며 10만 원 이상 주문은 할부가 가능합니다."),
    _topic("invoice_request", "invoices-receipts",
           ("Could you send me a receipt for order #{order}?", "I need a copy of my invoice for my expenses."),
           ("세금계산서 발행이 가능한가요?",),
           "You can download the receipt for order #{order} from the Orders page; I have also attached a copy to this reply.",
           "주문 {order}의 영수증은 주문 내역에서 내려받으실 수 있으며, 이 답변에도 첨부해 드렸습니다."),
    _topic("change_order", "change-order",
           ("Can I change the colour of the jacket I ordered an hour ago?", "I entered the wrong address on my order."),
           ("주문한 상품 옵션을 바꾸고 싶어요.", "배송지를 잘못 입력했어요."),
           "Orders can be changed until they are packed; I have updated order #{order} for you and you will get a new confirmation e-mail.",
           "상품이 포장되기 전까지는 주문 변경이 가능합니다. 주문 {order}을 변경해 드렸고 새 확인 메일이 발송됩니다."),
    _topic("cancel_order", "cancel-order",
           ("Please cancel my order, I ordered the wrong size.", "How do I cancel before it ships?"),
           ("주문을 취소하고 싶어요.", "아직 발송 전인데 취소되나요?"),
           "Order #{order} is cancelled and the full amount goes back to your original payment method.",
           "주문 {order}이 취소되었으며 결제하신 수단으로 전액 환불됩니다."),
    _topic("exchange_item", "exchanges-size-colour",
           ("Can I swap the medium for a large?", "I'd like the same dress in blue instead."),
           ("사이즈 교환하고 싶어요.", "다른 색상으로 바꿀 수 있나요?"),
           "Exchanges for another size or colour are free; start one from the Orders page and we send the new item when the courier collects the old one.",
           "사이즈나 색상 교환은 무료입니다. 주문 내역에서 교환을 신청하시면 기존 상품 회수 시 새 상품을 보내 드립니다."),
    _topic("coupon_problem", "coupon-codes",
           ("My discount code says it has expired but the e-mail says it's valid until Sunday.", "The coupon didn't apply to my order."),
           ("쿠폰이 적용이 안 돼요.", "할인 코드가 만료됐다고 나와요."),
           "The code only applies to full-price items; I have refunded the discount on order #{order} to your card.",
           "해당 쿠폰은 정상가 상품에만 적용됩니다. 주문 {order}에 할인 금액만큼 환불해 드렸습니다."),
    _topic("shipping_info", "shipping-options",
           ("How much is express shipping?", "Do you deliver to Canada?"),
           ("배송비가 얼마인가요?", "제주도도 배송되나요?"),
           "Standard delivery takes two to four working days and is free over $50; express arrives the next working day for $9.",
           "일반 배송은 영업일 기준 2~4일 걸리며 5만 원 이상 무료입니다. 빠른 배송은 다음 영업일 도착이며 5천 원입니다."),
    _topic("account_access", "password-reset",
           ("I can't log in and the password reset e-mail never arrives.", "My account is locked after too many attempts."),
           ("비밀번호 재설정 메일이 안 와요.", "로그인이 안 돼요."),
           "I have sent a new reset link; it is valid for one hour, so please check your spam folder if it does not appear.",
           "새 비밀번호 재설정 링크를 보내 드렸습니다. 1시간 동안 유효하니 스팸함도 확인해 주세요."),
    _topic("warranty_claim", "warranty-electronics",
           ("My headphones stopped charging after four months.", "Is the blender still under warranty?"),
           ("이어폰이 고장 났는데 보증 수리 되나요?",),
           "Electronics carry a one-year warranty; please send the serial number and a short video of the fault and we will arrange a repair or replacement.",
           "전자제품은 1년 동안 보증됩니다. 제품 일련번호와 고장 영상을 보내 주시면 수리나 교환을 진행해 드리겠습니다."),
    _topic("product_care", "product-care",
           ("Can the wool jumper go in the washing machine?", "How do I clean the leather bag?"),
           ("울 니트 세탁 방법 알려 주세요.",),
           "Wash wool by hand in cold water and dry it flat; the care label inside has the details for each item.",
           "울 제품은 찬물에 손세탁 후 눕혀서 건조해 주세요. 제품 안쪽 라벨에 자세한 관리 방법이 있습니다."),
    _topic("privacy_request", "privacy-requests",
           ("Please delete my account and all my data.", "What personal data do you hold about me?"),
           ("개인정보 삭제를 요청합니다.",),
           "I have opened a privacy request for you; we confirm your identity by e-mail and complete it within 30 days.",
           "개인정보 요청을 접수했습니다. 이메일로 본인 확인 후 30일 이내에 처리해 드립니다."),
    _topic("gift_card", "gift-cards-store-credit",
           ("How do I check the balance on my gift card?", "Can I use two gift cards on one order?"),
           ("기프트카드 잔액은 어디서 확인하나요?",),
           "You can check the balance under Account > Gift cards, and up to three gift cards can be combined on one order.",
           "기프트카드 잔액은 내 계정 > 기프트카드에서 확인하실 수 있고, 한 주문에 최대 3장까지 사용 가능합니다."),
    _topic("complaint", "contact-support",
           ("This is the third time I've written and nobody has answered.", "Your courier was rude and left the parcel in the rain."),
           ("상담 연결이 너무 안 돼요.", "배송 기사님이 불친절했어요."),
           "I'm sorry for the trouble and I've passed your feedback to the team; I'll personally follow order #{order} until it is resolved.",
           "불편을 드려 정말 죄송합니다. 말씀하신 내용은 담당 팀에 전달했으며 주문 {order}은 해결될 때까지 제가 직접 확인하겠습니다."),
    _topic("other", "contact-support",
           ("Do you have a shop in Manchester?", "Can I speak to someone on the phone?"),
           ("매장이 어디에 있나요?",),
           "We are online only, and our team answers by chat and e-mail every day from 8 am to 8 pm.",
           "저희는 온라인으로만 운영되며, 매일 오전 8시부터 오후 8시까지 채팅과 이메일로 상담해 드립니다."),
)

# Questions the demo knowledge base has no article for, so the assistant abstains and a KB-gap view finds them.
GAP_QUESTIONS = {
    "en": (("other", "Can I buy 40 gift cards at once for our staff and pay by bank transfer?"),
           ("other", "Do you offer corporate gift card orders with our company logo?"),
           ("invoice_request", "We need one monthly invoice for all our business orders, can you do that?"),
           ("invoice_request", "Can you put our VAT number and purchase order reference on a business invoice?"),
           ("other", "Do you price match if I find the same item cheaper elsewhere?"),
           ("other", "Is there a student discount?"),
           ("other", "Can you gift wrap the order and add a handwritten note?"),
           ("other", "Can I pre-order the winter collection before it launches?")),
    "ko": (("other", "회사 직원용으로 기프트카드를 대량 구매할 수 있나요?"),
           ("invoice_request", "법인 주문을 한 달에 한 번 묶어서 계산서 받을 수 있나요?"),
           ("other", "다른 쇼핑몰이 더 싼데 가격 맞춰 주시나요?"),
           ("other", "선물 포장이 되나요?")),
}
ABSTAIN_TEXT = {
    "en": "Thanks for your message. I couldn't find this in our help articles, so I'm checking with the team and will get back to you today.",
    "ko": "문의 감사합니다. 도움말에서 해당 내용을 찾지 못해 담당 팀에 확인 후 오늘 중으로 다시 안내해 드리겠습니다.",
}
GAP_ANSWER = {
    "en": "Thanks for asking. I've checked with our business team: this is possible, and a colleague will e-mail you the details and a quote by tomorrow.",
    "ko": "문의 감사합니다. 담당 팀에 확인해 보니 가능하며, 내일까지 담당자가 자세한 안내와 견적을 이메일로 보내 드릴 예정입니다.",
}
GREETING = {"en": {"concise": "Hi {name},", "warm": "Hi {name}, thanks so much for reaching out!",
                   "detailed": "Hello {name}, thank you for contacting us."},
            "ko": {"concise": "{name}님, 안녕하세요.", "warm": "{name}님, 문의해 주셔서 정말 감사합니다!",
                   "detailed": "{name}님, 안녕하세요. 고객센터입니다."}}
CLOSING = {"en": {"concise": "Best regards,", "warm": "Have a lovely day, and just reply if anything else comes up!",
                  "detailed": "If you have any other questions, reply to this message and we will be glad to help."},
           "ko": {"concise": "감사합니다.", "warm": "좋은 하루 보내세요! 더 궁금한 점이 있으면 언제든 말씀해 주세요.",
                  "detailed": "추가로 궁금하신 점이 있으시면 이 메일에 답장해 주세요. 감사합니다."}}
AGENT_ADDITION = {"en": ("I've also added a note to your account so the team can see this.",
                         "Sorry again for the wait.", "I've double-checked this with the warehouse."),
                  "ko": ("고객님 계정에도 메모를 남겨 두었습니다.", "기다리게 해 드려 죄송합니다.", "물류센터에도 한 번 더 확인했습니다.")}
CUSTOMERS = {"en": ("Emma", "Liam", "Olivia", "Noah", "Ava", "Lucas", "Mia", "Ethan"),
             "ko": ("민지", "서준", "지우", "하준", "수아", "도윤")}
COMMENTS = {"wrong_facts": ("The refund window is 30 days, not 14.", "Wrong shipping price for express."),
            "not_relevant": ("The customer asked about something else.", "Answered the tracking question, not the refund."),
            "wrong_tone": ("Too chatty for an angry customer.", "Sounds robotic."),
            "missing_information": ("Didn't mention the return label.", "Needs the order number and the next step."),
            "other": ("Too long.", ""),
            "": ("Spot on, sent as is.", "Good starting point.", "")}


@dataclass
class SeedSummary:
    """What demo-seed wrote."""

    events: int
    feedback: int
    baseline_until: datetime
    since: datetime
    until: datetime

    def lines(self) -> list[str]:
        return [f"Seeded {self.events:,} demo replies and {self.feedback:,} feedback rows "
                f"({self.since:%Y-%m-%d} to {self.until:%Y-%m-%d}, ticket ids DEMO-…, flag \"demo\").",
                f"Baseline period without the assistant: before {self.baseline_until:%Y-%m-%d}; compare with "
                f"`python -m desk report --baseline-until {self.baseline_until:%Y-%m-%d}`."]


def seed_demo(store: DeskStore, weeks: int = 6, replies: int = 600, seed: int = 7, force: bool = False,
              end: datetime | None = None) -> SeedSummary:
    """Write `replies` demo audit events spread over `weeks` weeks ending at `end` (default: today, UTC),
    and the feedback rows of the rated ones; refuses a non-empty audit log unless `force`."""
    if weeks < 1 or replies < 1:
        raise ValueError("demo-seed needs at least one week and one reply")
    with store.connection() as connection:
        existing = connection.execute(select(func.count()).select_from(tables.audit_events)).scalar_one()
    if existing and not force:
        raise AlreadySeeded(f"the audit log already has {existing:,} events; demo data goes into a fresh "
                            "database (pass --force to add it anyway)")
    end = (end or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    start = end - timedelta(weeks=weeks)
    baseline_until = start + timedelta(weeks=min(BASELINE_WEEKS, weeks // 2))
    plan = _Plan(random.Random(seed), start, end, baseline_until, _first_ticket_number(store))
    events, feedback = plan.generate(replies)
    _insert(store, events, feedback)
    return SeedSummary(len(events), len(feedback), baseline_until, start, end - timedelta(seconds=1))


def _first_ticket_number(store: DeskStore) -> int:
    """1, or past the highest DEMO- ticket id already stored (a forced second seed)."""
    table = tables.audit_events
    query = (select(table.c.ticket_id).where(table.c.ticket_id.like("DEMO-%"))
             .order_by(func.length(table.c.ticket_id).desc(), table.c.ticket_id.desc()).limit(1))
    with store.connection() as connection:
        highest = connection.execute(query).scalar_one_or_none()
    return 1 if not highest else int(highest.removeprefix("DEMO-")) + 1


class _Plan:
    """Draws demo replies: who, when, what was asked, what was suggested and what went out."""

    def __init__(self, rng: random.Random, start: datetime, end: datetime, baseline_until: datetime, first: int):
        self.rng, self.start, self.end, self.baseline_until, self.first = rng, start, end, baseline_until, first
        self.switch = baseline_until + (end - baseline_until) / 2  # when the draft prompt changed
        self.metrics: dict[tuple[str, str], tuple[float, float]] = {}

    def generate(self, replies: int) -> tuple[list[AuditEvent], list[dict]]:
        times = sorted(self._sent_at() for _ in range(replies))
        events, feedback = [], []
        for number, sent_at in enumerate(times, start=self.first):
            event, rated = self._event(f"DEMO-{number:05d}", sent_at)
            events.append(event)
            if rated is not None:
                feedback.append(rated)
        return events, feedback

    def _sent_at(self) -> datetime:
        rng, days = self.rng, (self.end - self.start).days
        while True:
            day = self.start + timedelta(days=rng.randrange(days))
            if day.weekday() < 5 or rng.random() < 0.3:  # quieter weekends
                return day + timedelta(hours=rng.uniform(7.5, 19.0))

    def _event(self, ticket_id: str, sent_at: datetime) -> tuple[AuditEvent, dict | None]:
        rng = self.rng
        language = "ko" if rng.random() < 0.3 else "en"
        gap = rng.random() < 0.06
        if gap:
            intent, question = rng.choice(GAP_QUESTIONS[language])
            topic = next(t for t in TOPICS if t.intent == intent)
        else:
            topic = rng.choice(TOPICS)
            intent, question = topic.intent, rng.choice(topic.questions[language] or topic.questions["en"])
        order = str(rng.randrange(10000, 99999))
        question = question.format(order=order)
        name, tone, agent = rng.choice(CUSTOMERS[language]), rng.choice(TONES), rng.choice(AGENTS)
        answer = (GAP_ANSWER[language] if gap else topic.answer[language].format(order=order))
        baseline = sent_at < self.baseline_until
        assisted = not baseline and rng.random() > (0.35 if gap else 0.08)
        engine = "llm" if rng.random() < 0.6 else "offline"
        prompts = PROMPTS_BEFORE if sent_at < self.switch else PROMPTS_AFTER
        flags = [DEMO_FLAG]
        if assisted:
            suggested = _compose(language, tone, name, ABSTAIN_TEXT[language] if gap else answer)
            sent, edit = self._edited(suggested, language, tone, name, answer, gap, prompts is PROMPTS_AFTER)
            flags += [ABSTAINED_FLAG] if gap else []
            flags += [UNEDITED_FLAG] if sent == suggested else []
        else:
            suggested, edit = "", "written"
            sent = _compose(language, rng.choice(TONES), name, answer)
            flags.append(WITHOUT_SUGGESTION_FLAG)
        distance, similar = self._metrics(suggested, sent)
        handle = self._handle_seconds(baseline, edit)
        opened = sent_at - timedelta(seconds=handle)
        typed = opened + timedelta(seconds=handle * rng.uniform(0.05, 0.35))
        rating, reason = self._rating(assisted, edit)
        event = AuditEvent(
            ticket_id=ticket_id, agent=agent, engine="offline" if baseline else engine,
            model="" if baseline else LLM_MODEL if engine == "llm" else OFFLINE_MODEL, suggested=suggested,
            sent=sent, tone=tone if assisted else "", edit_distance=distance, similarity=similar,
            citations=[f"{topic.article}#{rng.randrange(4)}"] if assisted and not gap else [], flags=flags,
            rating=rating, prompt_versions=dict(prompts) if not baseline else {},
            suggested_at=opened + timedelta(seconds=rng.uniform(2, 9)) if assisted else None, sent_at=sent_at,
            feedback_reason=reason, intent=intent, language=language, abstained=assisted and gap, question=question,
            cost_usd=self._cost() if assisted and engine == "llm" else 0.0, opened_at=opened,
            first_typed_at=typed, handle_seconds=round(handle, 1))
        return event, _feedback_row(event, rng) if rating is not None else None

    def _edited(self, suggested: str, language: str, tone: str, name: str, answer: str, gap: bool,
                newer: bool) -> tuple[str, str]:
        """The reply as sent and how much the agent changed: unedited, light or heavy (the newer prompt's
        drafts need fewer heavy rewrites)."""
        rng, roll = self.rng, self.rng.random()
        if gap:
            return _compose(language, "detailed", name, GAP_ANSWER[language]), "heavy"
        if roll < 0.3:
            return suggested, "unedited"
        closing = CLOSING[language][tone]
        if roll < 0.45:
            return suggested.replace(closing, CLOSING[language]["concise"]), "light"
        if roll < (0.85 if newer else 0.72):
            return suggested.replace(closing, f"{rng.choice(AGENT_ADDITION[language])} {closing}"), "light"
        extra = " ".join(rng.sample(AGENT_ADDITION[language], 2))
        return f"{GREETING[language]['concise'].format(name=name)} {answer} {extra} {CLOSING[language]['concise']}", "heavy"

    def _metrics(self, suggested: str, sent: str) -> tuple[float, float]:
        key = (suggested, sent)
        if key not in self.metrics:
            self.metrics[key] = (round(normalized_edit_distance(suggested, sent), 4), round(similarity(suggested, sent), 4))
        return self.metrics[key]

    def _handle_seconds(self, baseline: bool, edit: str) -> float:
        rng = self.rng
        if rng.random() < 0.01:
            return rng.uniform(3700, 9000)  # left open over lunch
        median = {"unedited": 110, "light": 170, "heavy": 290, "written": 430 if baseline else 400}[edit]
        return max(20.0, rng.lognormvariate(0, 0.45) * median)

    def _rating(self, assisted: bool, edit: str) -> tuple[int | None, str]:
        rng = self.rng
        if not assisted or rng.random() > 0.35:
            return None, ""
        if rng.random() < {"unedited": 0.95, "light": 0.8, "heavy": 0.3}[edit]:
            return 1, ""
        return -1, rng.choices(tables.FEEDBACK_REASONS, weights=(3, 2, 2, 4, 1))[0]

    def _cost(self) -> float:
        tokens_in, tokens_out = self.rng.randint(1400, 3600), self.rng.randint(120, 480)
        return round(tokens_in * PRICE_PER_TOKEN["input"] + tokens_out * PRICE_PER_TOKEN["output"], 6)


def _compose(language: str, tone: str, name: str, body: str) -> str:
    """A reply: greeting, the answer and a closing in the tone's words."""
    return f"{GREETING[language][tone].format(name=name)} {body} {CLOSING[language][tone]}"


def _feedback_row(event: AuditEvent, rng: random.Random) -> dict:
    """The agent's feedback on the suggestion the event started from, as a plain feedback-table row."""
    comment = rng.choice(COMMENTS[event.feedback_reason])
    return {"suggestion_key": suggestion_key(event.ticket_id, event.engine, event.tone, event.suggested),
            "user": event.agent, "ticket_id": event.ticket_id, "rating": event.rating, "reason": event.feedback_reason,
            "comment": comment, "suggested": event.suggested, "engine": event.engine, "model": event.model,
            "tone": event.tone, "intent": event.intent,
            "prompt_versions": json.dumps(event.prompt_versions, sort_keys=True),
            "created_at": event.sent_at, "updated_at": event.sent_at}


def _insert(store: DeskStore, events: list[AuditEvent], feedback: list[dict]) -> None:
    """Bulk-insert the events and feedback in one transaction, texts sealed by the store's cipher."""
    cipher = store.cipher
    for row in feedback:
        row["suggested"], row["comment"] = cipher.seal(row["suggested"]), cipher.seal(row["comment"])
    with store.transaction() as connection:
        for at in range(0, len(events), BATCH):
            connection.execute(tables.audit_events.insert(), [audit_row(e, cipher) for e in events[at:at + BATCH]])
        for at in range(0, len(feedback), BATCH):
            connection.execute(tables.feedback.insert(), feedback[at:at + BATCH])
