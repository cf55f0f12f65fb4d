"""STOP, START and HELP by SMS, in every shipped language: the table, and matching a message against it.

A message is a keyword only when the whole message is one: the word, optionally followed by one
category (``STOP``, ``STOP 1``, ``stop herinneringen``, ``توقف ٢``). Matching ignores case,
diacritics (``BASLA`` is ``BAŞLA``, ``ENQUETES`` is ``ENQUÊTES``, ``توقّف`` is ``توقف``), the digit
system (Arabic-Indic ``١``, Persian ``۱``, Ethiopic ``፩`` are ``1``), Turkish dotted and dotless i,
the Arabic and Persian forms of ya, kaf and ta marbuta, the tatweel, joiners and direction marks,
and punctuation or symbols around the words (``Stop!``). Every language's words are accepted from
everybody: a person may type in any of them.

The words are in :data:`WORDS` and :data:`CATEGORY_WORDS` below; docs/sms.md lists them as a table
(a test keeps the two the same).

Categories after STOP or START: ``1`` reminders, ``2`` surveys, ``3`` notices (in any digit
system), or their words in :data:`CATEGORY_WORDS`; a word for "all" means everything, as does the
keyword alone. The first word of each language is the one its texts advertise (:func:`word`).

Words that could mean something else in a conversation are left out on purpose: "cancel" (an
appointment?), "yes", "end", "quit". Twilio's own opt-out handling may still act on some of them
(its English list); the 21610 error that follows records that as an opt-out of everything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from workflows.fields import fold

from ..models.message import ALL, NOTICES, REMINDERS, SURVEYS

STOP = "stop"
START = "start"
HELP = "help"
ACTIONS = (STOP, START, HELP)

WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "nl": {STOP: ("STOP", "STOPPEN", "AFMELDEN"), START: ("START", "AANMELDEN"), HELP: ("HELP", "HULP", "INFO")},
    "en": {STOP: ("STOP", "STOPALL", "UNSUBSCRIBE"), START: ("START", "UNSTOP"), HELP: ("HELP", "INFO")},
    "ar": {STOP: ("توقف", "إيقاف"), START: ("ابدأ", "بدء"), HELP: ("مساعدة",)},
    "ti": {STOP: ("ኣቋርጽ", "ኣቋርጹ"), START: ("ጀምር", "ጀምሩ"), HELP: ("ሓገዝ", "ሐገዝ")},
    "fa": {STOP: ("توقف",), START: ("شروع",), HELP: ("کمک", "راهنما")},
    "tr": {STOP: ("DUR", "DURDUR"), START: ("BAŞLA", "BAŞLAT"), HELP: ("YARDIM",)},
    "so": {STOP: ("JOOJI", "JOOJ"), START: ("BILOW", "BILAAB"), HELP: ("CAAWI", "CAAWIMAAD")},
}
"""The keywords of each shipped language; the first of each is the one the texts advertise."""

CATEGORY_NUMBERS = {"1": REMINDERS, "2": SURVEYS, "3": NOTICES}
"""``STOP 1`` stops reminders only; the texts name the categories by these numbers."""

CATEGORY_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "nl": {
        REMINDERS: ("HERINNERINGEN", "HERINNERING"),
        SURVEYS: ("ENQUÊTES", "ENQUÊTE", "VRAGENLIJSTEN"),
        NOTICES: ("BERICHTEN", "MEDEDELINGEN"),
        ALL: ("ALLES", "ALLE"),
    },
    "en": {
        REMINDERS: ("REMINDERS", "REMINDER"),
        SURVEYS: ("SURVEYS", "SURVEY"),
        NOTICES: ("NOTICES", "NOTICE", "MESSAGES"),
        ALL: ("ALL",),
    },
    "ar": {
        REMINDERS: ("تذكير", "تذكيرات"),
        SURVEYS: ("استبيان", "استبيانات"),
        NOTICES: ("إشعارات", "رسائل"),
        ALL: ("الكل",),
    },
    "ti": {REMINDERS: ("መዘኻኸሪ",), SURVEYS: ("መጠይቕ",), NOTICES: ("መልእኽቲ", "ሓበሬታ"), ALL: ("ኩሉ",)},
    "fa": {REMINDERS: ("یادآوری",), SURVEYS: ("نظرسنجی",), NOTICES: ("اطلاعیه", "پیام"), ALL: ("همه",)},
    "tr": {
        REMINDERS: ("HATIRLATMA", "HATIRLATMALAR"),
        SURVEYS: ("ANKET", "ANKETLER"),
        NOTICES: ("BİLDİRİM", "BİLDİRİMLER"),
        ALL: ("HEPSİ", "TÜMÜ"),
    },
    "so": {
        REMINDERS: ("XUSUUSIN", "XASUUSIN"),
        SURVEYS: ("SAHAN",),
        NOTICES: ("OGEYSIIS", "FARRIIMO"),
        ALL: ("DHAMMAAN",),
    },
}
"""Words for a category after STOP or START (``STOP HERINNERINGEN``), per language."""

CATEGORY_LABELS = {
    REMINDERS: _l("reminders"),
    SURVEYS: _l("surveys"),
    NOTICES: _l("notices"),
}
"""How the confirmation SMS name a category, in the person's language."""

