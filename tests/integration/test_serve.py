"""`make run`'s server (python -m assist_ui.serve) answers its health check before the heavy work, then warms up in
the background on its own: with no index yet, the index is built while nobody has opened a page."""
from __future__ import annotations

import os
import subprocess
import sys
import time

from knowledge.index import current_version
from tests.integration.test_browser import REPO, free_port, stop, wait_healthy


def test_serve_answers_health_first_then_builds_the_missing_index_without_a_visitor(tmp_path):
    port, index = free_port(), tmp_path / "index"
    env = {**os.environ, "PYTHONPATH": str(REPO), "ASSIST_INDEX_DIR": str(index), "ASSIST_LLM": "offline",
           "ASSIST_DATABASE_URL": f"sqlite:///{tmp_path / 'desk.db'}"}
    env.pop("OPENAI_API_KEY", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "assist_ui.serve", "--server.headless", "true", "--server.address", "127.0.0.1",
         "--server.port", str(port), "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        started = time.monotonic()
        wait_healthy(f"http://127.0.0.1:{port}/_stcore/health", proc, timeout=60)
        healthy_after = time.monotonic() - started
        assert current_version(index) is None, "the index was built before the server answered"

        deadline = time.monotonic() + 240
        while current_version(index) is None and time.monotonic() < deadline:
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            time.sleep(0.5)
        assert current_version(index), "the warm-up did not build the index"
        assert healthy_after < 30
    finally:
        stop(proc, timeout=15)
