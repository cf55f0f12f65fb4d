"""The SMS form of a question: one short text with numbered choices, and a reply read back into an answer.

Pure, like the rest of ``workflows``: the caller passes the :class:`~workflows.i18n.Context` (the
person's language), a ``wrap`` that puts the question into the full SMS (the municipality's name in
front) and a ``fits`` that says whether a text is short enough (the app counts SMS segments).

- :func:`shape`: how a field is asked by SMS: numbered options (at most :data:`LONG_LIST`), or a
  typed name for the long lists of countries and languages (matched loosely by the field itself),
  or a typed answer; the word that skips an optional question, and the shortcut for "I prefer not to
  say" where the options are not numbered.
- :func:`compose`: the question's SMS, the first of ever shorter forms that fits: everything (what
  went wrong, the question's number, the question, its help, how to answer, the options); without
  the help; without the number; with only the municipality's name in front; with the options' names
  cut short (the numbers stay whole, and a reply is read by its number).
- :func:`read`: a reply as the field's own ``clean`` takes it (the skip word as a blank, the
  shortcut as "I prefer not to say", a number refused where nothing was numbered); everything else
  (numbers, names, yes and no in every shipped language, loosely typed countries and languages)
  the field type parses itself in a text channel.
- :func:`how_to_answer`: one sentence on how to answer this question (the answer to HELP).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .fields import (
    BAD_EMAIL,
    BAD_MARK,
    BAD_PHONE,
    NOT_A_DATE,
    NUMBER_RANGE,
    PREFER_NOT,
    PREFER_NOT_LABEL,
    UNKNOWN_COUNTRY,
    UNKNOWN_LANGUAGE,
    CountryField,
    DateField,
    EmailField,
    Field,
    Invalid,
    LanguageField,
    MarkField,
    MultiChoiceField,
    NumberField,
    Option,
    PhoneField,
    fold,
)
from .i18n import N_, Context, format_number, native_digits

LONG_LIST = 9
"""More options than this, in a type that knows its names (countries, languages): type the name."""
SKIP = "0"
"""The reply that skips an optional question, and that means "I prefer not to say" in a long list."""
SKIP_NUMBER = "-"
"""The skip reply of an optional number that may be 0 itself."""
READABLE_CUT = 6
"""Option names are cut down to this many characters (and an ellipsis) before anything else goes."""
SHORTEST_CUT = 3
"""Option names are never cut shorter than this many characters."""

TYPE_COUNTRY = N_("Type the name of the country.")
TYPE_LANGUAGE = N_("Type the name of the language.")
TYPE_ANSWER = N_("Type your answer.")
CHOOSE_NUMBER = N_("Send the number of your answer.")
CHOOSE_NUMBERS = N_("Send one or more numbers, for example: 1 3")
SKIP_HINT = N_("Send %(skip)s to skip.")
SKIP_LABEL = N_("Skip")
SEVERAL_SHORT = N_("(one or more)")
TRY_AGAIN = N_("Please try again.")

NAMED = (CountryField, LanguageField)


@dataclass(frozen=True)
class Shape:
    """How a field is asked by SMS."""

    numbered: tuple[Option, ...]
    """The options, numbered from 1 (empty: the answer is typed)."""
    typed_name: bool
    """A long list: the person types a name (``numbered`` is then empty)."""
    skip: str | None
    """The reply that skips this optional question (``None``: it must be answered)."""
    prefer_not: str | None
    """The reply that means "I prefer not to say" where the options are not numbered."""


def shape(field: Field, ctx: Context) -> Shape:
    """How ``field`` is asked by SMS in ``ctx``'s language."""
    options = field.options(ctx)
    typed = isinstance(field, NAMED) and len(options) > LONG_LIST
    numbered = () if typed or isinstance(field, MarkField) else options
    prefer_not = SKIP if typed and field.prefer_not else None
    skip = None
    if not field.required and prefer_not is None:
        skip = SKIP_NUMBER if isinstance(field, NumberField) and field.min_value <= 0 else SKIP
    return Shape(numbered, typed, skip, prefer_not)


def read(field: Field, body: str, ctx: Context) -> str:
    """A reply as ``field.clean(..., text_channel=True)`` takes it.

    :class:`~workflows.fields.Invalid` for a number where the options were not numbered (a long
    list): it would pick an option the person never saw.
    """
    form = shape(field, ctx)
    folded = fold(body) or body.strip()
    if form.skip is not None and folded == form.skip:
        return ""
    if form.prefer_not is not None and folded == form.prefer_not:
        return PREFER_NOT
    if form.typed_name and folded.isdigit():
        raise Invalid(UNKNOWN_COUNTRY if isinstance(field, CountryField) else UNKNOWN_LANGUAGE)
    return body


def _date_example(ctx: Context) -> str:
    """A date as the parser reads it (day-month-year), not the locale's short date (12/31/90 in English)."""
    return native_digits("31-12-1990", ctx.locale)


