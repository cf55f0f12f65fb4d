"""Every SMS text: names the municipality, is translated, and fits in two segments in every language."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from app.i18n import LANGUAGES
from app.sms.segments import GSM7, UCS2, count
from app.sms.texts import LONGEST_LINK, SAME_IN_EVERY_LANGUAGE, TEXTS


def test_the_segment_counter_knows_gsm7_its_extension_table_and_ucs2():
    assert (count("a" * 160).encoding, count("a" * 160).count) == (GSM7, 1)
    assert count("a" * 161).count == 2
    assert count("a" * 306).count == 2
    assert count("a" * 307).count == 3
    assert count("€" * 80).units == 160  # an extension character takes two septets
    assert count("€" * 81).count == 2
    assert (count("ب" * 70).encoding, count("ب" * 70).count) == (UCS2, 1)
    assert count("ب" * 71).count == 2
    assert count("ب" * 134).count == 2
    assert count("ب" * 135).count == 3
    assert count("ı").encoding == UCS2  # Turkish dotless i is not in GSM-7
    assert count("😀").units == 2  # outside the BMP: two UTF-16 code units


def test_links_in_sms_stay_under_60_characters_with_a_30_character_base():
    assert len("https://intake.example-gemeente.nl") >= 30
    assert len(LONGEST_LINK) <= 60


@pytest.mark.parametrize("kind", sorted(TEXTS))
def test_every_text_names_the_municipality_and_fits_two_segments_in_every_language(app, kind):
    text = TEXTS[kind]
    for language in LANGUAGES:
        with app.test_request_context(), force_locale(language.code):
            body = text.write(**text.sample)
        assert text.sample["municipality"] in body, (kind, language.code)
        assert count(body).count <= 2, (kind, language.code, count(body), body)


@pytest.mark.parametrize("kind", sorted(set(TEXTS) - SAME_IN_EVERY_LANGUAGE))
def test_every_text_is_translated_into_every_shipped_language(app, kind):
    text = TEXTS[kind]
    with app.test_request_context(), force_locale("en"):
        source = text.write(**text.sample)
    for language in LANGUAGES:
        if language.code == "en":
            continue
        with app.test_request_context(), force_locale(language.code):
            assert text.write(**text.sample) != source, (kind, language.code)
