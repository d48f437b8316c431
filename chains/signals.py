"""Cheap text signals used by triage and the guard: sentiment, urgency, prompt injection, entities."""
from __future__ import annotations

import re

from chains import injection

NEGATIVE_EN = re.compile(
    r"\b(angry|furious|terrible|awful|worst|horrible|unacceptable|ridiculous|disappointed|disappointing|frustrat\w*|"
    r"annoy\w*|useless|scam|rip[- ]?off|joke|still (?:not|no|haven'?t|hasn'?t)|never (?:again|arrived|received)|"
    r"waste|fed up|sick of|complain\w*|broken|damaged|wrong|missing|lost|late|delayed|refuse\w*|cancel\w*|"
    r"hasn'?t (?:arrived|moved|come)|not (?:received|working|happy)|no one|nobody|again\?|why (?:is|has|does|hasn)|"
    r"wtf|what the hell|seriously)\b",
    re.I,
)
NEGATIVE_KO = re.compile(r"(화가|화나|짜증|최악|실망|어이없|황당|답답|불편|불만|언제까지|왜 이렇게|도대체|말이 되|환불해|취소해|아직도|안 와|못 받|파손|깨져|고장|엉망|너무하|장난|ㅡㅡ|;;)")
POSITIVE_EN = re.compile(r"\b(thanks?|thank you|great|love|awesome|perfect|appreciate\w*|happy|helpful|excellent|wonderful|glad)\b", re.I)
POSITIVE_KO = re.compile(r"(감사|고맙|좋아요|좋네요|만족|최고|친절|덕분)")
URGENT_EN = re.compile(
    r"\b(urgent\w*|asap|immediately|right now|today|tonight|tomorrow|by (?:mon|tues|wednes|thurs|fri|satur|sun)day|"
    r"deadline|wedding|birthday|before (?:the|my|next)|emergency|as soon as possible|need (?:it|this) by)\b",
    re.I,
)
URGENT_KO = re.compile(r"(급해|급합니다|긴급|당장|오늘|내일|꼭 받아야|전에는 꼭|빨리|최대한 빨리|결혼식|생일|마감)")
ORDER_NUMBER = re.compile(r"\b(?:[A-Z]{2,4}-\d{6,8}-\d{3,6}|#\d{4,}|(?:order|주문번호|주문)\s*(?:no\.?|number|#|번호)?\s*[:#]?\s*\d{4,})", re.I)
TRACKING = re.compile(r"\b(?:tracking(?: number)?|송장(?:번호)?|운송장)\s*[:#]?\s*([A-Z0-9]{8,22})\b", re.I)
DATE = re.compile(
    r"\b(?:\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}(?:/\d{2,4})?|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.? \d{1,2}(?:st|nd|rd|th)?|"
    r"\d{1,2}(?:st|nd|rd|th)? (?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*)\b|\d{1,2}월\s?\d{1,2}일",
    re.I,
)
AMOUNT = re.compile(r"(?:[$€£₩]\s?\d[\d,]*(?:\.\d{1,2})?|\d[\d,]*(?:\.\d{1,2})?\s?(?:원|won|USD|KRW|EUR|dollars?))", re.I)


def sentiment_score(text: str) -> float:
    """Negative below zero, positive above; shouting and repeated punctuation count as negative."""
    negative = len(NEGATIVE_EN.findall(text)) + len(NEGATIVE_KO.findall(text))
    positive = len(POSITIVE_EN.findall(text)) + len(POSITIVE_KO.findall(text))
    shouting = len(re.findall(r"\b[A-Z]{4,}\b", text)) + len(re.findall(r"[!?]{2,}", text))
    return (positive - negative - 0.5 * shouting) / max(1.0, (len(text.split()) / 25) ** 0.5)


def sentiment_label(text: str) -> str:
    score = sentiment_score(text)
    if score <= -0.6:
        return "negative"
    if score >= 0.8:
        return "positive"
    return "neutral"


def is_urgent(text: str) -> bool:
    return bool(URGENT_EN.search(text) or URGENT_KO.search(text))


def injection_suspected(text: str) -> bool:
    """Customer text that tries to instruct an assistant, after normalising and decoding (see chains.injection)."""
    return injection.injection_suspected(text)


def extract_entities(text: str) -> dict[str, list[str]]:
    """Order numbers, tracking numbers, dates and amounts, de-duplicated in order of appearance."""
    found = {
        "order_numbers": ORDER_NUMBER.findall(text),
        "tracking_numbers": TRACKING.findall(text),
        "dates": DATE.findall(text),
        "amounts": AMOUNT.findall(text),
    }
    return {key: list(dict.fromkeys(v.strip() for v in values)) for key, values in found.items() if values}
