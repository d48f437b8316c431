"""What the Audit page draws: the numbers of a lead report, Altair charts and an inert word diff."""
from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from assist_ui.i18n import t
from assist_ui.render import inert
from desk.text_metrics import word_diff

GROUP_COLUMNS = ("replies", "with_suggestion", "acceptance_rate", "unedited_share", "median_edit_distance",
                 "median_handle_seconds", "cost_per_reply_usd", "thumbs_up", "thumbs_down")


def share(value: float | None) -> str:
    """A share as a whole percentage, or an em dash when there is nothing to divide."""
    return "—" if value is None else f"{value:.0%}"


def seconds(value: float | None) -> str:
    """A duration in minutes and seconds ("4 min 05 s"), or an em dash."""
    if value is None:
        return "—"
    minutes, rest = divmod(int(round(value)), 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"


def number(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def usd(value: float | None) -> str:
    return "—" if value is None else f"${value:.4f}"


def headline(report: dict) -> list[tuple[str, str]]:
    """The headline numbers as (label, shown value), in the order the page shows them."""
    handle = report["handle_time"]
    saved = report["time_saved"]
    return [
        (t("audit.m.replies"), f"{report['replies']:,}"),
        (t("audit.m.acceptance"), share(report["acceptance_rate"])),
        (t("audit.m.unedited"), share(report["unedited_share"])),
        (t("audit.m.median_edit"), number(report["median_edit_distance"])),
        (t("audit.m.handle_with"), seconds(handle["with_suggestion_median_seconds"])),
        (t("audit.m.handle_without"), seconds(handle["without_suggestion_median_seconds"])),
        (t("audit.m.saved_hours"), number(saved["total_hours"], 1)),
        (t("audit.m.cost_per_reply"), usd(report["cost_per_reply_usd"])),
    ]


def render_headline(report: dict) -> None:
    numbers = headline(report)
    for row in (numbers[:4], numbers[4:]):
        for column, (label, value) in zip(st.columns(len(row)), row):
            column.metric(label, value)


def group_table(groups: dict[str, dict], name: str) -> pd.DataFrame:
    """One row per group (agent, intent, week, prompt version) with its numbers."""
    rows = [{name: key, **{t(f"audit.col.{c}"): values[c] for c in GROUP_COLUMNS}} for key, values in groups.items()]
    return pd.DataFrame(rows, columns=[name, *(t(f"audit.col.{c}") for c in GROUP_COLUMNS)])


def weekly_chart(by_week: dict[str, dict]) -> alt.Chart | None:
    """Acceptance and median edit distance per week."""
    rows = [{"week": week, "measure": t(f"audit.col.{measure}"), "value": values[measure]}
            for week, values in by_week.items() for measure in ("acceptance_rate", "median_edit_distance")
            if values[measure] is not None]
    if not rows:
        return None
    return alt.Chart(pd.DataFrame(rows)).mark_line(point=True).encode(
        x=alt.X("week:N", title=t("audit.week")), y=alt.Y("value:Q", title=None, scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("measure:N", title=None)).properties(height=260)


def bar_chart(groups: dict[str, dict], name: str, measure: str = "acceptance_rate") -> alt.Chart | None:
    """A measure per group (agent, intent) as horizontal bars, the reply count in the tooltip."""
    rows = [{name: key, "value": values[measure], "replies": values["replies"]}
            for key, values in groups.items() if values[measure] is not None]
    if not rows:
        return None
    return alt.Chart(pd.DataFrame(rows)).mark_bar().encode(
        y=alt.Y(f"{name}:N", sort="-x", title=None), x=alt.X("value:Q", title=t(f"audit.col.{measure}")),
        tooltip=[name, "value", "replies"]).properties(height=max(120, 26 * len(rows)))


def edit_histogram(bins: list[dict]) -> alt.Chart | None:
    """How far agents moved from the suggestions: replies per edit-distance bin (from the report)."""
    if not any(b["replies"] for b in bins):
        return None
    return alt.Chart(pd.DataFrame(bins)).mark_bar().encode(
        x=alt.X("from:Q", bin="binned", title=t("audit.col.edit")),
        x2="to:Q", y=alt.Y("replies:Q", title=t("audit.col.replies"))).properties(height=220)


def show_chart(chart: alt.Chart | None) -> None:
    if chart is None:
        st.caption(t("audit.no_data"))
    else:
        st.altair_chart(chart, width="stretch")


def diff_markdown(suggested: str, sent: str) -> str:
    """The sent reply against the suggestion: removed words struck through in red, added ones on green;
    every word passes through `inert`, so customer or agent text can never become markup."""
    parts = []
    for op, text in word_diff(suggested, sent):
        shown = inert(text.rstrip())
        trailing = text[len(text.rstrip()):]
        tail = "  \n" if "\n" in trailing else (" " if trailing else "")
        if not shown:
            parts.append(tail)
        elif op == "delete":
            parts.append(f":red-background[~~{shown}~~]{tail}")
        elif op == "insert":
            parts.append(f":green-background[{shown}]{tail}")
        else:
            parts.append(shown + tail)
    return "".join(parts)
