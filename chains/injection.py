"""Prompt-injection detection on everything the customer controls: subject, display name and every customer turn.

Text is normalised first (Unicode NFKC, which folds full-width letters; zero-width and bidi controls removed;
a few look-alike Cyrillic and Greek letters folded to Latin; letters spaced out one by one joined) and obvious
encodings are decoded (base64 runs of 16+ characters that decode to mostly printable UTF-8, %xx URL escapes,
HTML entities), then every variant is matched against English and Korean patterns.
"""
from __future__ import annotations

import base64
import binascii
import html
import re
import unicodedata
from dataclasses import dataclass
from typing import Iterator
from urllib.parse import unquote

from core.types import Ticket

INVISIBLE = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\ufe00-\ufe0f]")
LOOKALIKES = str.maketrans("аеорсуххіјѕԁɡАВЕКМНОРСТХІЈЅαεικνορτυχΑΒΕΗΙΚΜΝΟΡΤΥΧ",
                           "aeopcyxxijsdgABEKMHOPCTXIJSaeikvoptuxABEHIKMNOPTYX")
SPACED_LETTERS = re.compile(r"(?<![^\W\d_])(?:[^\W\d_][ .\-_*·]){3,}[^\W\d_](?![^\W\d_])")
BASE64_RUN = re.compile(r"[A-Za-z0-9+/_-]{16,}={0,2}")
URL_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
HTML_ENTITY = re.compile(r"&(?:#\d{2,7}|#x[0-9A-Fa-f]{2,6}|[A-Za-z]{2,8});")
PRINTABLE_SHARE = 0.9

_STRONG = r"(?:all|any|every|your|previous|prior|above|earlier|preceding|original|initial|system|developer|safety|existing|default)"
_ANY = r"(?:all|any|every|each|the|your|these|those|of|previous|prior|above|earlier|preceding|original|initial|old|" \
       r"system|developer|safety|existing|current|standing|default|given)"
