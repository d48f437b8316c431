"""A knowledge-base article drafted from what agents actually sent on a topic the KB misses.

The draft is extractive: the sentences most of the replies share (near-duplicates counted once per reply) form
the short answer, list items become the steps. Greetings, thanks, apologies, sign-offs and name lines are
dropped, quoted customer text is left out, and personal data (e-mails, phones, cards, names, addresses, order and
reference numbers...) is masked with `chains.pii` placeholders before anyone sees the draft.
"""
from __future__ import annotations

import json
import re
from collections.abc import Sequence

from chains.redact import PLACEHOLDER, Redactor
from knowledge.text import lexical_tokens_batch, split_sentences

MAX_ANSWER_SENTENCES = 5
FALLBACK_SENTENCES = 3
MAX_STEPS = 8
SAME_SENTENCE = 0.6  # token Jaccard from which two sentences say the same thing
HEADINGS = {"en": ("Answer", "Steps", "_Write the answer here._"), "ko": ("답변", "단계", "_여기에 답변을 쓰세요._")}

_CUE = r"(?:(?i:order|ref(?:erence)?|tracking|invoice|case|ticket)\s*(?i:number|no\.?|id)?\s*[:#]?\s*|#\s?|주문\s*(?:번호)?\s*:?\s*)"
_VALUE = r"(?=[A-Za-z0-9-]*\d)[A-Za-z0-9][A-Za-z0-9-]{3,}"
ORDER_NUMBER = re.compile(rf"{_CUE}(?P<value>{_VALUE})\b|(?<![\w\[])(?P<bare>\d{{6,}})(?![\w\]])")
GREETING = re.compile(
    r"^\s*(?:(?i:hi|hello|hey|dear|greetings|good\s+(?:morning|afternoon|evening))\b[^,.!?\n]{0,40}[,.!?]"
    r"|안녕하세요[^.!?\n]{0,20}[.!?]?|\S{1,12}\s?고객님[,.!]?)\s*")
COURTESY = re.compile(
    r"(?i)^(?:thanks?\b|thank\s+you|many\s+thanks|cheers|sincerely|best|kind|warm|regards)"
    r"|\bregards\b|have\s+a\s+(?:great|nice|good|lovely|wonderful)\s+(?:day|week|weekend)"
    r"|let\s+(?:me|us)\s+know\s+if|feel\s+free\s+to|don'?t\s+hesitate|happy\s+to\s+help|hope\s+this\s+helps"
    r"|\bsorry\b|apologi[sz]e|\bI\s+understand\b|anything\s+else|we\s+appreciate|reaching\s+out|contacting\s+us"
    r"|감사합니다|감사드립니다|고맙습니다|좋은\s?하루|문의(?:해|하여)\s?주셔서|불편을\s?드려|죄송|궁금한\s?점|드림\s*$")
NAME_LINE = re.compile(r"^(?:[A-Z][\w'’-]*|\[[A-Z]+_\d+\]|&|,|-|—|\s)+$")
STEP = re.compile(r"^(?:[-*+]|\d+[.)])\s+")


def mask(text: str, redactor: Redactor, names: Sequence[str] = ()) -> str:
    """The text with personal data and order or reference numbers replaced by placeholders."""
    masked = redactor.redact(text, list(names))

    def order(match: re.Match) -> str:
        group = "value" if match.group("value") else "bare"
        start, end = match.span(group)
        return match.group(0)[: start - match.start()] + redactor.placeholder("ORDER", match.group(group)) \
            + match.group(0)[end - match.start():]

    return ORDER_NUMBER.sub(order, masked)


def content_sentences(reply: str) -> list[str]:
    """The reply's sentences without greetings, courtesies, sign-offs, name lines or quoted text."""
    kept = []
    for sentence in split_sentences(reply):
        if sentence.startswith(">"):
            continue
        sentence = GREETING.sub("", sentence).strip()
        if not sentence or COURTESY.search(sentence) or NAME_LINE.match(sentence.rstrip(".,!")):
            continue
        if not PLACEHOLDER.sub("", sentence).strip(" .,:;-"):
            continue
        kept.append(sentence[0].upper() + sentence[1:])
    return kept


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else float(a == b)


