"""`python -m desk users add|list|set-role|set-password|disable|enable` — accounts and roles of the desk;
`keygen` — a new key for ASSIST_ENCRYPTION_KEY; `purge` — remove text older than the retention period;
`privacy export|erase` — everything stored about one customer, as JSON or erased.

Exit status: 0 done, 1 the request was refused (the message says why), 2 bad arguments.
"""
from __future__ import annotations

import argparse
import getpass
import json
import sys
from datetime import timedelta
from pathlib import Path

from core.settings import DEMO_TICKETS, Settings, load_settings


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
    sub.add_parser("keygen", help="print a new Fernet key for ASSIST_ENCRYPTION_KEY")
    purge = sub.add_parser("purge", help="remove reply and draft text older than ASSIST_RETENTION_DAYS")
    purge.add_argument("--older-than", type=_days, metavar="DAYS", help="days of text to keep (default ASSIST_RETENTION_DAYS)")
    purge.add_argument("--dry-run", action="store_true", help="count what would be removed, change nothing")
    privacy = sub.add_parser("privacy", help="a customer's data: export or erase").add_subparsers(dest="action", required=True)
    export = privacy.add_parser("export", help="JSON of everything stored about the customer")
    export.add_argument("--customer", required=True, metavar="EMAIL_OR_TICKET_ID")
    export.add_argument("--out", type=Path, metavar="FILE", help="write to this new file (mode 0600) instead of stdout")
    erase = privacy.add_parser("erase", help="delete the customer's data; audit numbers stay, anonymous")
    erase.add_argument("--customer", required=True, metavar="EMAIL_OR_TICKET_ID")
    erase.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    return parser


def _days(value: str) -> int:
    """A whole number of days, at least 1."""
    try:
        days = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of days, not {value!r}") from None
    if days < 1:
        raise argparse.ArgumentTypeError("keep at least 1 day")
    return days


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


def run_purge(args, store, settings: Settings) -> str:
    """Remove text older than --older-than (or ASSIST_RETENTION_DAYS) days and say how much."""
    from desk.retention import purge_text

    days = args.older_than or settings.retention_days
    if days is None:
        raise ValueError("no retention period: pass --older-than DAYS or set ASSIST_RETENTION_DAYS")
    cutoff, counts = purge_text(store, timedelta(days=days), dry_run=args.dry_run)
    verb = "Would remove" if args.dry_run else "Removed"
    head = f"{verb} text older than {days} days (before {cutoff:%Y-%m-%d %H:%M} UTC):"
    return "\n".join([head, *counts.lines()] + (["Dry run: nothing was changed."] if args.dry_run else []))


def run_privacy(args, store, settings: Settings) -> str:
    """Export or erase everything stored about one customer."""
    from desk.privacy import erase_customer, export_customer, find_customer, write_export

    data = find_customer(args.customer, settings.tickets_path, store)
    if args.action == "export":
        export = export_customer(data, store)
        if args.out is None:
            return json.dumps(export, ensure_ascii=False, indent=1, default=str)
        write_export(export, args.out)
        return f"Exported {len(data.ticket_ids)} tickets of {data.customer} to {args.out} (mode 0600)."
    demo = settings.tickets_path.resolve() == DEMO_TICKETS.resolve()
    planned = erase_customer(data, store, dry_run=True, delete_files=not demo)
    print(f"Tickets of {data.customer}: {', '.join(data.ticket_ids)}", file=sys.stderr)
    print(_erase_lines("Would erase", planned, demo), file=sys.stderr)
    if not args.yes and not confirm("Erase all of this? [y/N] "):
        raise ValueError("nothing was erased")
    return _erase_lines("Erased", erase_customer(data, store, delete_files=not demo), demo)


def _erase_lines(verb: str, counts: dict[str, int], demo: bool) -> str:
    """The erase report, one line per kind."""
    files = "  ticket files deleted: 0 (demo tickets ship with the product and stay)" if demo else \
        f"  ticket files deleted: {counts['ticket_files']}"
    return "\n".join([
        f"{verb}:",
        f"  sent replies deleted: {counts['sent_replies']}",
        f"  outbox entries deleted: {counts['outbox']}",
        f"  working drafts deleted: {counts['working_state']}",
        f"  ticket statuses deleted: {counts['ticket_state']}",
        f"  feedback deleted: {counts.get('feedback', 0)}",
        f"  audit events anonymised: {counts['audit_events']} (text removed, ticket id replaced, numbers kept)",
        f"  cached assist results deleted: {counts['assist_cache']}",
        files,
    ])


def confirm(question: str) -> bool:
    """Ask on the terminal; without one the answer is no (pass --yes)."""
    if not sys.stdin.isatty():
        raise ValueError("no terminal to confirm on: pass --yes to erase without asking")
    return input(question).strip().lower() in ("y", "yes")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "keygen":
        from desk.encryption import new_key

        print(new_key())
        return 0
    from desk.accounts import AccountError, Accounts
    from sqlalchemy.exc import SQLAlchemyError

    from desk.db import StoreError, scrub_error
    from desk.privacy import UnknownCustomer
    from desk.store import open_store

    settings = load_settings()
    try:
        with open_store(settings.database_url_value(), settings) as store:
            if args.command == "users":
                print(run_users(args, Accounts(store)))
            elif args.command == "purge":
                print(run_purge(args, store, settings))
            else:
                print(run_privacy(args, store, settings))
    except (AccountError, StoreError, UnknownCustomer, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except SQLAlchemyError as exc:
        print(f"error: the desk database reported an error ({scrub_error(exc).orig or type(exc).__name__})",
              file=sys.stderr)
        return 1
    except FileExistsError as exc:
        print(f"error: {exc.filename} already exists; an export never overwrites a file, name a new one",
              file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: cannot write {exc.filename or 'the file'}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
