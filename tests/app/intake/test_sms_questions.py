"""Every question SMS of the whole intake fits in two segments, in every shipped language.

Composed as the conversation composes them (``app.intake.sms``: ``workflows.sms.compose`` around
``texts.intake_question``), with the real catalogs as they are (what is not translated yet is
measured in English), the longest municipality name (with letters outside GSM-7, so every text is
UCS-2: 134 characters in two segments), a two-digit question number, and every message a refused
answer can put in front. Strict: one question of one language over two segments fails the test.
"""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from app.i18n import LANGUAGES
from app.intake import services
from app.sms import keywords, texts
from app.sms.segments import count
from workflows import registry
from workflows import sms as sms_form
from workflows.engine import SMS
from workflows.fields import Invalid
from workflows.questions import asks

MUNICIPALITY = texts.LONGEST_MUNICIPALITY
BAD_ANSWERS = ("", "x" * 2100, "zzz", "99999", "31-02-1990", "1 99", "1, 2, 99", "0 1", "1900-01-01", "2999-01-01")
"""Replies that make every field type refuse with each of its messages."""


def _intakes():  # noqa: ANN202
    """Every registered version of the intake: a stored filling-in is asked with its own version."""
    return [registry.DEFINITIONS[key] for key in sorted(registry.DEFINITIONS) if key[0] == services.INTAKE]


def _sms_fields():  # noqa: ANN202
    found = []
    for definition in _intakes():
        for _step, field in definition.fields():
            if asks(field, SMS):
                found.append((definition, field))
    return found


def _errors(field, ctx) -> set[str]:  # noqa: ANN001
    errors = set()
    for raw in BAD_ANSWERS:
        try:
            field.clean(sms_form.read(field, raw, ctx) if raw else raw, ctx, text_channel=True)
        except Invalid as problem:
            errors.add(problem.text(ctx))
    return errors


def _fits(body: str) -> bool:
    return count(body).count <= 2


@pytest.mark.parametrize("language", [language.code for language in LANGUAGES])
def test_every_question_sms_of_the_intake_fits_two_segments(app, language):
    too_long = []
    with app.test_request_context(), force_locale(language):
        ctx = services.context(language)
        for definition, field in _sms_fields():
            total = sum(1 for _ in definition.fields())
            prefaces = [None, *sorted(_errors(field, ctx))]
            for preface in prefaces:
                body = sms_form.compose(
                    field,
                    ctx,
                    wrap=lambda text, short: texts.intake_question(MUNICIPALITY, text, short=short),
                    fits=_fits,
                    number=total,
                    total=total,
                    preface=preface,
                )
                assert MUNICIPALITY in body
                assert ctx._(field.label) in body  # the question itself is never cut
                if not _fits(body):
                    too_long.append((field.id, preface, count(body), body))
    assert too_long == [], too_long


@pytest.mark.parametrize("language", [language.code for language in LANGUAGES])
def test_every_options_number_and_the_answers_to_help_fit(app, language):
    with app.test_request_context(), force_locale(language):
        ctx = services.context(language)
        for _definition, field in _sms_fields():
            form = sms_form.shape(field, ctx)
            body = sms_form.compose(
                field,
                ctx,
                wrap=lambda text, short: texts.intake_question(MUNICIPALITY, text, short=short),
                fits=_fits,
                number=40,
                total=40,
            )
            for number in range(1, len(form.numbered) + 1):
                assert f"\n{number} " in body, (field.id, number)  # every option keeps its number
            how = sms_form.how_to_answer(field, ctx)
            help_text = texts.intake_help(
                MUNICIPALITY,
                how,
                keywords.conversation_keyword(language, keywords.BACK),
                keywords.word(language, keywords.STOP),
                texts.INTAKE_LINK,
            )
            assert how in help_text
            assert count(help_text).count <= 2, (field.id, count(help_text), help_text)
