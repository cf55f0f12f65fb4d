"""A survey answered entirely by SMS, through Twilio's signed inbound webhook, and its reminder."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models.conversation import ConversationMessage
from app.models.filling import FillingReply
from app.models.message import SmsOptOut
from tests.app.surveys.conftest import NOW, Phone, approve_intake, invitations, responses, run_scan


def test_the_whole_survey_by_sms_replies(phone):
    run_scan(phone.app)
    phone.reply("8")
    assert (
        phone.last()
        == "Municipality of Hoorn: (2/5) Did you feel heard by the municipality of Hoorn?\n1 No\n2 Partly\n3 Yes"
    )
    phone.reply("yes")
    assert "(3/5) Was the information from the municipality of Hoorn clear?" in phone.last()
    phone.reply("2")
    assert "(4/5) Could you use your own language with the municipality of Hoorn?" in phone.last()
    phone.reply("Nee")
    assert "(5/5) Do you want to tell us more?" in phone.last()
    phone.reply("Bel me op 0612345678, Amal. Verder goed!")
    assert phone.last() == "Municipality of Hoorn: thank you for your answers!"
    [answer] = responses(phone.app)
    assert (answer.mark, answer.heard, answer.clear, answer.own_language) == (8, 3, 2, 1)
    assert answer.channel == "sms"
    assert answer.comment == "Bel me op [...], [...]. Verder goed!"
    [invitation] = invitations(phone.app)
    assert (invitation.status, invitation.channel, invitation.token_hash) == ("responded", "sms", None)
    assert phone.outcomes() == ["accepted"] * 4 + ["done"]
    with phone.app.app_context():  # the replies are not kept as text
        assert set(db.session.scalars(select(FillingReply.body))) == {""}
    # The link is used up; a later message is for the klantmanager.
    assert phone.client.get(f"/s/{phone.token()}").status_code == 410
    phone.reply("Nog een vraag over mijn les")
    with phone.app.app_context():
        assert db.session.scalar(select(ConversationMessage.body)) == "Nog een vraag over mijn les"


@pytest.mark.parametrize("skip", ["0", "-", "no", "nee", "لا", "hayır"])
def test_the_comment_is_optional(phone, skip):
    run_scan(phone.app)
    for body in ("10", "3", "3", "3", skip):
        phone.reply(body)
    [answer] = responses(phone.app)
    assert (answer.mark, answer.comment) == (10, None)


@pytest.mark.parametrize("bad", ["11", "0", "1e9", "-1", "٠", "99999999999999999999"])
def test_an_out_of_range_mark_gets_one_short_help_then_the_sms_questions_end(phone, bad):
    run_scan(phone.app)
    phone.reply(bad)
    help_text = phone.last()
    assert help_text.startswith("Municipality of Hoorn: Choose a mark from 1 to 10.")
    assert "How would you rate the municipality of Hoorn?" in help_text
    phone.reply(bad)
    assert "sorry, we did not understand" in phone.last()
    assert phone.outcomes() == ["refused", "refused"]
    phone.reply("8")  # no longer the survey's: the klantmanager reads it
    assert responses(phone.app) == []
    with phone.app.app_context():
        assert db.session.scalar(select(ConversationMessage.body)) == "8"
    # The link of the first message still works.
    page = phone.client.get(f"/s/{phone.token()}")
    assert page.status_code == 200


def test_a_refused_answer_then_a_good_one_carries_on(phone):
    run_scan(phone.app)
    phone.reply("11")
    phone.reply("٧")  # Arabic-Indic seven
    assert "(2/5)" in phone.last()
    assert phone.outcomes() == ["refused", "accepted"]


def test_a_long_message_that_is_no_mark_goes_to_the_klantmanager(phone):
    run_scan(phone.app)
    phone.reply("Ik kan morgen niet komen naar de afspraak")
    with phone.app.app_context():
        assert db.session.scalar(select(ConversationMessage.body)) == "Ik kan morgen niet komen naar de afspraak"
    assert phone.outcomes() == []
    phone.reply("9")
    assert "(2/5)" in phone.last()


def test_help_says_how_to_answer(phone):
    run_scan(phone.app)
    phone.reply("HELP")
    assert phone.last().startswith("Municipality of Hoorn: Choose a mark from 1 to 10.")
    assert phone.outcomes() == ["help"]


def test_stop_ends_it(phone):
    run_scan(phone.app)
    phone.reply("STOP")
    phone.reply("8")
    assert responses(phone.app) == []
    with phone.app.app_context():
        assert db.session.scalar(select(SmsOptOut.category)) is not None


def test_the_reminder_after_three_days_when_nothing_was_answered(phone, clock):
    run_scan(phone.app)
    assert len(phone.bodies()) == 1
    clock.move_to(NOW + timedelta(days=3, minutes=1), tick=False)
    reminder = phone.last()
    assert reminder.startswith(
        "Municipality of Hoorn: we would still like to know how you rate the municipality of Hoorn."
    )
    assert phone.token() in reminder
    assert len(phone.bodies()) == 2
    clock.move_to(NOW + timedelta(days=10), tick=False)
    assert len(phone.bodies()) == 2  # one reminder only


def test_the_reminder_is_cancelled_when_answered_by_sms_or_web(phone, clock):
    run_scan(phone.app)
    phone.reply("7")  # started by SMS
    clock.move_to(NOW + timedelta(days=3, minutes=1), tick=False)
    kinds = {m.kind: m for m in phone.messages()}
    assert kinds["survey_reminder"].status == "cancelled"
    assert kinds["survey_reminder"].cancel_reason == "survey_started"


def test_the_reminder_is_cancelled_once_the_web_answered(hooks, make_newcomer, client, sms, clock):
    from tests.app.surveys.test_web import FULL, _send

    person = make_newcomer(language="en")
    approve_intake(hooks, person)
    phone = Phone(hooks, client, sms, person)
    run_scan(hooks)
    assert _send(phone, phone.token(), **FULL).status_code == 200
    clock.move_to(NOW + timedelta(days=3, minutes=1), tick=False)
    kinds = {m.kind: m for m in phone.messages()}
    assert kinds["survey_reminder"].status == "cancelled"
    assert kinds["survey_reminder"].cancel_reason == "survey_responded"
    # A reply by SMS after the web answer is not a second response.
    phone.reply("3")
    assert len(responses(hooks)) == 1


def test_the_reminder_is_cancelled_when_the_invitation_expired_or_the_person_opted_out(phone, clock):
    run_scan(phone.app)
    with phone.app.app_context():
        db.session.add(SmsOptOut(newcomer_id=phone.person.id, category="surveys", source="sms"))
        db.session.commit()
    clock.move_to(NOW + timedelta(days=3, minutes=1), tick=False)
    kinds = {m.kind: m for m in phone.messages()}
    assert kinds["survey_reminder"].status == "cancelled"
    assert kinds["survey_reminder"].cancel_reason == "opted_out"


def test_a_question_sms_is_cancelled_when_the_web_answered_first(phone):
    from tests.app.surveys.test_web import FULL, _send

    run_scan(phone.app)
    token = phone.token()  # reading the phone runs the worker: before the reply
    phone.reply("7")  # the second question is queued; the web answers everything before the worker sends it
    assert _send(phone, token, **FULL).status_code == 200
    questions = [(m.status, m.cancel_reason) for m in phone.messages() if m.kind == "survey_question"]
    assert questions == [("cancelled", "survey_responded")]
    assert [r.channel for r in responses(phone.app)] == ["web"]


def test_the_invitation_is_audited_without_anything_personal(phone, audit_log):
    run_scan(phone.app)
    [entry] = audit_log(action="survey.invited")
    [invitation] = invitations(phone.app)
    assert (entry.actor_type, entry.record_type, entry.record_id) == ("system", "survey_invitation", invitation.id)


def test_in_arabic_by_sms(hooks, make_newcomer, client, sms, clock):
    person = make_newcomer(language="ar")
    approve_intake(hooks, person)
    phone = Phone(hooks, client, sms, person)
    run_scan(hooks)
    for body in ("٩", "نعم", "٢", "لا", "شكرا جزيلا"):
        phone.reply(body)
    [answer] = responses(hooks)
    assert (answer.mark, answer.heard, answer.clear, answer.own_language, answer.language) == (9, 3, 2, 1, "ar")
    assert answer.comment == "شكرا جزيلا"
