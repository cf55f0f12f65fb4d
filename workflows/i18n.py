"""Translatable text in workflow definitions, without depending on Flask-Babel.

Definitions mark their texts with ``N_`` (extracted by Babel like ``gettext``); the channel that
shows them passes a translate function in a :class:`Context`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.numbers import format_decimal


class Msg(str):
    """A message id that is meant to be translated before it is shown."""

    __slots__ = ()


def N_(text: str) -> Msg:  # noqa: N802 - the conventional name Babel extracts
    """Mark ``text`` as translatable; translation happens when it is shown."""
    return Msg(text)


def _identity(text: str) -> str:
    return text


@dataclass(frozen=True)
class Context:
    """What a field needs to speak to one person: their language, a translator and today's date."""

    translate: Callable[[str], str] = _identity
    locale: str = "en"
    """A CLDR locale for names, dates and digits (the app passes ``fa_AF`` for its Dari catalog)."""
    today: date = field(default_factory=date.today)
    common_countries: tuple[str, ...] = ()
    """Countries offered first, in this order (the app's ``COMMON_COUNTRIES``)."""
    common_languages: tuple[str, ...] = ()
    """Languages offered first, in this order (the app's ``COMMON_LANGUAGES``)."""

    def _(self, text: str, **params: object) -> str:
        """Translate ``text`` and fill in its ``%(name)s`` placeholders."""
        translated = self.translate(text)
        return translated % params if params else translated


def ascii_digits(text: str) -> str:
    """Turn any Unicode decimal digit (Arabic-Indic, Persian, ...) into its ASCII digit."""
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in text)


# Digits of the CLDR numbering systems our locales use by default (Latin needs no mapping).
_NATIVE_DIGITS = {"arab": "٠١٢٣٤٥٦٧٨٩", "arabext": "۰۱۲۳۴۵۶۷۸۹"}


@lru_cache(maxsize=32)
def _digit_table(locale: str) -> dict[int, str] | None:
    try:
        system = Locale.parse(locale).default_numbering_system
    except (UnknownLocaleError, ValueError):
        return None
    digits = _NATIVE_DIGITS.get(system)
    return str.maketrans("0123456789", digits) if digits else None


def native_digits(text: str, locale: str) -> str:
    """``text`` with ASCII digits written in the locale's default digits (Persian: ۱۲۳; Arabic: 123).

    Babel formats numbers and dates with Latin digits whatever the locale; CLDR names each locale's
    default numbering system, and this writes the digits in it so one page uses one digit system.
    """
    table = _digit_table(locale)
    return text.translate(table) if table else text


def format_number(value: float, locale: str) -> str:
    """A number as the locale writes it: its separators and its own digits."""
    try:
        text = format_decimal(value, locale=locale, numbering_system="default")
    except (UnknownLocaleError, ValueError):
        text = format_decimal(value, locale="en")
    return native_digits(text, locale)
