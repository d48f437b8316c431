"""Small render components. Customer, KB and model text is made inert: it renders as the literal text,
never as an image, a link, HTML, an icon, a colour, maths or a heading. Only the KB's own http(s) `url`
becomes a link, and only through `st.link_button`."""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone

import streamlit as st

from assist_ui.i18n import CATALOG, t
from chains.draft import MARKER, draft_sentences
from core.types import AssistResult, Draft, Hit, Message, Summary, Ticket, Triage, as_utc

WORD_JOINER = "\u2060"  # invisible; splits patterns that Streamlit's Markdown matches after unescaping
# Every character CommonMark, GFM, remark-math, remark-directive (`:red[…]`, `:material_x:`) or Streamlit
# give a meaning to; a backslash makes each one literal (CommonMark escapes any ASCII punctuation).
MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=&^])")
# Matched on the text after escapes are resolved (GFM autolink literals, Material icons, remark-emoji
# shortcodes), so escaping cannot stop them: a word joiner after "http"/"www"/"@" or after the opening
# colon of a shortcode does. Digit-only shortcodes are only :100: and :1234:, so "10:30:00" stays as is.
AFTER_UNESCAPING = re.compile(
    r"(?i)https?(?=:)|www(?=\.)|@(?=[-\w])|:(?=(?:[\w+/-]*[a-z_+/-][\w+/-]*|100|1234):)")
LINE_INDENT = re.compile(r"(^|\n)([ \t]+)")  # 4+ spaces would start a code block
PRIORITY_COLOR = {"urgent": "red", "high": "orange", "normal": "blue", "low": "gray"}
SENTIMENT_COLOR = {"negative": "red", "neutral": "gray", "positive": "green"}


def inert(text: str) -> str:
    """Markdown that Streamlit renders as exactly this text (line breaks kept): no link, image, HTML,
    autolink, shortcode, icon, colour, maths, heading, list, table or code block."""
    return _inert(text, at_line_start=True)


def _inert(text: str, at_line_start: bool) -> str:
    text = str(text).replace("\r\n", "\n").replace("\r", "\n")
    text = AFTER_UNESCAPING.sub(lambda m: m.group(0) + WORD_JOINER, text)
    text = MARKDOWN_SPECIAL.sub(r"\\\1", text)
    text = LINE_INDENT.sub(lambda m: m.group(1) + "\u00a0" * len(m.group(2).replace("\t", "    "))
                           if m.group(1) or at_line_start else m.group(0), text)
    return text.replace("\n", "  \n")


def inert_stream(pieces: Iterable[str]) -> Iterator[str]:
    """`inert` for text that arrives in pieces (an LLM stream, for `st.write_stream`).

    Escaping each piece alone is not enough: "htt" + "p://…" would join into an autolink. Pieces are held
    back up to the last whitespace, which no link, address or shortcode spans."""
    pending, at_line_start = "", True
    for piece in pieces:
        pending += piece
        cut = max(pending.rfind(" "), pending.rfind("\t"), pending.rfind("\n")) + 1
        if cut:
            ready, pending = pending[:cut], pending[cut:]
            yield _inert(ready, at_line_start)
            at_line_start = ("\n" in ready or at_line_start) and not ready.rsplit("\n", 1)[-1].strip(" \t")
    if pending:
        yield _inert(pending, at_line_start)


def inert_badge(text: str) -> str:
    """`inert` on one line for `st.badge`, which escapes '[' and ']' itself (twice would end the badge early)."""
    return inert(one_line(text)).replace("\\[", "[").replace("\\]", "]")


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def word(prefix: str, value: str) -> str:
    """The interface's word for a code such as a status, a channel or a sentiment; the code itself when unknown."""
    key = f"{prefix}.{value}"
    return t(key) if key in CATALOG else value


def tone_name(tone: str) -> str:
    """A tone as a tab name ("Concise")."""
    key = f"ws.tone.{tone}"
    return t(key) if key in CATALOG else tone.capitalize()


def uncited_sentences(draft: Draft) -> list[str]:
    """The draft's sentences that state facts without citing a passage, as the agent reads them (no markers)."""
    sentences = draft_sentences(draft.text)
    return [MARKER.sub("", sentences[i]).strip() for i in draft.unsupported_sentences if 0 <= i < len(sentences)]


def uncited_sentences_notice(draft: Draft) -> None:
    """Which sentences state facts without a source, each quoted on its own line (inert), above the draft."""
    sentences = uncited_sentences(draft)
    heading = t("ws.unsupported_sentences", n=str(len(sentences) or len(draft.unsupported_sentences)))
    quoted = [f"• “{inert(one_line(sentence)[:200])}”" for sentence in sentences]
    st.warning("  \n".join([heading, *quoted]), icon=":material/format_quote:")


def intent_name(intent: str) -> str:
    """A triage intent as agents read it ("Refund status"); an intent outside the catalog as written, on one line."""
    return word("intent", one_line(intent))


def tone_word(tone: str) -> str:
    """A tone inside a sentence ("concise")."""
    return word("ws.tone_word", tone)


# -- queue and ticket header ---------------------------------------------------------------------
def ticket_language(ticket: Ticket) -> str:
    from knowledge.text import detect_language

    return detect_language(" ".join(m.text for m in ticket.customer_messages()))


