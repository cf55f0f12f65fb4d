"""The brede intake definition: checked, and filled in completely through the engine alone.

Answering by numbers and words, as the chat and SMS channels will, proves that one definition
serves every channel: no HTTP, no database, no Flask anywhere in this file.
"""

from __future__ import annotations

from datetime import date

import pytest

from workflows import WORKFLOWS, engine, get_workflow
from workflows.engine import Progress
from workflows.fields import FIELD_TYPES
from workflows.i18n import Context, Msg

CTX = Context(locale="en", today=date(2026, 11, 23))

# What Amal answers, step by step, typed as in a chat or SMS.
AMAL = {
    "about_you": {
        "preferred_name": "أمل",
        "date_of_birth": "14-03-1985",
        "gender": "1",
        "country_of_birth": "SY",
        "phone": "06 12345601",
        "email": "",
        "contact_preference": "1",
    },
    "languages": {
        "mother_tongue": "ar",
        "other_language": "ku",
        "reads_mother_tongue": "3",
        "writes_mother_tongue": "2",
        "reads_latin_script": "2",
        "dutch_level": "1",
        "english_level": "1",
    },
    "education": {"school_years": "٩", "highest_education": "3", "has_diploma": "2", "wants_study": "2"},
    "work": {
        "has_worked": "1",
        "occupation": "خياطة",
        "work_years": "6",
        "work_country": "SY",
        "works_now": "2",
        "skills": "1 4",
    },
    "health": {"health_limits": "5", "health_help_wanted": ""},
    "family": {
        "partner": "2",
        "talk_without_partner": "1",
        "has_children": "1",
        "children_count": "2",
        "children_under_4": "1",
        "needs_childcare": "1",
    },
    "housing": {"housing_type": "1", "housing_problems": "2"},
    "income": {"income_sources": "2", "has_debts": "1"},
    "network": {"social_contacts": "2", "volunteers": "2", "volunteer_interest": "1", "wants_language_buddy": "1"},
    "goals": {"main_goal": "4", "goal_description": "", "available_days": "1 2 3", "available_times": "1"},
    "consent": {"share_with_school": "1", "answers_true": "1"},
}


def test_every_definition_is_sound():
    for workflow in WORKFLOWS.values():
        assert engine.check_workflow(workflow, FIELD_TYPES) == [], workflow.id


def test_every_text_is_marked_and_plain_enough():
    workflow = get_workflow("brede_intake")
    for text in workflow.texts():
        assert isinstance(text, Msg)
    for step in workflow.steps:
        for field in step.fields:
            assert len(field.label) <= 90, f"label of {field.id} is long for a phone screen"


def test_intake_has_the_steps_the_law_and_practice_require():
    ids = [s.id for s in get_workflow("brede_intake").steps]
    assert 8 <= len(ids) <= 12
    for topic in (
        "languages",
        "education",
        "work",
        "health",
        "family",
        "housing",
        "income",
        "network",
        "goals",
        "consent",
    ):
        assert topic in ids
    sensitive = {"health", "family", "income"}
    assert all(get_workflow("brede_intake").step(s).why for s in sensitive), "sensitive steps say why they ask"


def test_complete_intake_through_the_engine_alone():
    workflow = get_workflow("brede_intake")
    progress = Progress()
    asked = []
    while (step := engine.next_step(workflow, progress)) is not None:
        asked.append(step.id)
        prompts = [f.prompt(CTX).as_sms() for f in engine.visible_fields(step, progress.answers)]
        assert all(prompts)
        result = engine.validate_step(step, AMAL[step.id], progress.answers, CTX, text_channel=True)
        assert result.ok, {k: v.text(CTX) for k, v in result.errors.items()}
        progress = engine.apply_step(workflow, progress, step.id, result.values)
    assert asked == list(AMAL)
    assert engine.is_complete(workflow, progress)
    answers = progress.answers
    assert answers["preferred_name"] == "أمل"
    assert answers["date_of_birth"] == "1985-03-14"
    assert answers["phone"] == "+31612345601"
    assert answers["school_years"] == 9
    assert answers["health_limits"] == "prefer_not_to_say"
    assert answers["income_sources"] == ["benefit"]
    assert answers["available_days"] == ["mon", "tue", "wed"]
    assert "diploma_country" not in answers  # skipped: no diploma
    summary = engine.summary(workflow, progress, CTX)
    assert summary[0].items[1].text == "March 14, 1985"


def test_answers_of_skipped_fields_are_not_kept():
    workflow = get_workflow("brede_intake")
    step = workflow.step("family")
    raw = dict(AMAL["family"], has_children="2")
    result = engine.validate_step(step, raw, {}, CTX, text_channel=True)
    assert result.ok
    assert set(result.values) == {"partner", "talk_without_partner", "has_children"}


@pytest.mark.parametrize("locale", ["nl", "en", "ar", "ti", "fa", "tr", "so"])
def test_every_question_can_be_asked_in_every_shipped_language(locale):
    ctx = Context(locale=locale)
    for _step, field in get_workflow("brede_intake").fields():
        prompt = field.prompt(ctx)
        assert prompt.text
        assert len({o.value for o in prompt.options}) == len(prompt.options)


def _filled() -> Progress:
    workflow, progress = get_workflow("brede_intake"), Progress()
    for step_id, raw in AMAL.items():
        result = engine.validate_step(workflow.step(step_id), raw, progress.answers, CTX, text_channel=True)
        assert result.ok, result.errors
        progress = engine.apply_step(workflow, progress, step_id, result.values)
    return progress


def test_sensitive_answers_are_marked_in_the_definition():
    sensitive = {f.id for _, f in get_workflow("brede_intake").fields() if f.sensitive}
    assert {"talk_without_partner", "health_limits", "health_details", "has_debts", "income_sources"} <= sensitive
    assert "preferred_name" not in sensitive


def test_the_newcomers_summary_says_answered_and_never_shows_a_sensitive_answer():
    workflow, progress = get_workflow("brede_intake"), _filled()
    answers = dict(progress.answers, health_limits="mental", health_details="I sleep badly")
    progress = Progress(answers, progress.completed)
    staff = {i.field.id: i for s in engine.summary(workflow, progress, CTX) for i in s.items}
    own = {i.field.id: i for s in engine.summary(workflow, progress, CTX, hide_sensitive=True) for i in s.items}
    assert staff["talk_without_partner"].text == "Yes"
    assert staff["health_details"].text == "I sleep badly"
    assert own["talk_without_partner"].text == "Answered"
    assert own["talk_without_partner"].hidden
    assert own["health_limits"].text == "Answered"
    assert "health_details" not in own  # asked only because of a sensitive answer: its presence would tell
    for field_id, item in own.items():
        assert item.text in ("Answered", "") if item.field.sensitive else item.text == staff[field_id].text
