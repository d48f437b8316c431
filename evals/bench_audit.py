"""Audit-log speed at team scale: 100k demo replies (desk demo-seed) in a temporary SQLite database, then the
Audit page's query (page 1 of a typical filter, with its count) and the lead report over every reply.

Targets: both at most TARGET_SECONDS at p95. The report is slower per run, so its runs stop early once they
have taken REPORT_BUDGET_SECONDS (the run count is in the result).
"""
from __future__ import annotations

import tempfile
import time
from datetime import timedelta
from pathlib import Path

import numpy as np

from desk.demo_seed import AGENTS, seed_demo
from desk.report import AuditFilter, events_page, lead_report
from desk.store import DeskStore, open_store

RECORDS = 100_000
RUNS = 20
TARGET_SECONDS = 1.0
REPORT_BUDGET_SECONDS = 40.0
MIN_REPORT_RUNS = 5


def summary_seconds(seconds: list[float]) -> dict:
    """p50, p95 and max in seconds, with the run count."""
    p50, p95 = np.percentile(seconds, [50, 95])
    return {"p50_seconds": round(float(p50), 4), "p95_seconds": round(float(p95), 4),
            "max_seconds": round(max(seconds), 4), "runs": len(seconds)}


def time_runs(fn, runs: int, budget: float | None = None) -> list[float]:
    """Wall seconds of `runs` calls (fewer when `budget` seconds are spent, but at least MIN_REPORT_RUNS)."""
    seconds: list[float] = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - started)
        if budget is not None and len(seconds) >= MIN_REPORT_RUNS and sum(seconds) > budget:
            break
    return seconds


def target(seconds: list[float]) -> dict:
    summary = summary_seconds(seconds)
    return {**summary, "target_p95_seconds": TARGET_SECONDS, "met": summary["p95_seconds"] <= TARGET_SECONDS}


def measure(store: DeskStore, records: int, runs: int) -> dict:
    """Seed, then time the page query and the lead report."""
    started = time.perf_counter()
    seeded = seed_demo(store, weeks=6, replies=records, seed=7)
    seed_seconds = time.perf_counter() - started
    typical = AuditFilter(since=seeded.until - timedelta(days=28), agents=(AGENTS[0],))
    page = events_page(store, typical)
    return {
        "records": records,
        "seed_seconds": round(seed_seconds, 2),
        "page_query": {"filter": "last 28 days, one agent; page 1 of 50 plus the count", "matching": page.total,
                       **target(time_runs(lambda: events_page(store, typical), runs))},
        "lead_report": {"filter": f"all {records:,} replies, baseline period before {seeded.baseline_until:%Y-%m-%d}",
                        **target(time_runs(lambda: lead_report(store, AuditFilter(), seeded.baseline_until), runs,
                                           REPORT_BUDGET_SECONDS))},
    }


def run_audit(records: int = RECORDS, runs: int = RUNS) -> dict:
    """The audit section: a fresh temporary database, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="bench-audit-") as tmp:
        with open_store(f"sqlite:///{Path(tmp) / 'audit.db'}") as store:
            return measure(store, records, runs)


def summary_lines(audit: dict) -> list[str]:
    """One line for the bench summary."""
    if "error" in audit:
        return [f"audit: ERROR {audit['error']}"]
    page, report = audit["page_query"], audit["lead_report"]
    return [f"audit over {audit['records']:,} replies (seeded in {audit['seed_seconds']} s): page query p50/p95 "
            f"{page['p50_seconds']}/{page['p95_seconds']} s (met: {page['met']}), lead report p50/p95 "
            f"{report['p50_seconds']}/{report['p95_seconds']} s over {report['runs']} runs (met: {report['met']}), "
            f"target p95 <= {TARGET_SECONDS} s"]
