"""`python -m assist_ui.serve [streamlit options]`: the app as `make run` serves it. Streamlit starts at once and
answers its health check; as soon as it does, the warm-up (index build when there is none, the models) starts in
this same process, so the first agent to open a ticket finds the assistant ready or nearly so."""
from __future__ import annotations

import sys
import threading
import time
import urllib.request
from pathlib import Path

APP = Path(__file__).resolve().parent / "app.py"
HEALTH_WAIT_SECONDS = 60


def option(argv: list[str], name: str, default: str) -> str:
    """The value of a `--name value` or `--name=value` option in `argv`."""
    for i, arg in enumerate(argv):
        if arg == name and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return default


def health_url(argv: list[str]) -> str:
    address = option(argv, "--server.address", "127.0.0.1")
    host = "127.0.0.1" if address in ("", "0.0.0.0", "::") else address
    return f"http://{host}:{option(argv, '--server.port', '8501')}/_stcore/health"


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def warm_up_once_healthy(url: str) -> None:
    """Start the app's warm-up after the server answers (so loading never delays its start)."""
    deadline = time.monotonic() + HEALTH_WAIT_SECONDS
    while not answers(url):
        if time.monotonic() > deadline:
            return
        time.sleep(0.3)
    from assist_ui import warmup

    warmup.started()


def main(argv: list[str] | None = None) -> int:
    from streamlit.web import cli

    argv = list(sys.argv[1:] if argv is None else argv)
    threading.Thread(target=warm_up_once_healthy, args=(health_url(argv),), name="assist-prime", daemon=True).start()
    sys.argv = ["streamlit", "run", str(APP), *argv]
    return cli.main()


if __name__ == "__main__":
    sys.exit(main())
