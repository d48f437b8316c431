"""The lead's views in a real browser on a demo-seeded database: the Audit overview with its charts, the ROI
report with its assumptions, and the missing-articles topics; screenshots land in tests/artifacts."""
from __future__ import annotations

import pytest

from tests.integration.test_browser import ARTIFACTS, CHROMIUM_ARGS, REPO, chromium_path, streamlit_app


@pytest.fixture
def seeded_server(tmp_path, demo_index_dir):
    from desk.demo_seed import seed_demo
    from desk.store import open_store

    url = f"sqlite:///{tmp_path / 'desk.db'}"
    with open_store(url) as store:
        seed_demo(store, weeks=6, replies=600, seed=7)
    env = {"ASSIST_INDEX_DIR": str(demo_index_dir), "ASSIST_DATABASE_URL": url, "ASSIST_LLM": "offline"}
    with streamlit_app(REPO / "assist_ui" / "app.py", tmp_path, env) as server:
        yield server


def test_browser_lead_views_show_report_charts_and_missing_articles(seeded_server):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1200})
        page.goto(f"{seeded_server}/audit", wait_until="domcontentloaded")
        page.get_by_text("Accepted (light edits)").first.wait_for(timeout=120_000)
        page.locator("[data-testid='stVegaLiteChart']").first.wait_for(timeout=60_000)
        overview = page.inner_text("body")
        page.screenshot(path=str(ARTIFACTS / "audit.png"), full_page=True)

        page.get_by_role("tab", name="ROI report").click()
        page.get_by_text("How these numbers are defined").first.wait_for(timeout=30_000)
        roi = page.inner_text("body")
        page.screenshot(path=str(ARTIFACTS / "roi.png"), full_page=True)

        page.goto(f"{seeded_server}/kb_gaps", wait_until="domcontentloaded")
        page.get_by_role("button", name="Draft an article").first.wait_for(timeout=180_000)
        gaps = page.inner_text("body")
        page.screenshot(path=str(ARTIFACTS / "kb_gaps.png"), full_page=True)
        browser.close()
    assert "Replies sent" in overview and "Acceptance per intent" in overview
    assert "Handle time = sent minus when that agent first opened the ticket" in roi
    assert "Missing" in gaps


def test_browser_a_page_url_always_runs_through_the_entry_point(seeded_server):
    """Opening /audit directly still signs in through app.py: wide layout, the role's navigation titles."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1000})
        page.goto(f"{seeded_server}/audit", wait_until="domcontentloaded")
        page.get_by_text("Accepted (light edits)").first.wait_for(timeout=120_000)
        navigation = page.locator("[data-testid='stSidebarNav']").inner_text()
        browser.close()
    assert "Agent workspace" in navigation and "Audit" in navigation
    assert "app" not in navigation.split("\n"), "no page outside the entry point's navigation"