PATTERNS: dict[str, re.Pattern] = {
    # "ignore all previous instructions", "disregard your rules" (never "ignore my previous email")
    "override": re.compile(
        r"\b(?:ignore|disregard|forget|override|bypass|skip|drop|abandon|nullify|cancel)\s+(?:the\s+)?(?:" + _STRONG + r")\s+"
        r"(?:" + _ANY + r"\s+){0,3}"
        r"(?:instructions?|rules|prompts?|guidelines|directives|programming|guardrails|constraints|restrictions|"
        r"policies|system messages?|context)\b"
        r"|\b(?:new|updated|revised|real|actual|true|hidden|secret|important)\s+(?:system\s+)?instructions?\s*[:\-]"
        r"|\bdo not follow (?:your|the|any) (?:rules|instructions|guidelines)"
        r"|\b(?:without|no) (?:any )?(?:rules|restrictions|filters|guardrails|limitations)\b(?=[^.\n]{0,40}\b(?:you|reply|answer))",
        re.I),
    # a new role or persona for the assistant
    "role": re.compile(
        r"\byou(?:'re| are| will be) now (?:in |an? |the |my |our )?(?:[\w-]+ ){0,2}(?:mode|admin|administrator|assistant|bot|ai|agent|"
        r"persona|character|role|dan|developer|system|manager|unrestricted|allowed|authori[sz]ed|jailbroken|free of)\b"
        r"|\bfrom now on,? you(?: are| will be| act| behave| respond| answer| reply| speak| only|r role)\b|\bpretend (?:that )?(?:you|you're|to be)\b|\b(?:act|behave|respond) as (?:if you (?:were|are) )?"
        r"(?:an? |the |my )?(?:admin|administrator|system|developer|manager|supervisor|root|unrestricted|different|new|"
        r"refund|dan|jailbroken|human agent)\b|\blet'?s play a game\b|\bplay a game where you\b|\blet'?s role-?\s?play\b|\brole-?\s?play (?:as|with me|a game|where|that you)\b"
        r"|\byour (?:new|real|true) (?:role|persona|identity|name|job|task|purpose|instructions)\b"
        r"|\byou are (?:an? |the )?(?:admin|administrator|dan|unrestricted|jailbroken|developer|root)\b"
        r"|\b(?:admin|administrator|developer|debug|god|sudo|jailbreak|dan|unrestricted|root)\s+mode\b"
        r"|\bjailbreak\w*|\bdo anything now\b|\bsimulate (?:an? )?(?:admin|system|developer)\b",
        re.I),
    # fake system / developer / chat-template tags, and the prompt's own fence tags
    "tag": re.compile(
        r"\[\s*/?\s*(?:system|sys|admin|developer|instructions?|inst|assistant|시스템|관리자|개발자|지시|명령)\s*\]|<\|\s*[a-z_]+\s*\|>"
        r"|<<\s*/?\s*sys\s*>>|^\s*#{2,}\s*(?:instruction|system|new instructions?|response|assistant|지시|시스템|명령)"
        r"|<\s*/?\s*(?:system|instructions?|conversation|task|knowledge_base|assistant|human|draft|developer)\s*>"
        r"|^\s*(?:system prompt|system instructions?|developer(?: message)?|assistant)\s*:",
        re.I | re.M),
    # "say only …", "reply with exactly …"
    "say_only": re.compile(
        r"\b(?:reply|respond|answer|say|write|output|type|print|return)\s+(?:back\s+)?(?:only|just|exactly|verbatim)\s*(?:with\b|:|[\"'“‘]|the (?:words?|phrase|text))"
        r"|\b(?:reply|respond|answer)\s+(?:only\s+)?with\s+(?:only|just|exactly|the (?:exact )?(?:words?|phrase|text|sentence))\b"
        r"|\byour (?:only |whole |entire )?(?:reply|response|answer|output) (?:must|should|will|has to) (?:be|say|contain|read|start)\b"
        r"|\brepeat after me\b|\b(?:just|simply|only) (?:say|write|reply|answer)\s*:?\s*[\"'“‘]|\b(?:reply|respond|answer) with [\"'“‘]",
        re.I),
    # demands addressed to the assistant: approve a refund, grant a credit, confirm something was approved
    "demand": re.compile(
        r"\b(?:ai|a\.i\.|assistant|bot|chatbot|language model|llm|gpt)\b[^.\n]{0,60}?"
        r"\b(?:approve|authori[sz]e|grant|issue|must|should|will|need to)\b[^.\n]{0,40}?\b(?:refund|credit|discount|compensation|voucher|coupon|gift card)"
        r"|\b(?:write|say|state|include|put|add|tell (?:the )?(?:agent|customer|them))\s+(?:that\s+)?(?:my\s+|the\s+|a\s+)?"
        r"(?:full\s+)?(?:refund|credit|discount|compensation)\s+(?:is|has been|was|of [^.\n]{1,20} is)\s+(?:approved|granted)"
        r"|\brefund[_-]?approved\b|\b(?:automatically|immediately) approve\b"
        r"|\b(?:dear|hey|hi|hello|attention|note (?:to|for)|message (?:to|for)|instructions? (?:to|for)) (?:the |an? |our )?"
        r"(?:support |helpful |customer[- ]service |automated )?(?:ai|a\.i\.|assistant|bot|chatbot|language model|llm|gpt)\b(?!\s+manager)"
        r"|\b(?:as|to|for) (?:the |an? )?(?:support |helpful |automated )?(?:ai|a\.i\.|language model|llm|gpt)\b"
        r"|\bif you(?: are|'re) an? (?:ai|assistant|bot|language model|llm|automated)\b"
        r"|\b(?:the )?(?:ai|assistant|bot|model) (?:reading|processing|handling|drafting|answering) this\b",
        re.I),
    # asking for the prompt or the rules themselves
    "reveal": re.compile(
        r"\bsystem\s*prompts?(?![a-z])|\b(?:initial|hidden|original|secret|developer|internal)\s+(?:prompt|instructions)\b"
        r"|\b(?:reveal|print|repeat|display|leak|output|dump|show me|tell me)\s+(?:your|the)\s+(?:full\s+|exact\s+)?prompt\b"
        r"|\b(?:reveal|print|leak|dump)\s+your\s+(?:instructions|rules|configuration)\b",
        re.I),
    "override_ko": re.compile(
        r"(?:이전|앞의|앞선|위의|위|기존|모든|원래|지금까지의?|먼저 받은|시스템)\s*(?:의\s*)?(?:지시|명령|지침|규칙|설정|프롬프트|명령어)"
        r"(?:사항|들)?\s*(?:은|는|을|를|과|와|다|도|들|은 모두|을 모두|를 모두|전부|모두)?\s*(?:다\s*|전부\s*|모두\s*)?(?:무시|잊어|잊고|잊으|무효|따르지)"
        r"|(?:규칙|지침|지시|명령)(?:을|를|은|는)?\s*(?:모두\s*|전부\s*|다\s*)?(?:무시|어기|깨)"
        r"|새로운\s*(?:지시|명령|지침)\s*[:：]|(?:진짜|실제|숨겨진)\s*(?:지시|명령)\s*[:：]"),
    "role_ko": re.compile(
        r"(?<![가-힣])(?:너|넌|당신|네가|니가)\s*(?:은|는)?\s*(?:이제|지금부터|오늘부터)|(?:지금|이제|오늘)부터\s*(?:너|넌|당신|네가)"
        r"|(?:관리자|개발자|운영자|디버그|탈옥|제한\s*없는|무제한|신)\s*모드|관리자\s*권한|루트\s*권한|역할\s*극|역할을\s*바꿔"
        r"|(?:관리자|개발자|시스템|상담원|AI|인공지능|봇)(?:인|가 된|이 된)\s*(?:것처럼|척)|게임을\s*하자|게임하자"),
    "say_only_ko": re.compile(
        r"(?:이?라고|이?라는\s*말)만\s*(?:답|대답|말|출력|응답|적|써|쓰|작성|보내)"
        r"|(?:이?라|다)고\s*(?:답|대답|응답|출력)(?:해|하세요|하십시오|하라|해라|해요|해 줘|해줘|해주|해 주)(?!\s*주?(?:셨|신|었|었던))"
        r"|[\"'“”‘’」』]\s*(?:이)?라고\s*(?:써|적어|작성해|보내|회신해)|(?:그대로|똑같이)\s*(?:따라\s*)?(?:말해|출력해|답해|적어)"
        r"|답변은\s*(?:반드시|오직|무조건)"),
    "demand_ko": re.compile(
        r"(?:환불|보상|적립금|쿠폰|할인|크레딧)[^.\n]{0,20}?(?:승인|지급|발급)(?:하라|해라|하십시오)"
        r"|환불\s*승인\s*(?:완료|됨|되었습니다)\s*(?:라고|이라고|로)|(?:승인|처리)\s*완료\s*라고"
        r"|(?:AI|인공지능|어시스턴트)(?:야|님|씨)?\s*[,，:!]|(?:AI|인공지능|어시스턴트|챗봇)(?:으로서|로서|이?라면)"),
    "reveal_ko": re.compile(
        r"시스템\s*프롬프트|(?:프롬프트|지시문|시스템\s*메시지|내부\s*지침|설정\s*내용)(?:을|를)?\s*(?:보여|알려|출력|공개|말해)"),
}


