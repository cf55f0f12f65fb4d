"""The question-by-question API (:mod:`workflows.questions`) on its own: no Flask, no database.

The chat and the SMS conversation ask one question at a time; the web form sends a step at a time.
Whatever the channel, the same answers must give the same stored progress: these tests answer the
whole intake both ways (scripted, and with random valid answers) and compare, and check going back,
changing an earlier answer, keeping it, what SMS skips, and the channel recorded per answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflows import engine, get_workflow, questions
from workflows.conditions import Equals
from workflows.engine import CHAT, SMS, WEB, Progress
from workflows.fields import (
    PREFER_NOT,
    DateField,
    EmailField,
    Field,
    LongTextField,
    MultiChoiceField,
    NumberField,
    PhoneField,
    TextField,
    YesNoField,
)
from workflows.i18n import N_, Context
from workflows.model import Step, Workflow

from .test_intake import AMAL

CTX = Context(
    locale="en",
    today=date(2026, 11, 23),
    common_countries=("SY", "ER", "AF", "TR"),
    common_languages=("ar", "ti", "fa_AF", "fa"),
)
INTAKE = get_workflow("brede_intake")
Script = Mapping[str, Mapping[str, str]]


def by_steps(workflow: Workflow, script: Script, *, channel: str = WEB, progress: Progress | None = None) -> Progress:
    """Fill in ``workflow`` a step at a time, as the web form does (raw answers typed as in a chat)."""
    progress = progress or Progress()
    while (step := engine.next_step(workflow, progress)) is not None:
        result = engine.validate_step(step, script[step.id], progress.answers, CTX, text_channel=True)
        assert result.ok, {k: v.text(CTX) for k, v in result.errors.items()}
        progress = engine.apply_step(workflow, progress, step.id, result.values, channel=channel)
    return progress


def by_questions(
    workflow: Workflow, script: Script, *, channel: str = CHAT, progress: Progress | None = None
) -> tuple[Progress, list[str]]:
    """Answer every question ``channel`` asks, one at a time; the progress and the ids asked."""
    progress = progress or Progress()
    asked: list[str] = []
    while (question := questions.next_question(workflow, progress, channel=channel)) is not None:
        assert question.field.id not in asked, f"{question.field.id} asked twice"
        asked.append(question.field.id)
        raw = script[question.step.id].get(question.field.id, "")
        outcome = questions.answer(workflow, progress, question.field.id, raw, CTX, channel=channel)
        assert outcome.ok, (question.field.id, raw, outcome.error and outcome.error.text(CTX))
        progress = outcome.progress
    return progress, asked


def answer(workflow: Workflow, progress: Progress, field_id: str, raw: str, channel: str = CHAT) -> Progress:
    outcome = questions.answer(workflow, progress, field_id, raw, CTX, channel=channel)
    assert outcome.ok, outcome.error and outcome.error.text(CTX)
    return outcome.progress


def answer_current(workflow: Workflow, progress: Progress, raw: str, channel: str = CHAT) -> Progress:
    question = questions.next_question(workflow, progress, channel=channel)
    assert question is not None
    return answer(workflow, progress, question.field.id, raw, channel)


def current(workflow: Workflow, progress: Progress, channel: str = CHAT) -> str | None:
    question = questions.next_question(workflow, progress, channel=channel)
    return question.field.id if question else None


def upto(field_id: str, channel: str = CHAT) -> Progress:
    """Amal's progress in ``channel`` just before she is asked ``field_id``."""
    progress = Progress()
    while (question := questions.next_question(INTAKE, progress, channel=channel)).field.id != field_id:
        progress = answer(INTAKE, progress, question.field.id, AMAL[question.step.id].get(question.field.id, ""))
    return progress


def visible_ids(workflow: Workflow, answers: Mapping) -> list[str]:
    return [f.id for _, f in questions.questions(workflow, answers)]


# -- order ----------------------------------------------------------------------------------------


def test_questions_come_in_the_order_of_the_definition_with_their_place():
    progress, asked = by_questions(INTAKE, AMAL)
    assert asked == visible_ids(INTAKE, progress.answers)
    assert asked[:3] == ["preferred_name", "date_of_birth", "gender"]
    assert "diploma_country" not in asked  # no diploma
    assert "talk_without_partner" in asked  # her partner lives in the Netherlands


