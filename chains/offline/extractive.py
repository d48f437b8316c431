"""The offline engine's summary: the customer's issue, what has been done, the next step, and entities,
each taken from the conversation's own sentences."""
from __future__ import annotations

import re

from chains.signals import extract_entities
from knowledge.text import lexical_tokens_batch, split_sentences

MAX_WORDS = 40
NOTHING_YET = {"en": "Nothing yet.", "ko": "아직 조치 없음."}
NEXT = {
    "en": {"question": "Answer the customer's latest question: {q}", "default": "Reply to the customer's latest message and confirm the next step."},
    "ko": {"question": "고객의 마지막 질문에 답변: {q}", "default": "고객의 마지막 메시지에 답변하고 다음 단계를 안내하세요."},
}
GREETING = re.compile(r"^(hi|hello|hey|dear|thanks|thank you|good (morning|afternoon|evening)|안녕하세요|감사합니다)\b[^.!?]*[.!?,]?\s*$", re.I)
HANDLE = re.compile(r"(^|\s)@\w+")


def _strip(text: str) -> str:
    return re.sub(r"\s+", " ", HANDLE.sub(" ", text)).strip()


def _trim(sentence: str, limit: int = MAX_WORDS) -> str:
    words = sentence.split()
    return sentence if len(words) <= limit else " ".join(words[:limit]) + " …"


def _sentences(text: str) -> list[str]:
    return [s for s in (_strip(x) for x in split_sentences(text)) if s and not GREETING.match(s) and len(s.split()) >= 3]


def salient_sentences(messages: list[str], vocabulary: dict[str, float], count: int) -> list[str]:
    """Sentences that carry most of the conversation's frequent content words, earlier ones preferred."""
    candidates = [s for m in messages for s in _sentences(m)]
    if not candidates:
        return []
    scored = []
    for pos, tokens in enumerate(lexical_tokens_batch(candidates)):
        unique = set(tokens)
        weight = sum(vocabulary.get(t, 0.0) for t in unique) / (len(unique) ** 0.5 + 1)
        scored.append((weight + 0.6 / (1 + pos), pos))
    best = sorted(scored, reverse=True)[:count]
    return [candidates[pos] for _, pos in sorted(best, key=lambda b: b[1])]


def _vocabulary(texts: list[str]) -> dict[str, float]:
    counts: dict[str, float] = {}
    for tokens in lexical_tokens_batch(texts):
        for tok in set(tokens):
            counts[tok] = counts.get(tok, 0.0) + 1.0
    return counts


def latest_question(text: str) -> str:
    questions = [s for s in _sentences(text) if s.rstrip().endswith(("?", "？")) or re.search(r"(나요|까요|ㄹ까|인가요|습니까)\??$", s)]
    return _trim(questions[-1]) if questions else ""


def summarize_conversation(conversation: list[dict], lang: str = "en") -> dict:
    """Summary fields (issue, done_so_far, next_steps, entities) from a list of {role, text} messages."""
    lang = lang if lang in NOTHING_YET else "en"
    customer = [m["text"] for m in conversation if m.get("role") == "customer"]
    agent = [m["text"] for m in conversation if m.get("role") == "agent"]
    vocabulary = _vocabulary(customer + agent)
    issue = salient_sentences(customer, vocabulary, 2) or [_strip(customer[0])] if customer else []
    done = salient_sentences(agent, vocabulary, 1)
    question = latest_question(customer[-1]) if customer else ""
    next_steps = NEXT[lang]["question"].format(q=question) if question else NEXT[lang]["default"]
    entities = extract_entities("\n".join(m["text"] for m in conversation))
    return {
        "issue": _trim(" ".join(issue), 60) if issue else NOTHING_YET[lang],
        "done_so_far": _trim(" ".join(done)) if done else NOTHING_YET[lang],
        "next_steps": next_steps,
        "entities": entities,
    }


def summary_text(summary: dict) -> str:
    """The summary as plain prose, who said what made explicit (for evaluation against reference summaries)."""
    parts = [f"Customer: {summary['issue']}"]
    if summary["done_so_far"] not in NOTHING_YET.values():
        parts.append(f"Agent: {summary['done_so_far']}")
    return " ".join(parts)
