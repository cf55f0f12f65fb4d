"""Text channels read answers as people type them (workflows/fields.py), and the SMS form of a
question (workflows/sms.py): pure, without an application."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflows import sms
from workflows.fields import (
    NO_WORDS,
    PREFER_NOT,
    YES_WORDS,
    Choice,
    ChoiceField,
    CountryField,
    DateField,
    Invalid,
    LanguageField,
    MultiChoiceField,
    NumberField,
    TextField,
    YesNoField,
    fold,
    yes_or_no,
)
from workflows.i18n import N_, Context
from workflows.intake import BREDE_INTAKE

EN = Context(locale="en", common_countries=("SY", "TR", "ER", "AF"), common_languages=("ar", "ti", "fa_AF"))


def ctx(locale: str) -> Context:
    return Context(locale=locale, common_countries=EN.common_countries, common_languages=EN.common_languages)


# -- folding ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        ("  Ja! ", "ja"),
        ("EVET", "evet"),
        ("hayır", "hayir"),
        ("HAYIR", "hayir"),
        ("١٢-٠٣-١٩٨٤", "12 03 1984"),
        ("۱۲", "12"),
        ("፩", "1"),
        ("تـوقـف", "توقف"),
        ("نَعَم", "نعم"),
        ("كمك", "کمک"),
        ("\u200fبله\u200f", "بله"),
        ("Syrië", "syrie"),
        ("ＳＴＯＰ", "stop"),
    ],
)
def test_fold_ignores_case_accents_digit_systems_and_punctuation(typed, folded):
    assert fold(typed) == folded


@given(st.text(max_size=40))
def test_fold_never_fails_and_is_idempotent(text):
    assert fold(fold(text)) == fold(text)


# -- yes and no ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "meaning"),
    [(word, "yes") for words in YES_WORDS.values() for word in words]
    + [(word, "no") for words in NO_WORDS.values() for word in words],
)
def test_every_yes_and_no_word_of_every_language(word, meaning):
    field = YesNoField(id="y", label=N_("Do you have children?"))
    assert yes_or_no(word) == meaning
    assert yes_or_no(word.upper() + "!") == meaning
    assert field.clean(word, EN, text_channel=True) is (meaning == "yes")


def test_the_word_tables_cover_every_shipped_language_and_only_text_channels_read_them():
    assert set(YES_WORDS) == set(NO_WORDS) == {"nl", "en", "ar", "ti", "fa", "tr", "so"}
    field = YesNoField(id="y", label=N_("Y"))
    with pytest.raises(Invalid):
        field.clean("evet", EN)  # the web form posts a value
    with pytest.raises(Invalid):
        field.clean("maybe", EN, text_channel=True)


# -- choices by number or name ------------------------------------------------------------------------

LEVELS = (Choice("none", N_("Not at all")), Choice("little", N_("A little")), Choice("good", N_("Good")))


def test_a_choice_by_any_digits_or_by_its_name_without_accents_or_case():
    field = ChoiceField(id="c", label=N_("C"), choices=LEVELS)
    for typed in ("2", "٢", "۲", "፪", "2.", "(2)", "a LITTLE", "A little!"):
        assert field.clean(typed, EN, text_channel=True) == "little", typed


def test_a_multiple_choice_typed_with_any_separator():
    field = MultiChoiceField(id="m", label=N_("M"), choices=LEVELS)
    for typed in ("1 3", "1,3", "1, 3", "3;1", "1/3", "١،٣", "۱ ۳", "፩፣፫"):
        assert field.clean(typed, EN, text_channel=True) == ["none", "good"], typed


# -- countries and languages typed loosely ------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "typed", "code"),
    [
        ("en", "Sirya", "SY"),
        ("en", "syria", "SY"),
        ("en", "I am from Syria", "SY"),
        ("en", "Eritria", "ER"),
        ("en", "afganistan", "AF"),
        ("en", "Irak", "IQ"),
        ("en", "Turkey", "TR"),
        ("en", "Türkiye", "TR"),
        ("en", "Syrië", "SY"),  # the Dutch name, seen around them
        ("nl", "Nederland", "NL"),
        ("ar", "سوريا", "SY"),
        ("fa_AF", "افغانستان", "AF"),
        ("ti", "ኤርትራ", "ER"),
        ("tr", "Suriye", "SY"),
        ("so", "Suuriya", "SY"),
    ],
)
def test_countries_typed_loosely(locale, typed, code):
    field = CountryField(id="c", label=N_("C"))
    assert field.clean(typed, ctx(locale), text_channel=True) == code


@pytest.mark.parametrize("typed", ["congo", "xx", "ira", "a", "Syria and Iraq", "1000", "<script>"])
def test_a_country_that_is_not_clear_is_refused(typed):
    field = CountryField(id="c", label=N_("C"))
    with pytest.raises(Invalid) as refused:
        field.clean(typed, EN, text_channel=True)
    assert refused.value.text(EN) == "We do not know this country. Please type its name again."


@pytest.mark.parametrize(
    ("locale", "typed", "code"),
    [
        ("en", "arabic", "ar"),
        ("en", "Farsi", "fa"),
        ("en", "dari", "fa_AF"),
        ("en", "Tigrinia", "ti"),
        ("en", "Englsh", "en"),
        ("nl", "Arabisch", "ar"),
        ("ar", "العربية", "ar"),
        ("ti", "ትግርኛ", "ti"),
        ("tr", "Türkçe", "tr"),
    ],
)
def test_languages_typed_loosely(locale, typed, code):
    field = LanguageField(id="l", label=N_("L"))
    assert field.clean(typed, ctx(locale), text_channel=True) == code


def test_the_web_form_still_needs_a_value_from_the_list():
    with pytest.raises(Invalid) as refused:
        CountryField(id="c", label=N_("C")).clean("Sirya", EN)
    assert refused.value.text(EN) == "Choose a country from the list."


# -- the SMS form of a question -----------------------------------------------------------------------


def test_shapes_numbered_typed_skip_and_prefer_not():
    gender = ChoiceField(id="g", label=N_("G"), choices=LEVELS, prefer_not=True)
    assert [o.value for o in sms.shape(gender, EN).numbered] == ["none", "little", "good", PREFER_NOT]
    country = CountryField(id="c", label=N_("C"), prefer_not=True)
    form = sms.shape(country, EN)
    assert (form.numbered, form.typed_name, form.skip, form.prefer_not) == ((), True, None, "0")
    other = LanguageField(id="l", label=N_("L"), required=False)
    assert (sms.shape(other, EN).skip, sms.shape(other, EN).prefer_not) == ("0", None)
    count = NumberField(id="n", label=N_("N"), required=False, min_value=0)
    assert sms.shape(count, EN).skip == "-"  # 0 is an answer here


def test_read_turns_the_shortcuts_into_answers_and_refuses_numbers_nobody_saw():
    country = CountryField(id="c", label=N_("C"), prefer_not=True)
    assert sms.read(country, " ٠ ", EN) == PREFER_NOT
    with pytest.raises(Invalid):
        sms.read(country, "1", EN)  # the first common country, never shown
    name = TextField(id="t", label=N_("T"), required=False)
    assert sms.read(name, "0", EN) == ""
    assert name.clean(sms.read(name, "0", EN), EN, text_channel=True) is None
    assert sms.read(name, "Amal", EN) == "Amal"


def _wrap(text: str, short: bool) -> str:
    return f"Hoorn: {text}" if short else f"Municipality of Hoorn: {text}"


def test_compose_uses_everything_when_it_fits():
    field = ChoiceField(id="c", label=N_("How well?"), help=N_("Be honest."), choices=LEVELS, required=False)
    body = sms.compose(field, EN, wrap=_wrap, fits=lambda _text: True, number=3, total=40)
    assert body == (
        "Municipality of Hoorn: (3/40) How well?\nBe honest.\nSend 0 to skip.\n1 Not at all\n2 A little\n3 Good"
    )


def test_compose_drops_help_then_number_then_the_long_prefix_then_cuts_names():
    field = ChoiceField(id="c", label=N_("How well?"), help=N_("Be honest."), choices=LEVELS)
    seen = []

    def fits(text: str) -> bool:
        seen.append(text)
        return False

    last = sms.compose(field, EN, wrap=_wrap, fits=fits, number=3, total=40)
    assert seen[1] == "Municipality of Hoorn: (3/40) How well?\n1 Not at all\n2 A little\n3 Good"
    assert seen[2] == "Municipality of Hoorn: How well?\n1 Not at all\n2 A little\n3 Good"
    assert seen[3] == "Hoorn: How well?\n1 Not at all\n2 A little\n3 Good"
    assert "Hoorn: How well?\n1 Not at al…\n2 A little\n3 Good" in seen
    assert "Hoorn: How well?\n1 Not at…\n2 A litt…\n3 Good" in seen
    assert last == "Hoorn: How well?\n1 Not…\n2 A l…\n3 Goo…"
    assert all("How well?" in text for text in seen)


def test_compose_keeps_the_preface_until_only_a_short_try_again_fits():
    field = ChoiceField(id="c", label=N_("How well?"), choices=LEVELS)
    preface = "Choose one of the options."
    body = sms.compose(field, EN, wrap=_wrap, fits=lambda text: len(text) <= 90, preface=preface)
    assert body == "Municipality of Hoorn: Choose one of the options. How well?\n1 Not at all\n2 A little\n3 Good"
    body = sms.compose(field, EN, wrap=_wrap, fits=lambda text: len(text) <= 74, preface=preface)
    assert body == "Hoorn: Choose one of the options. How well?\n1 Not at all\n2 A little\n3 Good"
    body = sms.compose(field, EN, wrap=_wrap, fits=lambda text: len(text) <= 65, preface=preface)
    assert body.startswith("Hoorn: Please try again. How well?")


def test_compose_a_typed_name_and_a_multiple_choice():
    country = CountryField(id="c", label=N_("In which country were you born?"), prefer_not=True)
    assert sms.compose(country, EN, wrap=_wrap, fits=lambda _t: True) == (
        "Municipality of Hoorn: In which country were you born?\nType the name of the country.\n0 I prefer not to say"
    )
    days = MultiChoiceField(id="d", label=N_("Which days?"), choices=LEVELS, required=False)
    assert sms.compose(days, EN, wrap=_wrap, fits=lambda _t: True) == (
        "Municipality of Hoorn: Which days?\nSend one or more numbers, for example: 1 3\nSend 0 to skip.\n"
        "1 Not at all\n2 A little\n3 Good"
    )
    compact = sms.compose(days, EN, wrap=_wrap, fits=lambda text: "Municipality" not in text and "Send" not in text)
    assert compact == "Hoorn: Which days? (one or more)\n1 Not at all\n2 A little\n3 Good\n0 Skip"


@pytest.mark.parametrize("field_id", [f.id for _s, f in BREDE_INTAKE.fields() if f.asked_by_sms])
def test_how_to_answer_every_question_of_the_intake(field_id):
    field = next(f for _s, f in BREDE_INTAKE.fields() if f.id == field_id)
    how = sms.how_to_answer(field, EN)
    assert how.endswith(".") or how.endswith("3")
    if not field.required:
        assert "Send 0 to skip." in how or "Send - to skip." in how
    if isinstance(field, DateField):
        assert how.startswith("Type a date as day-month-year")
