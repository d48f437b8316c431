"""Two agents in two real browsers on the same desk: the second sees that the first has the ticket open, then
that it was taken; the context beside the thread shows the customer's earlier ticket, a similar past ticket
and a macro. Screenshots land in tests/artifacts."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.integration.test_browser import ARTIFACTS, CHROMIUM_ARGS, REPO, chromium_path, streamlit_app

PASSWORD = "correct horse battery"


@pytest.fixture
def team_server(tmp_path, demo_index_dir):
    from core.types import AuditEvent
    from desk.accounts import Accounts
    from desk.macros import Macro, save_macro
    from desk.store import open_store

    url = f"sqlite:///{tmp_path / 'desk.db'}"
    with open_store(url) as store:
        accounts = Accounts(store)
        accounts.add("Mina", "agent", PASSWORD)
        accounts.add("Alex", "lead", PASSWORD)
        save_macro(store, Macro(name="Refund timing", intent="", created_by="Alex", text=(
            "Hi {first_name}, the refund for order {order_number} reaches your card 3-5 business days after the "
            "inspection. {agent}, {company}")))
        store.record_audit(AuditEvent(
            ticket_id="T-0800", agent="Alex", engine="offline", model="offline-grounded", suggested="",
            sent="Hi there, refunds reach your card 3-5 business days after the inspection; your bank's statement "
                 "may show it a day later.", edit_distance=1.0, similarity=0.0,
            sent_at=datetime.now(timezone.utc) - timedelta(days=2), intent="refund", language="en",
            question="The refund is still not on my card statement after days. Where is my money?"))
    env = {"ASSIST_INDEX_DIR": str(demo_index_dir), "ASSIST_DATABASE_URL": url, "ASSIST_LLM": "offline"}
    with streamlit_app(REPO / "assist_ui" / "app.py", tmp_path, env) as server:
        yield server


def sign_in(browser, server: str, name: str):
    """A new browser context (its own cookies: a second person) signed in as `name`."""
    page = browser.new_context(viewport={"width": 1600, "height": 1500}).new_page()
    page.goto(f"{server}/?ticket=T-1001", wait_until="domcontentloaded")
    page.get_by_role("button", name="Sign in").wait_for(timeout=120_000)
    page.get_by_role("textbox", name="Name").fill(name)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Use this draft").first.wait_for(timeout=180_000)
    return page


def test_browser_queue_collision_claim_and_customer_context(team_server):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        mina = sign_in(browser, team_server, "Mina")
        alex = sign_in(browser, team_server, "Alex")
        alex.get_by_text("Mina also has this ticket open").first.wait_for(timeout=60_000)

        mina.get_by_role("button", name="Take this ticket").click()
        mina.get_by_text("Assigned to you").first.wait_for(timeout=60_000)
        sidebar = alex.locator("[data-testid=stSidebar]")  # Alex looks at another ticket and comes back
        sidebar.get_by_text("T-1002", exact=False).first.click()
        alex.get_by_text("T-1002 —", exact=False).first.wait_for(timeout=120_000)
        sidebar.get_by_text("T-1001", exact=False).first.click()
        alex.get_by_text("Mina has taken this ticket").first.wait_for(timeout=120_000)
        alex.get_by_role("tab", name="Similar past tickets").click()
        alex.get_by_text("3-5 business days after the inspection; your bank").first.wait_for(timeout=60_000)
        alex.screenshot(path=str(ARTIFACTS / "queue_context.png"), full_page=True)
        similar = alex.inner_text("body")
        alex.get_by_role("tab", name="Macros").click()
        alex.get_by_text("Hi Minji, the refund for order MM-20261029-4471").first.wait_for(timeout=30_000)
        alex.get_by_role("tab", name="Previous tickets of this customer").click()
        alex.get_by_text("Change the delivery address on my order").first.wait_for(timeout=30_000)
        previous = alex.inner_text("body")
        browser.close()
    assert "Mina has taken this ticket" in similar
    assert "T-0901" in previous
