"""The triage intents (chains/offline/data/intent_examples.jsonl) as agents read them, in English and Korean."""
from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "intent.account_access": {"en": "Account access", "ko": "계정 접속"},
    "intent.cancel_order": {"en": "Cancel order", "ko": "주문 취소"},
    "intent.change_order": {"en": "Change order", "ko": "주문 변경"},
    "intent.complaint": {"en": "Complaint", "ko": "불만"},
    "intent.coupon_problem": {"en": "Coupon problem", "ko": "쿠폰 문제"},
    "intent.damaged_or_lost": {"en": "Damaged or lost", "ko": "파손 또는 분실"},
    "intent.delivery_delay": {"en": "Delivery delay", "ko": "배송 지연"},
    "intent.exchange_item": {"en": "Exchange item", "ko": "상품 교환"},
    "intent.gift_card": {"en": "Gift card", "ko": "기프트 카드"},
    "intent.invoice_request": {"en": "Invoice request", "ko": "영수증·세금계산서 요청"},
    "intent.other": {"en": "Other", "ko": "기타"},
    "intent.payment_failed": {"en": "Payment failed", "ko": "결제 실패"},
    "intent.payment_methods": {"en": "Payment methods", "ko": "결제 수단"},
    "intent.privacy_request": {"en": "Privacy request", "ko": "개인정보 요청"},
    "intent.product_care": {"en": "Product care", "ko": "제품 관리"},
    "intent.refund_status": {"en": "Refund status", "ko": "환불 진행 상황"},
    "intent.return_item": {"en": "Return item", "ko": "반품"},
    "intent.shipping_info": {"en": "Shipping information", "ko": "배송 안내"},
    "intent.track_order": {"en": "Track order", "ko": "주문 조회"},
    "intent.warranty_claim": {"en": "Warranty claim", "ko": "보증 수리 요청"},
}
