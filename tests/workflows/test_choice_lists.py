"""Country and language lists per locale, and one digit system per locale.

CLDR's raw lists have gaps: Tigrinya fills them with English names ("Tagalog" came first),
Somali names Persian and Dari almost alike, and sorting by code point puts Persian letters in the
wrong places. These tests hold the cleaned lists to what a reader of each language expects.
"""

from __future__ import annotations

import re
from datetime import date

import icu
import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflows.fields import CountryField, DateField, Invalid, LanguageField, MarkField, NumberField, PhoneField
from workflows.i18n import N_, Context, ascii_digits, format_number, native_digits

COUNTRIES = ("SY", "TR", "ER", "YE", "AF", "IQ", "SO")
LANGUAGES = ("ar", "ti", "fa_AF", "fa", "tr", "so", "ku", "ps")
LOCALES = ("nl", "en", "ar", "ti", "fa_AF", "tr", "so")
LATIN = re.compile(r"[A-Za-z]")


def ctx(locale: str) -> Context:
    return Context(locale=locale, common_countries=COUNTRIES, common_languages=LANGUAGES)


def labels(field, locale: str) -> list[str]:  # noqa: ANN001
    return [option.label for option in field.options(ctx(locale))]


@pytest.mark.parametrize("locale", LOCALES)
def test_common_countries_come_first_in_the_configured_order(locale):
    options = CountryField(id="c", label=N_("C")).options(ctx(locale))
    assert [o.value for o in options[: len(COUNTRIES)]] == list(COUNTRIES)
    assert all(o.common for o in options[: len(COUNTRIES)])
    assert not any(o.common for o in options[len(COUNTRIES) :])


@pytest.mark.parametrize("locale", LOCALES)
def test_common_languages_come_first_in_the_configured_order(locale):
    options = LanguageField(id="l", label=N_("L")).options(ctx(locale))
    assert [o.value for o in options[: len(LANGUAGES)]] == list(LANGUAGES)


@pytest.mark.parametrize("field", [CountryField(id="c", label=N_("C")), LanguageField(id="l", label=N_("L"))])
@pytest.mark.parametrize("locale", LOCALES)
def test_the_rest_follows_the_locales_collation_without_duplicates(field, locale):
    options = field.options(ctx(locale))
    rest = [o.label for o in options if not o.common]
    collator = icu.Collator.createInstance(icu.Locale(locale))
    assert rest == sorted(rest, key=collator.getSortKey)
    names = [label.casefold() for label in labels(field, locale)]
    assert len(names) == len(set(names))
    assert len({o.value for o in options}) == len(options)


@pytest.mark.parametrize("locale", ["ar", "ti", "fa_AF"])
@pytest.mark.parametrize("field", [CountryField(id="c", label=N_("C")), LanguageField(id="l", label=N_("L"))])
def test_non_latin_locales_drop_untranslated_english_names(field, locale):
    assert [label for label in labels(field, locale) if LATIN.search(label)] == []


def test_tigrinya_no_longer_starts_with_tagalog():
    names = labels(LanguageField(id="l", label=N_("L")), "ti")
    assert "Tagalog" not in names
    assert names[0] == "ዓረብኛ"


def test_somali_tells_persian_and_dari_apart():
    options = {o.value: o.label for o in LanguageField(id="l", label=N_("L")).options(ctx("so"))}
    assert options["fa"] == "Faarisi"
    assert options["fa_AF"] != "Faarsi"
    assert "Afgaanistaan" in options["fa_AF"]


def test_persian_sorts_by_its_alphabet_not_by_code_point():
    names = [o.label for o in CountryField(id="c", label=N_("C")).options(ctx("fa_AF")) if not o.common]
    # پ (U+067E) comes right after ب in the alphabet; by code point it would follow ت (U+062A) and more.
    pe = [i for i, name in enumerate(names) if name.startswith("پ")]
    te = [i for i, name in enumerate(names) if name.startswith("ت")]
    assert pe
    assert te
    assert max(pe) < min(te)
    assert names != sorted(names)


def test_dutch_keeps_names_that_are_written_as_in_english():
    names = labels(CountryField(id="c", label=N_("C")), "nl")
    assert {"Canada", "Afghanistan", "Iran"} <= set(names)
    assert {"Tigrinya", "Dari"} <= set(labels(LanguageField(id="l", label=N_("L")), "nl"))


def test_no_configured_lists_means_everything_collated():
    options = CountryField(id="c", label=N_("C")).options(Context(locale="nl"))
    assert not any(o.common for o in options)
    assert options[0].label == "Afghanistan"


def test_a_stored_answer_still_reads_and_validates_with_the_lists():
    field = CountryField(id="c", label=N_("C"))
    assert field.clean(["ER"], ctx("ti")) == "ER"
    assert field.display("ER", ctx("ti")) == "ኤርትራ"
    assert field.clean("1", ctx("ti"), text_channel=True) == "SY"  # numbered answers follow the order


# -- digits ----------------------------------------------------------------------------------------


def test_persian_and_dari_use_persian_digits_arabic_follows_cldr_latin():
    assert format_number(1234, "fa_AF") == "۱٬۲۳۴"
    assert format_number(11, "fa") == "۱۱"
    assert format_number(11, "ar") == "11"
    assert format_number(1234, "nl") == "1.234"


@pytest.mark.parametrize("locale", ["fa", "fa_AF"])
def test_persian_pages_get_one_digit_system_everywhere(locale):
    c = Context(locale=locale)
    shown = [
        NumberField(id="n", label=N_("N")).display(12, c),
        MarkField(id="m", label=N_("M")).options(c)[9].label,
        DateField(id="d", label=N_("D")).display("1985-03-14", c),
        PhoneField(id="p", label=N_("P")).display("+31612345601", c),
    ]
    for text in shown:
        assert not re.search(r"[0-9]", text), text


def test_dari_month_names():
    assert DateField(id="d", label=N_("D")).display("1985-03-14", Context(locale="fa_AF")) == "۱۴ مارچ ۱۹۸۵"


@given(st.integers(min_value=0, max_value=10**9), st.sampled_from(["fa", "fa_AF", "ar", "ti", "nl", "so", "tr"]))
def test_native_digits_read_back_as_the_same_number(value, locale):
    shown = format_number(value, locale)
    assert int(re.sub(r"\D", "", ascii_digits(shown))) == value
    assert native_digits(str(value), locale) == native_digits(native_digits(str(value), locale), locale)


def test_errors_show_examples_in_the_locales_digits():
    field = NumberField(id="n", label=N_("N"), min_value=1, max_value=20)
    with pytest.raises(Invalid) as problem:
        field.clean("99", Context(locale="fa"))
    assert problem.value.params == {"min": "۱", "max": "۲۰"}
    with pytest.raises(Invalid) as problem:
        DateField(id="d", label=N_("D")).clean("yesterday", Context(locale="fa", today=date(2026, 1, 1)))
    assert problem.value.params == {"example": "۳۱-۱۲-۱۹۹۰"}  # day-month-year, as the message says
    assert DateField(id="d", label=N_("D")).clean("۱۹۸۵/۳/۱۴", Context(locale="fa")) == "1985-03-14"  # as shown
