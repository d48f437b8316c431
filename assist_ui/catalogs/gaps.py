"""English and Korean labels of the gaps views."""
from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "gaps.header": {"en": "Missing or weak articles", "ko": "없거나 부족한 도움말"},
    "gaps.intro": {
        "en": "Replies where the assistant found no grounded answer, the agent wrote without a suggestion, or the "
              "agent rewrote most of it, grouped by what the customers asked. The most asked topics come first.",
        "ko": "어시스턴트가 근거 있는 답을 찾지 못했거나, 상담원이 제안 없이 썼거나, 제안을 대부분 고쳐 쓴 답장을 "
              "고객이 물은 내용별로 묶었습니다. 가장 많이 물은 주제가 먼저 나옵니다.",
    },
    "gaps.window": {"en": "Sent between", "ko": "보낸 기간"},
    "gaps.empty": {
        "en": "No abstained, unsuggested or heavily edited replies in this period: nothing points at a missing article.",
        "ko": "이 기간에는 답을 찾지 못했거나, 제안 없이 썼거나, 크게 고친 답장이 없습니다. 빠진 도움말이 보이지 않습니다.",
    },
    "gaps.summary": {"en": "{replies} replies in {topics} topics.", "ko": "답장 {replies}건, 주제 {topics}개."},
    "gaps.topic": {"en": "{label} — {count} replies", "ko": "{label} — 답장 {count}건"},
    "gaps.why": {
        "en": "Abstained: {abstained} · no suggestion: {no_suggestion} · heavy edits: {heavy_edit}",
        "ko": "답 없음: {abstained} · 제안 없이 작성: {no_suggestion} · 크게 수정: {heavy_edit}",
    },
    "gaps.coverage_missing": {
        "en": "The knowledge base has no article that answers this (closest: {title}, confidence {confidence}).",
        "ko": "이 질문에 답하는 도움말이 없습니다(가장 가까운 문서: {title}, 신뢰도 {confidence}).",
    },
    "gaps.coverage_weak": {
        "en": "The knowledge base answers this only weakly: {title} (confidence {confidence}) was found, yet agents "
              "did not use or rewrote the suggestion.",
        "ko": "도움말의 답이 부족합니다: {title}(신뢰도 {confidence})을 찾았지만 상담원이 제안을 쓰지 않았거나 고쳐 썼습니다.",
    },
    "gaps.no_title": {"en": "none", "ko": "없음"},
    "gaps.samples": {"en": "What customers asked", "ko": "고객이 물은 내용"},
    "gaps.draft": {"en": "Draft an article", "ko": "도움말 초안 만들기"},
    "gaps.title": {"en": "Article title", "ko": "도움말 제목"},
    "gaps.text": {"en": "Article (Markdown)", "ko": "도움말(Markdown)"},
    "gaps.draft_note": {
        "en": "Drafted from the agents' sent replies; personal data is replaced by placeholders. Check every "
              "sentence before publishing.",
        "ko": "상담원이 보낸 답장으로 만든 초안입니다. 개인정보는 자리표시자로 바꿨습니다. 게시하기 전에 모든 문장을 확인하세요.",
    },
    "gaps.publish": {"en": "Publish to the knowledge base", "ko": "도움말에 게시"},
    "gaps.publish_empty": {"en": "Write a title and the article text first.", "ko": "먼저 제목과 본문을 쓰세요."},
    "gaps.published": {
        "en": "Saved {file} in the uploads folder and rebuilt the index: version {version}, {articles} articles "
              "({added} added, {changed} changed). The assistant uses it from the next ticket.",
        "ko": "업로드 폴더에 {file}을 저장하고 색인을 다시 만들었습니다: 버전 {version}, 문서 {articles}개"
              "(추가 {added}, 변경 {changed}). 다음 티켓부터 어시스턴트가 사용합니다.",
    },
    "gaps.publish_refused": {
        "en": "Saved {file} in the uploads folder, but the index was not rebuilt: {error}",
        "ko": "업로드 폴더에 {file}을 저장했지만 색인은 다시 만들지 않았습니다: {error}",
    },
    "gaps.rebuilding": {"en": "Rebuilding the knowledge index…", "ko": "색인을 다시 만드는 중…"},
    "gaps.no_index": {
        "en": "The knowledge index cannot be read ({error}); topics are shown without KB coverage.",
        "ko": "색인을 읽을 수 없어({error}) 도움말 적용 범위 없이 주제를 보여 줍니다.",
    },
}