def test_each_question_says_its_number_and_whether_it_opens_a_step():
    progress, seen = Progress(), []
    while (question := questions.next_question(INTAKE, progress, channel=CHAT)) is not None:
        seen.append(question)
        raw = AMAL[question.step.id].get(question.field.id, "")
        progress = answer(INTAKE, progress, question.field.id, raw)
    assert [q.number for q in seen] == list(range(1, len(seen) + 1))
    assert seen[-1].total == len(seen)
    firsts = [q.field.id for q in seen if q.first_of_step]
    assert firsts == [step.fields[0].id for step in INTAKE.steps]
    assert not any(q.reopened for q in seen)
    first = questions.next_question(INTAKE, Progress(), channel=CHAT)
    assert (first.step.id, first.field.id, first.number, first.first_of_step) == (
        "about_you",
        "preferred_name",
        1,
        True,
    )
    # "about" the total: conditions still change it (no diploma: three questions fewer).
    assert first.total == len(visible_ids(INTAKE, {}))


# -- parity with the step API ---------------------------------------------------------------------


def test_amal_one_question_at_a_time_stores_what_the_form_stores():
    steps = by_steps(INTAKE, AMAL)
    chat, _ = by_questions(INTAKE, AMAL)
    assert chat.answers == steps.answers
    assert chat.completed == steps.completed == tuple(AMAL)
    assert chat.asked == ()
    assert chat.reopened is None
    assert engine.is_complete(INTAKE, chat)
    assert set(chat.channels.values()) == {CHAT}
    assert set(steps.channels.values()) == {WEB}
    assert chat.channels.keys() == steps.channels.keys() == steps.answers.keys()
    assert _summary(chat) == _summary(steps)


def test_amal_by_sms_then_on_the_web_stores_what_the_form_stores():
    sms, asked = by_questions(INTAKE, AMAL, channel=SMS)
    left = [f.id for _, f in questions.remaining(INTAKE, sms)]
    assert questions.next_question(INTAKE, sms, channel=SMS) is None
    assert left == ["health_limits", "health_help_wanted", "talk_without_partner", "income_sources", "has_debts"] + [
        "goal_description",
        "share_with_school",
        "answers_true",
    ]
    assert not set(left) & set(asked)
    assert not engine.is_complete(INTAKE, sms)
    assert {"health", "family", "income", "goals", "consent"}.isdisjoint(sms.completed)
    web = by_steps(INTAKE, AMAL, progress=sms)  # the form: the steps with a question left
    steps = by_steps(INTAKE, AMAL)
    assert web.answers == steps.answers
    assert web.completed == steps.completed  # in the definition's order, though the SMS went ahead
    assert engine.is_complete(INTAKE, web)
    assert {k for k, c in web.channels.items() if c == WEB} == set(left) - {"health_help_wanted", "goal_description"}
    assert {k for k, c in web.channels.items() if c == SMS} == set(web.answers) - set(left)
    assert _summary(web) == _summary(steps)


def _summary(progress: Progress) -> list:
    return [
        (section.title, [(i.field.id, i.label, i.text) for i in section.items])
        for section in engine.summary(INTAKE, progress, CTX)
    ]


