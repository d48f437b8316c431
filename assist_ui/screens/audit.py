"""Audit for team leads: filters, the ROI report, charts, rejections and why, prompt versions compared, and
every reply next to its suggestion (a word diff), one page at a time, with CSV / XLSX export."""
from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta, timezone

import pandas as pd
import streamlit as st

from assist_ui import audit_views as views
from assist_ui import auth, deps, render
from assist_ui.i18n import t
from assist_ui.render import inert
from desk.feedback import REASONS
from desk.report import (
    DELIVERY_VALUES, NO_RATING, AuditFilter, choices, events_page, known_flags, latest_event, lead_report,
    sent_range,
)

PAGE_SIZE = 50
RATINGS = (1, -1, NO_RATING)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@st.cache_data(ttl=300, max_entries=32, show_spinner=False)
def cached_report(_store, audit_filter: AuditFilter, baseline: datetime | None, latest: tuple) -> dict:
    """The lead report for these filters; `latest` (count and newest id) makes a new reply recompute it."""
    return lead_report(_store, audit_filter, baseline_until=baseline)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


def render_filters(store) -> tuple[AuditFilter, datetime | None]:
    """The lead's filters (kept in the session while they move between tabs) and the baseline date."""
    span = sent_range(store)
    first, last = (span[0].date(), span[1].date()) if span else (date.today(), date.today())
    options = choices(store)
    with st.expander(t("audit.filters"), expanded=True, icon=":material/filter_alt:"):
        left, middle, right = st.columns(3)
        days = left.date_input(t("audit.f.dates"), value=(first, last), key="audit_f_dates")
        agents = left.multiselect(t("audit.f.agent"), options["agent"], key="audit_f_agent")
        intents = left.multiselect(t("audit.f.intent"), options["intent"], key="audit_f_intent",
                                   format_func=render.intent_name)
        languages = middle.multiselect(t("audit.f.language"), options["language"], key="audit_f_language",
                                       format_func=lambda code: render.word("render.language", code))
        engines = middle.multiselect(t("audit.f.engine"), options["engine"], key="audit_f_engine")
        tones = middle.multiselect(t("audit.f.tone"), options["tone"], key="audit_f_tone")
        flags = middle.multiselect(t("audit.f.flags"), known_flags(store), key="audit_f_flags")
        ratings = right.multiselect(t("audit.f.rating"), RATINGS, key="audit_f_rating",
                                    format_func=lambda r: t(f"audit.rating.{r}"))
        reasons = right.multiselect(t("audit.f.reason"), REASONS, key="audit_f_reason",
                                    format_func=lambda r: t(f"feedback.reason.{r}"))
        delivery = right.multiselect(t("audit.f.delivery"), DELIVERY_VALUES, key="audit_f_delivery",
                                     format_func=lambda d: t(f"audit.delivery.{d}"))
        baseline = right.date_input(t("audit.f.baseline"), value=None, key="audit_f_baseline",
                                    help=t("audit.f.baseline_help"))
    since = _day_start(days[0]) if len(days) >= 1 else None
    until = _day_start(days[1]) + timedelta(days=1) if len(days) == 2 else None
    audit_filter = AuditFilter(since=since, until=until, agents=tuple(agents), intents=tuple(intents),
                               languages=tuple(languages), engines=tuple(engines), tones=tuple(tones),
                               flags=tuple(flags), ratings=tuple(ratings), reasons=tuple(reasons),
                               delivery=tuple(delivery))
    return audit_filter, (_day_start(baseline) if baseline else None)


def render_overview(report: dict) -> None:
    views.render_headline(report)
    baseline = report["baseline"]
    if baseline["source"] != "none":
        st.caption(inert(t("audit.baseline_note", replies=str(baseline["replies"]),
                           median=views.seconds(baseline["median_handle_seconds"]),
                           source=t(f"audit.baseline.{baseline['source']}"))))
    st.subheader(t("audit.over_time"))
    views.show_chart(views.weekly_chart(report["by_week"]))
    per_agent, per_intent = st.columns(2)
    with per_agent:
        st.subheader(t("audit.per_agent"))
        views.show_chart(views.bar_chart(report["by_agent"], t("audit.col.agent")))
    with per_intent:
        st.subheader(t("audit.per_intent"))
        views.show_chart(views.bar_chart(report["by_intent"], t("audit.col.intent")))
    st.subheader(t("audit.edit_distribution"))
    views.show_chart(views.edit_histogram(report["edit_distance_histogram"]))


def render_roi(report: dict) -> None:
    st.markdown(f"**{t('audit.assumptions')}**")
    st.markdown("\n".join(f"- {inert(line)}" for line in report["assumptions"]))
    for key, name in (("by_agent", "agent"), ("by_intent", "intent"), ("by_week", "week")):
        st.markdown(f"**{t(f'audit.{key}')}**")
        st.dataframe(views.group_table(report[key], t(f"audit.col.{name}")), hide_index=True, width="stretch",
                     key=f"audit_table_{key}")
    st.download_button(t("audit.download_report"), json.dumps(report, ensure_ascii=False, indent=1),
                       file_name="lead-report.json", mime="application/json", key="audit_report_json")


