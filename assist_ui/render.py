"""Small render components. Customer and KB text is made inert: no HTML, no links or images from data."""
from __future__ import annotations

import re

import streamlit as st

from chains.schemas import AssistResult, Draft, Summary, Triage
from knowledge.types import Hit

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


def group_hits(hits: list[Hit]) -> list[tuple[list[int], list[Hit]]]:
    """Hits grouped per article, keeping each passage's citation number (1-based)."""
    groups: dict[str, tuple[list[int], list[Hit]]] = {}
    for n, hit in enumerate(hits, start=1):
        numbers, members = groups.setdefault(hit.chunk.article_id, ([], []))
        numbers.append(n)
        members.append(hit)
    return list(groups.values())


def article_cards(hits: list[Hit], answerable: bool) -> None:
    if not hits:
        st.caption("No knowledge-base article matches this conversation.")
        return
    if not answerable:
        st.warning("Weak matches: the knowledge base does not seem to answer this. Nearest articles:", icon=":material/search:")
    for numbers, members in group_hits(hits):
        best = members[0]
        with st.container(border=True):
            refs = " ".join(f"[{n}]" for n in numbers)
            title = inert(best.chunk.title)
            st.markdown(f"**{refs} {title}**" + (f" — [open article]({best.chunk.url})" if best.chunk.url.startswith("http") else ""))
            st.caption(f"score {best.score:.4f} · {best.chunk.section or 'intro'} · {best.chunk.lang}")
            st.markdown(inert(best.chunk.text[:320] + ("…" if len(best.chunk.text) > 320 else "")))


def draft_sources(draft: Draft, hits: list[Hit]) -> None:
    """Each citation marker resolved to its article card."""
    numbers = sorted({c.marker for c in draft.citations})
    if not numbers:
        return
    lines = [f"[{n}] {inert(hits[n - 1].chunk.title)}" for n in numbers if 0 < n <= len(hits)]
    st.caption("Sources: " + " · ".join(lines))