def _raw(field: Field) -> st.SearchStrategy[str]:
    """A valid raw answer to ``field`` as someone types it in a chat (numbers, names, any digits)."""
    if isinstance(field, MultiChoiceField):
        options = [o for o in field.options(CTX) if o.value != PREFER_NOT]
        numbers = {o.value: str(n) for n, o in enumerate(options, 1)}
        alone = [o.value for o in options if o.value in field.exclusive]
        together = [o.value for o in options if o.value not in field.exclusive]
        picks = st.lists(st.sampled_from(together), min_size=1, unique=True)
        if alone:
            picks = st.one_of(picks, st.sampled_from(alone).map(lambda v: [v]))
        typed = picks.flatmap(
            lambda values: st.sampled_from([" ", ", ", ","]).map(lambda sep: sep.join(numbers[v] for v in values))
        )
        if field.prefer_not:
            typed = st.one_of(typed, st.just(str(len(options) + 1)))
        value = typed
    elif options := field.options(CTX):
        value = st.integers(0, len(options) - 1).flatmap(
            lambda i: st.sampled_from(
                [_digits(str(i + 1)), str(i + 1), options[i].label, options[i].label.upper(), options[i].value]
            )
        )
    elif isinstance(field, NumberField):
        value = st.integers(field.min_value, field.max_value).flatmap(
            lambda n: st.sampled_from([str(n), _digits(str(n)), f" {n} "])
        )
    elif isinstance(field, DateField):
        low, high = field.bounds(CTX)
        value = st.dates(low, high).flatmap(
            lambda d: st.sampled_from([f"{d:%d-%m-%Y}", d.isoformat(), _digits(f"{d:%d/%m/%Y}")])
        )
    elif isinstance(field, PhoneField):
        value = st.integers(0, 99).map(lambda n: f"06 123456{n:02d}")
    elif isinstance(field, EmailField):
        value = st.sampled_from(["amal@example.com", "Tesfay.G@example.nl"])
    elif isinstance(field, TextField | LongTextField):
        letters = st.characters(categories=("L", "N", "P", "Zs"))
        value = st.text(letters, min_size=1, max_size=min(field.max_length, 40)).filter(str.strip)
    else:  # pragma: no cover - a new field type needs a strategy here
        raise AssertionError(f"no strategy for {type(field).__name__}")
    return st.one_of(st.just(""), value) if not field.required else value


def _digits(text: str) -> str:
    """``text`` with Persian digits, as a phone with a Persian keyboard types them."""
    return text.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))


def scripts(workflow: Workflow) -> st.SearchStrategy[dict[str, dict[str, str]]]:
    """Random valid answers to every field of ``workflow``, by step."""
    return st.fixed_dictionaries(
        {step.id: st.fixed_dictionaries({f.id: _raw(f) for f in step.fields}) for step in workflow.steps}
    )


@settings(max_examples=60)
@given(scripts(INTAKE))
def test_any_valid_answers_one_at_a_time_store_what_the_form_stores(script):
    steps = by_steps(INTAKE, script)
    chat, asked = by_questions(INTAKE, script)
    assert chat.answers == steps.answers
    assert chat.completed == steps.completed
    assert chat.asked == ()
    assert chat.reopened is None
    assert asked == visible_ids(INTAKE, chat.answers)
    assert engine.is_complete(INTAKE, chat)


@settings(max_examples=30)
@given(scripts(INTAKE), st.data())
def test_any_mix_of_sms_chat_and_form_stores_what_the_form_stores(script, data):
    """Start by SMS, answer a random part of what is left in the chat, finish in the form."""
    sms, _ = by_questions(INTAKE, script, channel=SMS)
    progress = sms
    for _turn in range(data.draw(st.integers(0, 8), label="chat turns")):
        if (question := questions.next_question(INTAKE, progress, channel=CHAT)) is None:
            break
        progress = answer(INTAKE, progress, question.field.id, script[question.step.id].get(question.field.id, ""))
    progress = by_steps(INTAKE, script, progress=progress)
    steps = by_steps(INTAKE, script)
    assert progress.answers == steps.answers
    assert progress.completed == steps.completed
    assert progress.asked == ()
    assert engine.is_complete(INTAKE, progress)
    for field_id, channel in sms.channels.items():
        assert progress.channels[field_id] == channel, "an unchanged SMS answer keeps its channel"
    assert progress.channels.keys() == progress.answers.keys()


@settings(max_examples=30)
@given(scripts(INTAKE), st.data())
def test_going_back_and_keeping_answers_changes_nothing(script, data):
    """Detours that end with the same answers ("change my last answer", then the same one) store the same."""
    straight, _ = by_questions(INTAKE, script)
    progress = Progress()
    while (question := questions.next_question(INTAKE, progress, channel=CHAT)) is not None:
        raw = script[question.step.id].get(question.field.id, "")
        progress = answer(INTAKE, progress, question.field.id, raw)
        detour = data.draw(st.sampled_from(["none", "none", "back_keep", "back_same", "reopen_first"]))
        if detour == "back_keep":
            progress = questions.keep(questions.go_back(INTAKE, progress, channel=CHAT))
        elif detour == "back_same":
            progress = questions.go_back(INTAKE, progress, channel=CHAT)
            again = questions.next_question(INTAKE, progress, channel=CHAT)
            assert again.reopened
            progress = answer(INTAKE, progress, again.field.id, script[again.step.id].get(again.field.id, ""))
        elif detour == "reopen_first":
            progress = questions.reopen(INTAKE, progress, "preferred_name")
            progress = answer(INTAKE, progress, "preferred_name", script["about_you"]["preferred_name"])
    assert progress == straight


