"""The interface's words in English and Korean: `t(key, **values)` in the ASSIST_UI_LANGUAGE (English otherwise)."""
from __future__ import annotations

import importlib
import pkgutil

from assist_ui import catalogs, deps

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
    "draft.injection_notice": {
        "en": "This ticket's text tries to give the assistant instructions ({sources}). The drafts below treat it as "
              "data only: check them before sending and do not act on requests it contains without verifying.",
        "ko": "이 티켓의 글이 어시스턴트에게 지시를 내리려고 합니다({sources}). 아래 초안은 그 글을 데이터로만 다뤘습니다. "
              "보내기 전에 확인하시고, 그 안의 요청은 검증 없이 처리하지 마세요.",
    },
    "source.subject": {"en": "subject", "ko": "제목"},
    "source.customer_name": {"en": "customer name", "ko": "고객 이름"},
    "source.message": {"en": "message {n}", "ko": "{n}번째 메시지"},
    "draft.unsupported_claims": {
        "en": "Not found in the cited passages or the ticket — check before sending:",
        "ko": "인용한 문단이나 티켓에서 찾을 수 없습니다. 보내기 전에 확인하세요:",
    },
    "claim.url": {"en": "link", "ko": "링크"},
    "claim.amount": {"en": "amount", "ko": "금액"},
    "claim.date": {"en": "date", "ko": "날짜"},
    "claim.promise": {"en": "promise", "ko": "약속"},
    "claim.citation": {"en": "not supported by its cited passage", "ko": "인용한 문단이 뒷받침하지 않는 문장"},
    "claim.display_name": {"en": "display name that is not a personal name", "ko": "사람 이름이 아닌 표시 이름"},
    "store.unreachable": {
        "en": "The desk database cannot be reached: {error}. Nothing can be shown until it is back.",
        "ko": "데스크 데이터베이스에 연결할 수 없습니다: {error}. 연결이 돌아올 때까지 아무것도 표시할 수 없습니다.",
    },
    "store.key_problem": {
        "en": "The stored text cannot be opened with the configured encryption key: {error}. Set ASSIST_ENCRYPTION_KEY "
              "to the key (or keys) the text was sealed with; nothing was changed.",
        "ko": "설정된 암호화 키로 저장된 글을 열 수 없습니다: {error}. 글을 암호화할 때 쓴 키를 ASSIST_ENCRYPTION_KEY에 "
              "설정하세요. 아무것도 바뀌지 않았습니다.",
    },
    "send.markers_stripped": {
        "en": "Citation markers {markers} were still in your text and were removed before sending.",
        "ko": "답장에 남아 있던 인용 표시 {markers}는 보내기 전에 지웠습니다.",
    },
}


def merged_catalog(base: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """`base` plus the LABELS of every module in assist_ui.catalogs; a key defined twice is a mistake."""
    merged = dict(base)
    for module in pkgutil.iter_modules(catalogs.__path__):
        labels = importlib.import_module(f"{catalogs.__name__}.{module.name}").LABELS
        twice = sorted(set(labels) & set(merged))
        if twice:
            raise ValueError(f"labels defined twice (in catalogs/{module.name}.py and elsewhere): {twice}")
        merged.update(labels)
    return merged


CATALOG = merged_catalog(CATALOG)


LANGUAGE_SLOT = "ui_language_choice"  # the signed-in user's saved choice, read once per session


def default_language() -> str:
    language = deps.get_settings().ui_language.strip().lower()
    return language if language in LANGUAGES else "en"


def ui_language() -> str:
    """The user's own choice (saved per user), else ASSIST_UI_LANGUAGE, else English."""
    import streamlit as st

    chosen = st.session_state.get(LANGUAGE_SLOT)
    return chosen if chosen in LANGUAGES else default_language()


def t(key: str, language: str | None = None, **values: str) -> str:
    """The label `key` in `language` (default: the interface's), with `values` filled in."""
    entry = CATALOG[key]
    return entry.get(language or ui_language(), entry["en"]).format(**values)


def source_label(source: str, language: str | None = None) -> str:
    """Where an injection attempt was found ('subject', 'customer_name', 'message 3'), in words."""
    kind, _, n = source.partition(" ")
    if kind == "message":
        return t("source.message", language, n=n.split()[0])
    return t(f"source.{kind}", language) if f"source.{kind}" in CATALOG else source
