"""`python -m desk users add|list|set-role|set-password|disable|enable` — accounts and roles of the desk;
`keygen` — a new key for ASSIST_ENCRYPTION_KEY; `purge` — remove text older than the retention period;
`privacy export|erase` — everything stored about one customer, as JSON or erased;
`demo-seed` — demo activity for a fresh database; `report` — the lead report (ROI numbers);
`export` — audit events as CSV or XLSX; `feedback export` — feedback as JSON lines;
`baseline import` — historical handle times from a CSV; `import` — tickets from an export file;
`tickets list` — the desk's tickets; `sync` — pull tickets from the connected helpdesk (Zendesk);
`migrate` — bring the database to the newest schema ahead of starting the app.

Exit status: 0 done, 1 the request was refused (the message says why), 2 bad arguments.
"""
from __future__ import annotations

import argparse
import getpass
import json
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from core.cli import positive_int
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
    sub.add_parser("migrate", help="bring the database to the newest schema (opening it does the same; this does it "
                                   "ahead, so the app starts without loading the migration tool)")
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
    _lead_parsers(sub)
    _intake_parsers(sub)
    return parser


def _intake_parsers(sub) -> None:
    """import, tickets list and sync."""
    from desk.importers import CSV_COLUMNS, FORMATS

    intake = sub.add_parser("import", help="tickets from an export file; importing it again changes nothing")
    intake.add_argument("file", type=Path, metavar="FILE")
    intake.add_argument("--format", required=True, choices=FORMATS,
                        help="json/jsonl: the product's ticket JSON; csv: one message per row; "
                             "zendesk: {tickets, users, comments} with Zendesk's field names")
    intake.add_argument("--mapping", action="append", default=[], type=_mapping, metavar="FIELD=COLUMN",
                        help=f"CSV only: which column holds a field ({', '.join(CSV_COLUMNS)}); repeatable")
    intake.add_argument("--json", action="store_true", help="print the import report as JSON")
    tickets = sub.add_parser("tickets", help="the desk's tickets").add_subparsers(dest="action", required=True)
    listing = tickets.add_parser("list", help="id, status, assignee, source and subject of each ticket")
    listing.add_argument("--json", action="store_true")
    sync = sub.add_parser("sync", help="pull new and updated tickets from Zendesk (ASSIST_ZENDESK_*)")
    sync.add_argument("--once", action="store_true", help="one pass, then exit (default: keep syncing)")


def _mapping(value: str) -> tuple[str, str]:
    field, sep, column = value.partition("=")
    if not sep or not field.strip() or not column.strip():
        raise argparse.ArgumentTypeError(f"expected FIELD=COLUMN (such as text=Comment), not {value!r}")
    return field.strip(), column.strip()


def _lead_parsers(sub) -> None:
    """demo-seed, report, export, feedback export and baseline import."""
    seed = sub.add_parser("demo-seed", help="fill a fresh database with labelled demo activity")
    seed.add_argument("--weeks", type=positive_int, default=6, help="weeks of activity, ending today (default 6)")
    seed.add_argument("--replies", type=positive_int, default=600, help="audited replies in all (default 600)")
    seed.add_argument("--seed", type=int, default=7, help="random seed; the same seed gives the same data")
    seed.add_argument("--end", type=_when, metavar="DATE", help="the day the activity ends (default today, UTC)")
    seed.add_argument("--force", action="store_true", help="add demo data even though the audit log has events")
    report = sub.add_parser("report", help="the lead report: acceptance, edits, handle time, time saved, cost")
    _window(report)
    report.add_argument("--baseline-until", type=_when, metavar="DATE",
                        help="replies before this are the baseline (default: imported baseline times)")
    report.add_argument("--agent", action="extend", nargs="+", default=[], metavar="NAME", help="only these agents")
    report.add_argument("--intent", action="extend", nargs="+", default=[], metavar="INTENT", help="only these intents")
    report.add_argument("--json", action="store_true", help="print the report as JSON")
    export = sub.add_parser("export", help="every audit event with its texts, as CSV or XLSX")
    export.add_argument("--format", required=True, choices=["csv", "xlsx"])
    export.add_argument("--out", required=True, type=Path, metavar="FILE", help="a new file (mode 0600)")
    _window(export)
    feedback = sub.add_parser("feedback", help="feedback on suggestions").add_subparsers(dest="action", required=True)
    lines = feedback.add_parser("export", help="one JSON line per feedback row, with its ticket (for the evals)")
    lines.add_argument("--out", required=True, type=Path, metavar="FILE.jsonl", help="a new file (mode 0600)")
    _window(lines)
    baseline = sub.add_parser("baseline", help="historical handle times").add_subparsers(dest="action", required=True)
    imported = baseline.add_parser("import", help="import replied_at,handle_seconds[,agent,intent] rows from a CSV")
    imported.add_argument("file", type=Path, metavar="FILE.csv")
    imported.add_argument("--source", default="", help="where the times come from (default: the file name)")


