"""Field types: parsing, validation and display, from the web and from text channels."""

from __future__ import annotations

import unicodedata
from datetime import date

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflows.fields import (
    PREFER_NOT,
    Choice,
    ChoiceField,
    CountryField,
    DateField,
    EmailField,
    Invalid,
    LanguageField,
    LongTextField,
    MarkField,
    MultiChoiceField,
    NumberField,
    PhoneField,
    TextField,
    YearsAgo,
    YesNoField,
    parse_phone,
)
from workflows.i18n import N_, Context

CTX = Context(locale="nl", today=date(2026, 11, 23))


def error_of(field, raw, ctx=CTX, **kwargs) -> str:  # noqa: ANN001
    with pytest.raises(Invalid) as caught:
        field.clean(raw, ctx, **kwargs)
    return caught.value.text(ctx)


def test_required_field_refuses_blank_and_optional_gives_none():
    assert error_of(TextField(id="a", label=N_("A")), "   ") == "Please answer this question."
    assert TextField(id="a", label=N_("A"), required=False).clean(["  "], CTX) is None


def _is_control(ch: str) -> bool:
    return unicodedata.category(ch) == "Cc" and ch not in "\t\n"


@given(st.text(alphabet=st.characters(exclude_categories=["Cc", "Cs"])))
def test_text_without_control_characters_round_trips_exactly(text):
    from workflows.fields import _visible

    field = TextField(id="t", label=N_("T"), required=False, max_length=10_000)
    # Exactly as typed, outer whitespace aside; an answer that shows nothing (zero-width spaces,
    # direction marks, fillers alone) is no answer.
    assert field.clean(text, CTX) == (text.strip() if _visible(text.strip()) else None)


@given(st.text())
def test_text_never_keeps_control_characters(text):
    field = TextField(id="t", label=N_("T"), required=False, max_length=10_000)
    value = field.clean(text, CTX)
    assert value is None or not any(_is_control(ch) for ch in value)


@pytest.mark.parametrize("text", ["أمل الحسن 🌸", "ዮናስ ተስፋይ", "زهرا احمدی", "Mehmet Yılmaz", "a\u200db"])
def test_text_round_trips_exactly(text):
    assert TextField(id="t", label=N_("T")).clean([text], CTX) == text


def test_text_strips_nul_bytes_which_postgresql_refuses():
    assert TextField(id="t", label=N_("T")).clean("a\x00b", CTX) == "ab"


def test_text_length_limit_counts_characters_not_bytes():
    field = LongTextField(id="t", label=N_("T"), max_length=5)
    assert field.clean("ዮናስዮና", CTX) == "ዮናስዮና"
    assert error_of(field, "ዮናስዮናስ") == "Use at most 5 characters."


@pytest.mark.parametrize(("raw", "value"), [("7", 7), (" 12 ", 12), ("١٢", 12), ("۱۲", 12), ("0", 0)])
def test_number_accepts_any_script_digits(raw, value):
    assert NumberField(id="n", label=N_("N"), max_value=30).clean(raw, CTX) == value


@pytest.mark.parametrize("raw", ["seven", "1.5", "1e3", "99999999999999"])
def test_number_refuses_non_integers(raw):
    assert "whole number" in error_of(NumberField(id="n", label=N_("N")), raw)


def test_number_bounds_are_in_the_message():
    assert error_of(NumberField(id="n", label=N_("N"), min_value=1, max_value=20), "21") == (
        "Type a number from 1 to 20."
    )


@pytest.mark.parametrize("raw", ["1985-12-31", "31-12-1985", "31/12/1985", "31.12.1985", "٣١-١٢-١٩٨٥"])
def test_date_accepts_iso_and_day_month_year(raw):
    assert DateField(id="d", label=N_("D")).clean(raw, CTX) == "1985-12-31"


@pytest.mark.parametrize("raw", ["31-02-1985", "yesterday", "1985-13-01", "12/1985"])
def test_date_refuses_impossible_dates(raw):
    assert "day-month-year" in error_of(DateField(id="d", label=N_("D")), raw)


def test_date_bounds_relative_to_today():
    field = DateField(id="d", label=N_("D"), min_value=YearsAgo(100), max_value=YearsAgo(16))
    assert field.clean("2010-11-23", CTX) == "2010-11-23"
    assert error_of(field, "2010-11-24") == "The date cannot be after 23 november 2010."
    assert error_of(field, "1926-11-22") == "The date cannot be before 23 november 1926."


def test_date_display_is_localised():
    field = DateField(id="d", label=N_("D"))
    assert field.display("1985-12-31", Context(locale="nl")) == "31 december 1985"
    assert field.display("1985-12-31", Context(locale="en")) == "December 31, 1985"
    assert "ديسمبر" in field.display("1985-12-31", Context(locale="ar"))