@settings(max_examples=40)
@given(scripts(INTAKE), scripts(INTAKE), st.data())
def test_changing_any_earlier_answer_stores_what_the_form_stores_with_that_answer(script, other, data):
    """Change one done answer at a random moment to another valid one, carry on: the questions it
    hides are dropped, the ones it shows are asked, and the result is the form's with that answer."""
    progress, changed = Progress(), None
    while True:
        question = questions.next_question(INTAKE, progress, channel=CHAT)
        if question is not None:
            raw = script[question.step.id].get(question.field.id, "")
            progress = answer(INTAKE, progress, question.field.id, raw)
        if changed is None and (question is None or data.draw(st.integers(0, 20), label="wait") == 0):
            step, field = data.draw(st.sampled_from(questions.done_questions(INTAKE, progress)), label="change")
            progress = questions.reopen(INTAKE, progress, field.id)
            progress = answer(INTAKE, progress, field.id, other[step.id][field.id])
            changed = (step.id, field.id)
        elif question is None:
            break
    step_id, field_id = changed
    merged = {**script, step_id: {**script[step_id], field_id: other[step_id][field_id]}}
    form = by_steps(INTAKE, merged)
    assert progress.answers == form.answers
    assert progress.completed == form.completed
    assert progress.asked == ()
    assert progress.reopened is None
    assert engine.is_complete(INTAKE, progress)


# -- conditions -----------------------------------------------------------------------------------


def test_a_changed_answer_that_hides_later_questions_drops_their_answers():
    done, _ = by_questions(INTAKE, AMAL)
    assert {"children_count", "children_under_4", "needs_childcare"} <= done.answers.keys()
    progress = questions.reopen(INTAKE, done, "has_children")
    assert current(INTAKE, progress) == "has_children"
    progress = answer(INTAKE, progress, "has_children", "2")
    for gone in ("children_count", "children_under_4", "needs_childcare"):
        assert gone not in progress.answers
        assert gone not in progress.channels
    assert progress.answers["has_children"] is False
    assert "family" in progress.completed
    assert current(INTAKE, progress) is None
    assert engine.is_complete(INTAKE, progress)


def test_a_hiding_answer_in_the_middle_of_a_step_drops_the_answers_after_it():
    progress = upto("housing_type")
    progress = answer_current(INTAKE, progress, "1")
    progress = answer_current(INTAKE, progress, "1")  # housing problems: yes
    assert current(INTAKE, progress) == "housing_details"
    progress = answer_current(INTAKE, progress, "Damp walls")
    assert "housing" in progress.completed
    progress = questions.reopen(INTAKE, progress, "housing_problems")
    progress = answer(INTAKE, progress, "housing_problems", "2")
    assert "housing_details" not in progress.answers
    assert "housing" in progress.completed
    assert current(INTAKE, progress) == "income_sources"


def test_a_changed_answer_that_shows_new_questions_asks_them_all():
    """No diploma, then a diploma after all: its subject (optional), country and papers are asked.

    A form shows the whole step again; a chat must ask what the change made new, the optional
    question too, and the step counts as completed again once they are answered.
    """
    done, _ = by_questions(INTAKE, AMAL)
    progress = answer(INTAKE, questions.reopen(INTAKE, done, "has_diploma"), "has_diploma", "1")
    asked = []
    while (question := questions.next_question(INTAKE, progress, channel=CHAT)) is not None:
        asked.append(question.field.id)
        raw = {"diploma_subject": "Verpleegkunde", "diploma_country": "SY", "diploma_papers": "1"}[question.field.id]
        progress = answer(INTAKE, progress, question.field.id, raw)
    assert asked == ["diploma_subject", "diploma_country", "diploma_papers"]
    assert progress.answers["diploma_subject"] == "Verpleegkunde"
    assert "education" in progress.completed
    assert progress.asked == ()
    assert engine.is_complete(INTAKE, progress)
    diploma = {"has_diploma": "1", "diploma_subject": "Verpleegkunde", "diploma_country": "SY", "diploma_papers": "1"}
    form = by_steps(INTAKE, {**AMAL, "education": {**AMAL["education"], **diploma}})
    assert progress.answers == form.answers


