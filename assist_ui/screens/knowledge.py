"""Knowledge: what is indexed, uploads and rebuilds, kept versions and restore, and a search playground.

Articles come only from the configured folder (ASSIST_KB_DIR) and the uploads folder: there is no free path box,
so the page cannot ingest an arbitrary folder of the server. Opening this page is for administrators (app.py).
"""
from __future__ import annotations

from dataclasses import asdict

import pandas as pd
import streamlit as st

from assist_ui import auth, deps
from assist_ui.kb_files import rebuild_index, safe_name, uploads_dir
from assist_ui.render import inert
from knowledge.build import BuildRefused, ShrinkRefused
from knowledge.index import IndexError_
from knowledge.loaders import LOADERS
from knowledge.retrieve import retrieve
from knowledge.versions import list_versions, restore_version

UPLOAD_TYPES = sorted(s.lstrip(".") for s in LOADERS)
PLAYGROUND_K = 10
REFUSAL_KEY = "kb_refusal"  # the message of the last refused rebuild, until a rebuild succeeds
RESTORED_KEY = "kb_restored"  # what the last restore did, shown once after the rerun it triggers


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
    st.caption(f"Embedding model: {inert(manifest.model_id)}")
    rows = [{"id": aid, "title": m.get("title", ""), "lang": m.get("lang", ""), "chunks": m.get("chunks", 0),
             "source": m.get("source", ""), "updated": m.get("updated", "")} for aid, m in manifest.articles.items()]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def render_sources_and_rebuild() -> None:
    st.subheader("Sources")
    st.caption("Markdown, HTML, CSV/XLSX FAQ, JSON and PDF files below these folders are ingested. "
               "The article folder is set by the administrator (ASSIST_KB_DIR).")
    st.text(f"Article folder: {deps.get_settings().kb_path}\nUploads folder: {uploads_dir()}")
    files = st.file_uploader("Add files", type=UPLOAD_TYPES, accept_multiple_files=True, key="kb_upload")
    if files and st.button("Save uploaded files", key="kb_save_uploads"):
        uploads_dir().mkdir(parents=True, exist_ok=True)
        for file in files:
            (uploads_dir() / safe_name(file.name)).write_bytes(file.getvalue())
        st.success(f"Saved {len(files)} file(s). Rebuild to index them.")
    if st.button("Rebuild index", type="primary", key="kb_rebuild"):
        rebuild(allow_shrink=shrink_confirmed())
    render_refusal()


def shrink_confirmed() -> bool:
    """True when a rebuild was refused and the user then ticked "Replace the live index anyway"."""
    return bool(st.session_state.get(REFUSAL_KEY) and st.session_state.get("kb_allow_shrink"))


def render_refusal() -> None:
    """The pending refusal, with the confirmation that lets the next rebuild replace the live index anyway."""
    message = st.session_state.get(REFUSAL_KEY)
    if message:
        st.error(message, icon=":material/block:")
        st.checkbox("Replace the live index anyway", key="kb_allow_shrink")


def rebuild(allow_shrink: bool = False) -> None:
    bar = st.progress(0.0, text="Reading articles…")
    try:
        report = rebuild_index(progress=lambda fraction, text: bar.progress(min(fraction, 1.0), text=text),
                               allow_shrink=allow_shrink)
    except ShrinkRefused as exc:
        bar.empty()
        st.session_state[REFUSAL_KEY] = str(exc)
        return
    except BuildRefused as exc:
        bar.empty()
        st.session_state.pop(REFUSAL_KEY, None)
        st.error(str(exc))
        return
    st.session_state.pop(REFUSAL_KEY, None)
    bar.progress(1.0, text="Done")
    st.success(f"Index {report.version}: {report.articles} articles, {report.chunks} chunks "
               f"({report.embedded_chunks} embedded, {report.reused_chunks} reused) in {report.seconds:.1f}s. "
               f"Added {len(report.added)}, changed {len(report.changed)}, removed {len(report.removed)}.")
    if report.skipped:
        st.warning(f"Skipped {len(report.skipped)} source(s); they are not in the index:")
        st.dataframe(pd.DataFrame(report.skipped, columns=["source", "reason"]), hide_index=True, width="stretch")
    if report.gate:
        st.caption(f"Answerability gate calibration: {inert(report.gate)}")


def render_versions() -> None:
    st.subheader("Versions")
    st.caption("The newest versions are kept after each rebuild. Restoring makes the one before the live one "
               "live again; no version is deleted.")
    if notice := st.session_state.pop(RESTORED_KEY, None):
        st.success(notice)
    if st.button("Restore previous version", key="kb_restore"):
        restore_previous()
    versions = list_versions(deps.index_root())
    if not versions:
        st.info("No index versions yet: rebuild the index to create one.")
        return
    st.dataframe(pd.DataFrame([asdict(v) for v in versions]), hide_index=True, width="stretch")


def restore_previous() -> None:
    """Point the index back at the version before the live one, then rerun so every section shows it."""
    try:
        name = restore_version(deps.index_root())
    except IndexError_ as exc:
        st.error(str(exc))
        return
    st.session_state[RESTORED_KEY] = f"Version {name} is live again; newer versions are kept."
    st.rerun()


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
    auth.require("admin")
    st.header("Knowledge")
    render_status()
    render_sources_and_rebuild()
    render_versions()
    render_playground()


main()
