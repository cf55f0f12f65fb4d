"""Field types of a questionnaire: one class per type, holding every aspect of that type.

A field type knows how it is asked on the web (``widget``, ``input_mode``, ``options``), how it is
asked in a text channel such as the web chat or SMS (:meth:`Field.prompt`), how a raw answer from
any channel is parsed, validated and normalised into a clean JSON-ready value (:meth:`Field.clean`),
and how a clean value is shown back to a person (:meth:`Field.display`). The forms layer and the
later chat and SMS channels only ever call these methods, so a new type is one new class here.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any, ClassVar

import icu
import phonenumbers
from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from email_validator import EmailNotValidError, validate_email

from .conditions import Condition
from .i18n import N_, Context, Msg, ascii_digits, format_number, native_digits

PREFER_NOT = "prefer_not_to_say"
"""The stored answer of someone who chose "I prefer not to say"."""

Raw = str | Sequence[str] | None
"""A raw answer: one string (chat, SMS), a list of strings (a web form's getlist) or nothing."""

FIELD_TYPES: dict[str, type[Field]] = {}
"""Registry of field types by their stored ``type_name``."""

# Validation messages, shared by the types below.
REQUIRED = N_("Please answer this question.")
TOO_LONG = N_("Use at most %(max)s characters.")
NOT_A_NUMBER = N_("Type a whole number, for example %(example)s.")
NUMBER_RANGE = N_("Type a number from %(min)s to %(max)s.")
NOT_A_DATE = N_("Type a date as day-month-year, for example %(example)s.")
DATE_TOO_EARLY = N_("The date cannot be before %(min)s.")
DATE_TOO_LATE = N_("The date cannot be after %(max)s.")
CHOOSE_ONE = N_("Choose one of the options.")
CHOOSE_SOME = N_("Choose one or more of the options.")
CANNOT_COMBINE = N_("“%(option)s” cannot be combined with other options.")
BAD_PHONE = N_("Type a valid phone number, for example %(example)s.")
BAD_EMAIL = N_("Type a valid e-mail address, for example name@example.com.")
BAD_COUNTRY = N_("Choose a country from the list.")
BAD_LANGUAGE = N_("Choose a language from the list.")
UNKNOWN_COUNTRY = N_("We do not know this country. Please type its name again.")
UNKNOWN_LANGUAGE = N_("We do not know this language. Please type its name again.")
BAD_MARK = N_("Choose a mark from 1 to 10.")

YES = N_("Yes")
NO = N_("No")
PREFER_NOT_LABEL = N_("I prefer not to say")

_SMALL_NUMBER = re.compile(r"[0-9]{1,4}")
"""An option's number or a mark: ASCII digits (after folding), never thousands of them (``int`` refuses
more than 4,300) nor a superscript ``²`` (a digit to ``str.isdigit``, not to ``int``)."""

# C0/C1 control characters other than tab and newline: PostgreSQL refuses NUL, and none of
# them has a place in an answer.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class Invalid(ValueError):  # noqa: N818 - reads as "raise Invalid(...)"
    """A raw answer that cannot be accepted; ``message`` is a msgid with ``%(name)s`` params."""

    def __init__(self, message: Msg, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.params = params

    def text(self, ctx: Context) -> str:
        """The message in the person's language."""
        return ctx._(self.message, **self.params)


@dataclass(frozen=True)
class Option:
    """One answer a person can pick: the stored ``value`` and its (translated) ``label``."""

    value: str
    label: str
    common: bool = False
    """One of the answers most people give, offered first (countries and languages)."""


@dataclass(frozen=True)
class Prompt:
    """A question as a text channel asks it: the text and, for choices, numbered options."""

    text: str
    options: tuple[Option, ...] = ()

    def as_sms(self) -> str:
        """The question as one SMS body, options numbered from 1."""
        lines = [self.text] + [f"{n} {option.label}" for n, option in enumerate(self.options, 1)]
        return "\n".join(lines)


@dataclass(frozen=True)
class Choice:
    """A choice in a definition: stored ``value`` and translatable ``label``."""

    value: str
    label: Msg


def register(cls: type[Field]) -> type[Field]:
    """Class decorator: make a field type known by its ``type_name``."""
    FIELD_TYPES[cls.type_name] = cls
    return cls


def _first(raw: Raw) -> str:
    """The single string of a raw answer, cleaned of control characters and outer whitespace."""
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raw = raw[0] if raw else ""
    if not isinstance(raw, str):  # e.g. a file from a multipart body
        return ""
    text = _CONTROL.sub("", raw.replace("\r\n", "\n").replace("\r", "\n")).strip()
    return text if _visible(text) else ""


# Letters and symbols that show nothing: the Hangul fillers and the Braille blank (their Unicode
# categories, Lo and So, would count them as written).
_BLANK_LOOKING = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def _visible(text: str) -> bool:
    """Whether ``text`` shows anything: an answer of zero-width spaces, a BOM, direction marks or
    fillers alone is blank (ZWNJ and ZWJ inside a word stay, with the word)."""
    return any(ch not in _BLANK_LOOKING and unicodedata.category(ch)[0] not in "ZC" for ch in text)


# -- text channels: answers as people type them -------------------------------------------------

# Letters written in two ways on Arabic and Persian keyboards: one form each.
_VARIANTS = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک", "ة": "ه", "ۀ": "ه"})


def fold(text: str) -> str:
    """``text`` as typed answers and keywords are compared: no case, diacritics, digit systems or punctuation.

    NFKD without combining marks (accents, harakat, hamza marks), casefolded, the tatweel, joiners
    and direction marks removed, Turkish dotless i as i, the Arabic and Persian forms of ya, kaf and
    ta marbuta as one, every decimal digit (Arabic-Indic, Persian) and the Ethiopic digits one to
    nine as ASCII digits, punctuation and symbols as spaces, runs of spaces as one.
    """
    text = unicodedata.normalize("NFKD", text.replace("ı", "i"))
    kept: list[str] = []
    for char in text:
        if unicodedata.combining(char) or char == "\u0640":  # accents, harakat, hamza marks; tatweel
            continue
        category = unicodedata.category(char)
        if category == "Cf":  # zero-width joiners, direction marks
            continue
        if char.isdecimal():
            char = str(unicodedata.decimal(char))
        elif category == "No" and "\u1369" <= char <= "\u1371":  # Ethiopic digits one to nine
            char = str(unicodedata.digit(char))
        elif category[0] in "PSZC":
            char = " "
        kept.append(char)
    return " ".join("".join(kept).casefold().translate(_VARIANTS).split())


YES_WORDS: dict[str, tuple[str, ...]] = {
    "nl": ("ja", "jawel", "jazeker"),
    "en": ("yes", "y", "yeah", "yep"),
    "ar": ("نعم", "اي", "أيوه", "ايوه", "أجل"),
    "ti": ("እወ", "እዎ"),
    "fa": ("بله", "بلی", "آره", "آری"),
    "tr": ("evet", "var"),
    "so": ("haa", "haye", "haah"),
}
NO_WORDS: dict[str, tuple[str, ...]] = {
    "nl": ("nee", "neen"),
    "en": ("no", "n", "nope"),
    "ar": ("لا", "كلا"),
    "ti": ("ኣይፋል", "ኣይኮነን", "የለን", "የብለይን"),
    "fa": ("نه", "خیر", "نخیر"),
    "tr": ("hayır", "yok"),
    "so": ("maya", "may"),
}
"""Yes and no as people write them in a text channel, in each shipped language; every language's
words are understood from everybody (answered with :func:`fold`: ``EVET``, ``Evet!`` and ``evet``
are one)."""


def _word_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for words, meaning in ((YES_WORDS, "yes"), (NO_WORDS, "no")):
        for spellings in words.values():
            for spelling in spellings:
                key = fold(spelling)
                if index.setdefault(key, meaning) != meaning:
                    raise ValueError(f"{spelling!r} means both yes and no")
    return index


YES_NO_BY_WORD = _word_index()


def yes_or_no(text: str) -> str | None:
    """``"yes"``, ``"no"``, or ``None`` when ``text`` is not one of the words for them."""
    return YES_NO_BY_WORD.get(fold(text))


@dataclass(frozen=True, kw_only=True)
class Field(ABC):
    """Base of all field types: what every question has."""

    type_name: ClassVar[str] = ""
    widget: ClassVar[str] = "text"
    """How the web form shows it: text, textarea, number, date, tel, email, radio, checkboxes, select."""
    input_mode: ClassVar[str | None] = None
    autocomplete: ClassVar[str | None] = None
    suits_sms: ClassVar[bool] = True
    """Whether the type can be asked and answered in one short SMS (long free text cannot)."""

    id: str
    label: Msg
    help: Msg | None = None
    required: bool = True
    prefer_not: bool = False
    when: Condition | None = None
    sensitive: bool = False
    """Shown back only to staff: the newcomer's own pages and SMS say "answered", never the answer,
    because a phone may be shared (health, money, a talk without the partner)."""
    web_only: bool = False
    """Never asked by SMS: the SMS conversation skips it, to be answered later on the web."""

    @property
    def asked_by_sms(self) -> bool:
        """Whether the SMS conversation asks it: a type that suits SMS, not marked web-only, and not
        sensitive (the question and the answer would stay in the phone's messages, and a phone may
        be shared)."""
        return self.suits_sms and not self.web_only and not self.sensitive

    # -- asking ---------------------------------------------------------------------------------
    def options(self, ctx: Context) -> tuple[Option, ...]:
        """The answers to choose from, translated; empty for free input."""
        return ()

    def prompt(self, ctx: Context) -> Prompt:
        """The question for a text channel (chat, SMS)."""
        text = ctx._(self.label)
        if self.help:
            text = f"{text}\n{ctx._(self.help)}"
        return Prompt(text, self.options(ctx))

    def texts(self) -> Iterator[Msg]:
        """Every translatable text of this field (for definition checks)."""
        yield self.label
        if self.help:
            yield self.help
        if self.prefer_not:
            yield PREFER_NOT_LABEL

    # -- answering ------------------------------------------------------------------------------
    def clean(self, raw: Raw, ctx: Context, *, text_channel: bool = False) -> Any:
        """Turn a raw answer into a clean value, or ``None`` for an allowed blank.

        Raises :class:`Invalid` with a message for the person. In a text channel, choices may be
        answered by their number.
        """
        if self._is_blank(raw):
            if self.required:
                raise Invalid(REQUIRED)
            return None
        if self.prefer_not and _first(raw) == PREFER_NOT:
            return PREFER_NOT
        if self.prefer_not and text_channel and self._picks_prefer_not(raw, ctx):
            return PREFER_NOT
        return self.parse(raw, ctx, text_channel=text_channel)

    @abstractmethod
    def parse(self, raw: Raw, ctx: Context, *, text_channel: bool = False) -> Any:
        """Parse a non-blank raw answer (each type implements this)."""

    def _is_blank(self, raw: Raw) -> bool:
        return _first(raw) == ""

    def _picks_prefer_not(self, raw: Raw, ctx: Context) -> bool:
        answer = _first(raw)
        options = self.options(ctx)
        by_number = bool(options) and ascii_digits(answer).strip(" .)") == str(len(options))
        return by_number or answer.casefold() == ctx._(PREFER_NOT_LABEL).casefold()

    def as_raw(self, value: Any) -> str | list[str]:
        """A clean value as a form would submit it, to fill in a form with a stored answer."""
        if value is None:
            return ""
        if isinstance(value, list):
            return [str(v) for v in value]
        return str(value)

    # -- showing --------------------------------------------------------------------------------
    def display(self, value: Any, ctx: Context) -> str:
        """A clean value as text for a person."""
        if value is None:
            return ""
        if value == PREFER_NOT:
            return ctx._(PREFER_NOT_LABEL)
        return self.format(value, ctx)

    def format(self, value: Any, ctx: Context) -> str:
        """Format a clean (non-blank) value; types override this when plain ``str`` is not enough."""
        return str(value)

    def _prefer_not_option(self, ctx: Context) -> tuple[Option, ...]:
        return (Option(PREFER_NOT, ctx._(PREFER_NOT_LABEL)),) if self.prefer_not else ()


@register
@dataclass(frozen=True, kw_only=True)
class TextField(Field):
    """One line of free text, in any script."""

    type_name: ClassVar[str] = "text"
    widget: ClassVar[str] = "text"
    max_length: int = 200

    def parse(self, raw: Raw, ctx: Context, *, text_channel: bool = False) -> str:
        value = _first(raw)
        if len(value) > self.max_length:
            raise Invalid(TOO_LONG, max=self.max_length)
        return value


@register
@dataclass(frozen=True, kw_only=True)
class LongTextField(TextField):
    """Several lines of free text."""

    type_name: ClassVar[str] = "long_text"
    widget: ClassVar[str] = "textarea"
    suits_sms: ClassVar[bool] = False
    max_length: int = 2000


@register
@dataclass(frozen=True, kw_only=True)
class NumberField(Field):
    """A whole number between ``min_value`` and ``max_value``."""

    type_name: ClassVar[str] = "number"
    widget: ClassVar[str] = "number"
    input_mode: ClassVar[str | None] = "numeric"
    min_value: int = 0
    max_value: int = 100

    def parse(self, raw: Raw, ctx: Context, *, text_channel: bool = False) -> int:
        text = ascii_digits(_first(raw)).replace(" ", "")
        if not re.fullmatch(r"[+-]?\d{1,9}", text):
            raise Invalid(NOT_A_NUMBER, example=format_number(self.min_value + 2, ctx.locale))
        value = int(text)
        if not self.min_value <= value <= self.max_value:
            raise Invalid(
                NUMBER_RANGE,
                min=format_number(self.min_value, ctx.locale),
                max=format_number(self.max_value, ctx.locale),
            )
        return value

    def format(self, value: Any, ctx: Context) -> str:
        return format_number(value, ctx.locale)


@dataclass(frozen=True)
class YearsAgo:
    """A date bound relative to today: ``years`` years before it (negative: after it)."""

    years: int

    def resolve(self, today: date) -> date:
        """The bound as a date for ``today``."""
        year = today.year - self.years
        try:
            return today.replace(year=year)
        except ValueError:  # 29 February in a year that has none
            return today.replace(year=year, day=28)


DateBound = date | YearsAgo


def _resolve(bound: DateBound | None, today: date) -> date | None:
    return bound.resolve(today) if isinstance(bound, YearsAgo) else bound


_DMY = re.compile(r"(\d{1,2})[-/. ](\d{1,2})[-/. ](\d{4})")
_ISO = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")  # also Persian year/month/day


@register
@dataclass(frozen=True, kw_only=True)
class DateField(Field):
    """A calendar date between two bounds; accepts ISO (from date pickers) and day-month-year."""

    type_name: ClassVar[str] = "date"
    widget: ClassVar[str] = "date"
    min_value: DateBound | None = None
    max_value: DateBound | None = None

    def bounds(self, ctx: Context) -> tuple[date | None, date | None]:
        """The bounds as dates on ``ctx.today``."""
        return _resolve(self.min_value, ctx.today), _resolve(self.max_value, ctx.today)

    def parse(self, raw: Raw, ctx: Context, *, text_channel: bool = False) -> str:
        text = ascii_digits(_first(raw))
        example = native_digits("31-12-1990", ctx.locale)  # the order the parser reads, not the locale's short date
        if m := _ISO.fullmatch(text):
            year, month, day = (int(g) for g in m.groups())
        elif m := _DMY.fullmatch(text):
            day, month, year = (int(g) for g in m.groups())
        else:
            raise Invalid(NOT_A_DATE, example=example)
        try:
            value = date(year, month, day)
        except ValueError:
            raise Invalid(NOT_A_DATE, example=example) from None
        low, high = self.bounds(ctx)
        if low and value < low:
            raise Invalid(DATE_TOO_EARLY, min=self.format(low.isoformat(), ctx))
        if high and value > high:
            raise Invalid(DATE_TOO_LATE, max=self.format(high.isoformat(), ctx))
        return value.isoformat()

    def format(self, value: Any, ctx: Context) -> str:
        return native_digits(format_date(date.fromisoformat(value), format="long", locale=ctx.locale), ctx.locale)


class _ChoiceBase(Field):
    """Shared parsing of answers picked from a list of options."""

    def _option_values(self, ctx: Context) -> dict[str, str]:
        return {option.value: option.label for option in self.options(ctx)}

    def _pick(self, answer: str, ctx: Context, *, text_channel: bool, error: Msg) -> str:
        """Map one raw answer (a value; in a text channel also a number or a label) to a value."""
        options = self.options(ctx)
        values = [option.value for option in options]
        if answer in values:
            return answer
        if text_channel:
            digits = fold(answer)
            if _SMALL_NUMBER.fullmatch(digits) and 1 <= int(digits) <= len(options):
                return options[int(digits) - 1].value
            for option in options:
                if option.label.casefold() == answer.casefold():
                    return option.value
            folded = fold(answer)
            same = {option.value for option in options if fold(option.label) == folded}
            if len(same) == 1:
                return same.pop()
            if (guessed := self.guess(answer, ctx)) is not None:
                return guessed
        raise Invalid(error)

    def guess(self, answer: str, ctx: Context) -> str | None:
        """The value a typed name most likely means, for types whose lists are too long to number
        in a text channel (countries, languages); ``None`` when it is not clear."""
        return None

    def format(self, value: Any, ctx: Context) -> str:
        labels = self._option_values(ctx)
        if isinstance(value, list):
            return ", ".join(labels.get(v, v) for v in value)
        return labels.get(value, str(value))


@dataclass(frozen=True, kw_only=True)
class _FixedChoices(_ChoiceBase):
    """Choices listed in the definition (``choices``), translated when shown."""

    choices: tuple[Choice, ...]

    def options(self, ctx: Context) -> tuple[Option, ...]:
        return (*(Option(c.value, ctx._(c.label)) for c in self.choices), *self._prefer_not_option(ctx))

    def texts(self) -> Iterator[Msg]:
        yield from super().texts()
        yield from (c.label for c in self.choices)


@register
@dataclass(frozen=True, kw_only=True)
class YesNoField(_ChoiceBase):
    """Yes or no; stored as ``true`` / ``false``."""

    type_name: ClassVar[str] = "yes_no"
    widget: ClassVar[str] = "radio"

    def options(self, ctx: Context) -> tuple[Option, ...]:
        return (Option("yes", ctx._(YES)), Option("no", ctx._(NO)), *self._prefer_not_option(ctx))

    def texts(self) -> Iterator[Msg]:
        yield from super().texts()
        yield from (YES, NO)

    def parse(self, raw: Raw, ctx: Context, *, text_channel: bool = False) -> bool:
        answer = _first(raw)
        if text_channel and (word := yes_or_no(answer)) is not None:
            return word == "yes"
        return self._pick(answer, ctx, text_channel=text_channel, error=CHOOSE_ONE) == "yes"

    def as_raw(self, value: Any) -> str | list[str]:
        if isinstance(value, bool):
            return "yes" if value else "no"
        return super().as_raw(value)

    def format(self, value: Any, ctx: Context) -> str:
        return ctx._(YES) if value else ctx._(NO)


@register
@dataclass(frozen=True, kw_only=True)
class ChoiceField(_FixedChoices):
    """Exactly one of a fixed list of choices."""

    type_name: ClassVar[str] = "choice"
    widget: ClassVar[str] = "radio"

    def parse(self, raw: Raw, ctx: Context, *, text_channel: bool = False) -> str:
        return self._pick(_first(raw), ctx, text_channel=text_channel, error=CHOOSE_ONE)


_SEPARATORS = re.compile(r"[,;/\s\u060c\u061b\u3001\u1363\u1364]+")
"""Between the answers of a multiple choice typed in one line: commas (also the Arabic ``،`` and
the Ethiopic ``፣``), semicolons, slashes and spaces."""


@register
@dataclass(frozen=True, kw_only=True)
class MultiChoiceField(_FixedChoices):
    """One or more of a fixed list of choices; ``exclusive`` ones (like "none") stand alone."""

    type_name: ClassVar[str] = "multi_choice"
    widget: ClassVar[str] = "checkboxes"
    exclusive: tuple[str, ...] = ()

    def _answers(self, raw: Raw) -> list[str]:
        if raw is None:
            return []
        items = _SEPARATORS.split(raw) if isinstance(raw, str) else list(raw)
        return [item for item in (_first(i) for i in items) if item]

    def _is_blank(self, raw: Raw) -> bool:
        return not self._answers(raw)

    def clean(self, raw: Raw, ctx: Context, *, text_channel: bool = False) -> Any:
        answers = self._answers(raw)
        if self.prefer_not and len(answers) == 1 and answers[0] == PREFER_NOT:
            return PREFER_NOT
        return super().clean(raw, ctx, text_channel=text_channel)

    def parse(self, raw: Raw, ctx: Context, *, text_channel: bool = False) -> list[str]:
        picked = {self._pick(a, ctx, text_channel=text_channel, error=CHOOSE_SOME) for a in self._answers(raw)}
        if PREFER_NOT in picked and len(picked) > 1:
            raise Invalid(CANNOT_COMBINE, option=ctx._(PREFER_NOT_LABEL))
        if picked == {PREFER_NOT}:
            return PREFER_NOT  # type: ignore[return-value]
        for value in self.exclusive:
            if value in picked and len(picked) > 1:
                raise Invalid(CANNOT_COMBINE, option=self._option_values(ctx)[value])
        # Keep the definition's order, whatever order the answers came in.
        return [c.value for c in self.choices if c.value in picked]


@register
@dataclass(frozen=True, kw_only=True)
class PhoneField(Field):
    """A phone number; Dutch numbers may be typed without country code. Stored as E.164."""

    type_name: ClassVar[str] = "phone"
    widget: ClassVar[str] = "tel"
    input_mode: ClassVar[str | None] = "tel"
    autocomplete: ClassVar[str | None] = "tel"
    region: str = "NL"

    def parse(self, raw: Raw, ctx: Context, *, text_channel: bool = False) -> str:
        number = parse_phone(_first(raw), self.region)
        if number is None:
            raise Invalid(BAD_PHONE, example="06 12345678")
        return number

    def format(self, value: Any, ctx: Context) -> str:
        return native_digits(format_phone(value), ctx.locale)


def parse_phone(text: str, region: str = "NL") -> str | None:
    """A valid phone number in E.164 form, or ``None``; accepts any script's digits."""
    text = ascii_digits(text)
    if len(text) > 40:
        return None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    """An E.164 number written for people (international format)."""
    return phonenumbers.format_number(phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.INTERNATIONAL)


@register
@dataclass(frozen=True, kw_only=True)
class EmailField(Field):
    """An e-mail address (syntax only: no mail server is asked)."""

    type_name: ClassVar[str] = "email"
    widget: ClassVar[str] = "email"
    input_mode: ClassVar[str | None] = "email"
    autocomplete: ClassVar[str | None] = "email"

    def parse(self, raw: Raw, ctx: Context, *, text_channel: bool = False) -> str:
        text = _first(raw)
        if len(text) > 254:
            raise Invalid(BAD_EMAIL)
        try:
            return validate_email(text, check_deliverability=False).normalized
        except EmailNotValidError:
            raise Invalid(BAD_EMAIL) from None


def _babel_locale(ctx: Context) -> Locale:
    return _locale(ctx.locale)


@lru_cache(maxsize=32)
def _locale(code: str) -> Locale:
    try:
        return Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        return Locale("en")


@lru_cache(maxsize=32)
def _collator(code: str) -> icu.Collator:
    """ICU's collation for the locale: Persian after its own alphabet, Ge'ez by its order, and so on."""
    return icu.Collator.createInstance(icu.Locale(code))


_LATIN = re.compile(r"[A-Za-z]")


def _writes_latin(locale: Locale) -> bool:
    """Whether the locale writes in Latin letters (its own name does)."""
    return bool(_LATIN.search(locale.get_display_name(locale) or ""))


def _same(a: str, b: str) -> bool:
    """Two names a reader would take for the same one ("Faarisi", "Faarsi")."""
    return difflib.SequenceMatcher(None, a.casefold(), b.casefold()).ratio() >= 0.9


def ordered_options(
    names: Mapping[str, str], fallback: Mapping[str, str], locale_code: str, common: Sequence[str]
) -> tuple[Option, ...]:
    """Options from CLDR names: the ``common`` codes first (in that order), then the rest in the
    locale's collation, without untranslated names or a second option of the same name.

    A name counts as untranslated when the locale writes in another script than Latin and the name
    is in Latin letters (CLDR fills gaps in Tigrinya with English names, such as "Tagalog"). In a
    locale written in Latin letters a name equal to the English one is often right ("Canada",
    "Dari" in Dutch), so it stays. A common code keeps its English name when the locale has none:
    it is too important to leave out.
    """
    locale = _locale(locale_code)
    latin = _writes_latin(locale)

    def translated(name: str | None) -> bool:
        return bool(name) and (latin or not _LATIN.search(name or ""))

    options: list[Option] = []
    seen: set[str] = set()
    for code in common:
        name = names.get(code) if translated(names.get(code)) else fallback.get(code)
        if name and code not in {o.value for o in options}:
            options.append(Option(code, name, common=True))
            seen.add(name.casefold())
    rest = []
    for code, name in names.items():
        if code in common or not translated(name) or name.casefold() in seen:
            continue
        rest.append(Option(code, name))
        seen.add(name.casefold())
    collator = _collator(str(locale))
    rest.sort(key=lambda option: collator.getSortKey(option.label))
    return (*options, *rest)


# -- typed names (text channels) -------------------------------------------------------------------

NAME_ALIASES: dict[str, dict[str, str]] = {
    "country": {"turkey": "TR", "holland": "NL", "persia": "IR", "burma": "MM"},
    "language": {
        "farsi": "fa",
        "parsi": "fa",
        "sorani": "ckb",
        "kurmanji": "ku",
        "pashtu": "ps",
        "pushto": "ps",
        "tigrigna": "ti",
    },
}
"""Names people use that CLDR does not give (in English): "Turkey" (CLDR: "Türkiye"), "Farsi"."""
LONGEST_NAME = 80
"""A typed name longer than this is no country or language (and is not compared with every name)."""
_LATIN_SKELETON = (
    ("ph", "f"),
    ("gh", "g"),
    ("kh", "k"),
    ("th", "t"),
    ("sh", "s"),
    ("ck", "k"),
    ("q", "k"),
    ("c", "k"),
    ("y", "i"),
    ("w", "u"),
)
_DOUBLE = re.compile(r"(.)\1+")
_CLOSE = 0.85
"""How alike a typed name and a known one must be (difflib's ratio) to be taken for it."""
_CLEARER = 0.08
"""How much better the best guess must be than the next one for another value."""


def _skeleton(folded: str) -> str:
    """A folded name as it sounds more than as it is spelt: "sirya" and "syria" are both "siria"."""
    if not _LATIN.search(folded):
        return folded
    for spelling, sound in _LATIN_SKELETON:
        folded = folded.replace(spelling, sound)
    return _DOUBLE.sub(r"\1", folded)


def _names(options: Sequence[Option]) -> tuple[tuple[str, str], ...]:
    """(key, value) for every option: its folded name and that name's skeleton."""
    keys: set[tuple[str, str]] = set()
    for option in options:
        folded = fold(option.label)
        keys.add((folded, option.value))
        keys.add((_skeleton(folded), option.value))
    return tuple(sorted(keys))


def guess_name(answer: str, index: Sequence[tuple[str, str]]) -> str | None:
    """The value whose name ``answer`` is, written loosely: the same name folded or sounding the same,
    the start of only one name (4 letters or more), or a name close enough (and clearly closer than
    any other value's); else one word of the answer that is exactly one name ("I am from Syria").
    ``None`` when no value, or more than one, fits."""
    key = fold(answer)
    if not 3 <= len(key) <= LONGEST_NAME:
        return None
    wanted = {key, _skeleton(key)}
    exact = {value for name, value in index if name in wanted}
    if exact:
        return exact.pop() if len(exact) == 1 else None
    if len(key) >= 4:
        starting = {value for name, value in index if name.startswith(key)}
        if len(starting) == 1:
            return starting.pop()
    best: dict[str, float] = {}
    names = [name for name, _value in index]
    for candidate in wanted:
        for name in difflib.get_close_matches(candidate, names, n=8, cutoff=_CLOSE - _CLEARER):
            ratio = difflib.SequenceMatcher(None, candidate, name).ratio()
            for value in (v for n, v in index if n == name):
                best[value] = max(best.get(value, 0.0), ratio)
    ranked = sorted(best.items(), key=lambda item: -item[1])
    if ranked and ranked[0][1] >= _CLOSE and (len(ranked) == 1 or ranked[0][1] - ranked[1][1] >= _CLEARER):
        return ranked[0][0]
    words = key.split()
    if len(words) > 1:
        found = {value for word in words if len(word) >= 4 for name, value in index if name in (word, _skeleton(word))}
        if len(found) == 1:
            return found.pop()
    return None


@lru_cache(maxsize=64)
def _typed_names(kind: str, locale_code: str, common: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """The names a person may type for a country or a language: in their language, in English and
    in Dutch (the names they see around them), and the few aliases of :data:`NAME_ALIASES`."""
    options = _country_options if kind == "country" else _language_options
    aliases = tuple(Option(value, alias) for alias, value in NAME_ALIASES[kind].items())
    names = (option for code in dict.fromkeys((locale_code, "en", "nl")) for option in options(code, common))
    return _names((*names, *aliases))


# Two-letter CLDR territories that are not countries (or not ones anybody is born in).
_NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO", "ZZ", "XA", "XB", "AQ", "CQ", "DG", "EA", "IC", "TA", "CP"})


@lru_cache(maxsize=64)
def _country_options(locale_code: str, common: tuple[str, ...]) -> tuple[Option, ...]:
    def countries(locale: Locale) -> dict[str, str]:
        return {
            code: name
            for code, name in locale.territories.items()
            if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
        }

    return ordered_options(countries(_locale(locale_code)), countries(Locale("en")), locale_code, common)


@register
@dataclass(frozen=True, kw_only=True)
class CountryField(_ChoiceBase):
    """A country, by ISO 3166 code; names come from CLDR in the person's language."""

    type_name: ClassVar[str] = "country"
    widget: ClassVar[str] = "select"

    def options(self, ctx: Context) -> tuple[Option, ...]:
        return (*_country_options(ctx.locale, ctx.common_countries), *self._prefer_not_option(ctx))

    def parse(self, raw: Raw, ctx: Context, *, text_channel: bool = False) -> str:
        answer = _first(raw)
        if not text_channel:
            answer = answer.upper()
        return self._pick(
            answer, ctx, text_channel=text_channel, error=UNKNOWN_COUNTRY if text_channel else BAD_COUNTRY
        )

    def guess(self, answer: str, ctx: Context) -> str | None:
        return guess_name(answer, _typed_names("country", ctx.locale, ctx.common_countries))


LANGUAGES = (
    "ar",
    "ti",
    "fa",
    "fa_AF",
    "ps",
    "tr",
    "ku",
    "ckb",
    "so",
    "am",
    "om",
    "ur",
    "hi",
    "bn",
    "ta",
    "ne",
    "zh",
    "vi",
    "th",
    "id",
    "tl",
    "sw",
    "ha",
    "yo",
    "ig",
    "ln",
    "wo",
    "ff",
    "fr",
    "en",
    "nl",
    "de",
    "es",
    "pt",
    "it",
    "ru",
    "uk",
    "pl",
    "ro",
    "bg",
    "hu",
    "el",
    "sq",
    "bs",
    "sr",
    "hr",
    "mk",
    "hy",
    "ka",
    "az",
    "uz",
    "tk",
    "ky",
    "kk",
    "mn",
    "he",
)
"""The languages offered (ISO 639 codes; fa_AF is Dari), covering the main countries of origin."""


@lru_cache(maxsize=64)
def _language_options(locale_code: str, common: tuple[str, ...]) -> tuple[Option, ...]:
    def languages(locale: Locale) -> dict[str, str]:
        names = {code: locale.languages.get(code, "") for code in (*common, *LANGUAGES)}
        # A regional variant whose name reads like its language's (Somali "Faarsi" next to
        # "Faarisi") is named with its region instead: "Faarisi (Afgaanistaan)".
        for code in names:
            base = code.split("_")[0]
            if base != code and names[code] and names.get(base) and _same(names[code], names[base]):
                names[code] = Locale.parse(code).get_display_name(locale) or names[code]
        return names

    return ordered_options(languages(_locale(locale_code)), languages(Locale("en")), locale_code, common)


@register
@dataclass(frozen=True, kw_only=True)
class LanguageField(_ChoiceBase):
    """A language, by code; names come from CLDR in the person's language."""

    type_name: ClassVar[str] = "language"
    widget: ClassVar[str] = "select"

    def options(self, ctx: Context) -> tuple[Option, ...]:
        return (*_language_options(ctx.locale, ctx.common_languages), *self._prefer_not_option(ctx))

    def parse(self, raw: Raw, ctx: Context, *, text_channel: bool = False) -> str:
        error = UNKNOWN_LANGUAGE if text_channel else BAD_LANGUAGE
        return self._pick(_first(raw), ctx, text_channel=text_channel, error=error)

    def guess(self, answer: str, ctx: Context) -> str | None:
        return guess_name(answer, _typed_names("language", ctx.locale, ctx.common_languages))


@register
@dataclass(frozen=True, kw_only=True)
class MarkField(_ChoiceBase):
    """A report mark from 1 (very bad) to 10 (excellent), as the Dutch give them."""

    type_name: ClassVar[str] = "mark"
    widget: ClassVar[str] = "radio"
    input_mode: ClassVar[str | None] = "numeric"

    def options(self, ctx: Context) -> tuple[Option, ...]:
        return (
            *(Option(str(n), format_number(n, ctx.locale)) for n in range(1, 11)),
            *self._prefer_not_option(ctx),
        )

    def parse(self, raw: Raw, ctx: Context, *, text_channel: bool = False) -> int:
        answer = ascii_digits(_first(raw)).strip(" .")
        if _SMALL_NUMBER.fullmatch(answer) and 1 <= int(answer) <= 10:
            return int(answer)
        raise Invalid(BAD_MARK)

    def format(self, value: Any, ctx: Context) -> str:
        return format_number(value, ctx.locale)