def test_a_step_left_with_no_question_to_ask_is_passed():
    """A step all of whose questions a condition hides is completed, as the form's empty page would be."""
    workflow = Workflow(
        id="empty_step_test",
        version=1,
        title=N_("Test"),
        steps=(
            Step(id="first", title=N_("First"), fields=(YesNoField(id="works", label=N_("Work?")),)),
            Step(
                id="job",
                title=N_("Job"),
                fields=(TextField(id="job", label=N_("What job?"), when=Equals("works", True)),),
            ),
            Step(id="last", title=N_("Last"), fields=(YesNoField(id="done", label=N_("Done?")),)),
        ),
    )
    script = {"first": {"works": "2"}, "job": {}, "last": {"done": "1"}}
    progress, asked = by_questions(workflow, script)
    assert asked == ["works", "done"]
    assert progress.completed == by_steps(workflow, script).completed == ("first", "job", "last")
    assert engine.is_complete(workflow, progress)
    # Work after all: the job step has a question again, and it is asked.
    progress = answer(workflow, questions.reopen(workflow, progress, "works"), "works", "1")
    assert current(workflow, progress) == "job"
    progress = answer_current(workflow, progress, "Kok")
    assert progress.completed == ("first", "job", "last")
    assert engine.is_complete(workflow, progress)


# -- going back -----------------------------------------------------------------------------------


def test_going_back_at_the_start_changes_nothing():
    assert questions.go_back(INTAKE, Progress(), channel=CHAT) == Progress()
    assert questions.go_back(INTAKE, Progress(), channel=SMS) == Progress()


def test_going_back_in_the_middle_of_a_step_asks_the_last_answer_again():
    progress = upto("gender")
    back = questions.go_back(INTAKE, progress, channel=CHAT)
    question = questions.next_question(INTAKE, back, channel=CHAT)
    assert (question.field.id, question.reopened) == ("date_of_birth", True)
    assert back.answers == progress.answers  # asked again, not forgotten
    back = answer(INTAKE, back, "date_of_birth", "15-03-1985")
    assert back.answers["date_of_birth"] == "1985-03-15"
    assert back.reopened is None
    assert current(INTAKE, back) == "gender"  # on where she was


def test_going_back_twice_walks_back_one_question_at_a_time():
    progress = upto("gender")
    once = questions.go_back(INTAKE, progress, channel=CHAT)
    twice = questions.go_back(INTAKE, once, channel=CHAT)
    assert current(INTAKE, twice) == "preferred_name"
    assert questions.go_back(INTAKE, twice, channel=CHAT) == twice  # nothing before the first


def test_going_back_across_a_step_boundary_reopens_the_last_question_of_the_step_before():
    progress = upto("mother_tongue")
    assert "about_you" in progress.completed
    back = questions.go_back(INTAKE, progress, channel=CHAT)
    assert current(INTAKE, back) == "contact_preference"
    back = answer(INTAKE, back, "contact_preference", "3")
    assert back.answers["contact_preference"] == "email"
    assert "about_you" in back.completed
    assert current(INTAKE, back) == "mother_tongue"


def test_going_back_after_the_end_reopens_the_last_question_of_the_channel():
    done, _ = by_questions(INTAKE, AMAL)
    assert current(INTAKE, done) is None
    back = questions.go_back(INTAKE, done, channel=CHAT)
    assert current(INTAKE, back) == "answers_true"
    assert questions.next_question(INTAKE, back, channel=CHAT).reopened
    back = answer(INTAKE, back, "answers_true", "1")
    assert back == done
    sms, _ = by_questions(INTAKE, AMAL, channel=SMS)
    back = questions.go_back(INTAKE, sms, channel=SMS)
    assert current(INTAKE, back, SMS) == "available_times"  # the consent and goal text are not SMS's


