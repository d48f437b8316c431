"""End-to-end `assist()` on the demo tickets: offline engine, LLM path against a local fake server, model-call counts.

Child: `python -m evals.bench_assist --rounds 5 --llm-rounds 3 --ttft-repeats 10 [--tickets N] --out R.json`
runs in a fresh process so the first-ever call includes model loading.
"""
from __future__ import annotations

import time

STARTED = time.perf_counter()

import argparse  # noqa: E402
import http.client  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from evals.bench_common import median_of_runs, peak_rss_mb, summary_ms, timed, write_json  # noqa: E402

OFFLINE = {"ASSIST_LLM": "offline"}
FAKE_MODEL = "openai:fake-model"
TARGET_WARM_P95_MS = 300.0
LLM_METHOD = ("FakeOpenAIServer (separate process, instant default replies; triage/summary via json_schema structured "
              "output, drafts as text). One warm-up pass over the tickets, then timed passes. Per ticket the recorded "
              "request bodies are replayed concurrently with a bare http.client; server_replay_ms is the slowest of "
              "them on an already used keep-alive connection (as the product's pooled client sends them), "
              "server_replay_fresh_connection_ms on new connections. overhead_ms = assist() wall minus "
              "server_replay_ms. A gap between the two replay figures is time lost in the fake server's HTTP "
              "handling on reused connections, not in the product.")


class DictCache:
    """A result cache kept in a dict (the `ResultCache` protocol: get/put)."""

    def __init__(self) -> None:
        self.data: dict[str, str] = {}

    def get(self, key: str) -> str | None:
        """The cached payload for key, if any."""
        return self.data.get(key)

    def put(self, key: str, payload: str) -> None:
        """Store a payload."""
        self.data[key] = payload


def demo_world(limit: int) -> tuple[object, list, dict]:
    """The demo index (product build of the demo KB) and the demo tickets, with how long they took."""
    from core.tickets import load_tickets
    from desk.tickets import demo_tickets_dir
    from knowledge.build import build_in_memory
    from knowledge.embeddings import load_embedder
    from knowledge.loaders import load_folder
    from knowledge.paths import demo_articles_dir

    imported = time.perf_counter() - STARTED
    index, index_s = timed(lambda: build_in_memory(load_folder(demo_articles_dir()).articles, load_embedder()))
    tickets = load_tickets(demo_tickets_dir())
    tickets = tickets[:limit] if limit else tickets
    return index, tickets, {"import_seconds": round(imported, 3), "demo_index_build_seconds": round(index_s, 3),
                            "demo_index_chunks": len(index), "tickets": len(tickets)}


def offline_deps(index, cache=None):
    """Product deps with the offline engine."""
    from chains.runtime import build_deps
    from core.settings import load_settings

    return build_deps(load_settings(OFFLINE), index=index, cache=cache, llm="offline")


def without_result_cache(deps):
    """The deps with no shared cache and a memo that keeps nothing: every assist() computes."""
    from chains.results import RecentResults

    deps.cache, deps.recent = None, RecentResults(size=0)
    return deps


def timed_assists(deps, tickets: list) -> tuple[list[float], list]:
    """Seconds of one `assist()` per ticket, and the results."""
    from chains.pipeline import assist

    seconds, results = [], []
    for ticket in tickets:
        result, s = timed(assist, ticket, deps)
        seconds.append(s)
        results.append(result)
    return seconds, results


def stage_means(results: list) -> dict[str, float]:
    """Mean milliseconds per stage from `AssistResult.timings`."""
    keys = sorted({k for r in results for k in r.timings})
    return {k: round(1000 * float(np.mean([r.timings.get(k, 0.0) for r in results])), 2) for k in keys}


def first_ever(index, ticket) -> dict:
    """The first assist in this process: wiring deps (intent model load and fit) plus the call itself."""
    from chains.pipeline import assist

    deps, deps_s = timed(offline_deps, index)
    _, call_s = timed(assist, ticket, deps)
    return {"deps_seconds": round(deps_s, 3), "assist_ms": round(call_s * 1000, 1),
            "total_seconds": round(deps_s + call_s, 3), "since_process_start_seconds": round(time.perf_counter() - STARTED, 3)}


def offline_section(index, tickets: list, rounds: int) -> dict:
    """Cold (first call per ticket on fresh deps) and warm (no result cache, `rounds` passes) latencies."""
    first = first_ever(index, tickets[0])
    cold, _ = timed_assists(offline_deps(index), tickets)
    deps = without_result_cache(offline_deps(index))
    runs, results = [], []
    for _ in range(rounds):
        seconds, batch = timed_assists(deps, tickets)
        runs.append(summary_ms(seconds))
        results.extend(batch)
    warm = median_of_runs(runs)
    return {"first_ever": first, "cold": summary_ms(cold), "warm": {**warm, "per_run": runs},
            "stages_ms_mean_warm": stage_means(results), "engine": results[0].engine if results else None,
            "notices": sum(len(r.notices) for r in results),
            "target_warm_p95_ms": TARGET_WARM_P95_MS, "met": warm.get("p95", 1e9) <= TARGET_WARM_P95_MS}