def _window(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--since", type=_when, metavar="DATE", help="from this date or time (UTC, inclusive)")
    parser.add_argument("--until", type=_when, metavar="DATE", help="up to this date or time (UTC, exclusive)")


def _when(value: str) -> datetime:
    """An ISO date (YYYY-MM-DD, midnight UTC) or date-time; without an offset it is UTC."""
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an ISO date (YYYY-MM-DD) or date-time (YYYY-MM-DDTHH:MM[:SS][+00:00]), not {value!r}") from None
    return parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed.astimezone(timezone.utc)


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


def run_intake(args, store, settings: Settings) -> str:
    """import, tickets list and sync."""
    from desk import intake
    from desk.ticket_store import list_tickets

    if args.command == "import":
        report = intake.import_file(store, args.file, args.format, dict(args.mapping) or None)
        return json.dumps(report.to_dict(), ensure_ascii=False, indent=1) if args.json else _import_lines(report)
    if args.command == "tickets":
        found = list_tickets(store)
        if args.json:
            return json.dumps([_ticket_row(s) for s in found], ensure_ascii=False, indent=1)
        return "\n".join(f"{s.ticket.id}\t{s.status}\t{s.assignee or '-'}\t{s.source}\t{' '.join(s.ticket.subject.split())}"
                         for s in found) or "No tickets yet."
    return _run_sync(args, store, settings)


def _import_lines(report) -> str:
    head = (f"Imported: {report.created} new, {report.updated} updated, {report.unchanged} unchanged; "
            f"{report.messages_added} messages added; {len(report.skipped)} skipped.")
    return "\n".join([head, *(f"skipped {where}: {why}" for where, why in report.skipped)])


def _ticket_row(stored) -> dict:
    ticket = stored.ticket
    return {"id": ticket.id, "source": stored.source, "external_id": stored.external_id, "status": stored.status,
            "assignee": stored.assignee, "subject": ticket.subject, "customer": ticket.customer.name,
            "channel": ticket.channel, "messages": len(ticket.messages),
            "created_at": stored.created_at.isoformat(), "updated_at": stored.updated_at.isoformat()}


def _run_sync(args, store, settings: Settings) -> str:
    from desk import intake
    from desk.connectors.base import ConnectorError, sync_loop, sync_once

    if not intake.zendesk_configured(settings):
        raise ValueError("no helpdesk to sync: set ASSIST_ZENDESK_URL, ASSIST_ZENDESK_EMAIL and ASSIST_ZENDESK_TOKEN")
    connector, upsert = intake.zendesk_connector(settings), intake.zendesk_upsert(store)
    if not args.once:
        print(f"Syncing {connector.source} every {settings.sync_interval_seconds:.0f} s; Ctrl-C stops.", flush=True)
        try:
            sync_loop(store, connector, upsert, interval=settings.sync_interval_seconds,
                      report=lambda line: print(line, flush=True))
        except KeyboardInterrupt:
            pass
        return "Sync stopped."
    try:
        result = sync_once(store, connector, upsert)
    except ConnectorError as exc:
        raise ValueError(f"sync failed: {exc}") from None
    counts = ", ".join(f"{k} {v}" for k, v in sorted(result.counts.items()))
    return f"Synced {connector.source}: {result.batches} page(s); {counts or 'no changes'}."


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
        f"  stored tickets deleted: {counts.get('tickets', 0)} (with {counts.get('ticket_messages', 0)} messages)",
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


def run_lead(args, store, settings: Settings) -> str:
    """demo-seed, report, export, feedback export or baseline import; returns what to print."""
    from desk.report import AuditFilter

    if args.command == "demo-seed":
        from desk.demo_seed import seed_demo

        summary = seed_demo(store, args.weeks, args.replies, args.seed, force=args.force, end=args.end)
        return "\n".join(summary.lines())
    if args.command == "baseline":
        from desk.baseline import import_baseline

        return "\n".join(import_baseline(store, args.file, args.source).lines(args.file))
    if args.command == "feedback":
        from desk.export import export_feedback

        rows, with_ticket = export_feedback(store, settings.tickets_path, args.out, args.since, args.until)
        return f"Exported {rows:,} feedback rows ({with_ticket:,} with their ticket) to {args.out} (mode 0600)."
    audit_filter = AuditFilter(since=args.since, until=args.until)
    if args.command == "export":
        from desk.export import export_file

        rows = export_file(store, audit_filter, args.format, args.out)
        return f"Exported {rows:,} audit events to {args.out} (mode 0600)."
    from desk.report import lead_report

    audit_filter = AuditFilter(since=args.since, until=args.until, agents=tuple(args.agent),
                               intents=tuple(args.intent))
    report = lead_report(store, audit_filter, args.baseline_until)
    return json.dumps(report, ensure_ascii=False, indent=1) if args.json else "\n".join(report_lines(report))


def report_lines(report: dict) -> list[str]:
    """The lead report as readable text, the assumptions at the end."""
    period, handle, saved, base = report["period"], report["handle_time"], report["time_saved"], report["baseline"]
    lines = [
        f"Lead report, {period['since'] or 'first reply'} to {period['until'] or 'now'} (UTC)",
        f"  replies: {report['replies']:,} ({report['with_suggestion']:,} with a suggestion, "
        f"{report['without_suggestion']:,} without)",
        f"  accepted with light edits: {_percent(report['acceptance_rate'])}; sent unedited: "
        f"{_percent(report['unedited_share'])}; median edit distance: {_value(report['median_edit_distance'])}",
        f"  median handle time: {_value(handle['with_suggestion_median_seconds'])} s with a suggestion, "
        f"{_value(handle['without_suggestion_median_seconds'])} s without "
        f"({handle['left_out_over_cap']:,} left out as over the cap)",
        f"  baseline ({base['source']}): {_value(base['median_handle_seconds'])} s median over {base['replies']:,} replies"
        + (f" before {base['until']}" if base['until'] else ""),
        f"  time saved (against {saved['compared_with'].replace('_', ' ')}): {_value(saved['per_reply_seconds'])} s "
        f"per reply, {_value(saved['total_hours'])} hours in all",
        f"  model cost: ${report['cost_total_usd']:.4f} in all, ${report['cost_per_reply_usd'] or 0:.6f} per reply",
        f"  ratings: {report['thumbs_up']:,} up, {report['thumbs_down']:,} down",
    ]
    for title, key in (("By agent", "by_agent"), ("By prompt version", "by_prompt_version"), ("By week", "by_week")):
        lines.append(f"{title}:")
        lines += [f"  {name}: {g['replies']:,} replies, accepted {_percent(g['acceptance_rate'])}, median handle "
                  f"{_value(g['median_handle_seconds'])} s, {g['thumbs_up']} up / {g['thumbs_down']} down"
                  for name, g in report[key].items()]
    rejected = report["rejections_by_intent"]
    if rejected:
        lines.append("Most rejected intents:")
        lines += [f"  {intent}: " + ", ".join(f"{reason} {n}" for reason, n in reasons.items())
                  for intent, reasons in list(rejected.items())[:5]]
    return lines + ["Assumptions:", *(f"  - {text}" for text in report["assumptions"])]


def _percent(share: float | None) -> str:
    return "n/a" if share is None else f"{share:.0%}"


def _value(number: float | None) -> str:
    return "n/a" if number is None else f"{number:,}"


def run_migrate(settings: Settings) -> str:
    """Opening the store has migrated it; say where and to which revision."""
    from desk.db import resolve_url, safe_url
    from desk.migrate import SCHEMA_HEAD

    return f"desk database at schema {SCHEMA_HEAD}: {safe_url(resolve_url(settings.database_url_value(), settings))}"


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
            elif args.command == "privacy":
                print(run_privacy(args, store, settings))
            elif args.command in ("import", "tickets", "sync"):
                print(run_intake(args, store, settings))
            elif args.command == "migrate":
                print(run_migrate(settings))
            else:
                print(run_lead(args, store, settings))
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
