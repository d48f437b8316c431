"""`python -m evals.bench --json reports/bench.json [--quick]`: speed and memory of the product's real code paths.

Sections: machine, index_build (per embedding backend, each in its own process, plus int8 vs fp32 Recall@5),
search_latency (1k … 100k chunks), multilingual (the multilingual model's build throughput and query latency beside
MiniLM's), incremental_reindex, assist_offline, assist_llm_local, model_calls, send, audit (page query and lead
report over 100k audited replies).
Builds run once; cheap measurements (search, assist) report medians over several runs.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from evals.bench_common import (
    DEFAULT_BACKEND,
    chunks_of,
    cpu_seconds,
    default_data_dir,
    doc2dial_articles,
    doc2dial_queries,
    load_average,
    machine_info,
    peak_rss_mb,
    run_child,
    write_json,
)
from evals.bench_audit import run_audit
from evals.bench_audit import summary_lines as audit_lines
from evals.bench_multilingual import run_multilingual
from evals.bench_multilingual import summary_lines as multilingual_lines
from evals.bench_send import run_send


@dataclass
class Plan:
    """Sizes of one benchmark run (full or quick)."""

    build_chunks: int = 0                     # 0 = every doc2dial chunk
    recall_queries: int = 500
    latency_queries: int = 200
    latency_runs: int = 3
    sizes: list[int] = field(default_factory=lambda: [1000, 0, 10_000, 100_000])  # 0 = all real chunks
    reindex_chunks: int = 10_000
    reindex_runs: int = 3
    assist_rounds: int = 5
    llm_rounds: int = 3
    ttft_repeats: int = 10
    tickets: int = 0                          # 0 = every demo ticket
    multilingual_texts: int = 256             # the multilingual model embeds ~15-37 texts/s: a sample, not the corpus
    audit_records: int = 100_000
    audit_runs: int = 20
    startup: bool = True                      # fresh clones and `make run`: minutes, and a cold pip cache downloads


QUICK = Plan(build_chunks=300, recall_queries=400, latency_queries=40, latency_runs=1, sizes=[1000, 5000],
             reindex_chunks=2000, reindex_runs=2, assist_rounds=2, llm_rounds=1, ttft_repeats=3, tickets=8,
             multilingual_texts=64, audit_records=10_000, audit_runs=5, startup=False)


def section(name: str, fn, *args, log=print):
    """Run one section, timing it; an exception becomes an `error` entry so the other sections still report."""
    log(f"[{name}]")
    started, load = time.perf_counter(), load_average()
    try:
        result = fn(*args)
    except Exception as exc:
        result = {"error": f"{type(exc).__name__}: {exc}"}
    target = result[0] if isinstance(result, tuple) else result
    if isinstance(target, dict):
        target.setdefault("section_seconds", round(time.perf_counter() - started, 2))
        target.setdefault("load_1min_start_end", [(load or [None])[0], (load_average() or [None])[0]])
    return result


def build_and_search(plan: Plan, data_dir: Path, workdir: Path, report: dict) -> None:
    """index_build (with recall) and search_latency, sharing the vectors the builds produced."""
    from evals.bench_build import run_builds
    from evals.bench_search import run_latency, run_recall

    built = section("index_build", run_builds, data_dir, plan.build_chunks, workdir)
    build, vectors = built if isinstance(built, tuple) else (built, {})
    report["index_build"] = build
    chunks = chunks_of(doc2dial_articles(data_dir, plan.build_chunks))
    if vectors.get(DEFAULT_BACKEND) is None or len(vectors[DEFAULT_BACKEND]) != len(chunks):
        report["search_latency"] = {"error": "the onnx-int8 build produced no vectors matching the chunks"}
        return
    recall_queries = doc2dial_queries(data_dir, plan.recall_queries)
    build["recall"] = section("recall", run_recall, chunks, vectors, recall_queries)
    for key in ("recall_at_5_fp32", "recall_at_5_int8", "recall_delta"):
        build[key] = build["recall"].get(key)
    latency_queries = doc2dial_queries(data_dir, plan.latency_queries + 5, offset=1)
    report["search_latency"] = section("search_latency", run_latency, chunks, vectors[DEFAULT_BACKEND],
                                       latency_queries, plan.sizes, plan.latency_runs)


def reindex(plan: Plan, data_dir: Path, workdir: Path) -> dict:
    """incremental_reindex, seeded from the int8 vectors of the build."""
    from evals.bench_reindex import run_reindex

    pool = workdir / f"vectors-{DEFAULT_BACKEND}.npy"
    if not pool.exists():
        return {"error": "no onnx-int8 vectors to seed the on-disk index with"}
    return run_reindex(data_dir, plan.reindex_chunks, plan.reindex_runs, pool, workdir)


def assist_sections(plan: Plan, workdir: Path) -> dict:
    """assist_offline, assist_llm_local and model_calls from one fresh child process."""
    args = ["--rounds", str(plan.assist_rounds), "--llm-rounds", str(plan.llm_rounds),
            "--ttft-repeats", str(plan.ttft_repeats), "--tickets", str(plan.tickets)]
    return run_child("evals.bench_assist", args, workdir / "assist.json")


def run(plan: Plan, data_dir: Path, quick: bool) -> dict:
    """Every section, in an order that lets later sections reuse earlier outputs."""
    started = time.perf_counter()
    report: dict = {"machine": machine_info(), "mode": "quick" if quick else "full", "plan": asdict(plan),
                    "data_dir": str(data_dir)}
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        workdir = Path(tmp)
        build_and_search(plan, data_dir, workdir, report)
        report["multilingual"] = section("multilingual", run_multilingual, data_dir, plan.multilingual_texts,
                                         plan.latency_runs, workdir)
        report["incremental_reindex"] = section("incremental_reindex", reindex, plan, data_dir, workdir)
        assisted = section("assist", assist_sections, plan, workdir)
    for key in ("assist_offline", "assist_llm_local", "model_calls"):
        report[key] = assisted.get(key, {"error": assisted.get("error", "missing")})
    report["assist_setup"] = {**assisted.get("setup", {}),
                              **{k: assisted[k] for k in ("section_seconds", "load_1min_start_end") if k in assisted}}
    report["send"] = section("send", run_send)
    report["audit"] = section("audit", run_audit, plan.audit_records, plan.audit_runs)
    with tempfile.TemporaryDirectory(prefix="bench-install-") as tmp:
        report["install"] = section("install", run_child, "evals.bench_install", [], Path(tmp) / "install.json")
        if plan.startup:
            report["startup"] = section("startup", run_child, "evals.bench_startup", ["--cold"],
                                        Path(tmp) / "startup.json", 5400)
    report["main_process_peak_rss_mb"] = peak_rss_mb()
    report["machine"]["load_average_at_end"] = load_average()
    report["cpu_seconds"] = cpu_seconds()
    report["wall_seconds"] = round(time.perf_counter() - started, 1)
    return report


# -- human summary ------------------------------------------------------------------------------
def _get(data: dict, *path, default="?"):
    """The value at a key path, or `default` when any step is missing."""
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return default
        data = data[key]
    return data


def build_lines(r: dict) -> list[str]:
    """Summary lines for index_build."""
    build = r.get("index_build", {})
    lines = [f"index build over {_get(build, 'corpus', 'chunks')} chunks ({_get(build, 'corpus', 'tokens')} tokens), one run each:"]
    for name, b in _get(build, "backends", default={}).items():
        lines.append(f"  {name:<11} {_get(b, 'chunks_per_second')} chunks/s  {_get(b, 'tokens_per_second')} tok/s  "
                     f"{_get(b, 'encode_seconds')} s (cpu use {_get(b, 'cpu_utilisation')})  peak {_get(b, 'peak_rss_mb')} MB  "
                     f"x{_get(b, 'speedup_vs_reference')}"
                     + (f"  ERROR {b['error']}" if "error" in b else ""))
    lines.append(f"  product build ({DEFAULT_BACKEND}): {_get(build, 'product_build_default_backend', 'seconds')} s")
    rec = build.get("recall", {})
    lines.append(f"  Recall@5 fp32 {_get(rec, 'recall_at_5_fp32')}  int8 {_get(rec, 'recall_at_5_int8')}  "
                 f"delta {_get(rec, 'recall_delta')}  ({_get(rec, 'queries')} queries)")
    return lines


def search_lines(r: dict) -> list[str]:
    """Summary lines for search_latency."""
    lines = ["search latency p50/p95 ms (dense | lexical | hybrid):"]
    for label, s in _get(r, "search_latency", "sizes", default={}).items():
        cells = " | ".join(f"{_get(s, m, 'p50')}/{_get(s, m, 'p95')}" for m in ("dense", "lexical", "hybrid"))
        lines.append(f"  {label:>10}: {cells}   (BM25 build {_get(s, 'bm25_build_seconds')} s)")
    if "error" in r.get("search_latency", {}):
        lines.append(f"  ERROR {r['search_latency']['error']}")
    return lines


def assist_lines(r: dict) -> list[str]:
    """Summary lines for incremental_reindex, assist_offline, assist_llm_local and model_calls."""
    ri, off, llm, mc = (r.get(k, {}) for k in ("incremental_reindex", "assist_offline", "assist_llm_local", "model_calls"))
    return [
        f"incremental reindex of {_get(ri, 'chunks')} chunks: {_get(ri, 'seconds')} s, "
        f"embedded {_get(ri, 'embedded_chunks')} chunks ({_get(ri, 'changed_article_chunks')} in the article)",
        f"assist offline: first-ever {_get(off, 'first_ever', 'total_seconds')} s, cold p50/p95 "
        f"{_get(off, 'cold', 'p50')}/{_get(off, 'cold', 'p95')} ms, warm p50/p95 {_get(off, 'warm', 'p50')}/"
        f"{_get(off, 'warm', 'p95')} ms, stages {_get(off, 'stages_ms_mean_warm')}",
        f"assist llm (fake server): warm p50/p95 {_get(llm, 'warm', 'p50')}/{_get(llm, 'warm', 'p95')} ms, "
        f"overhead p50 {_get(llm, 'overhead_ms', 'p50')} ms over server {_get(llm, 'server_replay_ms', 'p50')} ms "
        f"(fresh connection {_get(llm, 'server_replay_fresh_connection_ms', 'p50')} ms), "
        f"fallbacks {_get(llm, 'fallback_notices')}, "
        f"TTFT {_get(llm, 'ttft', 'product_ms', 'p50')} ms vs server {_get(llm, 'ttft', 'server_first_chunk_ms', 'p50')} ms",
        f"model calls per view/rerun: offline {_get(mc, 'offline', 'view_model_calls', 'max')}/"
        f"{_get(mc, 'offline', 'rerun_model_calls', 'max')}, llm {_get(mc, 'llm', 'view_model_calls', 'max')}/"
        f"{_get(mc, 'llm', 'rerun_model_calls', 'max')} (HTTP {_get(mc, 'llm', 'view_http_requests', 'max')}/"
        f"{_get(mc, 'llm', 'rerun_http_requests', 'max')})",
    ]


def send_lines(r: dict) -> list[str]:
    """Summary line for send."""
    send = r.get("send", {})
    cells = "  ".join(f"{size} chars {_get(s, 'p50')}/{_get(s, 'p95')}/{_get(s, 'max')}"
                      for size, s in _get(send, "sizes", default={}).items())
    return [f"send p50/p95/max ms: {cells}  (metrics alone {_get(send, 'text_metrics_only', 'p95')} ms p95), "
            f"target p95 < {_get(send, 'target_ms')} ms met: {_get(send, 'met')}"
            + (f"  ERROR {send['error']}" if "error" in send else "")]


def install_lines(r: dict) -> list[str]:
    """Summary lines for install and startup."""
    inst, start = r.get("install", {}), r.get("startup", {})
    warm, cold = start.get("warm_pip_cache", {}), start.get("cold_pip_cache", {})
    lines = [f"install: {_get(inst, 'distributions')} distributions, {_get(inst, 'download_mib')} MiB to download, "
             f"{_get(inst, 'unpacked_mib')} MiB unpacked, torch chain {_get(inst, 'torch_chain_in_set')}"
             + (f"  ERROR {inst['error']}" if "error" in inst else "")]
    if start:
        lines.append(f"fresh clone make run healthy: warm pip cache {_get(warm, 'healthy_seconds')} s, cold "
                     f"{_get(cold, 'healthy_seconds')} s; first ticket view {_get(warm, 'first_ticket_view_seconds')} s; "
                     f"app after {_get(warm, 'tickets_opened')} tickets {_get(warm, 'app_after_all_tickets', 'rss_mb')} MB "
                     f"(peak {_get(warm, 'app_after_all_tickets', 'peak_rss_mb')} MB)"
                     + (f"  ERROR {start['error']}" if "error" in start else ""))
    return lines


def summary_lines(r: dict) -> list[str]:
    """A compact, readable digest of the report."""
    m = r["machine"]
    head = (f"bench ({r['mode']}) on {m['cores']} cores, Python {m['python']}, wall {r['wall_seconds']} s, "
            f"load average {m.get('load_average_at_start')} -> {m.get('load_average_at_end')}")
    return [head, *build_lines(r), *search_lines(r), *multilingual_lines(r.get("multilingual", {})), *assist_lines(r),
            *send_lines(r), *audit_lines(r.get("audit", {})), *install_lines(r)]


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the benchmark, write JSON and print the summary."""
    parser = argparse.ArgumentParser(prog="python -m evals.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, default=Path("reports/bench.json"), help="where to write the report")
    parser.add_argument("--data-dir", type=Path, default=None, help="shared data folder (default ../shared/data)")
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke run (< 2 minutes)")
    parser.add_argument("--no-startup", action="store_true", help="leave out the fresh-clone make run timings")
    args = parser.parse_args(argv)
    data_dir = args.data_dir or default_data_dir()
    plan = QUICK if args.quick else Plan()
    if args.no_startup:
        plan = replace(plan, startup=False)
    report = run(plan, data_dir, args.quick)
    write_json(args.json, report)
    print("\n".join(summary_lines(report)))
    print(f"report written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