# -- LLM path ------------------------------------------------------------------------------------
def llm_deps(index, server, cache=None):
    """Product deps on the LLM path against the fake server."""
    from chains.runtime import build_deps
    from core.settings import load_settings

    settings = load_settings({"ASSIST_LLM": FAKE_MODEL, "OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": "bench-key"})
    return build_deps(settings, index=index, cache=cache, llm=FAKE_MODEL)


def post(host: str, port: int, body: dict, reused: bool) -> float:
    """Seconds for one raw chat-completions round trip; `reused` sends it on an already used keep-alive connection."""
    conn = http.client.HTTPConnection(host, port, timeout=30)
    if reused:
        conn.request("GET", "/health")
        conn.getresponse().read()
    started = time.perf_counter()
    conn.request("POST", "/v1/chat/completions", json.dumps(body), {"Content-Type": "application/json",
                                                                     "Authorization": "Bearer bench-key"})
    conn.getresponse().read()
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def replay(server, bodies: list[dict], reused: bool = True) -> float:
    """Seconds (slowest request) to send the same bodies concurrently, as the pipeline does, with a bare HTTP client."""
    with ThreadPoolExecutor(max_workers=max(len(bodies), 1)) as pool:
        return max(pool.map(lambda b: post(server.host, server.port, b, reused), bodies), default=0.0)


def llm_round(deps, server, tickets: list) -> tuple[list[float], list[tuple[float, float]], list]:
    """Assist seconds per ticket, replay seconds of the same requests (keep-alive, fresh connection), and results."""
    from chains.pipeline import assist

    seconds, server_s, results = [], [], []
    for ticket in tickets:
        server.reset()
        result, s = timed(assist, ticket, deps)
        bodies = [r["body"] for r in server.requests()]
        seconds.append(s)
        server_s.append((replay(server, bodies, reused=True), replay(server, bodies, reused=False)))
        results.append(result)
    return seconds, server_s, results


def llm_section(index, tickets: list, rounds: int, ttft_repeats: int) -> dict:
    """Warm assist latency on the LLM path, overhead over the server's own time, fallbacks and streaming TTFT."""
    from evals.fake_openai_server import FakeOpenAIServer

    with FakeOpenAIServer() as server:
        deps = without_result_cache(llm_deps(index, server))
        (warmup, _, _), warmup_s = timed(llm_round, deps, server, tickets)
        runs, overheads, servers, results = [], [], [], []
        for _ in range(rounds):
            seconds, server_s, batch = llm_round(deps, server, tickets)
            runs.append(summary_ms(seconds))
            overheads.extend(a - b[0] for a, b in zip(seconds, server_s))
            servers.extend(server_s)
            results.extend(batch)
        ttft = stream_ttft(deps, server, tickets[0], ttft_repeats)
    return {
        "warm": {**median_of_runs(runs), "per_run": runs}, "first_call_ms": round(warmup[0] * 1000, 1),
        "overhead_ms": summary_ms(overheads), "server_replay_ms": summary_ms([k for k, _ in servers]),
        "server_replay_fresh_connection_ms": summary_ms([f for _, f in servers]),
        "stages_ms_mean_warm": stage_means(results), "engines": _count(r.engine for r in results),
        "requests_per_assist": 2 + len(deps.tones), "fallback_notices": sum(len(r.notices) for r in results),
        "results_with_fallback": sum(bool(r.notices) for r in results), "notice_samples": _samples(results),
        "ttft": ttft, "method": LLM_METHOD,
    }


def _count(values) -> dict[str, int]:
    """How often each value occurs."""
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return out


def _samples(results: list) -> list[str]:
    """Up to three distinct notices, for the report."""
    return sorted({n for r in results for n in r.notices})[:3]


def stream_ttft(deps, server, ticket, repeats: int) -> dict:
    """Time to the first streamed draft piece the page receives from `chains.streaming.stream_assist` (redaction,
    retrieval and the triage request come first), against the server's own time for the same requests."""
    from chains.streaming import stream_assist

    product, raw = [], []
    for _ in range(repeats + 1):
        server.reset()
        deps.recent.clear()
        started = time.perf_counter()
        run = stream_assist(ticket, deps)
        pieces = run.pieces()
        next(pieces)
        product.append(time.perf_counter() - started)
        list(pieces)
        run.result()
        raw.append(server_time_to_first_piece(server, server.requests(), run.tone))
    product, raw = product[1:], raw[1:]
    return {"product_ms": summary_ms(product), "server_first_chunk_ms": summary_ms(raw),
            "overhead_ms_p50": round(1000 * (float(np.median(product)) - float(np.median(raw))), 2),
            "repeats": repeats, "method": "first piece yielded by chains.streaming.stream_assist (no cache; the "
            "triage request runs before the drafts) vs the server's time for the same work replayed with "
            "http.client: the whole triage request, then the first non-empty content event of the draft request "
            "of that tone; one warm-up."}