def ticket_age(ticket: Ticket, now: datetime | None = None) -> str:
    """Time since the last message ("5h", "3d"); a time without a timezone counts as UTC."""
    times = [as_utc(m.at) for m in ticket.messages if m.at]
    if not times:
        return "—"
    hours = max(((now or datetime.now(timezone.utc)) - max(times)).total_seconds() / 3600, 0.0)
    return t("render.age_hours", n=f"{hours:.0f}") if hours < 48 else t("render.age_days", n=f"{hours / 24:.0f}")


def ticket_header(ticket: Ticket, status: str) -> None:
    """Subheader "{id} — {subject}" and caption "{customer} · {channel} · status: {status}", all inert."""
    st.subheader(f"{inert(ticket.id)} — {inert(one_line(ticket.subject) or t('render.no_subject'))}")
    st.caption(t("render.ticket_caption", customer=inert(one_line(ticket.customer.name) or "—"),
                 channel=inert(word("render.channel", ticket.channel)), status=inert(word("render.status", status))))


# -- thread and assist panel -----------------------------------------------------------------------
def thread(messages: list[Message]) -> None:
    for message in messages:
        avatar = {"customer": "user", "agent": "assistant", "note": ":material/sticky_note_2:"}.get(message.role, "user")
        with st.chat_message(message.role if message.role != "note" else "note", avatar=avatar):
            when = message.at.strftime("%Y-%m-%d %H:%M") if message.at else ""
            label = (t("render.internal_note") if message.role == "note"
                     else one_line(message.author) or word("render.role", message.role))
            st.caption(f"{inert(label)} · {when}")
            st.markdown(inert(message.text))


def engine_banner(result: AssistResult, configured: str) -> None:
    if result.engine == "offline" and configured == "offline":
        st.info(t("render.offline_info"), icon=":material/lock:")
    elif result.engine == "offline":
        st.warning(t("render.offline_fallback", provider=inert(configured)), icon=":material/warning:")
    else:
        st.success(t("render.llm_engine", model=inert(result.model)), icon=":material/auto_awesome:")
    for notice in result.notices:
        st.warning(inert(notice), icon=":material/warning:")
    if result.cost.get("input_tokens") or result.cost.get("output_tokens"):
        st.caption(t("render.tokens", input=str(int(result.cost.get("input_tokens", 0))),
                     output=str(int(result.cost.get("output_tokens", 0))), usd=f"{result.cost.get('usd', 0):.4f}"))


def triage_chips(triage: Triage | None) -> None:
    if triage is None:
        st.caption(t("render.triage_unavailable"))
        return
    cols = st.columns(4)
    cols[0].badge(t("render.chip.intent", value=inert_badge(intent_name(triage.intent))), color="violet",
                  help=t("render.confidence", value=f"{triage.intent_confidence:.2f}"))
    cols[1].badge(t("render.chip.sentiment", value=inert_badge(word("render.sentiment", triage.sentiment))),
                  color=SENTIMENT_COLOR.get(triage.sentiment, "gray"))
    cols[2].badge(t("render.chip.priority", value=inert_badge(word("queue.priority", triage.priority))),
                  color=PRIORITY_COLOR.get(triage.priority, "blue"))
    cols[3].badge(t("render.chip.language", value=inert_badge(word("render.language", triage.language))), color="gray")
    if triage.injection_suspected:
        st.error(t("render.injection"), icon=":material/shield:")


def summary_block(summary: Summary | None) -> None:
    if summary is None:
        st.caption(t("render.summary_unavailable"))
        return
    st.markdown(f"**{t('render.issue')}** — {inert(summary.issue)}")
    st.markdown(f"**{t('render.done_so_far')}** — {inert(summary.done_so_far)}")
    st.markdown(f"**{t('render.next_step')}** — {inert(summary.next_steps)}")
    entities = [f"{word('render.entity', k).replace('_', ' ')}: {', '.join(v)}" for k, v in summary.entities.items() if v]
    if entities:
        st.caption(inert(" · ".join(entities)))


def article_cards(result: AssistResult) -> None:
    """One card per article, best first, with each of its passages under its citation number."""
    if not result.hits:
        st.caption(t("render.no_articles"))
        return
    if not result.answerable:
        st.warning(t("render.weak_matches"), icon=":material/search:")
    for numbers, members in result.articles():
        best = members[0]
        with st.container(border=True):
            st.markdown(f"**{inert(one_line(best.chunk.title))}**")
            st.caption(t("render.score", score=f"{best.score:.4f}", lang=inert(word("render.language", best.chunk.lang))))
            if best.chunk.url.startswith(("http://", "https://")):
                st.link_button(t("render.open_article"), best.chunk.url, icon=":material/open_in_new:")
            for n, hit in zip(numbers, members):
                text = hit.chunk.text[:320] + ("…" if len(hit.chunk.text) > 320 else "")
                st.markdown(f"**\\[{n}\\]** {inert(hit.chunk.section or t('render.intro_section'))} — {inert(text)}")


def draft_sources(draft: Draft, hits: list[Hit]) -> None:
    """Each citation marker resolved to its article card."""
    numbers = sorted({c.marker for c in draft.citations})
    if not numbers:
        return
    lines = [f"\\[{n}\\] {inert(one_line(hits[n - 1].chunk.title))}" for n in numbers if 0 < n <= len(hits)]
    st.caption(t("render.sources") + " · ".join(lines))
