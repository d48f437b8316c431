"""Where assist results are kept between views: an in-process memo in front of the shared result cache.

A complete result goes to both. A degraded one (any notice: a provider failed, redaction failed) stays only
in the memo and only for DEGRADED_TTL_SECONDS, so reruns of the page do not hit a failing provider again
and again, while the next view after that retries it. A cache that fails to answer is treated as a miss.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from typing import Protocol

from pydantic import ValidationError

from core.types import AssistResult

log = logging.getLogger(__name__)
DEGRADED_TTL_SECONDS = 60.0
MEMO_SIZE = 256


class ResultCache(Protocol):
    """A shared store of results by key (the desk store implements it)."""

    def get(self, key: str) -> str | None: ...
    def put(self, key: str, payload: str) -> None: ...


class RecentResults:
    """Results of this process by key, newest kept; degraded ones expire."""

    def __init__(self, size: int = MEMO_SIZE, degraded_ttl: float = DEGRADED_TTL_SECONDS) -> None:
        self.size, self.degraded_ttl = size, degraded_ttl
        self._items: OrderedDict[str, tuple[AssistResult, float | None]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> AssistResult | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            result, expires = item
            if expires is not None and time.monotonic() > expires:
                del self._items[key]
                return None
            self._items.move_to_end(key)
            return result

    def put(self, key: str, result: AssistResult) -> None:
        expires = time.monotonic() + self.degraded_ttl if result.notices else None
        with self._lock:
            self._items[key] = (result, expires)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def read_shared(cache: ResultCache | None, key: str) -> AssistResult | None:
    """The shared cache's result for `key`; an unreachable cache or an unreadable entry counts as a miss."""
    if cache is None:
        return None
    try:
        payload = cache.get(key)
        return AssistResult.model_validate_json(payload) if payload else None
    except ValidationError:
        log.warning("ignoring an unreadable cached assist result under %s", key)
    except Exception as exc:  # the cache is an optimisation: a database outage must not stop the assistant
        log.warning("the result cache could not be read: %s", type(exc).__name__)
    return None


def write_shared(cache: ResultCache | None, key: str, result: AssistResult) -> None:
    """Store a complete result in the shared cache; a failure only costs a recomputation later."""
    if cache is None or result.notices:
        return
    try:
        cache.put(key, result.model_dump_json())
    except Exception as exc:
        log.warning("the result cache could not be written: %s", type(exc).__name__)
