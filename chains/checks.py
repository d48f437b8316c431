"""Output checks on a draft: what it states must come from somewhere the agent can see.

- a sentence that cites a passage must share most of its content words with that passage (lexical support);
- URLs, amounts (₩, 원, 만 원, $, %, …), dates and promises ("we will refund", "guarantee", "환불해 드리겠습니다")
  must appear in the retrieved passages or the ticket. Customer text that tried to instruct the assistant (see
  `chains.injection`) never counts as a source, and a promise needs a passage or an agent's own words behind it:
  a customer asking for a refund is no ground for promising one.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from chains import injection
from chains.context import TaskContext
from core.types import UnsupportedClaim
from knowledge.text import lexical_tokens

SUPPORT_OVERLAP = 0.6   # share of a cited sentence's content words that its passages must contain: hand-written
                        # paraphrases of demo KB sentences score 0.86-1.0 against their own article, the median
                        # other article of the same language 0.3-0.7 (tests/unit/test_chains_checks.py)
MIN_CHECKED_WORDS = 3   # sentences with fewer content words are too short to judge

URL = re.compile(r"(?<![@\w.])(?:https?://[^\s<>()\[\]\"'{}]+|www\.[^\s<>()\[\]\"'{}]+|"
                 r"[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:com|net|org|io|co|kr|example|info|biz|shop|link|xyz|app|me|ly)"
                 r"(?:/[^\s<>()\[\]\"'{}]*)?)(?![\w@])", re.I)
NUMBER = re.compile(r"(?<![\w.])\d{1,3}(?:,\d{3})+(?:\.\d+)?|(?<![\w.,])\d+(?:\.\d+)?")
AMOUNT = re.compile(
    r"(?:[$€£₩]|US\$|KRW\s?|USD\s?)\s?\d[\d,]*(?:\.\d+)?(?:\s?(?:만|천|억))?"
    r"|\d[\d,]*(?:\.\d+)?\s?(?:만|천|억)?\s?(?:원|won|dollars?|달러|USD|KRW|EUR|euros?)(?![A-Za-z])"
    r"|\d[\d,]*(?:\.\d+)?\s?(?:%|퍼센트|percent)", re.I)
MULTIPLIER = {"천": 1_000, "만": 10_000, "억": 100_000_000}
MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
DATE = re.compile(
    r"\b(?P<iso>\d{4})-(?P<im>\d{1,2})-(?P<id>\d{1,2})\b|\b(?P<a>\d{1,2})/(?P<b>\d{1,2})(?:/\d{2,4})?\b"
    r"|\b(?P<mon>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? (?P<md>\d{1,2})(?:st|nd|rd|th)?\b"
    r"|\b(?P<dm>\d{1,2})(?:st|nd|rd|th)? (?:of )?(?P<mon2>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b"
    r"|(?P<km>\d{1,2})월\s?(?P<kd>\d{1,2})일", re.I)
PROMISES = (  # what the shop will do: a passage (policy) or an agent's own turn must make the same kind of promise
    re.compile(r"\b(?:we|i)(?:'ll| will| shall| are going to| am going to| can)\s+(?:\w+\s+){0,2}?"
               r"(?P<key>refund|reimburse|compensate|credit|replace|waive|cover|pay)\b", re.I),
    re.compile(r"\b(?P<key>guarantee[ds]?)\b", re.I),
    re.compile(r"(?P<key>환불|보상|배상|교환|적립금|지급|할인)(?:을|를|이|은)?\s*(?:\S+\s*){0,2}?(?:해\s*|을\s*|를\s*)?드리겠습니다"),
    re.compile(r"(?P<key>보장)(?:합니다|해 드립니다|드립니다|해 드리겠습니다)"),
)
DONE = (  # what was done on this customer's case: only an agent's own turn can say so, never a KB article
    re.compile(r"\b(?:your|the|a)\s+(?:full\s+)?(?P<key>refund|credit|replacement|compensation|discount)\s+"
               r"(?:\S+\s+){0,3}?(?:is|has been|was|have been)\s+(?:approved|granted|issued|processed|confirmed)\b", re.I),
    re.compile(r"\bI(?:'ve| have)\s+(?:just\s+)?(?:approved|issued|processed|authori[sz]ed)\s+(?:\S+\s+){0,3}?"
               r"(?P<key>refund|credit|replacement|compensation|discount)", re.I),
    re.compile(r"(?P<key>환불|보상|할인)(?:이|은|가)?\s*(?:\S+\s*)?(?:승인|확정|완료)(?:되었습니다|됐습니다|되었어요|처리되었습니다)"),
)


@dataclass(frozen=True)
class Sources:
    """What a draft may draw on, prepared once per draft."""

    text: str                 # passages, titles, links, the ticket's trusted text and the sign-off
    ticket: str               # the ticket's trusted text alone
    promise_text: str         # passages and the agents' own turns
    agents: str               # the agents' own turns
    urls: tuple[str, ...]
    numbers: frozenset[float]
    dates: frozenset[tuple[int, int]]


def normalise_url(url: str) -> str:
    url = re.sub(r"^(?:https?://)?(?:www\.)?", "", url.strip().lower())
    return url.rstrip(".,;:!?)'\"").rstrip("/")


def amount_value(text: str) -> float | None:
    """The amount's number with 천/만/억 applied ("50만 원" -> 500000)."""
    found = NUMBER.search(text)
    if not found:
        return None
    value = float(found.group(0).replace(",", ""))
    unit = re.search(r"\d\s?(천|만|억)", text)
    return value * MULTIPLIER[unit.group(1)] if unit else value


