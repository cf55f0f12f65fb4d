"""Privacy of the intake's channels: the export names where each answer came from and holds the SMS
replies of the conversation; erasure deletes every filling-in with its replies and question SMS."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Filling, FillingReply, OutboundMessage
from app.models.message import NOTICES
from app.sms.services import queue_for
from tests.app.backoffice.test_privacy import counts, full_file  # noqa: F401 - the fixture
from tests.conftest import csrf_token

REPLIED_AT = datetime(2026, 7, 1, 8, 3, tzinfo=UTC)


@pytest.fixture
def answered_by_sms(app, full_file):  # noqa: ANN001, ANN201, F811
    """Amal's submitted intake, two answers of it given by SMS and one in the chat, with the replies,
    a question SMS, and a second filling-in (a survey) with a reply of its own."""
    with app.app_context():
        intake = db.session.scalar(select(Filling).where(Filling.newcomer_id == full_file.id))
        channels = dict(intake.answer_channels)
        channels.update(country_of_birth="sms", mother_tongue="sms", gender="chat")
        intake.answer_channels = channels
        intake.sms_state, intake.sms_field, intake.sms_asked_at = "done", "mother_tongue", REPLIED_AT
        newcomer = intake.newcomer
        queue_for(
            newcomer, "intake_question", NOTICES, lambda _s: "Gemeente Hoorn: In which country were you born?",
            cause=("filling", intake.id), key=f"intake_q:{intake.id}:1",
        )  # fmt: skip
        survey = Filling(
            newcomer_id=newcomer.id, municipality_id=newcomer.municipality_id, workflow_id="satisfaction",
            workflow_version=1, occasion="2026-H2", locale="en", answers={"mark": 8}, answer_channels={"mark": "sms"},
        )  # fmt: skip
        db.session.add(survey)
        db.session.flush()
        for filling, sid, body, outcome, field_id, minutes in (
            (intake, "SMC1", "Syria", "accepted", "country_of_birth", 0),
            (intake, "SMC2", "عربي", "accepted", "mother_tongue", 2),
            (intake, "SMC3", "xyz", "refused", "mother_tongue", 1),
            (survey, "SMC4", "8", "accepted", "mark", 10),
        ):
            db.session.add(
                FillingReply(
                    filling_id=filling.id, municipality_id=filling.municipality_id, provider_sid=sid, body=body,
                    outcome=outcome, field_id=field_id, created_at=REPLIED_AT + timedelta(minutes=minutes),
                )
            )  # fmt: skip
        db.session.commit()
        return full_file, intake.id, survey.id


def test_json_export_holds_the_answer_channels_and_the_sms_replies(answered_by_sms, klantmanager):
    file, _intake_id, _survey_id = answered_by_sms
    data = json.loads(klantmanager.get(f"/backoffice/newcomers/{file.id}/export.json").text)
    intake = data["intake"]
    assert intake["answer_channels"]["country_of_birth"] == "sms"
    assert intake["answer_channels"]["gender"] == "chat"
    assert intake["answer_channels"]["preferred_name"] == "web"
    assert set(intake["answer_channels"]) <= set(intake["answers"])
    assert (intake["sms_state"], intake["sms_field"], intake["sms_asked_at"]) == (
        "done", "mother_tongue", "2026-07-01T08:03:00+00:00"
    )  # fmt: skip
    assert [(r["body"], r["outcome"], r["field_id"]) for r in intake["sms_replies"]] == [
        ("Syria", "accepted", "country_of_birth"),
        ("xyz", "refused", "mother_tongue"),
        ("عربي", "accepted", "mother_tongue"),
    ]
    assert intake["sms_replies"][0]["created_at"] == "2026-07-01T08:03:00+00:00"
    [survey] = data["other_fillings"]
    assert (survey["workflow_id"], survey["occasion"], survey["answers"], survey["answer_channels"]) == (
        "satisfaction", "2026-H2", {"mark": 8}, {"mark": "sms"}
    )  # fmt: skip
    assert [r["body"] for r in survey["sms_replies"]] == ["8"]
    assert "intake_question" in [m["kind"] for m in data["messages"]]


def test_json_export_of_a_file_without_an_intake(klantmanager, app):
    from tests.app.backoffice.test_casefiles import make_file

    file_id = make_file(app)
    data = json.loads(klantmanager.get(f"/backoffice/newcomers/{file_id}/export.json").text)
    assert data["intake"] is None
    assert data["other_fillings"] == []


def test_printable_export_names_the_channels_and_the_sms_replies(answered_by_sms, klantmanager):
    file, _intake_id, _survey_id = answered_by_sms
    page = klantmanager.get(f"/backoffice/newcomers/{file.id}/export").text
    intake = page.split('id="intake"')[1].split("</section>")[0]
    assert "Next to each answer: where you gave it (in the form, in the chat or by SMS)." in intake
    country = intake.split("<dt>In which country were you born?</dt>")[1].split("</dd>")[0]
    assert '<span class="visually-hidden">Answered by SMS</span>' in country
    assert '<span aria-hidden="true">form</span>' in intake
    assert '<span aria-hidden="true">chat</span>' in intake
    replies = intake.split('id="intake-sms"')[1]
    assert "Your SMS answers to the intake" in intake
    assert "Intake by SMS: done" in replies
    assert replies.index("<bdi>Syria</bdi>") < replies.index("<bdi>xyz</bdi>") < replies.index("<bdi>عربي</bdi>")
    assert "answer not accepted, question asked again · <bdi>What is your mother tongue?</bdi>" in replies
    assert "The questions we sent you by SMS are listed under Messages sent." in replies
    assert "In which country were you born?" in page.split('id="messages"')[1]  # the question SMS


def test_printable_export_without_sms_says_so(full_file, klantmanager):  # noqa: F811
    intake = klantmanager.get(f"/backoffice/newcomers/{full_file.id}/export").text.split('id="intake"')[1]
    assert "You did not answer the intake by SMS." in intake.split("</section>")[0]


def test_erasure_deletes_every_filling_in_its_replies_and_its_question_sms(answered_by_sms, klantmanager, app):
    file, intake_id, survey_id = answered_by_sms

    def held() -> tuple[int, int, int]:
        with app.app_context():
            return (
                db.session.scalar(select(func.count(Filling.id)).where(Filling.id.in_((intake_id, survey_id)))),
                db.session.scalar(
                    select(func.count(FillingReply.id)).where(FillingReply.filling_id.in_((intake_id, survey_id)))
                ),
                db.session.scalar(
                    select(func.count(OutboundMessage.id)).where(
                        OutboundMessage.cause_type == "filling", OutboundMessage.cause_id == intake_id
                    )
                ),
            )

    assert held() == (2, 4, 2)  # the intake's receipt SMS has it as its cause too
    page = klantmanager.get(f"/backoffice/newcomers/{file.id}/erase")
    response = klantmanager.post(
        f"/backoffice/newcomers/{file.id}/erase", data={"csrf_token": csrf_token(page.text), "understood": "y"}
    )
    assert response.status_code == 302
    assert held() == (0, 0, 0)
    assert counts(app, file.id, file.phone)["intake"] == 0
    transcript = klantmanager.get(f"/backoffice/newcomers/{file.id}/intake-sms")
    assert transcript.status_code == 200
    assert "No SMS in the intake conversation yet." in transcript.text
    assert "Syria" not in transcript.text