def how_to_answer(field: Field, ctx: Context) -> str:
    """One or two short sentences: how to answer ``field`` by SMS."""
    form = shape(field, ctx)
    if form.typed_name:
        how = ctx._(TYPE_COUNTRY if isinstance(field, CountryField) else TYPE_LANGUAGE)
    elif isinstance(field, MultiChoiceField):
        how = ctx._(CHOOSE_NUMBERS)
    elif form.numbered:
        how = ctx._(CHOOSE_NUMBER)
    elif isinstance(field, DateField):
        how = ctx._(NOT_A_DATE, example=_date_example(ctx))
    elif isinstance(field, NumberField):
        how = ctx._(
            NUMBER_RANGE, min=format_number(field.min_value, ctx.locale), max=format_number(field.max_value, ctx.locale)
        )
    elif isinstance(field, MarkField):
        how = ctx._(BAD_MARK)
    elif isinstance(field, PhoneField):
        how = ctx._(BAD_PHONE, example="06 12345678")
    elif isinstance(field, EmailField):
        how = ctx._(BAD_EMAIL)
    else:
        how = ctx._(TYPE_ANSWER)
    if form.skip is not None:
        how = f"{how} {ctx._(SKIP_HINT, skip=form.skip)}"
    return how


def _hints(field: Field, form: Shape, ctx: Context, *, compact: bool) -> list[str]:
    """The lines that say how to answer, where the options alone do not (``compact``: as short as
    they can be: the skip word as one more option, no "one or more numbers" line)."""
    lines = []
    if form.typed_name:
        lines.append(ctx._(TYPE_COUNTRY if isinstance(field, CountryField) else TYPE_LANGUAGE))
    elif isinstance(field, MultiChoiceField) and not compact:
        lines.append(ctx._(CHOOSE_NUMBERS))
    elif isinstance(field, MarkField):
        lines.append(ctx._(BAD_MARK))
    if form.prefer_not is not None:
        lines.append(f"{form.prefer_not} {ctx._(PREFER_NOT_LABEL)}")
    if form.skip is not None and not (compact and form.numbered):
        lines.append(ctx._(SKIP_HINT, skip=form.skip))
    return lines


def _cut(label: str, width: int) -> str:
    return label if len(label) <= width else label[:width].rstrip() + "…"


def compose(
    field: Field,
    ctx: Context,
    *,
    wrap: Callable[[str, bool], str],
    fits: Callable[[str], bool],
    number: int | None = None,
    total: int | None = None,
    preface: str | None = None,
) -> str:
    """The SMS that asks ``field``: the first form that ``fits`` (the last one tried in any case).

    ``wrap(question, short)`` makes the whole SMS of it (``short``: only the municipality's name in
    front). The forms, longest first: everything; without the help; without the question's number;
    with the short ``wrap``; with compact hints (the skip word as an option: ``0 Skip``); with the
    options' names cut ever shorter (never below :data:`READABLE_CUT` characters); with a short
    "try again" for a long ``preface``; without the preface (the question asked again says it);
    with the names cut to :data:`SHORTEST_CUT`. The question itself and every option's number are in
    every form.
    """
    form = shape(field, ctx)
    label = ctx._(field.label)
    help_text = ctx._(field.help) if field.help else None
    position = (
        f"({format_number(number, ctx.locale)}/{format_number(total, ctx.locale)})"
        if number is not None and total is not None
        else None
    )
    several = f" {ctx._(SEVERAL_SHORT)}" if isinstance(field, MultiChoiceField) else ""
    skip_option = f"{form.skip} {ctx._(SKIP_LABEL)}" if form.skip is not None and form.numbered else None

    def text(
        *,
        with_help: bool = False,
        with_position: bool = False,
        compact: bool = True,
        width: int | None = None,
        intro: str | None = preface,
    ) -> str:
        head = " ".join(part for part in (intro, position if with_position else None, label) if part)
        if compact and width is None:
            head += several
        lines = [head]
        if with_help and help_text:
            lines.append(help_text)
        lines += _hints(field, form, ctx, compact=compact)
        lines += [
            f"{n} {option.label if width is None else _cut(option.label, width)}"
            for n, option in enumerate(form.numbered, 1)
        ]
        if compact and skip_option:
            lines.append(skip_option)
        return "\n".join(lines)

    full = {"with_help": True, "with_position": True, "compact": False}
    candidates = [
        lambda: wrap(text(**full), False),
        lambda: wrap(text(**{**full, "with_help": False}), False),
        lambda: wrap(text(compact=False), False),
        lambda: wrap(text(compact=False), True),
        lambda: wrap(text(), True),
    ]
    longest = max((len(option.label) for option in form.numbered), default=0)
    readable = range(longest - 1, READABLE_CUT - 1, -1)
    candidates += [lambda width=width: wrap(text(width=width), True) for width in readable]
    if preface:
        short = ctx._(TRY_AGAIN)
        candidates += [lambda: wrap(text(intro=short), True)]
        candidates += [lambda width=width: wrap(text(width=width, intro=short), True) for width in readable]
        # The question alone: asked again, it says enough that the answer did not fit.
        candidates += [lambda: wrap(text(intro=None), True)]
        candidates += [lambda width=width: wrap(text(width=width, intro=None), True) for width in readable]
    candidates += [
        lambda width=width: wrap(text(width=width, intro=None), True)
        for width in range(min(longest, READABLE_CUT) - 1, SHORTEST_CUT - 1, -1)
    ]
    body = ""
    for candidate in candidates:
        body = candidate()
        if fits(body):
            return body
    return body
