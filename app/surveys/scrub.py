"""Scrub a survey comment before it is stored: no phone numbers, e-mail addresses, BSNs or names.

Comments are shown (without the person) to policy staff, so what could identify someone is
replaced by ``[...]`` before the row is written: phone numbers (``phonenumbers``' matcher, Dutch
and international, and any run of ten or more digits), e-mail addresses, nine-digit numbers that
pass the BSN eleven-test, and the words of the person's own name and of their klantmanager's name.
Digits of any script count (Arabic-Indic ٠١٢, Persian ۰۱۲): they are read as ASCII digits for the
matching, and the original text around them is kept.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import phonenumbers

from workflows.i18n import ascii_digits

MASK = "[...]"
REGION = "NL"

_EMAIL = re.compile(r"[^\s@<>()\[\],;:\"']+@[^\s@<>()\[\],;:\"']+\.[^\s@<>()\[\],;:\"']+")
_DIGIT_RUN = re.compile(r"\d(?:[\s.\-/]?\d){9,}")
"""Ten or more digits, single spaces, dots, dashes or slashes between them."""
_NINE_DIGITS = re.compile(r"(?<!\d)\d(?:[\s.\-]?\d){8}(?!\d)")
_NAME_PARTS = re.compile(r"[\s\-'’.]+")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u00ad\u2060\ufeff\u180e\u2063"))
"""Characters that show nothing inside a word (zero-width space, soft hyphen, word joiner, BOM, ...):
dropped before matching, so "Am\u200bal" is still the name. ZWNJ and ZWJ stay (Persian needs them)."""
MIN_NAME_PART = 3
"""Shorter name parts (``Al``, ``de``) are common words; the full name is scrubbed whatever its length."""


def elf_proof(digits: str) -> bool:
    """Whether nine digits pass the BSN eleven-test (9·d1 + 8·d2 + ... + 2·d8 − d9 is a multiple of 11)."""
    if len(digits) != 9 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True)) - int(digits[8])
    return total % 11 == 0 and digits != "000000000"


def _spans(text: str, names: Iterable[str]) -> list[tuple[int, int]]:
    ascii_text = _ascii_same_length(text)
    spans: list[tuple[int, int]] = []
    for match in phonenumbers.PhoneNumberMatcher(ascii_text, REGION, leniency=phonenumbers.Leniency.POSSIBLE):
        spans.append((match.start, match.end))
    spans += [m.span() for m in _DIGIT_RUN.finditer(ascii_text)]
    spans += [m.span() for m in _NINE_DIGITS.finditer(ascii_text) if elf_proof(re.sub(r"\D", "", m.group()))]
    spans += [m.span() for m in _EMAIL.finditer(ascii_text)]
    for pattern in _name_patterns(names):
        spans += [m.span() for m in pattern.finditer(text)]
    return spans


def _visible(text: str) -> str:
    return unicodedata.normalize("NFC", text).translate(_INVISIBLE)


def _ascii_same_length(text: str) -> str:
    """``text`` with every decimal digit as its ASCII digit, character for character (spans stay)."""
    return "".join(ascii_digits(ch) if ch.isdecimal() else ch for ch in text)


def _name_patterns(names: Iterable[str]) -> list[re.Pattern[str]]:
    words: set[str] = set()
    for name in names:
        name = (name or "").strip()
        if not name or name.startswith("erased"):
            continue
        words.add(name)
        words.update(part for part in _NAME_PARTS.split(name) if len(part) >= MIN_NAME_PART)
    longest_first = sorted(words, key=len, reverse=True)
    return [re.compile(rf"(?<!\w){re.escape(word)}(?!\w)", re.IGNORECASE) for word in longest_first]


def scrub(text: str, names: Iterable[str] = ()) -> str:
    """``text`` with phone numbers, e-mail addresses, BSN-like numbers and ``names`` replaced by ``[...]``.

    The text is composed first (NFC: "Zoe" with a combining diaeresis is "Zoë") and loses its invisible
    characters, so what is matched is what a reader sees; the text stored is that same text.
    """
    text = _visible(text)
    spans = sorted(_spans(text, [_visible(name or "") for name in names]))
    if not spans:
        return text
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, last = [], 0
    for start, end in merged:
        out.append(text[last:start])
        out.append(MASK)
        last = end
    out.append(text[last:])
    return "".join(out)