def test_going_back_by_sms_skips_what_sms_does_not_ask():
    at_family = upto("partner")
    at_family = answer_current(INTAKE, at_family, "2")  # partner in the Netherlands
    assert current(INTAKE, at_family) == "talk_without_partner"
    at_family = answer_current(INTAKE, at_family, "1")
    assert current(INTAKE, at_family, SMS) == "has_children"
    back = questions.go_back(INTAKE, at_family, channel=SMS)
    assert current(INTAKE, back, SMS) == "partner"  # not the sensitive talk without the partner


# -- changing an earlier answer, keeping it ---------------------------------------------------------


def test_changing_an_earlier_answer_then_carrying_on_where_she_was():
    progress = upto("reads_mother_tongue")
    changed = questions.reopen(INTAKE, progress, "date_of_birth")
    question = questions.next_question(INTAKE, changed, channel=CHAT)
    assert (question.field.id, question.reopened, question.number) == ("date_of_birth", True, 2)
    changed = answer(INTAKE, changed, "date_of_birth", "1-1-1990")
    assert changed.answers["date_of_birth"] == "1990-01-01"
    assert current(INTAKE, changed) == "reads_mother_tongue"
    assert changed.asked == progress.asked == ("mother_tongue", "other_language")
    assert changed.completed == progress.completed


def test_keep_leaves_the_answer_and_carries_on():
    progress = upto("reads_mother_tongue")
    reopened = questions.reopen(INTAKE, progress, "mother_tongue")
    assert current(INTAKE, reopened) == "mother_tongue"
    kept = questions.keep(reopened)
    assert kept == progress
    assert current(INTAKE, kept) == "reads_mother_tongue"
    assert questions.keep(progress) == progress


def test_only_a_done_question_that_applies_can_be_reopened():
    progress = upto("reads_mother_tongue")
    with pytest.raises(KeyError):
        questions.reopen(INTAKE, progress, "reads_mother_tongue")  # not answered yet
    with pytest.raises(KeyError):
        questions.reopen(INTAKE, progress, "no_such_question")
    done, _ = by_questions(INTAKE, AMAL)
    with pytest.raises(KeyError):
        questions.reopen(INTAKE, done, "diploma_country")  # hidden: no diploma


def test_an_optional_question_left_empty_counts_as_done():
    progress = answer_current(INTAKE, Progress(), "")
    assert "preferred_name" not in progress.answers
    assert progress.asked == ("preferred_name",)
    assert current(INTAKE, progress) == "date_of_birth"
    back = questions.go_back(INTAKE, progress, channel=CHAT)
    assert current(INTAKE, back) == "preferred_name"
    back = answer(INTAKE, back, "preferred_name", "Amal")
    assert back.answers["preferred_name"] == "Amal"
    emptied = answer(INTAKE, questions.reopen(INTAKE, back, "preferred_name"), "preferred_name", "")
    assert "preferred_name" not in emptied.answers
    assert "preferred_name" not in emptied.channels


# -- SMS ------------------------------------------------------------------------------------------


def test_sms_never_asks_web_only_long_text_or_sensitive_questions():
    sms, asked = by_questions(INTAKE, AMAL, channel=SMS)
    fields = {f.id: f for _, f in INTAKE.fields()}
    assert not [f for f in asked if fields[f].sensitive or fields[f].web_only or isinstance(fields[f], LongTextField)]
    assert questions.next_question(INTAKE, sms, channel=SMS) is None
    left = {f.id for _, f in questions.remaining(INTAKE, sms)}
    assert {"share_with_school", "answers_true", "goal_description", "health_limits", "has_debts"} <= left
    assert all(not fields[f].asked_by_sms for f in left)
    assert all(questions.asks(fields[f], WEB) and questions.asks(fields[f], CHAT) for f in left)
    chat = questions.next_question(INTAKE, sms, channel=CHAT)
    assert chat.field.id == "health_limits"  # the web asks what SMS left
    assert questions.remaining(INTAKE, by_questions(INTAKE, AMAL)[0]) == []


