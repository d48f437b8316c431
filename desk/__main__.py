"""`python -m desk users add|list|set-role|set-password|disable|enable` — accounts and roles of the desk.

Exit status: 0 done, 1 the request was refused (the message says why), 2 bad arguments.
"""
from __future__ import annotations

import argparse
import getpass
import json
import sys

from core.settings import load_settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m desk", description="Desk administration",
                                     epilog="Exit status: 0 done, 1 refused (see the message), 2 bad arguments.")
    sub = parser.add_subparsers(dest="command", required=True)
    users = sub.add_parser("users", help="accounts and roles").add_subparsers(dest="action", required=True)
    add = users.add_parser("add", help="create an account (roles: agent, lead, admin)")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=["agent", "lead", "admin"])
    add.add_argument("--email", default="", help="e-mail for single sign-on (OIDC)")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.add_argument("--sso-only", action="store_true", help="no password: the account signs in through SSO only")
    listing = users.add_parser("list", help="list accounts")
    listing.add_argument("--json", action="store_true")
    role = users.add_parser("set-role", help="change an account's role")
    role.add_argument("name")
    role.add_argument("role", choices=["agent", "lead", "admin"])
    password = users.add_parser("set-password", help="set a new password")
    password.add_argument("name")
    password.add_argument("--password-stdin", action="store_true")
    for action in ("disable", "enable"):
        users.add_parser(action, help=f"{action} an account").add_argument("name")
    return parser


def read_password(from_stdin: bool) -> str:
    """The new password from stdin (first line) or typed twice at a terminal."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise ValueError("no terminal to type a password: pass --password-stdin and pipe it in")
    first, second = getpass.getpass("Password: "), getpass.getpass("Repeat: ")
    if first != second:
        raise ValueError("the two passwords differ")
    return first


def run_users(args, accounts) -> str:
    """Carry out one `users` action and return what to print."""
    if args.action == "add":
        password = None if args.sso_only else read_password(args.password_stdin)
        user = accounts.add(args.name, args.role, password, email=args.email)
        return f"Added {user.name} ({user.role})."
    if args.action == "list":
        found = accounts.list()
        if args.json:
            return json.dumps([u.model_dump() for u in found], ensure_ascii=False, indent=1)
        return "\n".join(f"{u.name}\t{u.role}\t{u.email or '-'}\t{'disabled' if u.disabled else 'active'}"
                         for u in found) or "No accounts yet."
    if args.action == "set-role":
        return f"{args.name} is now {accounts.set_role(args.name, args.role).role}."
    if args.action == "set-password":
        accounts.set_password(args.name, read_password(args.password_stdin))
        return f"Password of {args.name} changed."
    user = accounts.disable(args.name) if args.action == "disable" else accounts.enable(args.name)
    return f"{user.name} is {'disabled' if user.disabled else 'enabled'}."


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from desk.accounts import AccountError, Accounts
    from desk.db import StoreError
    from desk.store import open_store

    settings = load_settings()
    try:
        with open_store(settings.database_url_value(), settings) as store:
            print(run_users(args, Accounts(store)))
    except (AccountError, StoreError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
