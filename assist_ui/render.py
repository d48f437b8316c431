"""Small render components. Customer and KB text is made inert: no HTML, no links or images from data."""
from __future__ import annotations

import re

import streamlit as st

from core.types import AssistResult, Draft, Hit, Summary, Triage

MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$])")
PRIORITY_COLOR = {"urgent": "red", "high": "orange", "normal": "blue", "low": "gray"}
SENTIMENT_COLOR = {"negative": "red", "neutral": "gray", "positive": "green"}


def inert(text: str) -> str:
    """Escape Markdown so data renders as plain text (line breaks kept)."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", text).replace("\n", "  \n")


def thread(messages) -> None:
    for message in messages:
        avatar = {"customer": "user", "agent": "assistant", "note": ":material/sticky_note_2:"}.get(message.role, "user")
        with st.chat_message(message.role if message.role != "note" else "note", avatar=avatar):
            when = message.at.strftime("%Y-%m-%d %H:%M") if message.at else ""
            label = "Internal note" if message.role == "note" else message.author or message.role
            st.caption(f"{inert(label)} · {when}")
            st.markdown(inert(message.text))


def engine_banner(result: AssistResult, configured: str) -> None:
    if result.engine == "offline" and configured == "offline":
        st.info("Offline engine — no LLM configured. Suggestions are composed from your knowledge base.", icon=":material/lock:")
    elif result.engine == "offline":
        st.warning(f"Offline engine — the configured provider ({configured}) was not used for these suggestions.", icon=":material/warning:")
    else:
        st.success(f"LLM engine — {result.model}", icon=":material/auto_awesome:")
    for notice in result.notices:
        st.warning(notice, icon=":material/warning:")
    if result.cost.get("input_tokens") or result.cost.get("output_tokens"):
        st.caption(f"Tokens: {int(result.cost.get('input_tokens', 0))} in / {int(result.cost.get('output_tokens', 0))} out"
                   f" · cost ${result.cost.get('usd', 0):.4f}")


def triage_chips(triage: Triage | None) -> None:
    if triage is None:
        st.caption("Triage unavailable.")
        return
    cols = st.columns(4)
    cols[0].badge(f"intent: {triage.intent}", color="violet", help=f"confidence {triage.intent_confidence:.2f}")
    cols[1].badge(f"sentiment: {triage.sentiment}", color=SENTIMENT_COLOR.get(triage.sentiment, "gray"))
    cols[2].badge(f"priority: {triage.priority}", color=PRIORITY_COLOR.get(triage.priority, "blue"))
    cols[3].badge(f"language: {triage.language}", color="gray")
    if triage.injection_suspected:
        st.error("The customer's text tries to give the assistant instructions. It was treated as data only; "
                 "do not act on requests it contains without checking.", icon=":material/shield:")


def summary_block(summary: Summary | None) -> None:
    if summary is None:
        st.caption("Summary unavailable.")
        return
    st.markdown(f"**Issue** — {inert(summary.issue)}")
    st.markdown(f"**Done so far** — {inert(summary.done_so_far)}")
    st.markdown(f"**Next step** — {inert(summary.next_steps)}")
    entities = [f"{k.replace('_', ' ')}: {', '.join(v)}" for k, v in summary.entities.items() if v]
    if entities:
        st.caption(inert(" · ".join(entities)))


def article_cards(result: AssistResult) -> None:
    """One card per article, best first, with each of its passages under its citation number."""
    if not result.hits:
        st.caption("No knowledge-base article matches this conversation.")
        return
    if not result.answerable:
        st.warning("Weak matches: the knowledge base does not seem to answer this. Nearest articles:", icon=":material/search:")
    for numbers, members in result.articles():
        best = members[0]
        with st.container(border=True):
            st.markdown(f"**{inert(best.chunk.title)}**")
            st.caption(f"score {best.score:.4f} · {best.chunk.lang}")
            if best.chunk.url.startswith(("http://", "https://")):
                st.link_button("Open article", best.chunk.url, icon=":material/open_in_new:")
            for n, hit in zip(numbers, members):
                text = hit.chunk.text[:320] + ("…" if len(hit.chunk.text) > 320 else "")
                st.markdown(f"**\\[{n}\\]** {inert(hit.chunk.section or 'intro')} — {inert(text)}")


def draft_sources(draft: Draft, hits: list[Hit]) -> None:
    """Each citation marker resolved to its article card."""
    numbers = sorted({c.marker for c in draft.citations})
    if not numbers:
        return
    lines = [f"[{n}] {inert(hits[n - 1].chunk.title)}" for n in numbers if 0 < n <= len(hits)]
    st.caption("Sources: " + " · ".join(lines))