def source_numbers(text: str) -> frozenset[float]:
    values = {float(m.group(0).replace(",", "")) for m in NUMBER.finditer(text)}
    values |= {v for v in (amount_value(m.group(0)) for m in AMOUNT.finditer(text)) if v is not None}
    return frozenset(values)


def date_keys(match: re.Match) -> set[tuple[int, int]]:
    """(month, day) readings of a date; 3/4 is read both ways."""
    g = match.groupdict()
    if g["iso"]:
        return {(int(g["im"]), int(g["id"]))}
    if g["a"]:
        return {(int(g["a"]), int(g["b"])), (int(g["b"]), int(g["a"]))}
    if g["mon"]:
        return {(MONTHS[g["mon"].lower()[:3]], int(g["md"]))}
    if g["mon2"]:
        return {(MONTHS[g["mon2"].lower()[:3]], int(g["dm"]))}
    return {(int(g["km"]), int(g["kd"]))}


def trusted_ticket_text(ctx: TaskContext) -> tuple[str, str]:
    """(everything of the ticket except what tried to instruct the assistant, the agents' own turns)."""
    flagged = injection.flagged_sources(ctx.ticket)
    parts = [] if "subject" in flagged else [ctx.ticket.subject]
    agents = []
    for n, message in enumerate(ctx.ticket.messages, start=1):
        if message.role == "note":
            continue
        if message.role == "agent":
            agents.append(message.text)
        if f"message {n}" not in flagged:
            parts.append(message.text)
    return "\n".join(parts), "\n".join(agents)


def draft_sources(ctx: TaskContext) -> Sources:
    kb = "\n".join(f"{h.chunk.title}\n{h.chunk.section}\n{h.chunk.url}\n{h.chunk.text}" for h in ctx.hits)
    ticket, agents = trusted_ticket_text(ctx)
    text = "\n".join((kb, ticket, ctx.sign_off, ctx.company_name, ctx.agent_name))
    return Sources(text=text, ticket=ticket, promise_text=kb + "\n" + agents, agents=agents,
                   urls=tuple(normalise_url(m.group(0)) for m in URL.finditer(text)),
                   numbers=source_numbers(text),
                   dates=frozenset(k for m in DATE.finditer(text) for k in date_keys(m)))


def url_supported(url: str, sources: Sources) -> bool:
    """The link (or a shorter form of it) is one the passages or the ticket give."""
    url = normalise_url(url)
    return any(s == url or s.startswith(url + "/") or s.startswith(url + "?") for s in sources.urls)


