"""The app as a user sees it: a real Streamlit server on 127.0.0.1 and headless Chromium."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/lib/chromium/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_path() -> str:
    for candidate in CHROMIUM_CANDIDATES:
        if Path(candidate).exists():
            return candidate
    reason = "Debian chromium is not installed (make test installs it when run as root)"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"streamlit exited early:\n{proc.stdout.read() if proc.stdout else ''}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError("streamlit did not become healthy in time")


@contextmanager
def streamlit_app(script: Path, cwd: Path, env: dict[str, str]):
    """`streamlit run script` on a free 127.0.0.1 port, headless, as make run starts it; yields its URL."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1", **env}
    env.pop("OPENAI_API_KEY", None)
    streamlit = shutil.which("streamlit", path=str(Path(sys.executable).parent)) or "streamlit"
    proc = subprocess.Popen(
        [streamlit, "run", str(script), "--server.headless", "true", "--server.address", "127.0.0.1",
         "--server.port", str(port), "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        wait_healthy(f"http://127.0.0.1:{port}/_stcore/health", proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)


def stop(proc: subprocess.Popen, timeout: float = 10) -> None:
    """Terminate a server process, killing it when it does not stop in time."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()



@pytest.fixture
def app_server(tmp_path, demo_index_dir):
    env = {"ASSIST_INDEX_DIR": str(demo_index_dir), "ASSIST_DATABASE_URL": f"sqlite:///{tmp_path / 'desk.db'}",
           "ASSIST_LLM": "offline"}
    with streamlit_app(REPO / "assist_ui" / "app.py", tmp_path, env) as url:
        yield url


def test_browser_agent_page_shows_ticket_and_draft(app_server):
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1600, "height": 1300})
        page.goto(f"{app_server}/?ticket=T-1001", wait_until="domcontentloaded")
        page.get_by_text("Use this draft").first.wait_for(timeout=120_000)
        page.get_by_text("Offline engine").first.wait_for(timeout=30_000)
        # the thread column is drawn after the assist panel: its reply box comes last
        page.get_by_role("textbox", name="Your reply").wait_for(timeout=30_000)
        body = page.inner_text("body")
        page.screenshot(path=str(ARTIFACTS / "workspace.png"), full_page=True)
        browser.close()
    assert "I returned a linen duvet cover" in body, "the customer's message is on the page"
    assert "refund confirmation with a reference number" in body, "a drafted reply answering the question is on the page"
    assert (ARTIFACTS / "workspace.png").stat().st_size > 10_000


@pytest.fixture
def signed_in_app(tmp_path, demo_index_dir):
    """The app after `python -m desk users add` created an agent: sign-in is required from then on."""
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    env = {**os.environ, "ASSIST_DATABASE_URL": url, "PYTHONPATH": str(REPO)}
    added = subprocess.run([sys.executable, "-m", "desk", "users", "add", "alex", "--role", "agent",
                            "--password-stdin"], input="correct horse battery\n", env=env, text=True,
                           capture_output=True, cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    return tmp_path


def test_browser_after_an_account_exists_a_visitor_sees_only_the_sign_in_form(app_server, signed_in_app):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{app_server}/?ticket=T-1001", wait_until="domcontentloaded")
        page.get_by_role("button", name="Sign in").wait_for(timeout=120_000)
        before = page.inner_text("body")
        page.get_by_role("textbox", name="Name").fill("alex")
        page.get_by_role("textbox", name="Password").fill("correct horse battery")
        page.get_by_role("button", name="Sign in").click()
        page.get_by_text("Use this draft").first.wait_for(timeout=120_000)
        page.get_by_role("textbox", name="Your reply").wait_for(timeout=30_000)
        after = page.inner_text("body")
        browser.close()
    assert "Refund not received" not in before and "linen duvet" not in before, "no customer data before sign-in"
    assert "Unauthenticated demo" not in before
    assert "Signed in as alex" in after and "I returned a linen duvet cover" in after
