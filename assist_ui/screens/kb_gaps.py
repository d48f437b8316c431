"""Missing or weak articles: what customers asked when the assistant could not help, grouped into topics, with
an article drafted from the agents' replies that a lead edits and publishes into the knowledge base.

Published articles go into the same uploads folder the Knowledge page uses, and the index is rebuilt from the
same sources (the configured article folder and the uploads folder); the new version is live on the next run.
"""
from __future__ import annotations

import hashlib
from collections import Counter
from datetime import date, datetime, time, timedelta, timezone

import streamlit as st

from assist_ui import auth, deps
from assist_ui.i18n import t
from assist_ui.kb_files import new_article_path, rebuild_index
from assist_ui.render import inert
from chains.kb_article import article_document, draft_article
from desk.gaps import GapCandidate, gap_candidates
from desk.report import AuditFilter
from knowledge.build import BuildRefused
from knowledge.gaps import Topic, find_topics, gap_embedder
from knowledge.index import IndexError_, KnowledgeIndex
from knowledge.text import detect_language

WINDOW_DAYS = 30
SHOWN_SAMPLES = 3


def window() -> tuple[datetime, datetime] | None:
    """The chosen sent-at window as [since, until) in UTC, or None while only one end is picked."""
    today = date.today()
    chosen = st.date_input(t("gaps.window"), value=(today - timedelta(days=WINDOW_DAYS), today), key="gaps_window")
    if not isinstance(chosen, tuple) or len(chosen) != 2:
        return None
    start, end = chosen
    return (datetime.combine(start, time.min, tzinfo=timezone.utc),
            datetime.combine(end + timedelta(days=1), time.min, tzinfo=timezone.utc))


def live_index() -> KnowledgeIndex | None:
    try:
        return deps.get_index()
    except IndexError_ as exc:
        st.warning(t("gaps.no_index", error=str(exc)))
        return None


@st.cache_data(show_spinner=False, ttl=300, max_entries=8)
def topics_for(questions: tuple[str, ...], whys: tuple[str, ...], version: str, _index: KnowledgeIndex | None,
               backend: str) -> list[Topic]:
    """Topics of the questions, cached per question set and index version."""
    return find_topics(questions, gap_embedder(questions, backend), whys=whys, index=_index)


def coverage_line(topic: Topic) -> str | None:
    cover = topic.coverage
    if cover is None:
        return None
    values = {"title": cover.title or t("gaps.no_title"), "confidence": f"{cover.confidence:.2f}"}
    return t("gaps.coverage_weak" if cover.answerable else "gaps.coverage_missing", **values)


def topic_language(topic: Topic, candidates: list[GapCandidate]) -> str:
    """The language most of the topic's replies were in (detected from the questions when not recorded)."""
    found = Counter(candidates[i].language or detect_language(candidates[i].question) for i in topic.members)
    return min(found, key=lambda language: (-found[language], language))


def render_topic(rank: int, topic: Topic, candidates: list[GapCandidate]) -> None:
    slot = f"{rank}::{hashlib.sha1(topic.label.encode('utf-8')).hexdigest()[:10]}"
    with st.container(border=True):
        st.markdown(f"**{inert(t('gaps.topic', label=topic.label, count=str(topic.count)))}**")
        st.caption(t("gaps.why", **{why: str(topic.why_counts.get(why, 0))
                                    for why in ("abstained", "no_suggestion", "heavy_edit")}))
        if line := coverage_line(topic):
            st.caption(inert(line))
        st.markdown(t("gaps.samples"))
        for sample in topic.samples[:SHOWN_SAMPLES]:
            st.markdown(f"- {inert(sample)}")
        if st.button(t("gaps.draft"), key=f"gaps_draft::{slot}"):
            start_draft(slot, topic, candidates)
        if f"gaps_text::{slot}" in st.session_state:
            render_editor(slot, topic_language(topic, candidates))


def start_draft(slot: str, topic: Topic, candidates: list[GapCandidate]) -> None:
    """Fill the editor with an article drafted from the topic's sent replies."""
    chosen = [candidates[i] for i in topic.members]
    st.session_state[f"gaps_title::{slot}"] = topic.label
    st.session_state[f"gaps_text::{slot}"] = draft_article(
        topic.label, [c.sent for c in chosen], topic_language(topic, candidates),
        names=sorted({c.agent for c in chosen if c.agent}), questions=[c.question for c in chosen])


def render_editor(slot: str, language: str) -> None:
    st.caption(t("gaps.draft_note"))
    title = st.text_input(t("gaps.title"), key=f"gaps_title::{slot}")
    text = st.text_area(t("gaps.text"), key=f"gaps_text::{slot}", height=320)
    if st.button(t("gaps.publish"), key=f"gaps_publish::{slot}", type="primary"):
        publish(title, text, language)


def publish(title: str, text: str, language: str) -> None:
    """Write the article into the uploads folder and rebuild the index the way the Knowledge page does."""
    if not title.strip() or not text.strip():
        st.error(t("gaps.publish_empty"))
        return
    path = new_article_path(title)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(article_document(title, text, language), encoding="utf-8")
    try:
        with st.spinner(t("gaps.rebuilding")):
            report = rebuild_index()
    except BuildRefused as exc:
        st.error(t("gaps.publish_refused", file=path.name, error=str(exc)))
        return
    topics_for.clear()
    st.success(t("gaps.published", file=path.name, version=report.version, articles=str(report.articles),
                 added=str(len(report.added)), changed=str(len(report.changed))))


def main() -> None:
    auth.require("lead")
    st.header(t("gaps.header"))
    st.caption(t("gaps.intro"))
    chosen = window()
    if chosen is None:
        return
    since, until = chosen
    candidates = [c for c in gap_candidates(deps.get_store(), AuditFilter(since=since, until=until)) if c.question]
    if not candidates:
        st.info(t("gaps.empty"))
        return
    index = live_index()
    topics = topics_for(tuple(c.question for c in candidates), tuple(c.why for c in candidates),
                        deps.live_index_version() or "", index, deps.get_settings().embeddings)
    st.caption(t("gaps.summary", replies=str(len(candidates)), topics=str(len(topics))))
    for rank, topic in enumerate(topics):
        render_topic(rank, topic, candidates)


main()