def _shared(sentences: list[tuple[int, int, str]], questions: Sequence[str]) -> list[tuple[int, tuple[int, int], str]]:
    """Near-duplicate sentences merged: (how many replies say it, first position, its first wording)."""
    tokens = lexical_tokens_batch([text for _, _, text in sentences] + list(questions))
    asked = [set(t) for t in tokens[len(sentences):]]
    groups: list[tuple[set[str], set[int], tuple[int, int], str]] = []
    for (reply, position, text), words in zip(sentences, (set(t) for t in tokens[: len(sentences)])):
        if any(_jaccard(words, q) >= SAME_SENTENCE for q in asked):
            continue
        same = next((g for g in groups if _jaccard(words, g[0]) >= SAME_SENTENCE), None)
        if same is None:
            groups.append((words, {reply}, (reply, position), text))
        else:
            same[1].add(reply)
    return sorted(((len(g[1]), g[2], g[3]) for g in groups), key=lambda g: (-g[0], g[1]))


def _answer(shared: list[tuple[int, tuple[int, int], str]]) -> list[str]:
    """Sentences at least two replies share; otherwise the first sentences of the first reply."""
    common = [text for support, _, text in shared if support >= 2][:MAX_ANSWER_SENTENCES]
    if common:
        return common
    first = sorted((position, text) for _, position, text in shared)
    return [text for (reply, _), text in first if reply == first[0][0][0]][:FALLBACK_SENTENCES] if first else []


def _steps(replies: list[list[str]]) -> list[str]:
    """The list items of the reply that lists the most of them, markers removed, near-duplicates dropped."""
    listed = max(([STEP.sub("", s) for s in sentences if STEP.match(s)] for sentences in replies), key=len, default=[])
    steps: list[str] = []
    for step, words in zip(listed, (set(t) for t in lexical_tokens_batch(listed))):
        if step and all(_jaccard(words, set(t)) < SAME_SENTENCE for t in lexical_tokens_batch(steps)):
            steps.append(step)
    return steps[:MAX_STEPS]


def draft_article(topic_label: str, replies: list[str], language: str, *, names: Sequence[str] = (),
                  questions: Sequence[str] = ()) -> str:
    """A Markdown article (title, short answer, steps) from agents' replies, personal data masked.

    `names` (agents', customers') are masked wherever they appear; sentences that repeat one of `questions`
    are left out, so the customers' words appear at most in the title."""
    redactor = Redactor()
    answer_heading, steps_heading, empty = HEADINGS.get(language, HEADINGS["en"])
    masked = [mask(reply, redactor, names) for reply in replies if reply and reply.strip()]
    per_reply = [content_sentences(reply) for reply in masked]
    prose = [(r, p, s) for r, sentences in enumerate(per_reply) for p, s in enumerate(sentences) if not STEP.match(s)]
    answer = _answer(_shared(prose, [mask(q, redactor, names) for q in questions]))
    steps = _steps(per_reply)
    title = mask(topic_label.strip(), redactor, names) or answer_heading
    lines = [f"# {title[0].upper() + title[1:]}", "", f"## {answer_heading}", "", " ".join(answer) or empty]
    if steps:
        lines += ["", f"## {steps_heading}", ""] + [f"{n}. {step}" for n, step in enumerate(steps, 1)]
    return "\n".join(lines) + "\n"


def article_document(title: str, markdown: str, language: str) -> str:
    """The article file: front matter (title, lang) the loaders read, then the Markdown under the edited title."""
    title = " ".join(title.split()) or "Untitled"
    body = re.sub(r"\A\s*# [^\n]*\n?", "", markdown.strip() + "\n", count=1)
    return f"---\ntitle: {json.dumps(title, ensure_ascii=False)}\nlang: {language or 'en'}\n---\n# {title}\n\n{body.lstrip()}"
