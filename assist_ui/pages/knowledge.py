"""Knowledge: what is indexed, uploads and rebuilds, and a search playground with dense, lexical and fused ranks."""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import streamlit as st

from assist_ui import deps
from knowledge.build import build_sources
from knowledge.embeddings import load_embedder
from knowledge.index import IndexError_
from knowledge.loaders import LOADERS
from knowledge.retrieve import retrieve

UPLOAD_TYPES = sorted(s.lstrip(".") for s in LOADERS)
PLAYGROUND_K = 10


def uploads_dir() -> Path:
    return deps.index_root().parent / "kb_uploads"


def kb_sources() -> list[Path]:
    folder = st.session_state.get("kb_source") or str(deps.get_settings().kb_path)
    return [Path(folder), uploads_dir()]


def safe_name(name: str) -> str:
    return re.sub(r"[^\w.\-가-힣]", "_", Path(name).name)[:120] or "upload"


def render_status() -> None:
    try:
        index = deps.get_index()
    except IndexError_ as exc:
        st.error(str(exc), icon=":material/menu_book:")
        return
    manifest = index.manifest
    cols = st.columns(4)
    cols[0].metric("Articles", len(manifest.articles))
    cols[1].metric("Chunks", manifest.chunk_count)
    cols[2].metric("Languages", ", ".join(sorted({m.get("lang", "?") for m in manifest.articles.values()})))
    cols[3].metric("Version", index.path.name[1:16] if index.path else "memory")
    st.caption(f"Embedding model: {manifest.model_id}")
    rows = [{"id": aid, "title": m.get("title", ""), "lang": m.get("lang", ""), "chunks": m.get("chunks", 0),
             "source": m.get("source", ""), "updated": m.get("updated", "")} for aid, m in manifest.articles.items()]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def render_sources_and_rebuild() -> None:
    st.subheader("Sources")
    st.text_input("Article folder", value=str(deps.get_settings().kb_path), key="kb_source",
                  help="Markdown, HTML, CSV/XLSX FAQ, JSON and PDF files below this folder are ingested.")
    files = st.file_uploader("Add files", type=UPLOAD_TYPES, accept_multiple_files=True, key="kb_upload")
    if files and st.button("Save uploaded files", key="kb_save_uploads"):
        uploads_dir().mkdir(parents=True, exist_ok=True)
        for file in files:
            (uploads_dir() / safe_name(file.name)).write_bytes(file.getvalue())
        st.success(f"Saved {len(files)} file(s). Rebuild to index them.")
    if st.button("Rebuild index", type="primary", key="kb_rebuild"):
        rebuild()


def rebuild() -> None:
    bar = st.progress(0.0, text="Reading articles…")
    report = build_sources(kb_sources(), deps.index_root(), load_embedder(deps.get_settings().embeddings),
                           progress=lambda fraction, text: bar.progress(min(fraction, 1.0), text=text))
    bar.progress(1.0, text="Done")
    st.success(f"Index {report.version}: {report.articles} articles, {report.chunks} chunks "
               f"({report.embedded_chunks} embedded, {report.reused_chunks} reused) in {report.seconds:.1f}s. "
               f"Added {len(report.added)}, changed {len(report.changed)}, removed {len(report.removed)}.")
    for name, reason in report.skipped:
        st.warning(f"Skipped {name}: {reason}")
    if report.gate:
        st.caption(f"Answerability gate calibration: {report.gate}")


def render_playground() -> None:
    st.subheader("Search playground")
    query = st.text_input("Query", key="kb_query", placeholder="e.g. how do I return an item / 환불은 언제 되나요")
    if not query.strip():
        return
    try:
        index = deps.get_index()
    except IndexError_ as exc:
        st.error(str(exc))
        return
    fused = retrieve(index, query, k=PLAYGROUND_K)
    verdict = fused.verdict
    (st.success if verdict.answerable else st.warning)(
        f"{'Answerable' if verdict.answerable else 'Not answerable'} ({verdict.confidence:.2f}): {verdict.reason}")
    columns = st.columns(3)
    rankings = [("Dense", retrieve(index, query, k=PLAYGROUND_K, mode="dense")),
                ("Lexical (BM25)", retrieve(index, query, k=PLAYGROUND_K, mode="lexical")), ("Fused (RRF)", fused)]
    for column, (label, found) in zip(columns, rankings):
        with column:
            st.markdown(f"**{label}**")
            st.dataframe(pd.DataFrame([{"rank": r, "article": g[0].chunk.article_id, "score": round(g[0].score, 4),
                                        "dense": g[0].dense_rank, "lexical": g[0].lexical_rank}
                                       for r, g in enumerate(found.articles, start=1)]), hide_index=True, width="stretch")


def main() -> None:
    st.header("Knowledge")
    render_status()
    render_sources_and_rebuild()
    render_playground()


main()