@dataclass(frozen=True)
class Finding:
    """Where an injection pattern matched ('subject', 'customer_name', 'message 3'), which one, and the text."""

    source: str
    pattern: str
    excerpt: str


def normalise(text: str) -> str:
    """NFKC with invisible and bidi controls removed and look-alike letters folded."""
    text = INVISIBLE.sub("", unicodedata.normalize("NFKC", text))
    return text.translate(LOOKALIKES)


def _decoded_base64(run: str) -> str:
    padded = run.replace("-", "+").replace("_", "/")
    padded += "=" * (-len(padded.rstrip("=")) % 4)
    try:
        decoded = base64.b64decode(padded.rstrip("=") + "=" * (-len(padded.rstrip("=")) % 4), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return ""
    printable = sum(ch.isprintable() or ch in "\n\t" for ch in decoded)
    letters = sum(ch.isalpha() for ch in decoded)
    return decoded if decoded and printable / len(decoded) >= PRINTABLE_SHARE and letters >= 4 else ""


def variants(text: str, depth: int = 2) -> Iterator[str]:
    """The text as normalised, with letters spaced out one by one joined, and decoded (nested up to `depth`)."""
    base = normalise(text)
    yield base
    joined = SPACED_LETTERS.sub(lambda m: re.sub(r"[ .\-_*·]", "", m.group(0)), base)
    if joined != base:
        yield joined
    if depth <= 0:
        return
    decoded: list[str] = []
    if HTML_ENTITY.search(base):
        decoded.append(html.unescape(base))
    if URL_ESCAPE.search(base):
        decoded.append(unquote(base))
    decoded.extend(d for d in (_decoded_base64(run) for run in BASE64_RUN.findall(base)) if d)
    for value in decoded:
        yield from variants(value, depth - 1)


def matches(text: str) -> list[tuple[str, str]]:
    """(pattern name, matched text) for every pattern that matches some variant of `text`."""
    found: dict[str, str] = {}
    for variant in variants(text):
        for name, pattern in PATTERNS.items():
            if name not in found and (m := pattern.search(variant)):
                found[name] = m.group(0)
    return list(found.items())


def injection_suspected(text: str) -> bool:
    return bool(text) and bool(matches(text))


def ticket_sources(ticket: Ticket) -> list[tuple[str, str]]:
    """Everything the customer controls, labelled: subject, display name, each customer turn and its author."""
    out = [("subject", ticket.subject), ("customer_name", ticket.customer.name)]
    for n, message in enumerate(ticket.messages, start=1):
        if message.role == "customer":
            out.append((f"message {n}", message.text))
            if message.author and message.author != ticket.customer.name:
                out.append((f"message {n} author", message.author))
    return [(source, text) for source, text in out if text and text.strip()]


def scan_ticket(ticket: Ticket) -> list[Finding]:
    """Every place in the ticket where customer text tries to instruct an assistant."""
    return [Finding(source, name, excerpt[:120]) for source, text in ticket_sources(ticket)
            for name, excerpt in matches(text)]


def flagged_sources(ticket: Ticket) -> set[str]:
    return {f.source for f in scan_ticket(ticket)}


# -- display names ---------------------------------------------------------------------------------
NAME_WORD = re.compile(r"[^\W\d_]+(?:['’.\-][^\W\d_]+)*\.?")
NAME_STOPWORDS = re.compile(
    r"\b(?:refund\w*|approv\w*|admin\w*|system|ignore|instruction\w*|prompt|discount|credit|voucher|coupon|free|"
    r"assistant|ai|bot|chatbot|gpt|llm|override|jailbreak|developer|mode|root|sudo|urgent|support|reply|say|"
    r"click|http|www|test|null|none|unknown|customer|user|guest)\b"
    r"|환불|승인|관리자|시스템|무시|지시|명령|프롬프트|개발자|보상|할인|쿠폰|고객센터",
    re.I)
MAX_NAME_WORDS = 4


def plausible_name(name: str) -> bool:
    """A display name that reads as a person's name: letters only, at most four words, no digits, links or
    e-mail addresses, no shouted word longer than three letters ('REFUNDAPPROVED'), no instruction words."""
    text = normalise(name).strip()
    words = text.split()
    if not words or len(words) > MAX_NAME_WORDS or len(text) > 60:
        return False
    if not all(NAME_WORD.fullmatch(w) for w in words):
        return False
    if any(w.isupper() and len(w.rstrip(".")) > 3 for w in words):
        return False
    return not NAME_STOPWORDS.search(text) and not injection_suspected(name)
