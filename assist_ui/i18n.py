"""The interface's words in English and Korean: `t(key, **values)` in the ASSIST_UI_LANGUAGE (English otherwise)."""
from __future__ import annotations

from assist_ui import deps

LANGUAGES = ("en", "ko")
CATALOG: dict[str, dict[str, str]] = {
    "use_draft.markers_removed": {
        "en": "Use this draft copies the reply without its [n] markers; the audit keeps the cited passages.",
        "ko": "'이 초안 사용'은 [n] 표시를 뺀 답장을 넣습니다. 인용한 문단은 감사 기록에 남습니다.",
    },
    "use_draft.sources_line": {
        "en": "Use this draft copies the reply without its [n] markers and lists the cited articles before the "
              "sign-off; the audit keeps the cited passages.",
        "ko": "'이 초안 사용'은 [n] 표시를 빼고 서명 앞에 인용한 문서 목록을 넣습니다. 인용한 문단은 감사 기록에 남습니다.",
    },
    "send.markers_stripped": {
        "en": "Citation markers {markers} were still in your text and were removed before sending.",
        "ko": "답장에 남아 있던 인용 표시 {markers}는 보내기 전에 지웠습니다.",
    },
}


def ui_language() -> str:
    language = deps.get_settings().ui_language.strip().lower()
    return language if language in LANGUAGES else "en"


def t(key: str, language: str | None = None, **values: str) -> str:
    """The label `key` in `language` (default: the interface's), with `values` filled in."""
    entry = CATALOG[key]
    return entry.get(language or ui_language(), entry["en"]).format(**values)