def test_a_question_reopened_on_the_web_is_not_asked_by_sms_when_sms_does_not_ask_it():
    """She taps "change" on her health answer in the chat; an SMS reply must not bring it to her phone."""
    done, _ = by_questions(INTAKE, AMAL)
    reopened = questions.reopen(INTAKE, done, "health_limits")
    assert current(INTAKE, reopened, CHAT) == "health_limits"
    assert current(INTAKE, reopened, SMS) is None
    halfway = questions.reopen(INTAKE, upto("mother_tongue"), "email")
    assert current(INTAKE, halfway, SMS) == "email"
    web_only = Progress(done.answers, done.completed, reopened="answers_true", channels=done.channels)
    assert current(INTAKE, web_only, SMS) is None


# -- channels -------------------------------------------------------------------------------------


def test_every_answer_records_its_channel():
    progress = answer_current(INTAKE, Progress(), "Amal", CHAT)
    progress = answer_current(INTAKE, progress, "14-03-1985", SMS)
    progress = answer_current(INTAKE, progress, "woman", WEB)
    assert progress.channels == {"preferred_name": CHAT, "date_of_birth": SMS, "gender": WEB}


def test_an_unchanged_answer_keeps_its_first_channel_and_a_changed_one_takes_the_new():
    progress = upto("mother_tongue")
    assert progress.channels["gender"] == CHAT
    same = answer(INTAKE, questions.reopen(INTAKE, progress, "gender"), "gender", "Woman", SMS)
    assert same.channels["gender"] == CHAT
    other = answer(INTAKE, questions.reopen(INTAKE, progress, "gender"), "gender", "3", SMS)
    assert other.channels["gender"] == SMS
    values = {k: progress.answers[k] for k in ("date_of_birth", "gender", "country_of_birth")} | {
        "phone": progress.answers["phone"],
        "contact_preference": "email",
    }
    form = engine.apply_step(INTAKE, progress, "about_you", values, channel=WEB)
    assert form.channels["gender"] == CHAT
    assert form.channels["contact_preference"] == WEB
    assert "preferred_name" not in form.channels  # left empty on the form: gone with its answer


def test_a_refused_answer_leaves_the_progress_as_it_was():
    progress = upto("gender")
    for field_id, raw in [("gender", "9"), ("gender", ""), ("gender", "Womanish")]:
        outcome = questions.answer(INTAKE, progress, field_id, raw, CTX, channel=CHAT)
        assert not outcome.ok
        assert outcome.progress is progress
        assert outcome.error.text(CTX)
    reopened = questions.reopen(INTAKE, progress, "date_of_birth")
    outcome = questions.answer(INTAKE, reopened, "date_of_birth", "31-02-1985", CTX, channel=SMS)
    assert outcome.progress is reopened
    assert outcome.error.text(CTX).startswith("Type a date")
    outcome = questions.answer(INTAKE, upto("school_years"), "school_years", "٤٠", CTX, channel=SMS)
    assert outcome.error.text(CTX) == "Type a number from 0 to 30."


def test_an_unknown_channel_is_refused():
    for call in (
        lambda: questions.next_question(INTAKE, Progress(), channel="fax"),
        lambda: questions.answer(INTAKE, Progress(), "preferred_name", "Amal", CTX, channel="fax"),
        lambda: questions.go_back(INTAKE, Progress(), channel="fax"),
    ):
        with pytest.raises(ValueError, match="unknown channel"):
            call()


def test_an_unknown_or_hidden_question_is_refused():
    with pytest.raises(KeyError):
        questions.answer(INTAKE, Progress(), "no_such_question", "x", CTX, channel=CHAT)
    done, _ = by_questions(INTAKE, AMAL)
    with pytest.raises(KeyError):
        questions.answer(INTAKE, done, "diploma_country", "SY", CTX, channel=CHAT)  # no diploma: not asked


def test_the_conversation_so_far_is_the_done_questions_in_order():
    progress = upto("reads_mother_tongue")
    done = [f.id for _, f in questions.done_questions(INTAKE, progress)]
    assert done == [f.id for f in INTAKE.step("about_you").fields] + ["mother_tongue", "other_language"]
    assert [f.id for _, f in questions.done_questions(INTAKE, Progress())] == []
    stale = replace(progress, asked=("mother_tongue",))
    assert "other_language" not in [f.id for _, f in questions.done_questions(INTAKE, stale)]
