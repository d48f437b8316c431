"""Ticket intake: an export file or a helpdesk's changes into the desk's tickets, the same way every time
(`python -m desk import`, the admin page's upload, `python -m desk sync`)."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from core.settings import Settings
from desk.connectors.base import Connector
from desk.importers import ParsedImport, read_import, read_zendesk_bundle
from desk.send import RoutedSender, Sender
from desk.store import DeskStore
from desk.ticket_store import ImportReport, upsert_tickets

FILE_SOURCE = "import"  # tickets from the product's JSON/JSONL and CSV files share one namespace of ids
ZENDESK_SOURCE = "zendesk"


def store_parsed(store: DeskStore, parsed: ParsedImport, source: str) -> ImportReport:
    """Upsert what an importer read; its skipped rows are part of the report."""
    return upsert_tickets(store, parsed.tickets, source, external_ids=parsed.external_ids,
                          message_ids=parsed.message_ids, statuses=parsed.statuses, skipped=parsed.skipped)


def import_file(store: DeskStore, path: str | Path, fmt: str,
                mapping: Mapping[str, str] | None = None) -> ImportReport:
    """Import an export file (see desk.importers.FORMATS); importing it again changes nothing."""
    parsed = read_import(path, fmt, mapping)
    return store_parsed(store, parsed, ZENDESK_SOURCE if fmt == "zendesk" else FILE_SOURCE)


def zendesk_upsert(store: DeskStore):
    """The sync's upsert for Zendesk bundles: a bundle in, the report's counts out."""
    def upsert(bundle: dict) -> dict:
        report = store_parsed(store, read_zendesk_bundle(bundle, "zendesk"), ZENDESK_SOURCE)
        counts = report.to_dict()
        counts["skipped"] = len(report.skipped)
        return counts
    return upsert


def zendesk_configured(settings: Settings) -> bool:
    return bool(settings.zendesk_url.strip() and settings.zendesk_email.strip() and settings.zendesk_token)


def zendesk_connector(settings: Settings) -> Connector:
    from desk.connectors.zendesk import ZendeskConnector

    return ZendeskConnector(_zendesk_client(settings))


def _zendesk_client(settings: Settings):
    from desk.connectors.zendesk import ZendeskClient

    return ZendeskClient(settings.zendesk_url.strip(), settings.zendesk_email.strip(),
                         settings.zendesk_token.get_secret_value())


def routed_sender(settings: Settings, default: Sender) -> Sender:
    """Replies on Zendesk tickets go back to Zendesk as public comments when it is configured; the rest through
    `default` (the webhook, or recording only)."""
    if not zendesk_configured(settings):
        return default
    from desk.connectors.zendesk import TICKET_PREFIX, ZendeskSender

    return RoutedSender(default, {TICKET_PREFIX: ZendeskSender(_zendesk_client(settings))})
