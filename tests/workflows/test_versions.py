"""Versioned definitions: a filling-in is always read with the version it was started with.

Two versions of one definition are registered side by side (a field renamed, one added, choices
changed); old answers keep their meaning under the old version, and new fillings-in get the new
one. The last tests do the same through the app: a stored intake row started on version 1 is shown,
validated, summarised and sent in with version 1 while a version 2 of the intake is registered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import select

from workflows import DEFINITIONS, WORKFLOWS, engine, get_workflow, questions, register
from workflows.engine import CHAT, Progress
from workflows.fields import FIELD_TYPES, Choice, ChoiceField, Invalid, TextField, YesNoField
from workflows.i18n import N_, Context
from workflows.model import Step, Workflow
from workflows.registry import versions

CTX = Context(locale="en", today=date(2026, 11, 23))

V1 = Workflow(
    id="versions_test",
    version=1,
    title=N_("Getting here"),
    steps=(
        Step(
            id="travel",
            title=N_("Travel"),
            fields=(
                TextField(id="name", label=N_("Your name")),
                ChoiceField(
                    id="transport",
                    label=N_("How do you come to the lessons?"),
                    choices=(Choice("bike", N_("Bike")), Choice("car", N_("Car")), Choice("bus", N_("Bus"))),
                ),
            ),
        ),
    ),
)

V2 = replace(
    V1,
    version=2,
    steps=(
        Step(
            id="travel",
            title=N_("Travel"),
            fields=(
                TextField(id="full_name", label=N_("Your full name")),  # renamed: "name" in version 1
                ChoiceField(
                    id="transport",
                    label=N_("How do you come to the lessons?"),
                    choices=(  # the bus is gone, the train is new, the car now includes motorbikes
                        Choice("bike", N_("Bike")),
                        Choice("car", N_("Car or motorbike")),
                        Choice("train", N_("Train")),
                    ),
                ),
                YesNoField(id="licence", label=N_("Do you have a driving licence?")),  # added
            ),
        ),
    ),
)


@pytest.fixture
def registry() -> Iterator[Callable[[Workflow], Workflow]]:
    """``register`` for this test only: what it registers is removed, the latest versions restored."""
    definitions, latest = dict(DEFINITIONS), dict(WORKFLOWS)
    yield register
    DEFINITIONS.clear()
    DEFINITIONS.update(definitions)
    WORKFLOWS.clear()
    WORKFLOWS.update(latest)


@pytest.fixture
def both(registry: Callable[[Workflow], Workflow]) -> None:
    registry(V1)
    registry(V2)


def fill(workflow: Workflow, raw: dict[str, str]) -> Progress:
    progress = Progress()
    while (question := questions.next_question(workflow, progress, channel=CHAT)) is not None:
        outcome = questions.answer(workflow, progress, question.field.id, raw[question.field.id], CTX, channel=CHAT)
        assert outcome.ok, outcome.error and outcome.error.text(CTX)
        progress = outcome.progress
    return progress


def items(workflow: Workflow, progress: Progress) -> dict[str, tuple[str, str]]:
    return {i.field.id: (i.label, i.text) for s in engine.summary(workflow, progress, CTX) for i in s.items}


def test_both_versions_are_known_and_new_fillings_in_get_the_latest(both):
    assert versions("versions_test") == [1, 2]
    assert get_workflow("versions_test") is V2
    assert get_workflow("versions_test", 1) is V1
    assert get_workflow("versions_test", 2) is V2
    for workflow in (V1, V2):
        assert engine.check_workflow(workflow, FIELD_TYPES) == []


def test_registering_an_older_version_later_keeps_the_latest(registry):
    registry(V2)
    registry(V1)
    assert get_workflow("versions_test") is V2
    assert versions("versions_test") == [1, 2]


def test_a_version_is_registered_once(both):
    assert register(V1) is V1  # the same definition again: harmless
    with pytest.raises(ValueError, match="registered already"):
        register(replace(V1, title=N_("Something else")))
    assert get_workflow("versions_test", 1) is V1


def test_an_unknown_workflow_or_version_is_a_key_error(both):
    with pytest.raises(KeyError):
        get_workflow("versions_test", 3)
    with pytest.raises(KeyError):
        get_workflow("no_such_workflow")
    with pytest.raises(KeyError):
        get_workflow("no_such_workflow", 1)


def test_the_fixture_leaves_the_registry_as_it_was():
    assert "versions_test" not in WORKFLOWS
    assert versions("versions_test") == []
    assert get_workflow("brede_intake").version == 1


def test_old_answers_read_with_their_version_keep_their_meaning(both):
    old = fill(get_workflow("versions_test", 1), {"name": "Amal", "transport": "3"})
    assert old.answers == {"name": "Amal", "transport": "bus"}
    assert items(get_workflow("versions_test", 1), old) == {
        "name": ("Your name", "Amal"),
        "transport": ("How do you come to the lessons?", "Bus"),
    }
    assert engine.is_complete(get_workflow("versions_test", 1), old)
    # Read with the new version, the same answers would lose their meaning: that is why we never do.
    latest = get_workflow("versions_test")
    assert "name" not in items(latest, old)
    assert items(latest, old)["transport"] == ("How do you come to the lessons?", "bus")
    assert not engine.is_complete(latest, old)


def test_each_version_validates_with_its_own_fields_and_choices(both):
    v1, v2 = get_workflow("versions_test", 1), get_workflow("versions_test", 2)
    assert v1.step("travel").field("transport").clean("Bus", CTX, text_channel=True) == "bus"
    with pytest.raises(Invalid):
        v2.step("travel").field("transport").clean("bus", CTX)
    assert v2.step("travel").field("transport").clean("3", CTX, text_channel=True) == "train"
    assert v1.step("travel").field("transport").clean("3", CTX, text_channel=True) == "bus"
    with pytest.raises(KeyError):
        questions.answer(v1, Progress(), "licence", "1", CTX, channel=CHAT)
    new = fill(v2, {"full_name": "Tesfay Gebre", "transport": "2", "licence": "1"})
    assert new.answers == {"full_name": "Tesfay Gebre", "transport": "car", "licence": True}
    assert items(v2, new)["transport"] == ("How do you come to the lessons?", "Car or motorbike")
    assert items(v1, Progress({"transport": "car"}))["transport"][1] == "Car"


# -- through the app ------------------------------------------------------------------------------

INTAKE_V2_ABOUT_YOU = Step(
    id="about_you",
    title=N_("About you"),
    fields=(
        *(
            f
            for f in get_workflow("brede_intake", 1).step("about_you").fields
            if f.id not in ("gender", "contact_preference")
        ),
        ChoiceField(
            id="gender",
            label=N_("What is your gender?"),
            choices=(Choice("woman", N_("Woman")), Choice("man", N_("Man")), Choice("x", N_("Non-binary"))),
            prefer_not=True,
        ),
        ChoiceField(  # was contact_preference, with a phone call among the choices
            id="contact_by",
            label=N_("How should we reach you?"),
            choices=(Choice("sms", N_("By SMS")), Choice("whatsapp", N_("By WhatsApp"))),
        ),
    ),
)


def intake_v2() -> Workflow:
    v1 = get_workflow("brede_intake", 1)
    return replace(v1, version=2, steps=(INTAKE_V2_ABOUT_YOU, *v1.steps[1:]))


def test_a_stored_intake_started_on_version_1_is_read_with_version_1(app, client, newcomer, make_newcomer, registry):
    from app.extensions import db
    from app.intake import services
    from app.models import Filling
    from tests.app.test_intake import WEB, complete, post_step
    from tests.conftest import sign_in

    sign_in(client, newcomer)
    complete(client)  # the whole intake on version 1, not yet sent in
    registry(intake_v2())
    with app.app_context():
        filling = db.session.scalar(select(Filling).where(Filling.newcomer_id == newcomer.id))
        assert filling.workflow_version == 1
        assert services.workflow(filling) is get_workflow("brede_intake", 1)
        assert services.workflow() is get_workflow("brede_intake", 2)
        assert filling.answers["contact_preference"] == "sms"

    page = client.get("/intake/about_you")
    assert 'name="contact_preference"' in page.text
    assert 'name="contact_by"' not in page.text
    assert 'value="other"' in page.text
    response = post_step(client, "about_you", dict(WEB["about_you"], gender="other", contact_preference="call"))
    assert response.status_code == 302, response.text  # "other" and "call" are choices of version 1
    review = client.get("/intake/review")
    assert review.status_code == 200
    assert "How do you want us to contact you?" in review.text
    assert "By phone call" in review.text
    assert "How should we reach you?" not in review.text

    # Someone who starts now gets version 2, with its own questions and choices.
    other = app.test_client()
    other.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    sign_in(other, make_newcomer(name="Tesfay Gebre", language="en"))
    page = other.get("/intake/about_you")
    assert 'name="contact_by"' in page.text
    assert 'name="contact_preference"' not in page.text
    refused = post_step(other, "about_you", dict(WEB["about_you"], gender="other", contact_by="whatsapp"))
    assert refused.status_code == 422  # "other" is no choice of version 2
    accepted = post_step(other, "about_you", dict(WEB["about_you"], gender="x", contact_by="whatsapp"))
    assert accepted.status_code == 302, accepted.text

    # The version 1 intake is complete under version 1 (version 2 would miss contact_by): it is sent in.
    page = client.get("/intake/review")
    from tests.conftest import csrf_token

    sent = client.post("/intake/submit", data={"csrf_token": csrf_token(page.text)})
    assert sent.headers["Location"] == "/intake/done"
    with app.app_context():
        rows = {f.newcomer_id: f for f in db.session.scalars(select(Filling))}
        assert rows[newcomer.id].workflow_version == 1
        assert rows[newcomer.id].status == "submitted"
        assert rows[newcomer.id].answers["gender"] == "other"
        assert rows[newcomer.id].answers["contact_preference"] == "call"
        (new,) = (f for k, f in rows.items() if k != newcomer.id)
        assert new.workflow_version == 2
        assert new.answers["contact_by"] == "whatsapp"
        assert "contact_preference" not in new.answers


def test_the_question_api_of_the_app_reads_a_stored_row_with_its_version(app, newcomer, registry):
    from app.extensions import db
    from app.intake import services
    from app.models import Filling, Newcomer

    with app.test_request_context():
        row = services.start_or_resume(db.session.get(Newcomer, newcomer.id))
        assert row.workflow_version == 1
        filling_id = row.id
    registry(intake_v2())
    with app.test_request_context():
        filling = db.session.get(Filling, filling_id)
        ctx = services.context("en")
        for field_id, raw in [("preferred_name", ""), ("date_of_birth", "14-03-1985"), ("gender", "3")]:
            outcome = services.answer(filling, field_id, raw, channel=CHAT, ctx=ctx, locale="en")
            assert outcome.ok, outcome.error and outcome.error.text(ctx)
        assert filling.answers["gender"] == "other"  # the third choice of version 1 ("x" in version 2)
        question = questions.next_question(services.workflow(filling), services.progress(filling), channel=CHAT)
        assert question.field.id == "country_of_birth"
        with pytest.raises(KeyError):
            services.answer(filling, "contact_by", "1", channel=CHAT, ctx=ctx, locale="en")
