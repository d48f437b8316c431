"""Sign-in and roles through Streamlit's AppTest: the demo without accounts, the sign-in form once an account
exists, and the pages each role may open."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit import config
from streamlit.testing.v1 import AppTest

from desk.accounts import Accounts
from desk.store import open_store

APP = str(Path(__file__).resolve().parents[2] / "assist_ui" / "app.py")
PASSWORD = "correct horse battery"
SUBJECTS = ("Refund not received", "Need my order by Friday")


def add_account(url: str, name: str, role: str) -> None:
    with open_store(url) as store:
        Accounts(store).add(name, role, PASSWORD)


def start() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def shown_text(at: AppTest) -> str:
    parts = [e.value for kind in (at.markdown, at.caption, at.subheader, at.header, at.info, at.warning, at.error)
             for e in kind]
    parts += [str(o) for r in at.radio for o in r.options]
    return "\n".join(str(p) for p in parts)


def sign_in(at: AppTest, name: str, password: str = PASSWORD) -> AppTest:
    at.text_input(key="sign_in_name").input(name)
    at.text_input(key="sign_in_password").input(password)
    next(b for b in at.button if b.label == "Sign in").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_without_accounts_on_loopback_the_app_is_the_demo(app_env):
    at = start()

    assert any("Unauthenticated demo" in w.value for w in at.sidebar.warning)
    assert "Refund not received" in shown_text(at)


def test_without_accounts_on_another_address_sign_in_is_required_and_says_how(app_env):
    config.set_option("server.address", "0.0.0.0")

    at = start()

    assert any("python -m desk users add" in i.value for i in at.info)
    assert not any(s in shown_text(at) for s in SUBJECTS)


def test_once_an_account_exists_a_visitor_sees_only_the_sign_in_form(app_env):
    add_account(app_env, "alex", "agent")

    at = start()

    assert at.text_input(key="sign_in_name") is not None
    assert not any(s in shown_text(at) for s in SUBJECTS), "no customer data before sign-in"


def test_a_wrong_password_is_refused_and_shows_no_data(app_env):
    add_account(app_env, "alex", "agent")

    at = sign_in(start(), "alex", "wrong password!!")

    assert any("not right" in e.value for e in at.error)
    assert not any(s in shown_text(at) for s in SUBJECTS)


def test_a_signed_in_agent_works_the_queue_but_cannot_open_audit_or_knowledge(app_env):
    add_account(app_env, "alex", "agent")
    at = sign_in(start(), "alex")

    assert "Refund not received" in shown_text(at)
    assert any("Signed in as alex" in c.value for c in at.sidebar.caption)
    for page in ("screens/audit.py", "screens/knowledge.py", "screens/users.py"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(page)  # the agent's navigation does not even register these pages


def test_a_lead_opens_the_audit_but_cannot_rebuild_the_knowledge_base(app_env):
    add_account(app_env, "lena", "lead")
    at = sign_in(start(), "lena")

    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("screens/knowledge.py")  # a lead's navigation does not register the Knowledge page
    at.switch_page("screens/audit.py").run()
    assert any(h.value == "Audit" for h in at.header)
    assert not [b for b in at.button if b.key == "kb_rebuild"]


def test_an_admin_opens_knowledge_and_users(app_env):
    add_account(app_env, "ada", "admin")
    at = sign_in(start(), "ada")

    at.switch_page("screens/knowledge.py").run()
    assert any(h.value == "Knowledge" for h in at.header)
    at.switch_page("screens/users.py").run()
    assert any(h.value == "Users" for h in at.header)


def test_records_carry_the_signed_in_account_as_the_agent(app_env):
    add_account(app_env, "alex", "agent")
    at = sign_in(start(), "alex")
    at.radio(key="queue_radio").set_value("T-1001").run()
    at.text_area(key="reply_box::T-1001").set_value("Hello Minji, your refund confirmation is attached.").run()

    at.button(key="send::T-1001").click().run()

    events = open_store(app_env).audit_events()
    assert [e.agent for e in events] == ["alex"]


def test_a_disabled_account_is_signed_out_on_its_next_click(app_env):
    add_account(app_env, "alex", "agent")
    at = sign_in(start(), "alex")
    with open_store(app_env) as store:
        Accounts(store).disable("alex")

    at.run()

    assert at.text_input(key="sign_in_name") is not None
    assert not any(s in shown_text(at) for s in SUBJECTS)


def test_a_session_expires_after_the_idle_time(app_env, monkeypatch):
    add_account(app_env, "alex", "agent")
    at = sign_in(start(), "alex")
    at.session_state["auth"]["last_seen"] -= 121 * 60

    at.run()

    assert any("expired" in w.value for w in at.warning)
    assert at.text_input(key="sign_in_name") is not None


@pytest.mark.parametrize("page, role", [("audit.py", "agent"), ("knowledge.py", "lead"), ("users.py", "lead")])
def test_each_page_refuses_a_role_below_its_own_even_when_opened_directly(app_env, page, role):
    add_account(app_env, "sam", role)
    at = AppTest.from_file(str(Path(APP).parent / "screens" / page), default_timeout=120)
    at.session_state["auth"] = {"name": "sam", "signed_in_at": 9e12, "last_seen": 9e12}

    at.run()

    assert any("do not have access" in e.value for e in at.error)
    assert not at.dataframe and not [b for b in at.button if b.key in ("kb_rebuild", "kb_restore")]


def test_a_page_opened_directly_without_sign_in_shows_the_sign_in_form(app_env):
    add_account(app_env, "ada", "admin")
    at = AppTest.from_file(str(Path(APP).parent / "screens" / "knowledge.py"), default_timeout=120)

    at.run()

    assert at.text_input(key="sign_in_name") is not None
    assert not [b for b in at.button if b.key == "kb_rebuild"]


def test_app_names_the_encryption_key_when_it_cannot_open_the_store(app_env, monkeypatch):
    monkeypatch.setenv("ASSIST_ENCRYPTION_KEY", "not-a-fernet-key")

    at = AppTest.from_file(APP, default_timeout=120)
    at.run()

    assert not at.exception, [e.value for e in at.exception]
    shown = " ".join(e.value for e in at.error)
    assert "ASSIST_ENCRYPTION_KEY" in shown and "cannot be reached" not in shown
    assert "not-a-fernet-key" not in shown