def test_yes_no_from_web_and_text_channels():
    field = YesNoField(id="y", label=N_("Y"))
    assert field.clean(["yes"], CTX) is True
    assert field.clean("no", CTX) is False
    assert field.clean("1", CTX, text_channel=True) is True
    assert field.clean("2", CTX, text_channel=True) is False
    assert error_of(field, "1") == "Choose one of the options."  # numbers only in text channels
    assert field.as_raw(True) == "yes"


def test_prefer_not_to_say():
    field = YesNoField(id="y", label=N_("Y"), prefer_not=True)
    assert field.clean([PREFER_NOT], CTX) == PREFER_NOT
    assert field.clean("3", CTX, text_channel=True) == PREFER_NOT
    assert field.display(PREFER_NOT, CTX) == "I prefer not to say"
    plain = YesNoField(id="y", label=N_("Y"))
    assert error_of(plain, PREFER_NOT) == "Choose one of the options."


CHOICES = (Choice("a", N_("Apple")), Choice("b", N_("Pear")), Choice("none", N_("None")))


def test_single_choice():
    field = ChoiceField(id="c", label=N_("C"), choices=CHOICES)
    assert field.clean(["b"], CTX) == "b"
    assert field.clean("pear", CTX, text_channel=True) == "b"
    assert error_of(field, "<script>") == "Choose one of the options."
    assert field.display("b", CTX) == "Pear"


def test_multiple_choice_keeps_definition_order_and_exclusive_options():
    field = MultiChoiceField(id="m", label=N_("M"), choices=CHOICES, exclusive=("none",))
    assert field.clean(["b", "a", "b"], CTX) == ["a", "b"]
    assert field.clean("2, 1", CTX, text_channel=True) == ["a", "b"]
    assert error_of(field, ["a", "none"]) == "“None” cannot be combined with other options."
    assert error_of(field, []) == "Please answer this question."
    assert field.display(["a", "b"], CTX) == "Apple, Pear"


@given(st.text(max_size=30))
def test_phone_parsing_never_crashes_and_returns_e164(raw):
    number = parse_phone(raw)
    if number is not None:
        assert number.startswith("+")
        assert phonenumbers.is_valid_number(phonenumbers.parse(number))


@given(st.integers(min_value=10_000_000, max_value=59_999_999))  # 061-065: mobile
def test_every_dutch_mobile_number_parses_written_any_way(rest):
    e164 = f"+316{rest}"
    for written in (f"06{rest}", f"06-{rest}", f"+31 6 {rest}", f"0031 6{rest}"):
        assert parse_phone(written) == e164


def test_phone_field():
    field = PhoneField(id="p", label=N_("P"))
    assert field.clean("٠٦١٢٣٤٥٦٧٨", CTX) == "+31612345678"
    assert field.clean("+49 1512 3456789", CTX) == "+4915123456789"
    assert "valid phone number" in error_of(field, "12345")
    assert field.display("+31612345678", CTX) == "+31 6 12345678"


def test_email_field():
    field = EmailField(id="e", label=N_("E"))
    assert field.clean(" Amal@Example.com ", CTX) == "Amal@example.com"
    assert "e-mail" in error_of(field, "amal@")


def test_country_names_are_localised_and_codes_stored():
    field = CountryField(id="c", label=N_("C"))
    assert field.clean(["sy"], CTX) == "SY"
    assert field.display("SY", Context(locale="nl")) == "Syrië"
    assert field.display("ER", Context(locale="ti")) == "ኤርትራ"
    assert error_of(field, "XX") == "Choose a country from the list."
    assert "EU" not in {o.value for o in field.options(CTX)}


def test_language_names_are_localised():
    field = LanguageField(id="l", label=N_("L"))
    assert field.clean(["ti"], CTX) == "ti"
    assert field.display("ar", Context(locale="nl")) == "Arabisch"
    assert field.display("fa_AF", Context(locale="en")) == "Dari"


def test_mark_from_one_to_ten():
    field = MarkField(id="m", label=N_("M"))
    assert field.clean("7", CTX) == 7
    assert field.clean("١٠", CTX, text_channel=True) == 10
    assert error_of(field, "11") == "Choose a mark from 1 to 10."
    assert len(field.options(CTX)) == 10


def test_sms_prompt_numbers_the_options():
    field = YesNoField(id="y", label=N_("Do you have children?"), prefer_not=True)
    assert field.prompt(CTX).as_sms() == "Do you have children?\n1 Yes\n2 No\n3 I prefer not to say"


def test_translation_is_applied_to_labels_and_errors():
    dutch = {"Please answer this question.": "Beantwoord deze vraag.", "Yes": "Ja", "No": "Nee"}
    ctx = Context(translate=lambda s: dutch.get(s, s), locale="nl")
    field = YesNoField(id="y", label=N_("Y"))
    assert [o.label for o in field.options(ctx)] == ["Ja", "Nee"]
    assert error_of(field, "", ctx) == "Beantwoord deze vraag."
