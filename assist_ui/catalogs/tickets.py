"""English and Korean labels of the Tickets page (import and sync)."""
from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "tickets.title": {"en": "Tickets", "ko": "티켓"},
    "ui.language": {"en": "Interface language", "ko": "화면 언어"},
    "page.workspace": {"en": "Agent workspace", "ko": "상담원 작업 공간"},
    "page.audit": {"en": "Audit", "ko": "감사"},
    "page.kb_gaps": {"en": "Missing articles", "ko": "부족한 문서"},
    "page.knowledge": {"en": "Knowledge", "ko": "지식 베이스"},
    "page.tickets": {"en": "Tickets", "ko": "티켓"},
    "page.users": {"en": "Users", "ko": "사용자"},
    "page.sign_in": {"en": "Sign in", "ko": "로그인"},
    "tickets.import": {"en": "Import an export file", "ko": "내보낸 파일 가져오기"},
    "tickets.file": {"en": "File", "ko": "파일"},
    "tickets.format": {"en": "Format", "ko": "형식"},
    "tickets.format.json": {"en": "Ticket JSON (this product's)", "ko": "티켓 JSON(이 제품 형식)"},
    "tickets.format.jsonl": {"en": "Ticket JSON lines", "ko": "티켓 JSON Lines"},
    "tickets.format.csv": {"en": "CSV, one message per row", "ko": "CSV(한 행에 메시지 하나)"},
    "tickets.format.zendesk": {"en": "Zendesk bundle (tickets, users, comments)",
                               "ko": "Zendesk 번들(tickets, users, comments)"},
    "tickets.mapping": {"en": "Column mapping (optional)", "ko": "열 매핑(선택)"},
    "tickets.mapping_help": {"en": "FIELD=COLUMN pairs separated by commas, e.g. ticket_id=Ticket #, text=Comment. "
                                   "Fields: {fields}",
                             "ko": "쉼표로 구분한 필드=열 쌍입니다. 예: ticket_id=Ticket #, text=Comment. 필드: {fields}"},
    "tickets.mapping_invalid": {"en": "The mapping {part!r} is not FIELD=COLUMN.",
                                "ko": "매핑 {part!r}은(는) 필드=열 형식이 아닙니다."},
    "tickets.import_button": {"en": "Import", "ko": "가져오기"},
    "tickets.report": {"en": "Imported: {created} new, {updated} updated, {unchanged} unchanged; {messages} messages "
                             "added; {skipped} skipped.",
                       "ko": "가져옴: 새 티켓 {created}건, 갱신 {updated}건, 변경 없음 {unchanged}건, 메시지 {messages}건 "
                             "추가, 건너뜀 {skipped}건."},
    "tickets.where": {"en": "Where", "ko": "위치"},
    "tickets.why": {"en": "Why it was skipped", "ko": "건너뛴 이유"},
    "tickets.sync": {"en": "Connected helpdesk", "ko": "연결된 헬프데스크"},
    "tickets.sync_not_configured": {
        "en": "No helpdesk is connected. Set ASSIST_ZENDESK_URL, ASSIST_ZENDESK_EMAIL and ASSIST_ZENDESK_TOKEN, then "
              "run `python -m desk sync` (or sync from here).",
        "ko": "연결된 헬프데스크가 없습니다. ASSIST_ZENDESK_URL, ASSIST_ZENDESK_EMAIL, ASSIST_ZENDESK_TOKEN을 설정한 뒤 "
              "`python -m desk sync`를 실행하세요(또는 여기서 동기화하세요)."},
    "tickets.sync_now": {"en": "Sync now", "ko": "지금 동기화"},
    "tickets.sync_failed": {"en": "The sync failed: {error}. Nothing was lost; the next sync resumes where this stopped.",
                            "ko": "동기화에 실패했습니다: {error}. 잃은 것은 없으며 다음 동기화는 멈춘 곳부터 이어집니다."},
    "tickets.synced": {"en": "Synced {pages} page(s): {created} new, {updated} updated, {skipped} skipped.",
                       "ko": "{pages}페이지 동기화: 새 티켓 {created}건, 갱신 {updated}건, 건너뜀 {skipped}건."},
    "tickets.in_desk": {"en": "{n} tickets in the desk", "ko": "데스크의 티켓 {n}건"},
    "tickets.col.status": {"en": "status", "ko": "상태"},
    "tickets.col.assignee": {"en": "assignee", "ko": "담당자"},
    "tickets.col.source": {"en": "source", "ko": "출처"},
    "tickets.col.subject": {"en": "subject", "ko": "제목"},
    "tickets.col.messages": {"en": "messages", "ko": "메시지"},
}
