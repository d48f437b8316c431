"""Accounts and roles: Argon2 hashes, sign-in with rate limiting, role order, and the `python -m desk users` CLI."""
from __future__ import annotations

import io
import json
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from sqlalchemy import create_engine, select

from desk.accounts import FAILURE_WINDOW, MAX_FAILURES, AccountError, Accounts, SignInError, User, users
from desk.tables import metadata

PASSWORD = "correct horse battery"


@pytest.fixture
def accounts(tmp_path) -> Accounts:
    engine = create_engine(f"sqlite:///{tmp_path / 'accounts.db'}")
    metadata.create_all(engine)
    return Accounts(SimpleNamespace(engine=engine))


def test_accounts_store_an_argon2_hash_never_the_password(accounts):
    accounts.add("alex", "agent", PASSWORD)

    with accounts._engine.connect() as connection:
        stored = connection.execute(select(users.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_accounts_sign_in_with_the_right_password(accounts):
    accounts.add("alex", "lead", PASSWORD)

    assert accounts.sign_in("alex", PASSWORD) == User(name="alex", role="lead")


@pytest.mark.parametrize("name, password", [("alex", "wrong password!"), ("nobody", PASSWORD)])
def test_accounts_sign_in_failures_say_the_same_thing(accounts, name, password):
    accounts.add("alex", "agent", PASSWORD)

    with pytest.raises(SignInError) as failed:
        accounts.sign_in(name, password)

    assert str(failed.value) == "The name or password is not right, or the account is disabled."


def test_accounts_disabled_account_cannot_sign_in(accounts):
    accounts.add("alex", "agent", PASSWORD)
    accounts.disable("alex")

    with pytest.raises(SignInError):
        accounts.sign_in("alex", PASSWORD)
    assert accounts.enable("alex").disabled is False
    assert accounts.sign_in("alex", PASSWORD).name == "alex"


def test_accounts_rate_limit_failed_sign_ins_per_name(accounts):
    accounts.add("alex", "agent", PASSWORD)
    start = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
    for n in range(MAX_FAILURES):
        with pytest.raises(SignInError):
            accounts.sign_in("alex", "guess number %d" % n, now=start + timedelta(seconds=n))

    with pytest.raises(SignInError, match="Too many failed sign-ins"):
        accounts.sign_in("alex", PASSWORD, now=start + timedelta(minutes=1))
    later = start + FAILURE_WINDOW + timedelta(minutes=1)
    assert accounts.sign_in("alex", PASSWORD, now=later).name == "alex"
    assert accounts.recent_failures("alex", later) == 0


def test_accounts_refuse_weak_passwords_unknown_roles_and_duplicates(accounts):
    with pytest.raises(AccountError, match="at least 10"):
        accounts.add("alex", "agent", "short")
    with pytest.raises(AccountError, match="Unknown role"):
        accounts.add("alex", "owner", PASSWORD)
    accounts.add("alex", "agent", PASSWORD)
    with pytest.raises(AccountError, match="already exists"):
        accounts.add("alex", "admin", PASSWORD)
    with pytest.raises(AccountError, match="control characters"):
        accounts.add("bad\x00name", "agent", PASSWORD)


def test_accounts_roles_include_the_lower_ones():
    admin, lead, agent = (User(name=r, role=r) for r in ("admin", "lead", "agent"))

    assert admin.may("lead") and admin.may("agent") and lead.may("agent")
    assert not agent.may("lead") and not lead.may("admin")


def test_accounts_set_role_and_password(accounts):
    accounts.add("alex", "agent", PASSWORD)

    assert accounts.set_role("alex", "admin").role == "admin"
    accounts.set_password("alex", "another long password")
    with pytest.raises(SignInError):
        accounts.sign_in("alex", PASSWORD)
    assert accounts.sign_in("alex", "another long password").role == "admin"


def test_accounts_sso_only_account_has_no_password_and_is_found_by_email(accounts):
    accounts.add("mina", "agent", None, email="Mina@Example.com")

    assert accounts.find_by_email("mina@example.com").name == "mina"
    with pytest.raises(SignInError):
        accounts.sign_in("mina", "")


def test_account_for_sso_ignores_unknown_and_disabled_accounts(accounts):
    from assist_ui.auth import account_for_sso

    accounts.add("mina", "agent", None, email="mina@example.com")
    assert account_for_sso("mina@example.com", accounts).name == "mina"
    assert account_for_sso("eve@example.com", accounts) is None
    accounts.disable("mina")
    assert account_for_sso("mina@example.com", accounts) is None


# -- the command line ----------------------------------------------------------------------------
@pytest.fixture
def desk_cli(monkeypatch, tmp_path):
    from desk.__main__ import main

    monkeypatch.setenv("ASSIST_DATABASE_URL", f"sqlite:///{tmp_path / 'desk.db'}")

    def run(*argv: str, stdin: str = "") -> int:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        return main(list(argv))

    return run


def test_desk_cli_users_add_list_set_role_disable(desk_cli, capsys):
    assert desk_cli("users", "add", "alex", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n") == 0
    assert desk_cli("users", "add", "sam", "--role", "agent", "--password-stdin", stdin=PASSWORD + "\n") == 0
    assert desk_cli("users", "set-role", "sam", "lead") == 0
    assert desk_cli("users", "disable", "sam") == 0
    capsys.readouterr()

    assert desk_cli("users", "list", "--json") == 0

    listed = json.loads(capsys.readouterr().out)
    assert listed == [{"name": "alex", "role": "admin", "email": "", "disabled": False},
                      {"name": "sam", "role": "lead", "email": "", "disabled": True}]


def test_desk_cli_refuses_a_weak_password_with_a_clear_message(desk_cli, capsys):
    assert desk_cli("users", "add", "alex", "--role", "admin", "--password-stdin", stdin="short\n") == 1

    assert "at least 10 characters" in capsys.readouterr().err


def test_desk_cli_without_a_terminal_asks_for_password_stdin(desk_cli, capsys):
    assert desk_cli("users", "add", "alex", "--role", "admin") == 1

    assert "--password-stdin" in capsys.readouterr().err


def test_desk_cli_unknown_account_is_a_clear_error(desk_cli, capsys):
    assert desk_cli("users", "disable", "ghost") == 1

    assert "no account named 'ghost'" in capsys.readouterr().err