def rejections_table(report: dict) -> pd.DataFrame:
    """Thumbs-down replies per intent and reason, the most rejected intent first."""
    rows = [{t("audit.col.intent"): intent, t("audit.col.reason"): _reason_label(reason), t("audit.col.count"): n}
            for intent, reasons in report["rejections_by_intent"].items() for reason, n in reasons.items()]
    return pd.DataFrame(rows, columns=[t("audit.col.intent"), t("audit.col.reason"), t("audit.col.count")])


def _reason_label(reason: str) -> str:
    return t(f"feedback.reason.{reason}") if reason in REASONS else t("audit.no_reason")


def render_rejections(report: dict) -> None:
    st.caption(t("audit.rejections_help"))
    table = rejections_table(report)
    if table.empty:
        st.info(t("audit.no_rejections"))
        return
    st.dataframe(table, hide_index=True, width="stretch", key="audit_rejections")


def render_prompt_versions(report: dict) -> None:
    st.caption(t("audit.prompts_help"))
    st.dataframe(views.group_table(report["by_prompt_version"], t("audit.col.version")), hide_index=True,
                 width="stretch", key="audit_prompt_versions")


def render_replies(store, audit_filter: AuditFilter) -> None:
    page_number = st.number_input(t("audit.page"), min_value=1, value=1, step=1, key="audit_page")
    page = events_page(store, audit_filter, int(page_number), PAGE_SIZE)
    st.caption(t("audit.page_of", page=str(page.page), pages=str(page.pages), total=f"{page.total:,}"))
    if not page.rows:
        st.info(t("audit.no_match"))
        return
    st.dataframe(pd.DataFrame([_row(r) for r in page.rows]), hide_index=True, width="stretch", key="audit_rows")
    left, right = st.columns(2)
    for column, fmt, mime in ((left, "csv", "text/csv"), (right, "xlsx", XLSX_TYPE)):
        column.download_button(t(f"audit.export_{fmt}"), data=lambda f=fmt: _export(store, audit_filter, f),
                               file_name=f"audit.{fmt}", mime=mime, key=f"audit_export_{fmt}")
    by_id = {r.event.id: r for r in page.rows}
    choice = st.selectbox(t("audit.compare"), list(by_id), key="audit_compare",
                          format_func=lambda i: f"#{i} · {by_id[i].event.ticket_id} · {by_id[i].event.agent}")
    render_comparison(by_id[choice])


def _export(store, audit_filter: AuditFilter, fmt: str) -> bytes:
    """The filtered replies with their texts, made only when the lead clicks the download."""
    from desk.export import export_bytes

    return export_bytes(store, audit_filter, fmt)


def _row(row) -> dict:
    e = row.event
    return {
        "id": e.id, t("audit.col.sent_at"): e.sent_at.strftime("%Y-%m-%d %H:%M"), t("audit.col.ticket"): e.ticket_id,
        t("audit.col.agent"): e.agent, t("audit.col.intent"): e.intent, t("audit.col.language"): e.language,
        t("audit.col.engine"): e.engine, t("audit.col.tone"): e.tone or "—",
        t("audit.col.edit"): round(e.edit_distance, 3), t("audit.col.handle"): views.seconds(e.handle_seconds),
        t("audit.col.rating"): t(f"audit.rating.{e.rating if e.rating in (1, -1) else NO_RATING}"),
        t("audit.col.reason"): _reason_label(e.feedback_reason) if e.feedback_reason else "",
        t("audit.col.flags"): ", ".join(e.flags), t("audit.col.delivery"): t(f"audit.delivery.{row.delivery}"),
    }


def render_comparison(row) -> None:
    """The suggestion, the sent reply and a word diff between them; all text rendered inert."""
    event = row.event
    if not event.used_suggestion:
        st.markdown(f"**{t('audit.sent_by', agent=inert(event.agent))}** · {t('audit.no_suggestion')}")
        st.markdown(inert(event.sent))
        return
    st.markdown(f"**{t('audit.diff')}** ({inert(event.engine)}, {inert(event.model or '—')}, {inert(event.tone)})")
    st.markdown(views.diff_markdown(event.suggested, event.sent))
    left, right = st.columns(2)
    with left:
        st.markdown(f"**{t('audit.suggested')}**")
        st.markdown(inert(event.suggested))
    with right:
        st.markdown(f"**{t('audit.sent_by', agent=inert(event.agent))}**")
        st.markdown(inert(event.sent))
    citations = ", ".join(dict.fromkeys(event.citations)) or "—"
    prompts = ", ".join(f"{k}@{v}" for k, v in sorted(event.prompt_versions.items())) or "—"
    st.caption(inert(t("audit.provenance", citations=citations, prompts=prompts,
                       delivery=t(f"audit.delivery.{row.delivery}"))))


def main() -> None:
    auth.require("lead")
    st.header(t("audit.title"))
    store = deps.get_store()
    if sent_range(store) is None:
        st.info(t("audit.empty"))
        return
    audit_filter, baseline = render_filters(store)
    report = cached_report(store, audit_filter, baseline, latest_event(store))
    tabs = st.tabs([t("audit.tab.overview"), t("audit.tab.roi"), t("audit.tab.rejections"),
                    t("audit.tab.prompts"), t("audit.tab.replies")])
    with tabs[0]:
        render_overview(report)
    with tabs[1]:
        render_roi(report)
    with tabs[2]:
        render_rejections(report)
    with tabs[3]:
        render_prompt_versions(report)
    with tabs[4]:
        render_replies(store, audit_filter)


main()
