"""Start-up without waiting: the server answers its health check and the sign-in page at once, while one background
thread per process builds the knowledge index if there is none yet and loads the models (embeddings, intent
model, Korean analyser, multilingual model). The workspace shows "warming up" until that thread is done."""
from __future__ import annotations

import ctypes
import logging
import threading
import time
from dataclasses import dataclass, field

import streamlit as st

from assist_ui import deps, render
from assist_ui.i18n import t
from knowledge.build import build_folder
from knowledge.embeddings import load_embedder
from knowledge.index import current_version

log = logging.getLogger(__name__)
STAGES = ("starting", "index", "models", "ready", "failed")


@dataclass
class Warmup:
    """Where the background start-up is: its stage, how long it took, and the error that stopped it."""

    stage: str = "starting"
    error: str = ""
    seconds: float = 0.0
    done: threading.Event = field(default_factory=threading.Event)

    def wait(self, timeout: float | None = None) -> bool:
        return self.done.wait(timeout)


def build_index_if_missing() -> None:
    """The index from the configured articles (ASSIST_KB_DIR, the demo by default), once, when none is live."""
    settings = deps.get_settings()
    if current_version(settings.index_path) or not settings.kb_path.exists():
        return
    report = build_folder(settings.kb_path, settings.index_path, load_embedder(settings.embeddings))
    log.info("built the knowledge index %s: %d articles, %d chunks", report.version, report.articles, report.chunks)


def release_freed_memory() -> None:
    """Hand memory freed after loading (the intent model's training matrices, an index build's batches) back to the
    system; glibc keeps it reserved otherwise. A no-op where there is no glibc."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _run(warm: Warmup) -> None:
    started = time.perf_counter()
    try:
        warm.stage = "index"
        build_index_if_missing()
        warm.stage = "models"
        deps.get_deps()
        release_freed_memory()
        warm.stage = "ready"
    except Exception as exc:  # shown on the page; the workspace still offers what works without the models
        log.warning("warm-up failed: %s", exc)
        warm.error, warm.stage = f"{type(exc).__name__}: {exc}", "failed"
    finally:
        warm.seconds = round(time.perf_counter() - started, 1)
        warm.done.set()


@st.cache_resource(show_spinner=False)
def started() -> Warmup:
    """The process's warm-up, started by the first page that asks."""
    warm = Warmup()
    threading.Thread(target=_run, args=(warm,), name="assist-warmup", daemon=True).start()
    return warm


def wait_until_warm() -> Warmup:
    """Block this page (not the server) until the warm-up is done, showing what it is doing meanwhile."""
    warm = started()
    if warm.done.is_set():
        return warm
    with st.status(t("warmup.title"), expanded=True) as status:
        shown = ""
        while not warm.wait(0.5):
            if warm.stage != shown:
                shown = warm.stage
                st.write(t(f"warmup.stage.{shown}"))
        status.update(label=t("warmup.ready", seconds=f"{warm.seconds:.0f}"), state="complete", expanded=False)
    if warm.error:
        st.error(t("warmup.failed", error=render.inert(warm.error)), icon=":material/error:")
    return warm
