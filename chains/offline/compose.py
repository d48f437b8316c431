"""The offline engine's grounded reply: what the customer asks in their latest message, answered with KB
statements taken from the retrieved passages, framed by a greeting, a neutral opener and a sign-off.

Every factual sentence is a KB statement followed by its passage marker [n]; nothing else states facts. The
framing never asserts a situation the ticket does not state and never claims an action nobody took.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from chains.injection import plausible_name
from knowledge.text import lexical_tokens_batch, split_sentences

ANSWERS_PER_TONE = {"concise": 3, "warm": 3, "detailed": 3}
DETAILED_EXTRA = 3          # detailed = the answers plus this many next-step statements
LIST_MARKER = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+")
MAX_UNIT_WORDS = 70
SHORT_STATEMENT_WORDS = 12  # a statement shorter than this may need the sentence before it
LEAD_IN_WORDS = 6           # a sentence this short right before a list introduces it ("Please check:")
ALREADY_SAID = 0.6          # a statement whose content words the agent (or the customer's own attempts) cover this much
EXPANSION_WEIGHT = 0.5
MIN_CONTENT_WORDS = 3       # statements with fewer content words say nothing on their own
MIN_RELEVANCE = 0.12        # an ask whose best statement scores below this is not answered from the KB
ARTICLE_SCORE_RATIO = 0.75  # articles whose best retrieval score is below this share of the best one are not quoted
OTHER_ARTICLE_FACTOR = 2.5  # statements from other than the best article need this much more relevance

OPENER = {
    "en": {"first": "Thank you for contacting us.", "follow_up": "Thanks for getting back to us."},
    "ko": {"first": "문의해 주셔서 감사합니다.", "follow_up": "다시 연락 주셔서 감사합니다."},
}
APOLOGY = {"en": "I'm sorry for the trouble.", "ko": "불편을 드려 죄송합니다."}
WARM = {"en": "I'm happy to help with this.", "ko": "기꺼이 도와드리겠습니다."}
NEXT_STEP = {
    "en": "If anything is still unclear, just reply to this message.",
    "ko": "더 궁금하신 점이 있으시면 이 메시지에 회신해 주세요.",
}
HOLDING = {
    "en": "I want to make sure you get an accurate answer, so I'll confirm the details and get back to you as soon as I can.",
    "ko": "정확한 답변을 드리기 위해 내용을 확인한 뒤 최대한 빨리 다시 연락드리겠습니다.",
}
DANGLING = re.compile(r"\b(below|following|these|as follows)\s*[:.]?$|\b(listed|shown) below\b|아래|다음과 같|다음 중", re.I)
# Words a customer asks with that the KB answers in other words (appended to the ask before matching).
ASK_EXPANSIONS = (
    (re.compile(r"\b(cost|costs|price|pay|paying|charge|charged|fee)\b", re.I), "fee charge free cost"),
    (re.compile(r"\b(how long|how soon|how many days|when will|when do|when can|until)\b", re.I), "days business within takes"),
    (re.compile(r"\b(money back|refund)\b", re.I), "refund"),
    (re.compile(r"\b(package|parcel|delivery)\b", re.I), "parcel package delivery"),
    (re.compile(r"비용|돈|유료|얼마|내야"), "배송비 수수료 무료 비용"),
    (re.compile(r"택배|소포|물건"), "배송 택배 상품"),
    (re.compile(r"언제|얼마나 걸|며칠|까지"), "영업일 이내 소요"),
)
IDENTIFIER = re.compile(r"^(?=.*\d)[\w-]{5,}$")
ASKING = re.compile(
    r"[?？]\s*$|^(can|could|would|will|do|does|did|is|are|should|may|how|what|why|when|where|which|who)\b|"
    r"\b(please|i need|i want|i'd like|i would like|let me know|tell me|help me)\b|"
    r"(나요|까요|가요|는지|을지|ㄹ지|주세요|주시겠|알려|싶어요|싶습니다|해야 해요|어떻게|왜|언제|어디)",
    re.I,
)
TRIED = re.compile(
    r"\b(already|i've|i have|i tried|i checked|i looked|i did|i cleared|i restarted|i reset|i followed)\b|"
    r"(봤는데|봤어요|봤지만|해봤|해 봤|했는데|했지만|확인했|눌렀는데|시도했)",
    re.I,
)


@dataclass
class Passage:
    n: int
    id: str
    title: str
    text: str
    lang: str = "en"
    section: str = ""
    article: str = ""
    score: float = 0.0

    @property
    def article_id(self) -> str:
        return self.article or self.id.split("#")[0]


@dataclass(frozen=True)
class Statement:
    """One thing a reply can say: a KB sentence, or a list kept with its lead-in."""

    passage: Passage
    position: int
    text: str
    is_step: bool = False


PLACEHOLDER = re.compile(r"\[[A-Z]+_\d+\]")


def greeting_name(name: str) -> str:
    """The name to greet with: a redaction placeholder or a plausible personal name, else "" (greet neutrally)."""
    name = name.strip()
    return name if PLACEHOLDER.fullmatch(name) or plausible_name(name) else ""


def greeting(name: str, lang: str) -> str:
    """'Hi Minji,' — or a neutral greeting when the display name is not a plausible personal name ('REFUNDAPPROVED')."""
    name = greeting_name(name)
    if lang == "ko":
        return f"{name} 고객님, 안녕하세요." if name else "안녕하세요,"
    return f"Hi {name}," if name else "Hello,"


TEAM_NAMES = frozenset({"support team", "support", "customer support", "the team", "team", "고객센터", "상담팀"})


def default_sign_off(agent: str, company: str, lang: str) -> str:
    """The built-in sign-off: the agent's name when it is a person's (the demo identity "Support team" is not, and
    "Maru Market 고객센터 Support team 드림" reads wrong), always the company."""
    agent = agent.strip()
    if agent.casefold() in TEAM_NAMES:
        agent = ""
    if lang == "ko":
        return f"감사합니다.\n{company} 고객센터 {agent} 드림" if agent else f"감사합니다.\n{company} 고객센터 드림"
    return f"Best regards,\n{agent}\n{company} Support" if agent else f"Best regards,\n{company} Support"


def _tidy(text: str) -> str:
    return re.sub(r"\s+", " ", LIST_MARKER.sub("", text)).strip()


def _finish(sentence: str) -> str:
    sentence = sentence.rstrip(" ;,:")
    if sentence and sentence[-1] not in ".!?。":
        sentence += "."
    return sentence[:1].upper() + sentence[1:]


def _lead_in_with_items(lead: str, items: list[str]) -> str:
    """'Your refund can be less when: a fee applies; an item is used.' — fragments keep the words that make them true."""
    return _finish(f"{lead.rstrip(' :.')}: " + "; ".join(item.rstrip(" .;") for item in items))


def _usable(text: str) -> bool:
    return len(text.split()) >= 3 and len(text.split()) <= MAX_UNIT_WORDS and not text.rstrip().endswith(":")


def passage_statements(passage: Passage) -> list[Statement]:
    """A passage's statements in reading order. A lead-in (a sentence ending in ':', or a short sentence that
    opens a list) and the list items after it form one statement (or, when that would be too long, one statement
    per item, each with the lead-in). KB questions and sentences pointing at a list they do not carry are left out."""
    sentences = split_sentences(passage.text)
    out: list[Statement] = []
    in_list = False
    i = 0
    while i < len(sentences):
        raw = sentences[i]
        text = _tidy(raw)
        is_item = bool(LIST_MARKER.match(raw))
        opens_list = i + 1 < len(sentences) and bool(LIST_MARKER.match(sentences[i + 1]))
        if opens_list and not is_item and (text.endswith(":") or (len(text.split()) <= LEAD_IN_WORDS and not in_list)):
            items, j = [], i + 1
            while j < len(sentences) and LIST_MARKER.match(sentences[j]):
                items.append(_tidy(sentences[j]))
                j += 1
            out.extend(_list_statements(passage, i, text, items))
            in_list, i = True, j
            continue
        if is_item:
            text, i = _item_with_continuation(sentences, i)
        in_list = is_item or (in_list and not text.endswith(":"))
        if _usable(text) and not text.endswith(("?", "？")) and not DANGLING.search(text):
            out.append(Statement(passage, i, _finish(text), is_step=bool(re.match(r"^\s*\d+[.)]\s", raw))))
        i += 1
    return out


def _item_with_continuation(sentences: list[str], i: int) -> tuple[str, int]:
    """A list item with the sentences that continue it ("₩6,000. It is charged when you submit."), and the
    position of its last sentence."""
    parts = [_finish(_tidy(sentences[i]))]
    while (i + 1 < len(sentences) and not LIST_MARKER.match(sentences[i + 1])
           and not sentences[i + 1].rstrip().endswith(":")
           and len(" ".join(parts + [sentences[i + 1]]).split()) <= MAX_UNIT_WORDS
           and i + 2 < len(sentences) and LIST_MARKER.match(sentences[i + 2])):
        i += 1
        parts.append(_finish(_tidy(sentences[i])))
    return " ".join(parts), i


def _list_statements(passage: Passage, position: int, lead: str, items: list[str]) -> list[Statement]:
    whole = _lead_in_with_items(lead, items)
    if len(whole.split()) <= MAX_UNIT_WORDS:
        return [Statement(passage, position, whole)]
    return [Statement(passage, position + k, _lead_in_with_items(lead, [item])) for k, item in enumerate(items, 1)
            if len(_lead_in_with_items(lead, [item]).split()) <= MAX_UNIT_WORDS]


def expansion(ask: str) -> str:
    """Words the KB is likely to answer this ask in (they count half as much as the ask's own words)."""
    return " ".join(words for pattern, words in ASK_EXPANSIONS if pattern.search(ask))


def customer_asks(latest: str) -> list[str]:
    """What the latest customer message asks: its questions and requests; without a question mark, also its
    other content sentences except those reporting what the customer already tried."""
    sentences = [s for s in split_sentences(latest) if len(s.split()) >= 2 or re.search(r"[가-힣]{4,}", s)]
    asks = [s for s in sentences if ASKING.search(s)]
    if not any(re.search(r"[?？]\s*$", s) for s in asks):
        asks = [s for s in sentences if s in asks or not TRIED.search(s)]
    return asks or sentences or ([latest] if latest.strip() else [])


@dataclass
class _Scorer:
    """IDF-weighted word overlap between what the customer asks and the candidate statements."""

    statement_terms: list[set[str]]
    idf: dict[str, float]

    @classmethod
    def over(cls, statements: list[Statement]) -> "_Scorer":
        terms = [set(t) for t in lexical_tokens_batch([f"{s.passage.section} {s.text}" for s in statements])]
        df: dict[str, int] = {}
        for t in terms:
            for w in t:
                df[w] = df.get(w, 0) + 1
        n = len(terms)
        return cls(terms, {w: math.log(1 + n / (c + 0.5)) for w, c in df.items()})

    def distinctive(self) -> set[str]:
        """Words that occur in a single candidate statement."""
        seen: dict[str, int] = {}
        for terms in self.statement_terms:
            for w in terms:
                seen[w] = seen.get(w, 0) + 1
        return {w for w, c in seen.items() if c == 1}

    def weight(self, words: set[str]) -> float:
        unseen = math.log(1 + len(self.statement_terms) / 1.5)  # as rare as a word found in one statement
        return sum(self.idf.get(w, unseen) for w in words)

    def relevance(self, ask: set[str], row: int, extra: set[str] = frozenset()) -> float:
        total = self.weight(ask)
        terms = self.statement_terms[row]
        return (self.weight(ask & terms) + EXPANSION_WEIGHT * self.weight(extra & terms)) / total if total else 0.0


def _covered(terms: set[str], said: list[set[str]], distinctive: set[str]) -> bool:
    """Whether one thing already said covers a statement: half its content words, or two of its distinctive
    words (found in no other candidate statement) and a third of its words."""
    for other in said:
        shared = terms & other
        if terms and (len(shared) >= ALREADY_SAID * len(terms)
                      or (len(shared & distinctive) >= 2 and len(shared) >= len(terms) / 3)):
            return True
    return False


def close_to_best(passages: list[Passage]) -> list[Passage]:
    """Passages of the articles retrieval ranks close to the best one: a reply quotes the article the ticket is
    about, not a neighbour that happens to share a word."""
    best: dict[str, float] = {}
    for p in passages:
        best[p.article_id] = max(best.get(p.article_id, 0.0), p.score)
    top = max(best.values(), default=0.0)
    if top <= 0:
        return passages
    return [p for p in passages if best[p.article_id] >= ARTICLE_SCORE_RATIO * top]


def _article_ranks(passages: list[Passage]) -> dict[str, int]:
    ranks: dict[str, int] = {}
    for p in sorted(passages, key=lambda p: p.n):
        ranks.setdefault(p.article_id, len(ranks))
    return ranks


def select_statements(passages: list[Passage], latest: str, context: str, count: int,
                      said: list[str] = ()) -> list[Statement]:
    """The statements that answer what the latest message asks, best answer to each ask first, in ask order;
    nothing the agent already said or the customer says they already tried."""
    statements = [s for p in close_to_best(passages) for s in passage_statements(p)]
    if not statements:
        return []
    scorer = _Scorer.over(statements)
    contentful = {row for row, terms in enumerate(scorer.statement_terms) if len(terms) >= MIN_CONTENT_WORDS}
    asks = customer_asks(latest)
    token_lists = [[t for t in tokens if not IDENTIFIER.match(t)]
                   for tokens in lexical_tokens_batch(asks + [latest, context] + list(said) + [expansion(a) for a in asks])]
    ask_terms = [set(t) for t in token_lists[: len(asks)]]
    extra_terms = [set(t) - a for t, a in zip(token_lists[len(token_lists) - len(asks):], ask_terms)]
    token_lists = token_lists[: len(token_lists) - len(asks)]
    latest_terms, context_terms = set(token_lists[len(asks)]), set(token_lists[len(asks) + 1])
    said_terms = [set(t) for t in token_lists[len(asks) + 2:]]
    distinctive = scorer.distinctive()
    fresh = [row for row in range(len(statements)) if row in contentful
             and not _covered(scorer.statement_terms[row], said_terms, distinctive)]

    article_rank = _article_ranks(passages)

    def score(ask: set[str], row: int, extra: set[str] = frozenset()) -> float:
        rank = statements[row].passage.n - 1
        return (scorer.relevance(ask, row, extra) + 0.3 * scorer.relevance(latest_terms, row)
                + 0.1 * scorer.relevance(context_terms, row) + 0.12 / (1 + rank))

    def relevant(ask: set[str], row: int, extra: set[str] = frozenset()) -> bool:
        """Other articles than the best one must answer clearly to be quoted."""
        needed = MIN_RELEVANCE * (1 if article_rank[statements[row].passage.article_id] == 0 else OTHER_ARTICLE_FACTOR)
        return scorer.relevance(ask, row, extra) >= needed

    chosen: list[int] = []
    for terms, extra in zip(ask_terms, extra_terms):
        ranked = sorted((row for row in fresh if row not in chosen), key=lambda r: -score(terms, r, extra))
        if ranked and relevant(terms, ranked[0], extra):
            chosen.append(ranked[0])
        if len(chosen) >= count:
            break
    if not chosen and fresh:  # the gate found the KB answers this conversation: say its best statement
        chosen.append(max(fresh, key=lambda r: score(latest_terms, r) + scorer.relevance(context_terms, r)))
    with_before = [with_context(statements, row, scorer, ask_terms, relevant, chosen) for row in chosen]
    return _without_repeats(with_before)


def _without_repeats(chosen: list[Statement]) -> list[Statement]:
    """Statements minus the sentences an earlier one already says (a short statement's context may be one)."""
    seen: set[str] = set()
    out = []
    for statement in chosen:
        fresh = [s for s in split_sentences(statement.text) if s.lower() not in seen]
        seen.update(s.lower() for s in fresh)
        if fresh:
            out.append(Statement(statement.passage, statement.position, " ".join(fresh), statement.is_step))
    return out


def with_context(statements: list[Statement], row: int, scorer: "_Scorer", asks: list[set[str]], relevant,
                 taken: list[int] = ()) -> Statement:
    """A short statement ("Use the sign-in button you signed up with.") keeps the sentence before it when that
    sentence is about the same ask and not an answer of its own already, so the reply says why."""
    chosen = statements[row]
    before = statements[row - 1] if row > 0 else None
    if (before is None or row - 1 in taken or before.passage is not chosen.passage or before.position != chosen.position - 1
            or len(chosen.text.split()) >= SHORT_STATEMENT_WORDS or len(before.text.split()) >= SHORT_STATEMENT_WORDS
            or not any(relevant(ask, row - 1) for ask in asks)):
        return chosen
    return Statement(chosen.passage, before.position, f"{before.text} {chosen.text}", chosen.is_step)


def next_steps(passages: list[Passage], chosen: list[Statement], count: int, said: list[str] = ()) -> list[Statement]:
    """Further statements from the passages already cited, steps first, in reading order: what the customer can
    do next."""
    if not chosen or count <= 0:
        return []
    cited = {s.passage.id for s in chosen}
    taken = {sentence.lower() for s in chosen for sentence in split_sentences(s.text)}
    said_terms = [set(t) for t in lexical_tokens_batch(list(said))] if said else []
    pool = [s for p in passages if p.id in cited for s in passage_statements(p)
            if any(sentence.lower() not in taken for sentence in split_sentences(s.text))]
    scorer = _Scorer.over(pool) if pool else None
    distinctive = scorer.distinctive() if scorer else set()
    fresh = [s for s, terms in zip(pool, scorer.statement_terms if scorer else [])
             if not _covered(terms, said_terms, distinctive)]
    unique = list({s.text.lower(): s for s in fresh}.values())
    ordered = sorted(unique, key=lambda s: (not s.is_step, s.passage.n, s.position))
    return sorted(ordered[:count], key=lambda s: (s.passage.n, s.position))


def _cite(statement: str, n: int) -> str:
    """Every sentence of a statement gets the marker, inside the sentence before its final punctuation."""
    cited = []
    for sentence in split_sentences(statement):
        if sentence[-1] in ".!?。":
            cited.append(f"{sentence[:-1]} [{n}]{sentence[-1]}")
        else:
            cited.append(f"{sentence} [{n}]")
    return " ".join(cited)


def opening(lang: str, *, follow_up: bool, sentiment: str, tone: str) -> list[str]:
    """Thanks that fit any ticket, an apology only when the customer is unhappy, warmth only in the warm tone."""
    lines = [OPENER[lang]["follow_up" if follow_up else "first"]]
    if sentiment == "negative":
        lines.append(APOLOGY[lang])
    if tone == "warm":
        lines.append(WARM[lang])
    return lines


def tried_by_customer(customer_turns: list[str]) -> list[str]:
    """The customer's sentences that say what they already tried ("I already checked spam")."""
    return [s for turn in customer_turns for s in split_sentences(turn) if TRIED.search(s)]


def compose_reply(passages: list[Passage], question: str, context: str, *, tone: str, lang: str, sentiment: str,
                  customer: str, agent: str, company: str, answerable: bool, sign_off: str = "",
                  agent_turns: list[str] = (), customer_turns: list[str] = ()) -> str:
    """A complete reply: greeting, opener, the cited answers (detailed adds next steps), closing line, sign-off.

    `question` is the latest customer message; `agent_turns` what the agent already said; `sign_off` the
    configured signature (already filled in), else the built-in one."""
    lang = lang if lang in OPENER else "en"
    usable = [p for p in passages if p.lang == lang] or passages
    said = list(agent_turns) + tried_by_customer(list(customer_turns))
    chosen = select_statements(usable, question, context, ANSWERS_PER_TONE.get(tone, 3), said) if answerable else []
    lines = [greeting(customer, lang), ""]
    opener = opening(lang, follow_up=bool(agent_turns), sentiment=sentiment, tone=tone)
    if not chosen:
        lines.append(" ".join(opener + [HOLDING[lang]]))
    else:
        lines.extend([" ".join(opener), ""])
        answers = [_cite(s.text, s.passage.n) for s in chosen]
        if tone == "detailed":
            steps = [_cite(s.text, s.passage.n) for s in next_steps(usable, chosen, DETAILED_EXTRA, said)]
            lines.append(" ".join(answers))
            if steps:
                lines.extend([""] + [f"- {s}" for s in steps])
        else:
            lines.append(" ".join(answers))
        lines.extend(["", NEXT_STEP[lang]])
    lines.extend(["", sign_off or default_sign_off(agent, company, lang)])
    return "\n".join(lines)
