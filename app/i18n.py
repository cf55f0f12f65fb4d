"""Languages: which ones we ship, how the locale of a request is chosen, and how they are written."""

from __future__ import annotations

from dataclasses import dataclass

from flask import g, has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user


@dataclass(frozen=True)
class Language:
    """A shipped language: its code, its name in itself, and its writing direction."""

    code: str
    name: str
    direction: str = "ltr"


LANGUAGES = (
    Language("nl", "Nederlands"),
    Language("en", "English"),
    Language("ar", "العربية", "rtl"),
    Language("ti", "ትግርኛ"),
    Language("fa", "فارسی", "rtl"),
    Language("tr", "Türkçe"),
    Language("so", "Soomaali"),
)
BY_CODE = {language.code: language for language in LANGUAGES}
DEFAULT = "nl"


def select_locale() -> str:
    """The profile's language > a language picked on this device > a page's hint > the browser > nl."""
    if not has_request_context():
        return DEFAULT
    if current_user.is_authenticated:
        person = current_user.newcomer or current_user.staff
        if person.language in BY_CODE:
            return person.language
    if session.get("lang") in BY_CODE:
        return session["lang"]
    if getattr(g, "locale_hint", None) in BY_CODE:
        return g.locale_hint
    return request.accept_languages.best_match(list(BY_CODE)) or DEFAULT


def current_language() -> Language:
    """The language of the current request."""
    return BY_CODE.get(str(get_locale()), BY_CODE[DEFAULT])