def server_time_to_first_piece(server, requests: list[dict], tone: str) -> float:
    """Seconds the server itself needs before the first draft piece: the triage request, then the draft's first chunk."""
    bodies = [r["body"] for r in requests]
    triage = next((b for b in bodies if not b.get("stream") and '"kind": "triage"' in _prompt_text(b)), None)
    draft = next(b for b in bodies if b.get("stream") and f'"tone": "{tone}"' in _prompt_text(b))
    return (post(server.host, server.port, triage, reused=True) if triage else 0.0) + first_chunk(server, draft)


def _prompt_text(body: dict) -> str:
    return " ".join(str(m.get("content", "")) for m in body.get("messages", []))


def first_chunk(server, body: dict) -> float:
    """Seconds to the first SSE event with non-empty content when replaying a streaming request."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection(server.host, server.port, timeout=30)
    conn.request("POST", "/v1/chat/completions", json.dumps(body), {"Content-Type": "application/json"})
    response, elapsed = conn.getresponse(), None
    for line in response:
        if elapsed is None and line.startswith(b"data: {") and _has_content(line[6:]):
            elapsed = time.perf_counter() - started
    conn.close()
    return elapsed if elapsed is not None else time.perf_counter() - started


def _has_content(payload: bytes) -> bool:
    """True when an SSE chunk carries non-empty content."""
    choices = json.loads(payload).get("choices") or [{}]
    return bool((choices[0].get("delta") or {}).get("content"))


# -- model calls ---------------------------------------------------------------------------------
def view_and_rerun(deps, tickets: list, server=None) -> dict:
    """Per ticket: model_calls (and HTTP requests) for the first view and for a rerun served by the cache."""
    from chains.pipeline import assist

    first, rerun, http_first, http_rerun = [], [], [], []
    for ticket in tickets:
        for calls, requests_seen in ((first, http_first), (rerun, http_rerun)):
            before, requests_before = deps.counters["model_calls"], _requests(server)
            assist(ticket, deps)
            calls.append(deps.counters["model_calls"] - before)
            requests_seen.append(_requests(server) - requests_before)
    out = {"view_model_calls": _spread(first), "rerun_model_calls": _spread(rerun), "counters": dict(deps.counters)}
    if server is not None:
        out.update({"view_http_requests": _spread(http_first), "rerun_http_requests": _spread(http_rerun)})
    return out


def _requests(server) -> int:
    """Chat requests the fake server has seen (0 without a server)."""
    return len(server.requests()) if server is not None else 0


def _spread(values: list[int]) -> dict:
    """Min, max and median of per-ticket counts."""
    return {"min": min(values), "max": max(values), "median": float(np.median(values)), "tickets": len(values)}


def model_calls_section(index, tickets: list) -> dict:
    """Model calls per ticket view and per rerun, with a dict-backed result cache, offline and on the LLM path."""
    from evals.fake_openai_server import FakeOpenAIServer

    out = {"offline": view_and_rerun(offline_deps(index, DictCache()), tickets)}
    with FakeOpenAIServer() as server:
        out["llm"] = view_and_rerun(llm_deps(index, server, DictCache()), tickets, server)
    out["method"] = ("deps.cache is a dict-backed get/put cache; a view is one assist() on a ticket, a rerun is a "
                     "second assist() on the same ticket; deltas of deps.counters['model_calls'] (and of requests "
                     "seen by the fake server on the LLM path).")
    return out


def child_main(argv: list[str]) -> int:
    """Entry point of the assist benchmark child process."""
    parser = argparse.ArgumentParser(prog="python -m evals.bench_assist")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--llm-rounds", type=int, default=3)
    parser.add_argument("--ttft-repeats", type=int, default=10)
    parser.add_argument("--tickets", type=int, default=0, help="use only the first N demo tickets (0 = all)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    index, tickets, world = demo_world(args.tickets)
    result = {"setup": world, "assist_offline": _guard(offline_section, index, tickets, args.rounds),
              "assist_llm_local": _guard(llm_section, index, tickets, args.llm_rounds, args.ttft_repeats),
              "model_calls": _guard(model_calls_section, index, tickets)}
    result["setup"]["peak_rss_mb"] = peak_rss_mb()
    write_json(args.out, result)
    return 0


def _guard(fn, *args) -> dict:
    """`fn(*args)`, or an error entry if it raises."""
    try:
        return fn(*args)
    except Exception as exc:  # a failing section is reported, the others still run
        return {"error": f"{type(exc).__name__}: {exc}"}


if __name__ == "__main__":
    sys.exit(child_main(sys.argv[1:]))
