"""Before Send, the reply box shows a reply's length against its channel's limit and flags a reply that is too long."""
from __future__ import annotations

import pytest

from core.settings import Settings, parse_channel_limits
from tests.ui.conftest import open_ticket


def test_reply_length_reply_longer_than_chat_takes_is_flagged_before_send(app_env):
    at = open_ticket("T-1002")  # a chat ticket; chat takes 2,000 characters by default
    at.text_area(key="reply_box::T-1002").set_value("Hello! " + "We will ship it today. " * 100).run()

    [flag] = [w.value for w in at.warning if "message takes" in w.value]
    assert "2,307 characters" in flag and "a chat message takes 2,000" in flag and "by 307 characters" in flag
    assert at.button(key="send::T-1002").label == "Send reply"


def test_reply_length_reply_within_the_limit_shows_the_count_only(app_env, monkeypatch):
    monkeypatch.setenv("ASSIST_CHANNEL_LIMITS", "chat=500")
    at = open_ticket("T-1002")
    at.text_area(key="reply_box::T-1002").set_value("Hello! It ships today.").run()

    assert not [w for w in at.warning if "message takes" in w.value]
    assert any(c.value == "22 of 500 characters a chat message takes" for c in at.caption)


def test_reply_length_channel_without_a_limit_shows_nothing(app_env):
    at = open_ticket("T-1001")  # email: no limit by default
    at.text_area(key="reply_box::T-1001").set_value("Hello! " * 1000).run()

    assert not [w for w in at.warning if "message takes" in w.value]
    assert not [c for c in at.caption if "message takes" in c.value]


def test_reply_length_korean_interface_flags_in_korean(app_env, monkeypatch):
    monkeypatch.setenv("ASSIST_UI_LANGUAGE", "ko")
    monkeypatch.setenv("ASSIST_CHANNEL_LIMITS", "chat=20")
    at = open_ticket("T-1002")
    at.text_area(key="reply_box::T-1002").set_value("안녕하세요. 오늘 바로 발송해 드리겠습니다. 금요일 전에 도착합니다.").run()

    assert any("채팅 메시지는 20자까지입니다" in w.value for w in at.warning)


def test_reply_length_settings_read_limits_and_refuse_a_bad_value():
    assert parse_channel_limits("Chat=1000, sms=160,") == {"chat": 1000, "sms": 160}
    assert Settings(ASSIST_CHANNEL_LIMITS="sms=160").reply_limit("SMS") == 160
    assert Settings(ASSIST_CHANNEL_LIMITS="sms=160").reply_limit("email") is None
    with pytest.raises(ValueError, match="'chat' is not channel=characters"):
        Settings(ASSIST_CHANNEL_LIMITS="chat,sms=160")