MAX_LENGTH = 60
"""Longer messages are never keywords (and are not worth normalising)."""

_WORD_AND_NUMBER = re.compile(r"^(\D+?)(\d{1,2})$")


@dataclass(frozen=True)
class Keyword:
    """What a keyword message asks: an action, for one category or for ``all``."""

    action: str
    category: str = ALL


def normalise(text: str) -> str:
    """``text`` as keywords are compared: no case, diacritics, digit systems or punctuation
    (``workflows.fields.fold``: typed answers are compared the same way)."""
    return fold(text)


def _index(table: dict[str, dict[str, tuple[str, ...]]]) -> dict[str, str]:
    index: dict[str, str] = {}
    for words in table.values():
        for meaning, spellings in words.items():
            for spelling in spellings:
                key = normalise(spelling)
                if index.setdefault(key, meaning) != meaning:
                    raise ValueError(f"keyword {spelling!r} means both {index[key]} and {meaning}")
    return index


ACTION_BY_WORD = _index(WORDS)
CATEGORY_BY_WORD = {**_index(CATEGORY_WORDS), **CATEGORY_NUMBERS}
if set(ACTION_BY_WORD) & set(CATEGORY_BY_WORD):
    raise ValueError("a word is both a keyword and a category")


# -- words of the SMS conversation of the intake (app/intake/sms.py) -------------------------------
# Not keywords: outside a conversation they are ordinary messages for the klantmanager. HELP during
# a conversation is the keyword above (it then explains the question); STOP and START always win.

BACK = "back"

CONVERSATION_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "nl": {BACK: ("TERUG", "VORIGE")},
    "en": {BACK: ("BACK", "PREVIOUS")},
    "ar": {BACK: ("رجوع", "السابق")},
    "ti": {BACK: ("ንድሕሪት", "ተመለስ")},
    "fa": {BACK: ("برگشت", "قبلی")},
    "tr": {BACK: ("GERİ", "ÖNCEKİ")},
    "so": {BACK: ("DIB", "GADAAL")},
}
"""BACK (the question before) in each shipped language; the first of each is the one the texts advertise."""

CONVERSATION_BY_WORD = _index(CONVERSATION_WORDS)
if set(CONVERSATION_BY_WORD) & (set(ACTION_BY_WORD) | set(CATEGORY_BY_WORD)):
    raise ValueError("a word of the conversation is also a keyword or a category")


def conversation_word(body: str) -> str | None:
    """The conversation word ``body`` is as a whole message (``BACK``, ``terug!``), or ``None``."""
    if not body or len(body) > MAX_LENGTH:
        return None
    return CONVERSATION_BY_WORD.get(normalise(body))


def conversation_keyword(language: str, meaning: str) -> str:
    """The conversation word for ``meaning`` that texts in ``language`` advertise (Dutch for unknown languages)."""
    return CONVERSATION_WORDS.get(language, CONVERSATION_WORDS["nl"])[meaning][0]


def parse(body: str) -> Keyword | None:
    """The keyword ``body`` is, or ``None`` when it is anything else (a message for the conversation)."""
    if not body or len(body) > MAX_LENGTH:
        return None
    tokens = normalise(body).split()
    if len(tokens) == 1 and (joined := _WORD_AND_NUMBER.match(tokens[0])):  # STOP1
        tokens = [joined.group(1), joined.group(2)]
    if not 1 <= len(tokens) <= 2:
        return None
    action = ACTION_BY_WORD.get(tokens[0])
    if action is None:
        return None
    if len(tokens) == 1:
        return Keyword(action)
    category = CATEGORY_BY_WORD.get(tokens[1])
    if category is None or action == HELP:
        return None
    return Keyword(action, category)


TWILIO_OPT_OUT_TYPES = {"STOP": STOP, "START": START, "HELP": HELP}
"""Twilio's ``OptOutType`` (Advanced Opt-Out on a Messaging Service): its own keyword lists matched."""


def from_twilio(opt_out_type: str | None) -> Keyword | None:
    """The keyword Twilio's opt-out handling recognised in a message (``OptOutType``), if any."""
    action = TWILIO_OPT_OUT_TYPES.get((opt_out_type or "").upper())
    return Keyword(action) if action else None


def word(language: str, action: str) -> str:
    """The keyword for ``action`` that texts in ``language`` advertise (Dutch for unknown languages)."""
    return WORDS.get(language, WORDS["nl"])[action][0]


def number(category: str) -> str:
    """The number that names ``category`` after STOP or START."""
    return next(digit for digit, named in CATEGORY_NUMBERS.items() if named == category)


def label(category: str) -> str:
    """A category's name in the current language, for the confirmations."""
    return str(CATEGORY_LABELS[category])
