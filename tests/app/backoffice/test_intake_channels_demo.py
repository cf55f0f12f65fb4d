"""The demo data: Yonas part-way through the intake in three channels, with an SMS conversation."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import Filling, FillingReply, Newcomer, OutboundMessage
from tests.conftest import staff_sign_in


def test_seed_demo_leaves_an_intake_answered_in_three_channels(app, client, make_staff):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "Yonas Tesfay: intake part-way (form, chat, 7 SMS replies)" in first.output
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    assert "answered before" in second.output
    with app.app_context():
        yonas = db.session.scalar(select(Newcomer).where(Newcomer.phone == "+31612345602"))
        filling = db.session.scalar(select(Filling).where(Filling.newcomer_id == yonas.id))
        assert filling.status == "in_progress"
        assert yonas.status == "intake_in_progress"
        channels = filling.answer_channels
        assert {channels["preferred_name"], channels["mother_tongue"], channels["school_years"]} == {
            "web",
            "chat",
            "sms",
        }
        assert filling.answers["country_of_birth"] == "ER"
        assert filling.answers["highest_education"] == "secondary"
        assert filling.sms_state == "active"
        outcomes = db.session.scalars(
            select(FillingReply.outcome).where(FillingReply.filling_id == filling.id).order_by(FillingReply.id)
        ).all()
        assert outcomes == ["accepted", "refused", "accepted", "accepted", "accepted", "accepted", "accepted"]
        questions = db.session.scalar(
            select(func.count(OutboundMessage.id)).where(
                OutboundMessage.cause_type == "filling",
                OutboundMessage.cause_id == filling.id,
                OutboundMessage.kind == "intake_question",
            )
        )
        assert questions == 8  # one per reply, and the first
        statuses = db.session.scalars(
            select(OutboundMessage.status).where(
                OutboundMessage.cause_id == filling.id, OutboundMessage.kind == "intake_question"
            )
        ).all()
        assert set(statuses) == {"sent"}  # in development each question goes out before its reply
        yonas_id = yonas.id
    # A klantmanager of Hoorn sees it on the file and in the transcript.
    staff_sign_in(client, make_staff(codes=("0405",)))
    page = client.get(f"/backoffice/newcomers/{yonas_id}").text
    assert "answers in the form" in page
    assert "answers in the chat" in page
    assert "answers by SMS" in page
    assert "Intake by SMS: asking" in page
    transcript = client.get(f"/backoffice/newcomers/{yonas_id}/intake-sms").text
    assert "ሒሳብ" in transcript
    assert "answer not accepted, question asked again" in transcript
