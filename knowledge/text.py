"""Language detection by script, sentence splitting and lexical tokens (Kiwi morphemes for Korean)."""
from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import Iterable

HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
LATIN = re.compile(r"[A-Za-z]")
WORD = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?|[\uac00-\ud7a3]+")
SENTENCE_END = re.compile(r"(?<=[.!?。？！])(?<![0-9]\.)(?<!\b[A-Za-z]\.)[\"'”’)\]]*\s+|\n{2,}|(?<=[다요죠까])\.?\s*\n")

# Content-bearing Kiwi tags: nouns, verb/adjective stems, roots, foreign words, numbers.
KIWI_KEEP = ("NNG", "NNP", "NNB", "NR", "VV", "VA", "XR", "SL", "SN", "SH", "MAG")

STOPWORDS = frozenset(
    """a an the and or but if then so of to in on at by for with from as is are was were be been being
    am do does did doing have has had having i me my mine we our ours you your yours he him his she her
    it its they them their this that these those there here what which who whom whose when where why how
    can could would should will shall may might must not no nor only own same too very just also than
    into about over under again further once all any both each few more most other some such up down out
    off s t don doesn didn isn aren wasn weren hasn haven hadn won wouldn shouldn couldn let ll re ve d m
    o y please hi hello thanks thank yes ok okay get got""".split()
)


# Frequent Korean stems and bound nouns that carry no topic ("하다", "되다", "것", "수" ...).
KOREAN_STOP = frozenset("하 되 있 없 않 것 수 등 때 좀 그 이 저 나 너 거 게 더 잘 안 못 주 보 드리 알 같 어떻 어떡하 혹시 제 저희".split())


def detect_language(text: str) -> str:
    """'ko' when Hangul outweighs Latin letters, else 'en'."""
    hangul = len(HANGUL.findall(text))
    latin = len(LATIN.findall(text))
    return "ko" if hangul and hangul * 2 >= latin else "en"


def split_sentences(text: str) -> list[str]:
    """Sentence boundaries for English and Korean prose (punctuation, blank lines, Korean endings)."""
    parts: list[str] = []
    for block in re.split(r"\n\s*\n", text):
        block = block.strip()
        if not block:
            continue
        for line in _split_lines(block):
            parts.extend(p.strip() for p in SENTENCE_END.split(line) if p and p.strip())
    return parts


def _split_lines(block: str) -> Iterable[str]:
    """List items and headings stay separate sentences; wrapped prose lines are joined."""
    current: list[str] = []
    for line in block.splitlines():
        stripped = line.strip()
        if re.match(r"^([-*+]|\d+[.)]|#+)\s", stripped):
            if current:
                yield " ".join(current)
            current = [stripped]
        else:
            current.append(stripped)
    if current:
        yield " ".join(current)


@lru_cache(maxsize=1)
def _kiwi():
    from kiwipiepy import Kiwi

    # Without the multi-word dictionary (proper nouns of several words from WikiData, not a support desk's vocabulary)
    # Kiwi takes ~300 MB instead of ~490 MB. Allomorphs of endings (아/어, 았/었) are not merged: only content
    # morphemes are kept below, which merging never changes (the same tokens on 3,083 Korean texts), for ~14 MB less.
    return Kiwi(num_workers=1, load_multi_dict=False, integrate_allomorph=False)


_KIWI_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _stemmer():
    # PyStemmer's Porter (C, ~1 MB) rather than nltk's: importing nltk's package also imports scikit-learn and pandas,
    # ~200 MB resident in the app.
    import Stemmer

    return Stemmer.Stemmer("porter")


_STEM_LOCK = threading.Lock()  # one PyStemmer object is not safe to share between threads


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    with _STEM_LOCK:
        return _stemmer().stemWord(word)


def english_tokens(text: str) -> list[str]:
    return [_stem(w) for w in (m.lower() for m in WORD.findall(text)) if w not in STOPWORDS and not HANGUL.match(w)]


def korean_tokens_batch(texts: list[str]) -> list[list[str]]:
    """Kiwi morphemes of each text (content tags only); Latin words inside Korean text are stemmed."""
    with _KIWI_LOCK:
        analysed = _kiwi().tokenize(texts)
    out = []
    for tokens in analysed:
        words = []
        for tok in tokens:
            if tok.tag.startswith(KIWI_KEEP) or tok.tag in KIWI_KEEP:
                form = tok.form.lower()
                if form in KOREAN_STOP:
                    continue
                if tok.tag == "SL":
                    if form in STOPWORDS:
                        continue
                    form = _stem(form)
                words.append(form)
        out.append(words)
    return out


def lexical_tokens_batch(texts: list[str]) -> list[list[str]]:
    """Tokens for BM25: Kiwi morphemes where a text contains Hangul, stemmed words otherwise."""
    result: list[list[str] | None] = [None] * len(texts)
    korean_idx = [i for i, t in enumerate(texts) if HANGUL.search(t)]
    if korean_idx:
        for i, toks in zip(korean_idx, korean_tokens_batch([texts[i] for i in korean_idx])):
            result[i] = toks
    return [r if r is not None else english_tokens(t) for r, t in zip(result, texts)]


def lexical_tokens(text: str) -> list[str]:
    return lexical_tokens_batch([text])[0]
