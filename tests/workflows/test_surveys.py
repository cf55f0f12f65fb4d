"""The survey definitions and their triggers, as data."""

from __future__ import annotations

import pytest

from workflows import get_workflow
from workflows.engine import SMS, Progress, check_workflow, is_complete, validate_step
from workflows.fields import FIELD_TYPES
from workflows.i18n import Context
from workflows.questions import next_question
from workflows.registry import versions
from workflows.surveys import (
    CLOSED_FIELDS,
    CLOSED_SCORES,
    FACES,
    KINDS,
    MARK,
    PARTNER,
    SURVEYS,
    TRIGGERS,
    is_survey,
    survey_id,
)


def test_one_survey_per_partner_kind_the_same_kinds_as_the_models():
    from app.models.partner import PARTNER_KINDS

    assert KINDS == PARTNER_KINDS
    assert set(SURVEYS) == set(KINDS)


@pytest.mark.parametrize("kind", KINDS)
def test_every_survey_is_a_sound_repeatable_sms_workflow_in_the_registry(kind):
    survey = SURVEYS[kind]
    assert check_workflow(survey, FIELD_TYPES) == []
    assert survey.sms
    assert survey.repeatable
    assert get_workflow(survey_id(kind)) is survey
    assert get_workflow(survey.id, survey.version) is survey
    assert versions(survey.id) == [1]
    assert is_survey(survey.id)
    ids = [f.id for _, f in survey.fields()]
    assert ids[0] == MARK
    assert ids[-1] == "comment"
    closed = [i for i in ids if i in CLOSED_FIELDS]
    assert 2 <= len(closed) <= 4
    assert PARTNER in survey.steps[0].field(MARK).label
    assert not survey.steps[0].field("comment").required


def test_every_question_is_asked_by_sms():
    survey = SURVEYS["municipality"]
    ctx = Context()
    progress = Progress()
    asked = []
    while (question := next_question(survey, progress, channel=SMS)) is not None:
        asked.append(question.field.id)
        progress = Progress(
            {**progress.answers, question.field.id: "5" if question.field.id == MARK else "yes"},
            progress.completed,
            (*progress.asked, question.field.id),
        )
    assert asked == ["mark", "heard", "clear", "own_language", "comment"]
    assert not is_complete(survey, Progress())
    assert ctx


def test_the_mark_accepts_1_to_10_only_and_the_faces_are_on_that_scale():
    step = SURVEYS["language_school"].steps[0]
    ctx = Context()
    ok = validate_step(step, {"mark": "10", "heard": "yes", "clear": "no"}, {}, ctx)
    assert ok.ok
    assert ok.values["mark"] == 10
    for bad in ("11", "0", "1e9", "", "ten", "-1", "10.0"):
        assert "mark" in validate_step(step, {"mark": bad, "heard": "yes", "clear": "no"}, {}, ctx).errors, bad
    assert all(1 <= mark <= 10 for mark, _ in FACES)
    assert [mark for mark, _ in FACES] == sorted(mark for mark, _ in FACES)
    assert CLOSED_SCORES == {"no": 1, "partly": 2, "yes": 3}


def test_the_triggers_as_data():
    ids = [t.id for t in TRIGGERS]
    assert ids == ["intake_approved", "pvt_signed", "map_final_interview", "six_monthly", "route_end"]
    by_id = {t.id: t for t in TRIGGERS}
    assert by_id["intake_approved"].kinds == ("municipality",)
    assert not by_id["intake_approved"].partner_required
    assert by_id["map_final_interview"].kinds == ("map_pvt_provider", "work_partner")
    assert by_id["six_monthly"].every_months == 6
    assert by_id["six_monthly"].occasion(3) == "six_monthly:3"
    assert by_id["route_end"].occasion() == "route_end"
    assert all(kind in KINDS for t in TRIGGERS for kind in t.kinds)
