"""Lead reports: the audit log filtered in the database, one page at a time, and the ROI numbers.

The Audit page, `python -m desk report` and `python -m desk export` all read through `AuditFilter`, so
the page, the command and the export always count the same replies.

Definitions (also listed under "assumptions" in every report):
- a reply *used a suggestion* when the agent started from a suggested draft;
- *accepted* means sent with light edits: normalised character edit distance at most LIGHT_EDIT_MAX;
- *handle time* is sent minus first opened by that agent, on the server clock; times above
  HANDLE_TIME_CAP_SECONDS are left out of medians (the ticket was most likely left open);
- *time saved* is (baseline median - median with a suggestion) x replies that used one.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime

import pandas as pd
from sqlalchemy import Select, and_, false, func, or_, select, true, type_coerce
from sqlalchemy.types import NullType

from core.types import AuditEvent
from desk import tables
from desk.rows import audit_from_row
from desk.store import DeskStore

LIGHT_EDIT_MAX = 0.2
HANDLE_TIME_CAP_SECONDS = 3600.0
NO_RATING = "none"  # the filter value for replies whose suggestion nobody rated
RECORDED = "recorded"  # the delivery value of a reply with no outbox entry (recorded only)
DELIVERY_VALUES = ("delivered", "failed", "pending", "sending", RECORDED)
_NUMERIC_COLUMNS = ("sent_at", "agent", "intent", "engine", "prompt_versions", "used_suggestion", "unedited",
                    "edit_distance", "handle_seconds", "cost_usd", "rating", "feedback_reason")  # all in one index


@dataclass(frozen=True)
class AuditFilter:
    """Which audit events a lead looks at; an empty tuple means "any"."""

    since: datetime | None = None
    until: datetime | None = None  # exclusive
    agents: tuple[str, ...] = ()
    intents: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    engines: tuple[str, ...] = ()
    tones: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()  # events carrying every one of these flags
    ratings: tuple[int | str, ...] = ()  # 1, -1 or NO_RATING
    reasons: tuple[str, ...] = ()
    delivery: tuple[str, ...] = ()  # DELIVERY_VALUES
    used_suggestion: bool | None = None

    def conditions(self) -> list:
        """The WHERE conditions on audit_events (joined to the outbox for delivery)."""
        table, box = tables.audit_events, tables.outbox
        found = []
        if self.since is not None:
            found.append(table.c.sent_at >= self.since)
        if self.until is not None:
            found.append(table.c.sent_at < self.until)
        for column, values in (("agent", self.agents), ("intent", self.intents), ("language", self.languages),
                               ("engine", self.engines), ("tone", self.tones), ("feedback_reason", self.reasons)):
            if values:
                found.append(table.c[column].in_(values))
        found.extend(table.c.flags.like(f'%{json.dumps(flag)}%') for flag in self.flags)
        if self.ratings:
            found.append(_rating_condition(self.ratings))
        if self.delivery:
            found.append(_delivery_condition(self.delivery, box))
        if self.used_suggestion is not None:
            found.append(table.c.used_suggestion == (true() if self.used_suggestion else false()))
        return found


def _rating_condition(ratings: tuple[int | str, ...]):
    table = tables.audit_events
    values = [int(r) for r in ratings if r != NO_RATING]
    options = [table.c.rating.in_(values)] if values else []
    if NO_RATING in ratings:
        options.append(table.c.rating.is_(None))
    return or_(*options)


def _delivery_condition(delivery: tuple[str, ...], box):
    statuses = [d for d in delivery if d != RECORDED]
    options = [box.c.status.in_(statuses)] if statuses else []
    if RECORDED in delivery:
        options.append(box.c.status.is_(None))
    return or_(*options)


def _joined(columns, audit_filter: AuditFilter, with_delivery: bool = False) -> Select:
    """SELECT columns FROM audit_events, filtered; joined to the outbox when delivery is selected or filtered."""
    table, box = tables.audit_events, tables.outbox
    needs_outbox = with_delivery or bool(audit_filter.delivery)
    source = table.outerjoin(box, box.c.audit_id == table.c.id) if needs_outbox else table
    return select(*columns).select_from(source).where(and_(true(), *audit_filter.conditions()))


@dataclass
class AuditRow:
    """One audit event as the page lists it, with its delivery status."""

    event: AuditEvent
    delivery: str


@dataclass
class EventsPage:
    """One page of filtered audit events and how many match in all."""

    rows: list[AuditRow]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        """How many pages the filter spans (at least 1)."""
        return max(1, -(-self.total // self.page_size))


def count_events(store: DeskStore, audit_filter: AuditFilter) -> int:
    """How many audit events match the filter."""
    query = _joined([func.count()], audit_filter)
    with store.connection() as connection:
        return connection.execute(query).scalar_one()


def events_page(store: DeskStore, audit_filter: AuditFilter, page: int = 1, page_size: int = 50) -> EventsPage:
    """Page `page` (1-based) of the matching events, newest first, texts opened."""
    total = count_events(store, audit_filter)
    page = min(max(1, page), max(1, -(-total // page_size)))
    rows = list(_iter_rows(store, audit_filter, offset=(page - 1) * page_size, limit=page_size))
    return EventsPage(rows=rows, total=total, page=page, page_size=page_size)


def iter_events(store: DeskStore, audit_filter: AuditFilter, batch: int = 1000) -> Iterator[AuditRow]:
    """Every matching event, newest first, fetched `batch` rows at a time (for exports)."""
    offset = 0
    while True:
        rows = list(_iter_rows(store, audit_filter, offset=offset, limit=batch))
        yield from rows
        if len(rows) < batch:
            return
        offset += batch


def _iter_rows(store: DeskStore, audit_filter: AuditFilter, offset: int, limit: int) -> Iterator[AuditRow]:
    table, box = tables.audit_events, tables.outbox
    query = (_joined([table, box.c.status.label("delivery_status")], audit_filter, with_delivery=True)
             .order_by(table.c.sent_at.desc(), table.c.id.desc()).offset(offset).limit(limit))
    with store.connection() as connection:
        fetched = [row._asdict() for row in connection.execute(query)]
    for row in fetched:
        delivery = row.pop("delivery_status") or RECORDED
        yield AuditRow(event=audit_from_row(row, store.cipher), delivery=delivery)


def choices(store: DeskStore) -> dict[str, list[str]]:
    """The distinct agents, intents, languages, engines, tones and reasons in the audit log, for filters."""
    table = tables.audit_events
    found = {}
    with store.connection() as connection:
        for column in ("agent", "intent", "language", "engine", "tone", "feedback_reason"):
            values = connection.execute(select(table.c[column]).distinct()).scalars()
            found[column] = sorted(v for v in values if v)
    return found


def report_frame(store: DeskStore, audit_filter: AuditFilter) -> pd.DataFrame:
    """The numeric columns of every matching event (no text is read or opened)."""
    table = tables.audit_events
    # Raw column values (no per-row type processing): pandas converts whole columns at once below.
    query = _joined([type_coerce(table.c[name], NullType()).label(name) for name in _NUMERIC_COLUMNS], audit_filter)
    with store.connection() as connection:
        result = connection.execute(query)
        rows = result.cursor.fetchall()  # plain tuples straight from the driver: nothing to process per row
        result.close()
    frame = pd.DataFrame.from_records(rows, columns=list(_NUMERIC_COLUMNS))
    frame["sent_at"] = pd.to_datetime(frame["sent_at"], utc=True, format="ISO8601")
    for name in ("edit_distance", "handle_seconds", "cost_usd"):
        frame[name] = pd.to_numeric(frame[name], errors="coerce").astype(float)
    for name in ("used_suggestion", "unedited"):
        frame[name] = frame[name].astype(bool)
    return frame


def lead_report(store: DeskStore, audit_filter: AuditFilter = AuditFilter(),
                baseline_until: datetime | None = None) -> dict:
    """The ROI report: acceptance, edits, handle time with and without suggestions and against the baseline,
    estimated time saved, model cost, per agent / intent / week / prompt version, and the assumptions.

    With `baseline_until`, replies before it (same filters otherwise) are the baseline and the period starts
    there at the earliest; without it, imported baseline handle times are used when there are any."""
    period = audit_filter
    if baseline_until is not None and (audit_filter.since is None or audit_filter.since < baseline_until):
        period = replace(audit_filter, since=baseline_until)
    if baseline_until is None:
        frame, baseline = report_frame(store, period), _imported_baseline(store, audit_filter)
    else:  # one read for both: the baseline is everything before baseline_until
        both = report_frame(store, replace(audit_filter, since=None))
        since = tables.as_utc(period.since)
        frame = both[both.sent_at >= since]
        earlier = both[both.sent_at < tables.as_utc(baseline_until)]
        baseline = {"source": "period", "until": _iso(baseline_until), "replies": len(earlier),
                    "median_handle_seconds": _median(_handle(earlier))}
    used = frame[frame.used_suggestion]
    with_median = _median(_handle(used))
    reference = baseline["median_handle_seconds"]
    compared_with = "baseline" if reference is not None else "without_suggestion"
    if reference is None:
        reference = _median(_handle(frame[~frame.used_suggestion]))
    saved_per_reply = None if reference is None or with_median is None else reference - with_median
    return {
        "period": {"since": _iso(period.since), "until": _iso(period.until)},
        **group_numbers(frame),
        "handle_time": {
            "with_suggestion_median_seconds": with_median,
            "without_suggestion_median_seconds": _median(_handle(frame[~frame.used_suggestion])),
            "with_suggestion_measured": int(_handle(used).size),
            "without_suggestion_measured": int(_handle(frame[~frame.used_suggestion]).size),
            "left_out_over_cap": int((frame.handle_seconds > HANDLE_TIME_CAP_SECONDS).sum()),
        },
        "baseline": baseline,
        "time_saved": {
            "compared_with": compared_with,
            "per_reply_seconds": _round(saved_per_reply),
            "total_hours": _round(None if saved_per_reply is None else saved_per_reply * len(used) / 3600),
        },
        "cost_total_usd": round(float(frame.cost_usd.sum()), 6),
        "by_agent": _grouped(frame, "agent"),
        "by_intent": _grouped(frame, "intent"),
        "by_week": _grouped(frame.assign(week=_iso_weeks(frame.sent_at)), "week"),
        "by_prompt_version": _grouped(frame.assign(version=frame.engine + " · " + frame.prompt_versions.map(
            {raw: _prompt_label(raw) for raw in frame.prompt_versions.unique()})), "version"),
        "rejections_by_intent": _rejections(frame),
        "edit_distance_histogram": _edit_histogram(frame),
        "assumptions": assumptions(),
    }


def group_numbers(frame: pd.DataFrame) -> dict:
    """Replies, acceptance, unedited share, median edit distance, handle time, cost and ratings of a group."""
    used = frame[frame.used_suggestion]
    replies = len(frame)
    return {
        "replies": replies,
        "with_suggestion": len(used),
        "without_suggestion": replies - len(used),
        "acceptance_rate": _share((used.edit_distance <= LIGHT_EDIT_MAX).sum(), len(used)),
        "unedited_share": _share(used.unedited.sum(), len(used)),
        "median_edit_distance": _round(used.edit_distance.median() if len(used) else None),
        "median_handle_seconds": _median(_handle(frame)),
        "cost_per_reply_usd": round(float(frame.cost_usd.sum()) / replies, 6) if replies else None,
        "thumbs_up": int((frame.rating == 1).sum()),
        "thumbs_down": int((frame.rating == -1).sum()),
    }


_GROUP_MEASURES = ["used_suggestion", "unedited", "edit_distance", "handle_seconds", "cost_usd", "rating"]


def _grouped(frame: pd.DataFrame, column: str) -> dict[str, dict]:
    narrow = frame[[column, *_GROUP_MEASURES]]  # only what group_numbers reads: cheaper splits
    return {str(name or "unknown"): group_numbers(group)
            for name, group in sorted(narrow.groupby(column, sort=False), key=lambda item: str(item[0]))}


def _edit_histogram(frame: pd.DataFrame, bins: int = 20) -> list[dict]:
    """How far agents moved from the suggestions they used: replies per edit-distance bin of width 1/bins."""
    edits = frame.edit_distance[frame.used_suggestion].clip(0, 1)
    counts = (edits * bins).astype(int).clip(upper=bins - 1).value_counts()
    return [{"from": round(i / bins, 4), "to": round((i + 1) / bins, 4), "replies": int(counts.get(i, 0))}
            for i in range(bins)]


def _rejections(frame: pd.DataFrame) -> dict[str, dict[str, int]]:
    """Thumbs-down replies per intent, counted by reason (most rejected intent first)."""
    down = frame[frame.rating == -1]
    counts = {str(intent or "unknown"): {str(reason or "no reason"): int(n)
                                         for reason, n in group.feedback_reason.value_counts().items()}
              for intent, group in down.groupby("intent")}
    return dict(sorted(counts.items(), key=lambda item: (-sum(item[1].values()), item[0])))


def _imported_baseline(store: DeskStore, audit_filter: AuditFilter) -> dict:
    """The reference handle time from imported historical handle times (same agents and intents)."""
    table = tables.baseline_handle_times
    query = select(table.c.handle_seconds)
    if audit_filter.agents:
        query = query.where(table.c.agent.in_(audit_filter.agents))
    if audit_filter.intents:
        query = query.where(table.c.intent.in_(audit_filter.intents))
    with store.connection() as connection:
        seconds = pd.Series(connection.execute(query).scalars().all(), dtype=float)
    if seconds.empty:
        return {"source": "none", "until": None, "replies": 0, "median_handle_seconds": None}
    return {"source": "imported", "until": None, "replies": int(seconds.size),
            "median_handle_seconds": _median(seconds[seconds <= HANDLE_TIME_CAP_SECONDS])}


def assumptions() -> list[str]:
    """How every number is defined, shown next to the numbers."""
    return [
        f"Accepted = the reply started from a suggestion and was sent with light edits (normalised edit "
        f"distance ≤ {LIGHT_EDIT_MAX}). Acceptance, unedited share and edit distance count only replies "
        "that used a suggestion.",
        "Handle time = sent minus when that agent first opened the ticket, on the server clock.",
        f"Handle times over {HANDLE_TIME_CAP_SECONDS / 60:.0f} minutes are left out of medians (the ticket "
        "was most likely left open).",
        "Time saved = (baseline median handle time − median with a suggestion) × replies that used one; "
        "without a baseline, replies written without a suggestion in the same period are the reference.",
        "Cost = the provider's reported token usage at the configured prices; the offline engine costs 0.",
    ]


def _iso_weeks(sent_at: pd.Series) -> pd.Series:
    """ISO week labels such as 2026-W49."""
    if sent_at.empty:
        return pd.Series([], dtype=str, index=sent_at.index)
    calendar = sent_at.dt.isocalendar()
    return calendar.year.astype(str) + "-W" + calendar.week.astype(str).str.zfill(2)


def _handle(frame: pd.DataFrame) -> pd.Series:
    seconds = frame.handle_seconds.dropna()
    return seconds[seconds <= HANDLE_TIME_CAP_SECONDS]


def _median(series: pd.Series) -> float | None:
    return None if series.empty else round(float(series.median()), 1)


def _share(part, whole: int) -> float | None:
    return None if not whole else round(float(part) / whole, 4)


def _round(value, digits: int = 4) -> float | None:
    return None if value is None or pd.isna(value) else round(float(value), digits)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else tables.as_utc(value).isoformat()


def _prompt_label(prompt_versions: str) -> str:
    versions = json.loads(prompt_versions or "{}")
    return ", ".join(f"{name}@{version}" for name, version in sorted(versions.items())) or "no prompts"



def sent_range(store: DeskStore) -> tuple[datetime, datetime] | None:
    """When the first and the last audited reply were sent, or None on an empty log."""
    table = tables.audit_events
    with store.connection() as connection:
        first, last = connection.execute(select(func.min(table.c.sent_at), func.max(table.c.sent_at))).one()
    return None if first is None else (tables.as_utc(first), tables.as_utc(last))


def known_flags(store: DeskStore, sample: int = 5000) -> list[str]:
    """The flags seen on the latest `sample` events, for the flag filter."""
    table = tables.audit_events
    query = select(table.c.flags).order_by(table.c.id.desc()).limit(sample)
    with store.connection() as connection:
        seen = {flag for flags in connection.execute(query).scalars() for flag in json.loads(flags or "[]")}
    return sorted(seen)


def latest_event(store: DeskStore) -> tuple[int, int]:
    """How many audit events there are and the newest id: changes whenever a reply is recorded or erased."""
    table = tables.audit_events
    with store.connection() as connection:
        count, newest = connection.execute(select(func.count(), func.max(table.c.id))).one()
    return int(count), int(newest or 0)