def promise_supported(key: str, text: str, patterns: tuple[re.Pattern, ...]) -> bool:
    """Some source sentence makes the same kind of promise (same pattern family, same key word)."""
    key = key.lower().rstrip("ds") if key.isascii() else key
    for pattern in patterns:
        for m in pattern.finditer(text):
            found = m.group("key").lower()
            if (found.rstrip("ds") if found.isascii() else found) == key:
                return True
    return False


@lru_cache(maxsize=2048)
def content_words(text: str) -> frozenset[str]:
    return frozenset(t for t in lexical_tokens(text) if not re.fullmatch(r"\[?[A-Z]+_\d+\]?|\d{1,2}", t))


def lexical_support(sentence: str, passages: list[str]) -> float:
    """Share of the sentence's content words found in the passages (1.0 when it has too few to judge)."""
    words = content_words(sentence)
    if len(words) < MIN_CHECKED_WORDS:
        return 1.0
    passage_words: set[str] = set()
    for passage in passages:
        passage_words |= content_words(passage)
    return len(words & passage_words) / len(words)


def cited_support(sentence: str, passages: list[str], sources: Sources) -> bool:
    """The cited passages carry most of the sentence's words and every number it states (or the ticket does)."""
    if lexical_support(sentence, passages) < SUPPORT_OVERLAP:
        return False
    numbers = source_numbers("\n".join(passages)) | source_numbers(sources.ticket)
    stated = {float(m.group(0).replace(",", "")) for m in NUMBER.finditer(re.sub(r"\[[A-Z]+_\d+\]", "", sentence))}
    return stated <= numbers


def sentence_claims(index: int, sentence: str, sources: Sources) -> list[UnsupportedClaim]:
    """The URLs, amounts, dates and promises of one sentence that no source gives."""
    out: list[UnsupportedClaim] = []
    for m in URL.finditer(sentence):
        if not url_supported(m.group(0), sources):
            out.append(UnsupportedClaim(kind="url", text=m.group(0).rstrip(".,;:!?)"), sentence_index=index))
    for m in AMOUNT.finditer(sentence):
        value = amount_value(m.group(0))
        if value is not None and value not in sources.numbers:
            out.append(UnsupportedClaim(kind="amount", text=m.group(0).strip(), sentence_index=index))
    for m in DATE.finditer(sentence):
        if not date_keys(m) & sources.dates:
            out.append(UnsupportedClaim(kind="date", text=m.group(0), sentence_index=index))
    for patterns, support in ((PROMISES, sources.promise_text), (DONE, sources.agents)):
        for pattern in patterns:
            for m in pattern.finditer(sentence):
                if not promise_supported(m.group("key"), support, patterns):
                    out.append(UnsupportedClaim(kind="promise", text=m.group(0).strip(), sentence_index=index))
    return out


def check_sentences(sentences: list[str], cited: dict[int, list[str]], ctx: TaskContext) -> list[UnsupportedClaim]:
    """Every unsupported claim of a draft's sentences (`cited`: sentence index -> the chunk ids it cites)."""
    sources = draft_sources(ctx)
    passages = {h.chunk.id: f"{h.chunk.title}\n{h.chunk.text}" for h in ctx.hits}
    out: list[UnsupportedClaim] = []
    for index, sentence in enumerate(sentences):
        out.extend(sentence_claims(index, sentence, sources))
        chunk_ids = [c for c in cited.get(index, []) if c in passages]
        if chunk_ids and not cited_support(sentence, [passages[c] for c in chunk_ids], sources):
            out.append(UnsupportedClaim(kind="citation", text=sentence, sentence_index=index))
    return out


def repeated_display_name(text: str, name: str) -> UnsupportedClaim | None:
    """A draft that repeats a display name which is no plausible personal name ('REFUNDAPPROVED', a link)."""
    name = name.strip()
    if not name or injection.plausible_name(name):
        return None
    if re.search(r"(?<!\w)" + re.escape(name) + r"(?!\w)", text, re.I):
        return UnsupportedClaim(kind="display_name", text=name)
    return None
