"""What Send and Retry say, in English (desk.send's own sentences) and Korean, by outcome code."""
from __future__ import annotations

from desk.send import OUTCOME_MESSAGES

KOREAN: dict[str, str] = {
    "empty": "답장이 비어 있습니다. 보내기 전에 답장을 쓰세요. 아무것도 보내거나 기록하지 않았고, 쓰신 글은 그대로 있습니다.",
    "empty_key": "답장의 중복 방지 키가 비어 있습니다. 아무것도 보내거나 기록하지 않았고, 쓰신 글은 그대로 있습니다.",
    "too_long": "답장이 {length}자로 한도 {limit}자를 넘습니다. 줄인 뒤 보내세요. "
                "아무것도 보내거나 기록하지 않았고, 쓰신 글은 그대로 있습니다.",
    "invalid": "답장을 기록할 수 없습니다: {reason}. 아무것도 보내거나 기록하지 않았고, 쓰신 글은 그대로 있습니다.",
    "key_reused": "이 답장의 중복 방지 키는 이미 다른 답장에 쓰였습니다. 아무것도 보내거나 기록하지 않았고, 쓰신 글은 그대로 있습니다.",
    "not_recorded": "보내지도 기록하지도 못했습니다: {reason}. 쓰신 글은 그대로 있습니다.",
    "not_retried": "다시 보내지 못했습니다: {reason}. 아무것도 보내지 않았습니다.",
    "no_entry": "보낼 편지함에 {outbox_id}번 항목이 없습니다. 아무것도 보내지 않았습니다.",
    "other_ticket": "보낼 편지함 {outbox_id}번 항목은 다른 티켓의 것입니다. 아무것도 보내지 않았습니다.",
    "already_delivered": "이미 전달되었습니다. 다시 보내지 않았습니다.",
    "claim_failed": "기록했지만 아직 전달하지 못했습니다: {reason}. 데이터베이스가 돌아오면 보낼 편지함에서 다시 보내세요.",
    "elsewhere": "기록했습니다. 지금 다른 보내기 작업이 이 답장을 전달하고 있습니다.",
    "stopped": "기록했지만 전달이 멈췄습니다: {reason}. 데이터베이스가 돌아오면 보낼 편지함에서 다시 보내세요.",
    "recorded_only": "답장을 기록했습니다. 이 티켓에는 전달 채널이 설정되어 있지 않아 고객에게 가지 않았습니다. "
                     "헬프데스크에서 보내세요.",
    "delivered": "답장을 기록하고 전달했습니다.",
    "failed": "기록했지만 전달하지 못했습니다: {reason}. 보낼 편지함에 남아 있으며, 다시 보내기를 누르면 전달합니다(두 번 가지 않습니다).",
    "unnoted": "보낼 편지함에 아직 이 결과를 적지 못했습니다.",
    "known_delivered": "이미 기록하고 전달한 답장입니다. 다시 보내지 않았습니다.",
    "known_failed": "이미 기록했지만 전달하지 못한 답장입니다: {reason}. 보낼 편지함에서 다시 보내면 전달합니다.",
    "known_pending": "이미 기록한 답장이며 전달이 진행 중입니다.",
}

LABELS: dict[str, dict[str, str]] = {
    f"send.outcome.{code}": {"en": english, "ko": KOREAN[code]} for code, english in OUTCOME_MESSAGES.items()
}
