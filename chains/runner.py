"""Running one assist task on the configured model, with the offline engine as the fallback when it fails."""
from __future__ import annotations

from typing import Callable, TypeVar

from langchain_core.language_models import BaseChatModel

from chains.draft import StreamCutError
from chains.models import engine_of
from chains.offline import OfflineChatModel

T = TypeVar("T")
TASK_ORDER = ("triage", "summary", "concise draft", "detailed draft", "warm draft")


class TaskRunner:
    """Runs tasks on the configured model; a failing task is answered by the offline engine and noted.

    Rules: a provider error falls back to the offline engine (one banner per distinct error, naming the tasks
    it hit); a stream cut midway keeps the partial text; when the offline engine itself fails the task is
    left out with a notice. Any notice makes the result degraded (never stored in the shared cache)."""

    def __init__(self, model: BaseChatModel, offline: OfflineChatModel, notices: list[str], llm_config: dict,
                 counters: dict[str, int]) -> None:
        self.model, self.offline, self.notices, self._llm_config = model, offline, notices, llm_config
        self.counters = counters
        self.fallbacks: set[str] = set()
        self.started: set[str] = set()
        self.partials: dict[str, str] = {}
        self.failures: dict[str, list[str]] = {}

    def failure_notices(self) -> list[str]:
        """One banner per distinct provider error, naming the tasks it hit."""
        def position(name: str) -> int:
            return TASK_ORDER.index(name) if name in TASK_ORDER else len(TASK_ORDER)

        return [f"The provider failed on the {', '.join(sorted(names, key=position))} "
                f"({description}); showing the offline engine's result." for description, names in self.failures.items()]

    def config(self, model: BaseChatModel) -> dict | None:
        return None if model is self.offline else self._llm_config

    def engine_for(self, name: str) -> str:
        return "offline" if name in self.fallbacks else engine_of(self.model)

    def overall_engine(self) -> str:
        """'llm' when the provider produced at least one suggestion, else 'offline'."""
        if engine_of(self.model) == "offline":
            return "offline"
        return "offline" if self.fallbacks >= self.started else "llm"

    def run(self, name: str, task: Callable[[BaseChatModel], T]) -> T | None:
        self.counters["model_calls"] += 1
        self.started.add(name)
        try:
            return task(self.model)
        except Exception as exc:
            if self.model is self.offline:
                self.notices.append(f"The {name} could not be produced: {describe(exc)}")
                return None
            self._note_failure(name, exc)
            self.fallbacks.add(name)
            self.counters["model_calls"] += 1
            try:
                return task(self.offline)
            except Exception as offline_exc:
                self.notices.append(f"The offline {name} failed too: {describe(offline_exc)}")
                return None

    def _note_failure(self, name: str, exc: Exception) -> None:
        if isinstance(exc, StreamCutError):
            self.partials[name.split()[0]] = exc.partial
            self.notices.append(f"The provider's stream stopped midway on the {name}; the partial text is kept "
                                "and the offline draft is shown.")
        else:
            self.failures.setdefault(describe(exc), []).append(name)


def describe(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__
