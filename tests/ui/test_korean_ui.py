"""ASSIST_UI_LANGUAGE=ko: every label of the agent workspace is Korean, on a Korean and on an English ticket, through
drafting, the reply box, rewrite, feedback, Send, a failed delivery and sign-in; in English nothing changes.

The check is strict: from every button, tab, subheader, header, expander, caption, notice, widget label and heading
the customer's and the knowledge base's own text is removed (ticket subject, names, messages, drafts, summary,
entities, article titles and passages), then no English word may be left and what is left must contain Hangul."""
from __future__ import annotations

import re

from streamlit.testing.v1 import AppTest

from desk.store import open_store
from tests.ui.conftest import APP, PASSWORD, open_ticket

AGENT = "Support team"  # the demo identity
HANGUL = re.compile(r"[\uac00-\ud7a3]")
LATIN_WORD = re.compile(r"[A-Za-z]+")
LETTER = re.compile(r"[^\W\d_]")
TICKET_ID = re.compile(r"(?<![A-Za-z])T-\d+")
BADGE = re.compile(r":[a-z]+-badge\[(.*)\]$", re.S)
# Not English words but names: the LLM, single sign-on, and the "[n]" of the citation markers.
ALLOWED_WORDS = {"LLM", "SSO", "n"}


def normalised(text: str) -> str:
    """What the agent reads: Markdown escapes, word joiners, badges and bold markers gone, whitespace collapsed."""
    text = str(text).replace("\u2060", "").replace("\\", "").replace("\u00a0", " ")
    text = BADGE.sub(r"\1", text.strip()).replace("**", "")
    return " ".join(text.split())


def customer_phrases(ticket_id: str) -> list[str]:
    """Text that is not the interface's: every demo ticket's subject, names and messages, and what the assistant
    shows for `ticket_id` (drafts, summary, entities, intent, article titles, sections and passages)."""
    from assist_ui import deps
    from assist_ui.auth import FIRST_ADMIN
    from chains.pipeline import assist

    phrases = [AGENT, FIRST_ADMIN]
    tickets = deps.get_tickets()[0]
    for ticket in tickets:
        phrases += [ticket.subject, ticket.customer.name, ticket.customer.email or ""]
        for message in ticket.messages:
            phrases += [message.author, message.text]
    ticket = next(t for t in tickets if t.id == ticket_id)
    result = assist(ticket, deps.get_agent_deps(AGENT))
    phrases += [d.text for d in result.drafts] + [d.reason for d in result.drafts] + [result.model]
    if result.summary:
        phrases += [result.summary.issue, result.summary.done_so_far, result.summary.next_steps]
        phrases += [v for values in result.summary.entities.values() for v in values]
    if result.triage:
        phrases.append(result.triage.intent)
    for hit in result.hits:
        phrases += [hit.chunk.title, hit.chunk.section, hit.chunk.text[:320], hit.chunk.text]
    return sorted({normalised(p) for p in phrases if p and normalised(p)}, key=len, reverse=True)


def interface_texts(at: AppTest) -> list[str]:
    """Every label and notice on the page that the interface writes (some with customer text inside)."""
    texts = [b.label for b in at.button] + [tab.label for tab in at.tabs] + [e.label for e in at.expander]
    texts += [s.label for s in at.status]
    for kind in ("subheader", "header", "caption", "warning", "info", "error", "success"):
        texts += [e.value for e in getattr(at, kind)]
    for kind in ("text_area", "text_input", "selectbox"):
        texts += [e.label for e in getattr(at, kind)]
    texts += [e.placeholder for e in at.text_area if e.placeholder]
    texts += [m.value for m in at.markdown if m.value.startswith(("**", ":"))]  # headings, badges, article cards
    for box in at.selectbox:
        if box.key and box.key.startswith(("rewrite_op::", "feedback_reason::")):
            texts += list(box.options)
    return [text for text in texts if text]


def english_left(at: AppTest, ticket_id: str, names: tuple[str, ...] = (), not_ours: tuple[str, ...] = ()
                 ) -> list[str]:
    """The interface texts that, without ticket ids, `names` and the customer's and knowledge base's text, still
    have English in them or lack Hangul. Texts starting with one of `not_ours` are made outside the interface
    (desk.send's outcome messages) and are skipped."""
    phrases = sorted(set(customer_phrases(ticket_id)) | {normalised(n) for n in names}, key=len, reverse=True)
    left = []
    for text in interface_texts(at):
        rest = TICKET_ID.sub(" ", normalised(text))
        if rest.startswith(not_ours):
            continue
        for phrase in phrases:
            rest = rest.replace(phrase, " ")
        words = [w for w in LATIN_WORD.findall(rest) if w not in ALLOWED_WORDS]
        if words or (LETTER.search(rest) and not HANGUL.search(rest)):
            left.append(text)
    return left


