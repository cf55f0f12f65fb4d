"""Every survey SMS names the municipality and fits two segments in every shipped language, with the
longest values: the registered texts, and every question as the conversation composes it."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from app.i18n import LANGUAGES
from app.sms.segments import count
from app.sms.texts import LONGEST_MUNICIPALITY, LONGEST_PARTNER, SURVEY_LINK, TEXTS
from app.surveys import services
from app.surveys import sms as survey_sms
from workflows import questions
from workflows import sms as sms_form
from workflows.engine import SMS, Progress
from workflows.surveys import SURVEYS

SURVEY_TEXTS = sorted(kind for kind in TEXTS if kind.startswith("survey_"))


def test_every_survey_sms_kind_is_a_registered_text():
    assert set(survey_sms.KINDS) == set(SURVEY_TEXTS)


@pytest.mark.parametrize("kind", SURVEY_TEXTS)
def test_every_survey_text_names_the_municipality_and_fits_two_segments(app, kind):
    text = TEXTS[kind]
    for language in LANGUAGES:
        with app.test_request_context(), force_locale(language.code):
            body = text.write(**text.sample)
        assert LONGEST_MUNICIPALITY in body, (kind, language.code)
        assert count(body).count <= 2, (kind, language.code, body)


@pytest.mark.parametrize("kind", ["survey_invitation", "survey_reminder"])
def test_the_invitation_and_reminder_carry_the_link_and_the_question_in_every_language(app, kind):
    text = TEXTS[kind]
    for language in LANGUAGES:
        with app.test_request_context(), force_locale(language.code):
            body = text.write(**text.sample)
        assert SURVEY_LINK in body, (kind, language.code)
        assert len(SURVEY_LINK) <= 60


def test_a_partner_name_is_cut_for_the_sms():
    assert survey_sms.short_partner("Taalschool Hoorn") == "Taalschool Hoorn"
    cut = survey_sms.short_partner("Stichting " * 20)
    assert len(cut) == survey_sms.PARTNER_IN_SMS
    assert cut.endswith("...")  # GSM-7: an ellipsis character would make the whole SMS UCS-2
    assert len(LONGEST_PARTNER) == survey_sms.PARTNER_IN_SMS


@pytest.mark.parametrize("kind", sorted(SURVEYS))
def test_every_question_and_its_help_fits_two_segments_in_every_language(app, kind):
    from app.sms import texts

    definition = SURVEYS[kind]
    for language in LANGUAGES:
        with app.test_request_context(), force_locale(language.code):
            ctx = services.context(language.code, LONGEST_PARTNER)
            progress = Progress()
            while (question := questions.next_question(definition, progress, channel=SMS)) is not None:
                for preface in (None, "Choose a mark from 1 to 10.", "Use at most 500 characters."):
                    body = sms_form.compose(
                        question.field,
                        ctx,
                        wrap=lambda t, short: texts.survey_question(LONGEST_MUNICIPALITY, t, short=short),
                        fits=lambda t: count(t).count <= 2,
                        number=question.number,
                        total=question.total,
                        preface=preface,
                    )
                    assert count(body).count <= 2, (kind, language.code, body)
                    assert LONGEST_MUNICIPALITY in body
                sample = {"mark": "5", "comment": ""}.get(question.field.id, "yes")
                progress = questions.answer(definition, progress, question.field.id, sample, ctx, channel=SMS).progress
