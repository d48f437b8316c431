"""Tickets (administrators): import an export file into the desk, sync the connected helpdesk now, and see what
the desk holds."""
from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from assist_ui import auth, deps, render
from assist_ui.i18n import t
from core.tickets import TicketFormatError
from desk import intake
from desk.connectors.base import ConnectorError, sync_once
from desk.importers import CSV_COLUMNS, FORMATS
from desk.ticket_store import ImportReport

MAX_UPLOAD_MB = 50


def render_import() -> None:
    st.markdown(f"**{t('tickets.import')}**")
    upload = st.file_uploader(t("tickets.file"), type=["json", "jsonl", "csv"], key="tickets_upload")
    fmt = st.selectbox(t("tickets.format"), FORMATS, format_func=lambda f: t(f"tickets.format.{f}"),
                       key="tickets_format")
    mapping = st.text_input(t("tickets.mapping"), key="tickets_mapping", help=t(
        "tickets.mapping_help", fields=", ".join(CSV_COLUMNS))) if fmt == "csv" else ""
    if st.button(t("tickets.import_button"), key="tickets_import", disabled=upload is None):
        try:
            report = _import_upload(upload.getvalue(), upload.name, fmt, _parse_mapping(mapping))
        except (TicketFormatError, ValueError) as exc:
            st.error(render.inert(str(exc)), icon=":material/error:")
            return
        deps.forget_tickets()
        show_report(report)


def _parse_mapping(text: str) -> dict[str, str] | None:
    pairs = {}
    for part in (p for p in text.split(",") if p.strip()):
        field, sep, column = part.partition("=")
        if not sep or not field.strip() or not column.strip():
            raise ValueError(t("tickets.mapping_invalid", part=part.strip()))
        pairs[field.strip()] = column.strip()
    return pairs or None


def _import_upload(data: bytes, name: str, fmt: str, mapping: dict[str, str] | None) -> ImportReport:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / Path(name).name
        path.write_bytes(data)
        return intake.import_file(deps.get_store(), path, fmt, mapping)


def show_report(report: ImportReport) -> None:
    st.success(t("tickets.report", created=str(report.created), updated=str(report.updated),
                 unchanged=str(report.unchanged), messages=str(report.messages_added),
                 skipped=str(len(report.skipped))))
    if report.skipped:
        st.dataframe(pd.DataFrame([{t("tickets.where"): where, t("tickets.why"): why}
                                   for where, why in report.skipped]), hide_index=True, width="stretch")


def render_sync() -> None:
    st.markdown(f"**{t('tickets.sync')}**")
    settings = deps.get_settings()
    if not intake.zendesk_configured(settings):
        st.caption(t("tickets.sync_not_configured"))
        return
    if st.button(t("tickets.sync_now"), key="tickets_sync"):
        store = deps.get_store()
        try:
            result = sync_once(store, intake.zendesk_connector(settings), intake.zendesk_upsert(store))
        except ConnectorError as exc:
            st.error(t("tickets.sync_failed", error=render.inert(str(exc))), icon=":material/sync_problem:")
            return
        deps.forget_tickets()
        st.success(t("tickets.synced", pages=str(result.batches), created=str(result.counts.get("created", 0)),
                     updated=str(result.counts.get("updated", 0)), skipped=str(result.counts.get("skipped", 0))))


def render_list() -> None:
    stored = deps.get_stored_tickets()
    st.markdown(f"**{t('tickets.in_desk', n=str(len(stored)))}**")
    st.dataframe(pd.DataFrame([{"id": s.ticket.id, t("tickets.col.status"): t(f"queue.status.{s.status}"),
                                t("tickets.col.assignee"): s.assignee or "", t("tickets.col.source"): s.source,
                                t("tickets.col.subject"): s.ticket.subject, t("tickets.col.messages"): len(s.ticket.messages)}
                               for s in stored]), hide_index=True, width="stretch")


def main() -> None:
    auth.require("admin")
    st.header(t("tickets.title"))
    left, right = st.columns(2, gap="large")
    with left:
        render_import()
    with right:
        render_sync()
    render_list()


main()
