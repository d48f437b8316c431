"""A new user's first minutes, measured on a fresh clone: `make run` until the server answers its health check, with
a warm and with a cold pip cache; then, in headless Chromium, the first ticket view (the warm-up included) and the
app's resident memory after every demo ticket was opened.

`python -m evals.bench_startup --out FILE.json [--cold] [--warm]` (make bench runs both as the `startup` section)."""
from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from evals.bench_common import REPO_ROOT, write_json

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/lib/chromium/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DEMO_TICKETS = REPO_ROOT / "desk" / "demo" / "tickets"
HEALTH_TIMEOUT = 1800
VIEW_TIMEOUT_MS = 180_000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def clean_env(pip_cache: Path | None) -> dict[str, str]:
    """The environment of a user's shell: no venv or PYTHONPATH of this run, the pip cache as asked."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if ".venv" not in p)
    if pip_cache is not None:
        env["PIP_CACHE_DIR"] = str(pip_cache / "pip")
        env["UV_CACHE_DIR"] = str(pip_cache / "uv")
    return env


def server_processes(group: int) -> list[int]:
    """Pids of the process group that run the app's server (Streamlit, directly or through assist_ui.serve)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if int(fields[2]) == group and (b"streamlit" in cmdline or b"assist_ui.serve" in cmdline) \
                and b"make" not in cmdline.split(b" ")[0]:
            pids.append(int(stat.parent.name))
    return pids


def memory_mb(pid: int) -> dict[str, float]:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = round(int(rest.split()[0]) / 1024, 1)
    return {"rss_mb": values.get("VmRSS", 0.0), "peak_rss_mb": values.get("VmHWM", 0.0)}


def chromium() -> str | None:
    return next((c for c in CHROMIUM_CANDIDATES if Path(c).exists()), None)


def open_every_ticket(url: str, ticket_ids: list[str]) -> dict:
    """Open each ticket by URL in one browser tab and wait for its drafts (the Use this draft buttons)."""
    from playwright.sync_api import sync_playwright

    seconds = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        page = browser.new_page()
        for ticket_id in ticket_ids:
            started = time.perf_counter()
            page.goto(f"{url}/?ticket={ticket_id}")
            page.get_by_role("button", name="Send reply").first.wait_for(timeout=VIEW_TIMEOUT_MS)
            page.get_by_role("button", name="Use this draft").first.wait_for(timeout=VIEW_TIMEOUT_MS)
            seconds[ticket_id] = round(time.perf_counter() - started, 2)
        browser.close()
    return seconds


def fresh_make_run(pip_cache: Path | None, browse: bool, rev: str = "HEAD") -> dict:
    """Clone the repository at `rev` into a new folder, `make run` there, and time it until the health check answers.
    `pip_cache` (pip's and uv's) empty means a cold cache; None leaves the user's caches."""
    with tempfile.TemporaryDirectory(prefix="fresh-clone-") as tmp:
        clone, port = Path(tmp) / "assist", free_port()
        subprocess.run(["git", "clone", "--quiet", str(REPO_ROOT), str(clone)], check=True)
        subprocess.run(["git", "-C", str(clone), "checkout", "--quiet", rev], check=True)
        log = (Path(tmp) / "make-run.log").open("w")
        started = time.perf_counter()
        proc = subprocess.Popen(["make", "run", f"PORT={port}"], cwd=clone, env=clean_env(pip_cache),
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            result = _until_healthy(proc, port, started, Path(tmp) / "make-run.log")
            if browse and "healthy_seconds" in result:
                result.update(_browse(proc, port))
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
            log.close()
    return result


def _until_healthy(proc: subprocess.Popen, port: int, started: float, log: Path) -> dict:
    health = f"http://127.0.0.1:{port}/_stcore/health"
    while time.perf_counter() - started < HEALTH_TIMEOUT:
        if proc.poll() is not None:
            return {"error": f"make run exited with {proc.returncode}: {log.read_text()[-800:]}"}
        if healthy(health):
            return {"healthy_seconds": round(time.perf_counter() - started, 1)}
        time.sleep(0.25)
    return {"error": f"not healthy within {HEALTH_TIMEOUT} s"}


def _browse(proc: subprocess.Popen, port: int) -> dict:
    if chromium() is None:
        return {"browser": "skipped: Debian chromium is not installed"}
    tickets = sorted(p.stem for p in DEMO_TICKETS.glob("*.json"))
    views = open_every_ticket(f"http://127.0.0.1:{port}", tickets)
    pids = server_processes(proc.pid)
    memory = max((memory_mb(pid) for pid in pids), key=lambda m: m["rss_mb"], default={})
    first = tickets[0]
    return {"first_ticket_view_seconds": views[first], "first_ticket": first,
            "ticket_view_seconds_after_first": sorted(v for k, v in views.items() if k != first),
            "tickets_opened": len(views), "app_after_all_tickets": memory}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.bench_startup", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--cold", action="store_true", help="also time a cold pip cache (downloads everything)")
    parser.add_argument("--rev", default="HEAD", help="the commit to clone (default HEAD), e.g. to compare a release")
    args = parser.parse_args(argv)
    report = {"rev": subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "--short", args.rev], text=True,
                                    capture_output=True).stdout.strip(),
              "warm_pip_cache": fresh_make_run(None, browse=True, rev=args.rev),
              "method": "git clone of the commit into a new folder, `make run` (venv, install, model files, server) "
                        "until /_stcore/health answers 200; then headless Chromium opens every demo ticket by URL "
                        "and waits for its drafts; memory is the Streamlit process's VmRSS and VmHWM after that"}
    if args.cold:
        with tempfile.TemporaryDirectory(prefix="empty-pip-cache-") as cache:
            report["cold_pip_cache"] = fresh_make_run(Path(cache), browse=False, rev=args.rev)
    write_json(args.out, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
