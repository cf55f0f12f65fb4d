"""Languages: which ones we ship, how the locale of a request is chosen, and how they are written."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_time, get_datetime_format
from flask import g, has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user

from workflows.i18n import format_number, native_digits


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
AMSTERDAM = ZoneInfo("Europe/Amsterdam")

# The CLDR locale behind each catalog for names, dates and digits: the fa catalog is Dari
# (docs/translations.md), so its month names and words are those of fa_AF.
FORMATTING = {"fa": "fa_AF"}


def select_locale() -> str:
    """The page language: a signed-in newcomer's pick on this device > their profile > a pick on
    this device > a page's hint > the browser > nl.

    A newcomer may read the pages in another language than the one their SMS messages come in
    (``main.set_language`` asks which), so their device's pick wins over the profile; staff have
    one language, on their profile.
    """
    if not has_request_context():
        return DEFAULT
    if current_user.is_authenticated:
        person = current_user.newcomer or current_user.staff
        if current_user.newcomer is not None and session.get("lang") in BY_CODE:
            return session["lang"]
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


def formatting_locale(code: str | None = None) -> str:
    """The CLDR locale for names, dates and digits of a catalog (the current one by default)."""
    code = code or str(get_locale() or DEFAULT)
    return FORMATTING.get(code, code)


def number(value: float) -> str:
    """A number as the current language writes it, in its own digits (Persian ۱۲)."""
    return format_number(value, formatting_locale())


def format_date(value: date | datetime | None, format: str = "medium") -> str:  # noqa: A002 - Babel's name
    """A date in the current language and its digits; a moment is taken in Europe/Amsterdam."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(AMSTERDAM).date()
    locale = formatting_locale()
    return native_digits(babel_format_date(value, format, locale=locale), locale)


def format_datetime(value: datetime | None, format: str = "medium") -> str:  # noqa: A002 - Babel's name
    """A moment as a person says it, in Europe/Amsterdam: the date in ``format``, the time in hours
    and minutes (never seconds or a UTC offset), joined as the language joins them."""
    if value is None:
        return ""
    code = formatting_locale()
    locale = Locale.parse(code)
    local = value.astimezone(AMSTERDAM)
    text = (
        get_datetime_format(format, locale=locale)
        .replace("'", "")
        .replace("{0}", format_time(local, "short", tzinfo=AMSTERDAM, locale=locale))
        .replace("{1}", babel_format_date(local.date(), format, locale=locale))
    )
    return native_digits(text, code)


def message_language_question() -> tuple[Language, Language] | None:
    """(page language, SMS language) while a signed-in newcomer who changed the page language has
    not yet said whether their SMS messages should follow; otherwise ``None``."""
    if not has_request_context() or not session.get("ask_message_language"):
        return None
    if not current_user.is_authenticated or current_user.newcomer is None:
        return None
    page, messages = BY_CODE.get(session.get("lang", "")), BY_CODE.get(current_user.newcomer.language)
    if page is None or messages is None or page.code == messages.code:
        return None
    return page, messages
