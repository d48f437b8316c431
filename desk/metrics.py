"""Numbers for team leads: how often suggestions go out unedited and how much agents change."""
from __future__ import annotations

from collections.abc import Iterable
from statistics import fmean

from core.types import AuditEvent
from desk.records import TEXT_REMOVED_FLAG, UNEDITED_FLAG


def lead_metrics(events: Iterable[AuditEvent]) -> dict:
    """Overall, per-engine and per-agent summaries of sent replies against their suggestions.

    Each summary has `count`, `unedited_share` (sent exactly as suggested), `mean_edit_distance`
    and `mean_similarity`; shares and means are None when there are no events.
    """
    events = list(events)
    return {
        **summarize(events),
        "by_engine": _summarize_groups(events, lambda event: event.engine),
        "by_agent": _summarize_groups(events, lambda event: event.agent),
    }


def summarize(events: list[AuditEvent]) -> dict:
    """Count, unedited share, mean edit distance and mean similarity of some audit events."""
    if not events:
        return {"count": 0, "unedited_share": None, "mean_edit_distance": None,
                "mean_similarity": None}
    return {
        "count": len(events),
        "unedited_share": sum(is_unedited(event) for event in events) / len(events),
        "mean_edit_distance": fmean(event.edit_distance for event in events),
        "mean_similarity": fmean(event.similarity for event in events),
    }


def is_unedited(event: AuditEvent) -> bool:
    """Whether the agent sent the suggestion exactly as it was drafted (told by the flag once the text is removed)."""
    if TEXT_REMOVED_FLAG in event.flags:
        return UNEDITED_FLAG in event.flags
    return event.sent == event.suggested


def _summarize_groups(events: list[AuditEvent], group_of) -> dict[str, dict]:
    """One summary per group (engine, agent, ...), groups in sorted order."""
    groups: dict[str, list[AuditEvent]] = {}
    for event in events:
        groups.setdefault(group_of(event), []).append(event)
    return {name: summarize(groups[name]) for name in sorted(groups)}