def korean(monkeypatch) -> None:
    monkeypatch.setenv("ASSIST_UI_LANGUAGE", "ko")


def click(at: AppTest, key: str) -> None:
    at.button(key=key).click().run()
    assert not at.exception, [e.value for e in at.exception]


def test_korean_ui_korean_ticket_has_no_english_label(app_env, monkeypatch):
    korean(monkeypatch)
    at = open_ticket("T-1003")

    assert english_left(at, "T-1003") == []
    assert [tab.label for tab in at.tabs][-3:] == ["간결하게", "자세하게", "따뜻하게"]
    assert sum(b.label == "이 초안 사용" for b in at.button) == 3
    assert at.button(key="send::T-1003").label == "답장 보내기"
    assert any(c.value.endswith("상태: 열림") for c in at.caption)
    assert [e.label for e in at.expander if e.label == "요약"]


def test_korean_ui_english_ticket_has_no_english_label(app_env, monkeypatch):
    korean(monkeypatch)
    at = open_ticket("T-1001")

    assert english_left(at, "T-1001") == []
    values = [m.value for m in at.markdown]
    assert "**추천 답장**" in values and "**지식 베이스**" in values
    assert any(v.startswith("**문의 내용** —") for v in values)
    assert any(v.startswith(":violet-badge[의도:") for v in values)
    assert any("오프라인 엔진" in i.value for i in at.info)
    assert list(at.selectbox(key="rewrite_op::T-1001").options)[0] == "줄이기"


def test_korean_ui_reply_box_confirmation_feedback_rewrite_and_send(app_env, monkeypatch):
    korean(monkeypatch)
    at = open_ticket("T-1001")
    click(at, "use::T-1001::concise")
    assert any(c.value.startswith("간결한 제안에서 시작했습니다") for c in at.caption)
    at.feedback(key="rating::T-1001").set_value(0).run()
    assert at.selectbox(key="feedback_reason::T-1001").label == "이유"
    assert english_left(at, "T-1001") == []

    at.text_area(key="reply_box::T-1001").set_value("Dear Minji, one moment please.").run()
    click(at, "use::T-1001::detailed")
    assert any(w.value == "입력한 글을 자세한 초안으로 바꿀까요?" for w in at.warning)
    assert {b.label for b in at.button} >= {"내 글 바꾸기", "내 글 유지"}
    assert english_left(at, "T-1001") == []
    click(at, "confirm_replace::T-1001")

    at.selectbox(key="rewrite_op::T-1001").set_value("shorten").run()
    click(at, "rewrite::T-1001")
    assert any(c.value == "제안(줄이기):" for c in at.caption)
    assert {b.label for b in at.button} >= {"다시 쓴 글 받기", "버리기"}
    assert english_left(at, "T-1001") == []
    click(at, "accept::T-1001")

    click(at, "send::T-1001")
    assert any("답장을 감사 기록에 남겼습니다" in s.value for s in at.info), "recorded, not delivered: no channel"
    assert at.button(key="another::T-1001").label == "답장 하나 더 쓰기"
    assert english_left(at, "T-1001") == []


def test_korean_ui_refused_rewrite_and_failed_delivery_are_told_in_korean(app_env, monkeypatch):
    korean(monkeypatch)
    monkeypatch.setenv("ASSIST_SEND_WEBHOOK_URL", "http://127.0.0.1:9/replies")  # nothing listens there
    at = open_ticket("T-1005")
    at.text_area(key="reply_box::T-1005").set_value("Hello, a bigger size is reserved for you.").run()
    at.selectbox(key="rewrite_op::T-1005").set_value("translate").run()
    click(at, "rewrite::T-1005")
    assert any(w.value.startswith("다시 쓰기를 할 수 없습니다") and w.value.endswith("글은 바뀌지 않았습니다.")
               for w in at.warning)

    click(at, "send::T-1005")

    [entry] = open_store(app_env).undelivered()
    waiting = [w.value for w in at.warning if "아직 전달되지 않았습니다" in w.value]
    assert len(waiting) == 1 and "실패" in waiting[0] and "회 시도" in waiting[0]
    assert any(b.label == "다시 전달" for b in at.button if b.key and b.key.startswith("retry::"))
    assert any(w.value.startswith("기록했지만 전달하지 못했습니다") for w in at.warning)
    # Only the sender's own error (the webhook's address and the connection failure) is not the interface's.
    assert english_left(at, "T-1005", names=(entry.last_error,)) == []


