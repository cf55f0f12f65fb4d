"""Translatable text in workflow definitions, without depending on Flask-Babel.

Definitions mark their texts with ``N_`` (extracted by Babel like ``gettext``); the channel that
shows them passes a translate function in a :class:`Context`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date


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
    today: date = field(default_factory=date.today)

    def _(self, text: str, **params: object) -> str:
        """Translate ``text`` and fill in its ``%(name)s`` placeholders."""
        translated = self.translate(text)
        return translated % params if params else translated


def ascii_digits(text: str) -> str:
    """Turn any Unicode decimal digit (Arabic-Indic, Persian, ...) into its ASCII digit."""
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in text)