def test_korean_ui_sign_in_page_and_signed_in_sidebar(app_env, monkeypatch):
    korean(monkeypatch)
    from desk.accounts import Accounts

    with open_store(app_env) as store:
        Accounts(store).add("Jiwoo", "agent", PASSWORD)
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["ticket"] = "T-1003"
    at.run()
    assert [h.value for h in at.header] == ["로그인"]
    assert [i.label for i in at.text_input] == ["이름", "비밀번호"]
    assert [b.label for b in at.button] == ["로그인"]

    at.text_input(key="sign_in_name").input("Jiwoo")
    at.text_input(key="sign_in_password").input(PASSWORD)
    next(b for b in at.button if b.label == "로그인").click().run()
    assert not at.exception, [e.value for e in at.exception]

    assert any(c.value == "Jiwoo 님으로 로그인 · 상담원" for c in at.sidebar.caption)
    assert at.button(key="sign_out").label == "로그아웃"
    assert english_left(at, "T-1003", names=("Jiwoo",)) == []


def test_korean_ui_english_labels_are_unchanged_without_the_setting(app_env):
    at = open_ticket("T-1001")

    assert sum(b.label == "Use this draft" for b in at.button) == 3
    assert at.button(key="send::T-1001").label == "Send reply"
    assert [tab.label for tab in at.tabs][-3:] == ["Concise", "Detailed", "Warm"]
    assert any(e.label == "Summary" for e in at.expander) and any(e.label == "Rewrite tools" for e in at.expander)
    values = [m.value for m in at.markdown]
    assert "**Suggested replies**" in values and "**Knowledge base**" in values
    assert any(v.startswith("**Issue** —") for v in values) and any(v.startswith("**Done so far** —") for v in values)
    assert any(v.startswith(":violet-badge[intent:") for v in values)
    assert any(c.value.endswith(" · email · status: open") for c in at.caption)
    assert any(c.value == "Drafted by the offline engine" for c in at.caption)
    assert any(w.value.startswith("Unauthenticated demo:") for w in at.warning)
    assert list(at.selectbox(key="rewrite_op::T-1001").options)[0] == "Shorten"
    assert at.text_area(key="reply_box::T-1001").label == "Your reply"


def test_korean_ui_empty_send_and_wrong_password_are_told_in_korean(app_env, monkeypatch):
    korean(monkeypatch)
    at = open_ticket("T-1003")
    click(at, "send::T-1003")
    assert [e.value for e in at.error] == [
        "답장이 비어 있습니다. 보내기 전에 답장을 쓰세요. 아무것도 보내거나 기록하지 않았고, 쓰신 글은 그대로 있습니다."]

    from desk.accounts import Accounts

    with open_store(app_env) as store:
        Accounts(store).add("Jiwoo", "agent", PASSWORD)
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.text_input(key="sign_in_name").input("Jiwoo")
    at.text_input(key="sign_in_password").input("not the password")
    next(b for b in at.button if b.label == "로그인").click().run()
    assert [e.value for e in at.error] == ["이름이나 비밀번호가 맞지 않거나, 사용이 중지된 계정입니다."]


def test_korean_ui_queue_rows_name_the_language_and_the_intent_chip_the_intent(app_env, monkeypatch):
    korean(monkeypatch)
    at = open_ticket("T-1003")
    rows = {row.split(" · ")[0][2:].replace("\\", ""): row.replace("\\", "")
            for row in at.radio(key="queue_radio").options}
    assert " · 한국어 · " in rows["T-1003"] and " · 영어 · " in rows["T-1001"]
    assert not any(" · ko · " in row or " · en · " in row for row in rows.values())
    chip = next(m.value for m in at.markdown if m.value.startswith(":violet-badge[의도:"))
    assert "_" not in chip.replace("\\_", "_").split(":", 2)[2], chip
