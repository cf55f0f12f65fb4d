"""The intake as an SMS conversation (app/intake/sms.py), through Twilio's signed inbound webhook.

Every question is an outbox row that the real worker sends into the fake sender (``sms`` fixture);
every reply is a signed request to ``/sms/twilio/inbound``, as Twilio sends it. The clock is frozen
(time-machine) so that the week of silence and its reminder can be walked through.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.intake import services
from app.intake import sms as intake_sms
from app.models import Filling, Newcomer, OutboundMessage
from app.models.conversation import ConversationMessage
from app.models.message import SmsOptOut
from tests.app.intake.conftest import AMAL_ON_THE_WEB, AMSTERDAM, NOW, Phone
from tests.app.test_webhooks import INBOUND, signed, sms_from
from tests.conftest import csrf_token, sign_in
from workflows import questions
from workflows.engine import WEB

# The whole intake by SMS, as Amal types her answers (field id -> reply). Questions SMS does not ask
# (sensitive, long text, the privacy step) are not here: they are left for the web.
AMAL = {
    "preferred_name": "Amal",
    "date_of_birth": "12-03-1984",
    "gender": "1",
    "country_of_birth": "Sirya",
    "phone": "0612345678",
    "email": "0",
    "contact_preference": "By SMS",
    "mother_tongue": "arabic",
    "other_language": "Englsh",
    "reads_mother_tongue": "4",
    "writes_mother_tongue": "3.",
    "reads_latin_script": "2",
    "dutch_level": "1",
    "english_level": "2",
    "school_years": "9",
    "highest_education": "3",
    "has_diploma": "Yes",
    "diploma_subject": "Nursing",
    "diploma_country": "syria",
    "diploma_papers": "no",
    "wants_study": "Y",
    "has_worked": "yes!",
    "occupation": "Tailor",
    "work_years": "10",
    "work_country": "Syria",
    "works_now": "NO",
    "skills": "1, 4",
    "partner": "2",
    "has_children": "yes",
    "children_count": "2",
    "children_under_4": "yes",
    "needs_childcare": "yes",
    "housing_type": "3",
    "housing_problems": "no",
    "social_contacts": "2",
    "volunteers": "no",
    "volunteer_interest": "yes",
    "wants_language_buddy": "yes",
    "main_goal": "1",
    "available_days": "1 3 5",
    "available_times": "1 2",
}
STORED = {
    "preferred_name": "Amal",
    "date_of_birth": "1984-03-12",
    "gender": "woman",
    "country_of_birth": "SY",
    "phone": "+31612345678",
    "contact_preference": "sms",
    "mother_tongue": "ar",
    "other_language": "en",
    "reads_mother_tongue": "very_good",
    "writes_mother_tongue": "good",
    "reads_latin_script": "little",
    "dutch_level": "none",
    "english_level": "little",
    "school_years": 9,
    "highest_education": "secondary",
    "has_diploma": True,
    "diploma_subject": "Nursing",
    "diploma_country": "SY",
    "diploma_papers": False,
    "wants_study": True,
    "has_worked": True,
    "occupation": "Tailor",
    "work_years": 10,
    "work_country": "SY",
    "works_now": False,
    "skills": ["hands", "cooking"],
    "partner": "in_nl",
    "has_children": True,
    "children_count": 2,
    "children_under_4": True,
    "needs_childcare": True,
    "housing_type": "reception",
    "housing_problems": False,
    "social_contacts": "some",
    "volunteers": False,
    "volunteer_interest": True,
    "wants_language_buddy": True,
    "main_goal": "work",
    "available_days": ["mon", "wed", "fri"],
    "available_times": ["morning", "afternoon"],
}
WEB_LEFT = [
    "health_limits",
    "health_help_wanted",
    "talk_without_partner",
    "income_sources",
    "has_debts",
    "goal_description",
    "share_with_school",
    "answers_true",
]


def answer_everything(phone: Phone, script: dict[str, str]) -> list[str]:
    """Reply to each question SMS with the script's answer for its field; the fields asked, in order."""
    asked = []
    for _ in range(len(script) + 5):
        field_id = phone.filling().sms_field
        if field_id is None:
            break
        assert phone.last().kind == "intake_question"
        asked.append(field_id)
        phone.reply(script[field_id])
    return asked


# -- a whole intake --------------------------------------------------------------------------------


def test_a_whole_intake_by_sms_then_the_web_for_what_sms_does_not_ask(phone, audit_log):
    phone.start()
    (first,) = phone.received()
    assert first.kind == "intake_question"
    assert first.body.startswith("Municipality of Hoorn: (1/")
    assert "What name do you want us to use?" in first.body
    assert "Send 0 to skip." in first.body
    assert first.category == "notices"
    filling = phone.filling()
    assert first.idempotency_key == f"intake_q:{filling.id}:1"
    assert (first.cause_type, first.cause_id) == ("filling", filling.id)
    assert (filling.sms_state, filling.sms_field, filling.sms_sequence) == ("active", "preferred_name", 1)
    (entry,) = audit_log(action="intake.sms_started")
    assert (entry.actor_type, entry.actor_id, entry.record_id) == ("newcomer", phone.person.id, phone.person.id)

    asked = answer_everything(phone, AMAL)

    assert asked == list(AMAL)  # in the definition's order, each once
    filling = phone.filling()
    assert dict(filling.answers) == STORED
    assert set(filling.answer_channels.values()) == {"sms"}
    assert set(phone.outcomes()) == {"accepted"}
    assert len(phone.replies()) == len(AMAL)
    last = phone.last()
    assert last.kind == "intake_web_left"
    assert (
        last.body
        == "Municipality of Hoorn: thank you! The other questions are on the web: https://intake.example.nl/intake"
    )
    assert (filling.sms_state, filling.sms_field) == ("to_web", None)
    with phone.app.app_context():
        left = questions.remaining(services.workflow(filling), services.progress(filling))
        assert [f.id for _, f in left] == WEB_LEFT
    # No question SMS ever held a sensitive question, a long text or the privacy step.
    bodies = "\n".join(m.body for m in phone.messages())
    for text in ("health", "debts", "without your partner", "language school", "Tell us more", "money"):
        assert text not in bodies

    # The rest on the web: the same row, sent in.
    with phone.app.test_request_context():
        row = db.session.get(Filling, filling.id)
        web = {
            "health_limits": "no",
            "health_help_wanted": "no",
            "talk_without_partner": "no",
            "income_sources": ["benefit"],
            "has_debts": "no",
            "goal_description": "",
            "share_with_school": "yes",
            "answers_true": "yes",
        }
        while (question := questions.next_question(services.workflow(row), services.progress(row))) is not None:
            outcome = services.answer(
                row, question.field.id, web[question.field.id], channel=WEB, ctx=services.context("en"), locale="en"
            )
            assert outcome.ok, question.field.id
        assert services.submit(row)
        assert row.answer_channels["preferred_name"] == "sms"
        assert row.answer_channels["answers_true"] == "web"


def test_in_arabic_with_arabic_and_persian_digits_yes_no_words_and_typed_names(make_phone):
    phone = make_phone("ar")
    phone.start()
    assert "بأي اسم تحب أن نناديك؟" in phone.last().body  # the question in her language
    script = {
        "preferred_name": "أمل",
        "date_of_birth": "١٢-٠٣-١٩٨٤",  # Arabic-Indic digits
        "gender": "١",
        "country_of_birth": "سوريا",
        "phone": "٠٦١٢٣٤٥٦٧٨",
        "email": "٠",
        "contact_preference": "۱",  # Persian digit
        "mother_tongue": "العربية",
        "other_language": "Sirya",  # not a language: refused ...
    }
    for field_id in script:
        assert phone.filling().sms_field == field_id
        phone.reply(script[field_id])
    assert phone.outcomes()[-1] == "refused"
    refused = phone.last()
    assert refused.kind == "intake_question"
    assert phone.filling().sms_field == "other_language"
    phone.reply("english")  # ... then a language, in English
    phone.reply("٤")  # reads_mother_tongue: very good
    answers = phone.filling().answers
    assert answers["date_of_birth"] == "1984-03-12"
    assert answers["gender"] == "woman"
    assert answers["country_of_birth"] == "SY"
    assert answers["phone"] == "+31612345678"
    assert "email" not in answers
    assert answers["contact_preference"] == "sms"
    assert answers["mother_tongue"] == "ar"
    assert answers["other_language"] == "en"
    assert answers["reads_mother_tongue"] == "very_good"


BACK_WORDS = {"nl": "terug", "en": "BACK", "ar": "رجوع", "ti": "ንድሕሪት", "fa": "برگشت", "tr": "geri", "so": "Dib"}


@pytest.mark.parametrize(
    ("language", "yes", "no"),
    [
        ("nl", "Ja", "nee"),
        ("en", "yes", "No"),
        ("ar", "نعم", "لا"),
        ("ti", "እወ", "ኣይፋል"),
        ("fa", "بله", "نه"),
        ("tr", "Evet", "HAYIR"),
        ("so", "haa", "maya"),
    ],
)
def test_yes_and_no_in_every_shipped_language(make_phone, language, yes, no):
    phone = make_phone(language)
    with phone.app.test_request_context():
        # Up to the first yes/no question (has_diploma), answered on the web.
        filling = services.start_or_resume(db.session.get(Newcomer, phone.person.id))
        definition = services.workflow(filling)
        for step_id in ("about_you", "languages"):
            values = {f.id: STORED[f.id] for f in definition.step(step_id).fields if f.id in STORED}
            services.save_step(filling, step_id, values)
        for field_id, raw in (("school_years", "12"), ("highest_education", "university")):
            ok = services.answer(filling, field_id, raw, channel=WEB, ctx=services.context("en"), locale="en").ok
            assert ok
    phone.start()
    assert phone.filling().sms_field == "has_diploma"
    phone.reply(yes)
    assert phone.filling().answers["has_diploma"] is True
    assert phone.filling().sms_field == "diploma_subject"
    phone.reply(BACK_WORDS[language])
    assert phone.filling().sms_field == "has_diploma"
    phone.reply(no)
    filling = phone.filling()
    assert filling.answers["has_diploma"] is False
    assert "diploma_subject" not in filling.answers
    assert filling.sms_field == "wants_study"  # the diploma's questions no longer apply
    assert phone.outcomes() == ["accepted", "back", "accepted"]


# -- refused answers ---------------------------------------------------------------------------------


def _skip_to_date_of_birth(phone: Phone) -> None:
    phone.start()
    phone.reply("Amal")
    assert phone.filling().sms_field == "date_of_birth"


def test_a_refused_answer_gets_help_and_the_question_twice_then_the_web_link(phone):
    _skip_to_date_of_birth(phone)
    phone.reply("yesterday")
    again = phone.last()
    assert again.kind == "intake_question"
    assert again.body.startswith("Municipality of Hoorn: Type a date as day-month-year, for example 31-12-1990.")
    assert "What is your date of birth?" in again.body
    assert phone.filling().sms_tries == 1
    phone.reply("31-02-1990")
    assert phone.last().kind == "intake_question"
    assert phone.filling().sms_tries == 2
    phone.reply("1990")
    link = phone.last()
    assert link.kind == "intake_to_web"
    assert link.body == (
        "Municipality of Hoorn: this question is easier on the web. Continue your intake here: "
        "https://intake.example.nl/intake"
    )
    filling = phone.filling()
    assert (filling.sms_state, filling.sms_field, filling.sms_tries) == ("to_web", "date_of_birth", 3)
    assert phone.outcomes() == ["accepted", "refused", "refused", "refused"]
    assert "date_of_birth" not in filling.answers

    # After the link, a message that does not answer the question is for the klantmanager ...
    phone.reply("I do not understand this")
    with phone.app.app_context():
        (message,) = db.session.scalars(select(ConversationMessage)).all()
        assert message.body == "I do not understand this"
    assert len(phone.replies()) == 4
    # ... and one that does resumes the conversation.
    phone.reply("12-03-1984")
    filling = phone.filling()
    assert filling.answers["date_of_birth"] == "1984-03-12"
    assert (filling.sms_state, filling.sms_field, filling.sms_tries) == ("active", "gender", 0)
    assert phone.outcomes()[-1] == "accepted"


def test_help_during_the_conversation_explains_the_question(phone):
    _skip_to_date_of_birth(phone)
    phone.reply("help")
    helped = phone.last()
    assert helped.kind == "intake_help"
    assert helped.category == "replies"
    assert helped.body == (
        "Municipality of Hoorn: Type a date as day-month-year, for example 31-12-1990. Send BACK for the previous "
        "question, STOP to stop. Or answer on the web: https://intake.example.nl/intake"
    )
    filling = phone.filling()
    assert (filling.sms_field, filling.sms_tries) == ("date_of_birth", 0)
    assert phone.outcomes() == ["accepted", "help"]
    assert not [m for m in phone.messages() if m.kind == "keyword_help"]


def test_back_asks_the_previous_question_and_then_carries_on(phone):
    _skip_to_date_of_birth(phone)
    phone.reply("12-03-1984")
    phone.reply("2")  # gender: man
    assert phone.filling().sms_field == "country_of_birth"
    phone.reply("Back")
    assert phone.filling().sms_field == "gender"
    assert "What is your gender?" in phone.last().body
    phone.reply("1")
    filling = phone.filling()
    assert filling.answers["gender"] == "woman"
    assert filling.sms_field == "country_of_birth"
    phone.reply("BACK")
    phone.reply("BACK")
    assert phone.filling().sms_field == "date_of_birth"
    assert phone.outcomes() == ["accepted", "accepted", "accepted", "back", "accepted", "back", "back"]


def test_stop_wins_over_the_conversation(phone, clock):
    _skip_to_date_of_birth(phone)
    phone.reply("STOP")
    assert phone.last().kind == "keyword_stopped"
    with phone.app.app_context():
        assert [o.category for o in db.session.scalars(select(SmsOptOut))] == ["all"]
    assert phone.outcomes() == ["accepted"]
    # What they send now is for the klantmanager, and no question goes out.
    phone.reply("12-03-1984")
    assert "date_of_birth" not in phone.filling().answers
    with phone.app.app_context():
        assert db.session.scalar(select(ConversationMessage.body)) == "12-03-1984"
    assert [m.kind for m in phone.received()][-1] == "inbound_ack"
    # The planned reminder is cancelled when it is due.
    clock.move_to(NOW + timedelta(days=7, hours=1))
    (reminder,) = [m for m in phone.messages() if m.kind == "intake_reminder"]
    assert (reminder.status, reminder.cancel_reason) == ("cancelled", "opted_out")


def test_a_retried_message_sid_changes_nothing(phone):
    _skip_to_date_of_birth(phone)
    sid = phone.reply("12-03-1984")
    before = (len(phone.messages()), len(phone.replies()), phone.filling().sms_sequence)
    phone.reply("01-01-1970", sid=sid)  # Twilio retries the same SID (whatever the body)
    assert (len(phone.messages()), len(phone.replies()), phone.filling().sms_sequence) == before
    assert phone.filling().answers["date_of_birth"] == "1984-03-12"


def test_a_reply_to_a_question_answered_meanwhile_on_the_web_is_stale(phone):
    _skip_to_date_of_birth(phone)
    with phone.app.test_request_context():
        row = db.session.scalar(select(Filling))
        assert services.answer(
            row, "date_of_birth", "01-01-1980", channel="chat", ctx=services.context("en"), locale="en"
        ).ok
    phone.reply("12-03-1984")
    filling = phone.filling()
    assert filling.answers["date_of_birth"] == "1980-01-01"  # the chat's answer stays
    assert filling.answer_channels["date_of_birth"] == "chat"
    assert phone.outcomes() == ["accepted", "stale"]
    assert filling.sms_field == "gender"
    assert "What is your gender?" in phone.last().body


def test_answers_given_on_the_web_are_never_asked_by_sms(phone):
    with phone.app.test_request_context():
        row = services.start_or_resume(db.session.get(Newcomer, phone.person.id))
        ctx = services.context("en")
        for field_id, raw in (("preferred_name", "Amal"), ("date_of_birth", "12-03-1984"), ("gender", "woman")):
            assert services.answer(row, field_id, raw, channel=WEB, ctx=ctx, locale="en").ok
    phone.start()
    assert phone.filling().sms_field == "country_of_birth"
    assert "In which country were you born?" in phone.last().body
    assert "0 I prefer not to say" in phone.last().body
    phone.reply("0")
    assert phone.filling().answers["country_of_birth"] == "prefer_not_to_say"


def test_an_optional_question_is_skipped_with_0(phone):
    phone.start()
    phone.reply("0")
    filling = phone.filling()
    assert "preferred_name" not in filling.answers
    assert filling.sms_field == "date_of_birth"


# -- the appointment's 1/2 and the conversation's -----------------------------------------------------


def _book(phone: Phone, make_staff) -> int:  # noqa: ANN001
    from app.appointments import services as appointments
    from app.appointments.services import Details
    from app.models import Staff

    staff_id = make_staff().id
    with phone.app.app_context():
        newcomer = db.session.get(Newcomer, phone.person.id)
        _appointment, result = appointments.book(
            newcomer.municipality_id,
            Details(kind="pvt_session", starts_at=NOW + timedelta(days=7), location="Stadhuis Hoorn"),
            [newcomer],
            actor=db.session.get(Staff, staff_id),
        )
        db.session.commit()
        return result.invited[0].id


def test_a_1_answers_the_latest_sms_the_question_or_the_appointment(phone, make_staff, clock):
    from app.models import Attendee

    phone.start()
    phone.reply("Amal")
    phone.reply("12-03-1984")
    assert phone.filling().sms_field == "gender"
    assert phone.last().kind == "intake_question"  # sent now
    clock.move_to(NOW + timedelta(minutes=5))
    attendee_id = _book(phone, make_staff)
    assert phone.last().kind == "appointment_booked"  # newer than the question
    clock.move_to(NOW + timedelta(minutes=10))
    phone.reply("1")
    with phone.app.app_context():
        assert db.session.get(Attendee, attendee_id).response == "confirmed"
    assert "gender" not in phone.filling().answers
    phone.reply("HELP")
    assert phone.last().kind == "keyword_help"
    phone.reply("Man")  # not an answer to the appointment: the question's
    filling = phone.filling()
    assert filling.answers["gender"] == "man"
    assert phone.outcomes()[-1] == "accepted"
    assert phone.last().kind == "intake_question"  # now the latest SMS
    clock.move_to(NOW + timedelta(minutes=15))
    assert phone.filling().sms_field == "country_of_birth"
    phone.reply("1")  # a number in a list that was not numbered: refused, not the first country
    assert phone.outcomes()[-1] == "refused"
    assert "country_of_birth" not in phone.filling().answers


# -- sleep and the one reminder -----------------------------------------------------------------------


def test_after_a_week_of_silence_one_reminder_and_the_next_reply_resumes(phone, clock):
    _skip_to_date_of_birth(phone)
    reminder = [m for m in phone.messages() if m.kind == "intake_reminder"]
    assert len(reminder) == 1  # one row for the conversation, postponed by every question
    assert reminder[0].send_after == NOW + timedelta(days=7)

    clock.move_to(NOW + timedelta(days=6, hours=23))
    assert phone.last().kind == "intake_question"
    assert intake_sms.state(phone.filling()) == "active"

    clock.move_to(NOW + timedelta(days=7, minutes=1))
    sent = phone.last()
    assert sent.kind == "intake_reminder"
    assert sent.body == (
        "Municipality of Hoorn: we are still waiting for your answer to our last question. "
        "Reply to it, or continue on the web: https://intake.example.nl/intake"
    )
    assert phone.filling().sms_state == "sleeping"  # written down by the worker

    clock.move_to(NOW + timedelta(days=30))
    assert [m.kind for m in phone.received()].count("intake_reminder") == 1  # no second reminder

    phone.reply("what?")
    assert phone.outcomes()[-1] == "resumed"
    filling = phone.filling()
    assert (filling.sms_state, filling.sms_field, filling.sms_tries) == ("active", "date_of_birth", 0)
    again = phone.last()
    assert again.kind == "intake_question"
    assert again.body.startswith("Municipality of Hoorn: (2/")  # asked again, without a reproach
    phone.reply("12-03-1984")
    assert phone.filling().answers["date_of_birth"] == "1984-03-12"
    assert phone.filling().sms_field == "gender"


def test_a_reply_after_sleep_that_answers_the_question_is_taken(phone, clock):
    _skip_to_date_of_birth(phone)
    clock.move_to(NOW + timedelta(days=7, hours=2))
    assert phone.last().kind == "intake_reminder"
    clock.move_to(NOW + timedelta(days=9))
    phone.reply("12-03-1984")
    assert phone.outcomes()[-1] == "accepted"
    assert phone.filling().sms_field == "gender"
    assert phone.filling().sms_state == "active"


def test_the_reminder_waits_for_the_end_of_quiet_hours(phone, clock):
    clock.move_to(datetime(2026, 11, 3, 22, 30, tzinfo=AMSTERDAM))
    phone.start()
    (reminder,) = [m for m in phone.messages() if m.kind == "intake_reminder"]
    assert reminder.send_after == datetime(2026, 11, 11, 8, 0, tzinfo=AMSTERDAM)
    assert reminder.expires_at == datetime(2026, 11, 11, 21, 0, tzinfo=AMSTERDAM)


def test_no_reminder_when_the_intake_moved_on_on_the_web_or_was_sent(phone, clock):
    _skip_to_date_of_birth(phone)
    clock.move_to(NOW + timedelta(days=2))
    with phone.app.test_request_context():
        row = db.session.scalar(select(Filling))
        assert services.answer(
            row, "date_of_birth", "12-03-1984", channel=WEB, ctx=services.context("en"), locale="en"
        ).ok
    clock.move_to(NOW + timedelta(days=7, hours=1))
    (reminder,) = [m for m in phone.messages() if m.kind == "intake_reminder"]
    assert (reminder.status, reminder.cancel_reason) == ("cancelled", "intake_moved_on")


def test_no_reminder_after_the_intake_was_sent_in(phone, clock):
    _skip_to_date_of_birth(phone)
    with phone.app.app_context():
        db.session.scalar(select(Filling)).status = "submitted"
        db.session.commit()
    clock.move_to(NOW + timedelta(days=7, hours=1))
    (reminder,) = [m for m in phone.messages() if m.kind == "intake_reminder"]
    assert (reminder.status, reminder.cancel_reason) == ("cancelled", "intake_submitted")


# -- starting ----------------------------------------------------------------------------------------


def test_start_is_refused_without_a_phone_after_stop_or_once_sent(hooks, newcomer):
    with hooks.app_context():
        row = db.session.get(Newcomer, newcomer.id)
        db.session.add(SmsOptOut(newcomer_id=row.id, category="notices", source="sms"))
        db.session.commit()
        with pytest.raises(intake_sms.CannotStart) as refused:
            intake_sms.start(row, actor=("staff", 1))
        assert refused.value.reason == "opted_out"
        db.session.query(SmsOptOut).delete()
        row.phone = "erased-1"
        db.session.commit()
        with pytest.raises(intake_sms.CannotStart) as refused:
            intake_sms.start(row, actor=("staff", 1))
        assert refused.value.reason == "no_phone"
        row.phone = newcomer.phone
        filling = services.start_or_resume(row)
        filling.status = "submitted"
        db.session.commit()
        with pytest.raises(intake_sms.CannotStart) as refused:
            intake_sms.start(row, actor=("staff", 1))
        assert refused.value.reason == "submitted"
        assert db.session.scalar(select(OutboundMessage.id)) is None


def test_staff_start_is_audited_with_the_staff_member(hooks, newcomer, make_staff, audit_log):
    staff = make_staff()
    with hooks.app_context():
        intake_sms.start(db.session.get(Newcomer, newcomer.id), actor=("staff", staff.id))
    (entry,) = audit_log(action="intake.sms_started")
    assert (entry.actor_type, entry.actor_id, entry.record_type, entry.record_id) == (
        "staff",
        staff.id,
        "newcomer",
        newcomer.id,
    )


def test_the_continue_by_sms_button(hooks, client, newcomer, sms):
    sign_in(client, newcomer)
    page = client.get("/intake/about_you")
    assert "Continue by SMS" in page.text
    token = csrf_token(page.text)
    assert client.post("/intake/sms/start", data={"from": "form"}).status_code == 400  # no CSRF token
    response = client.post("/intake/sms/start", data={"csrf_token": token, "from": "form"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/intake/")
    page = client.get(response.headers["Location"], follow_redirects=True)
    assert "We sent you the next question by SMS." in page.text
    assert "Send the question again by SMS" in page.text
    (to, body) = sms.sent[0]
    assert to == newcomer.phone
    assert "What name do you want us to use?" in body
    # From the chat, back to the chat.
    response = client.post("/intake/sms/start", data={"csrf_token": token, "from": "chat"})
    assert response.headers["Location"].endswith("/intake/chat")


def test_the_button_is_not_offered_after_stop(hooks, client, newcomer):
    with hooks.app_context():
        db.session.add(SmsOptOut(newcomer_id=newcomer.id, category="all", source="sms"))
        db.session.commit()
    sign_in(client, newcomer)
    assert "Continue by SMS" not in client.get("/intake/about_you").text
    token = csrf_token(client.get("/intake/about_you").text)
    response = client.post("/intake/sms/start", data={"csrf_token": token}, follow_redirects=True)
    assert "You asked for no SMS from us." in response.text


# -- privacy ------------------------------------------------------------------------------------------


def test_replies_are_kept_in_the_transcript_only_and_never_logged(phone, caplog):
    caplog.set_level(logging.DEBUG)
    _skip_to_date_of_birth(phone)
    phone.reply("12-03-1984\x00\x07")
    (first, second) = phone.replies()
    assert (first.body, first.field_id, first.outcome) == ("Amal", "preferred_name", "accepted")
    assert (second.body, second.field_id) == ("12-03-1984", "date_of_birth")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "12-03-1984" not in logged
    assert "Amal" not in logged
    assert phone.person.phone not in logged


# -- when SMS has nothing left --------------------------------------------------------------------------

WEB_RAW = {
    **AMAL_ON_THE_WEB,
    "skills": ["cooking"],
    "health_limits": "",
    "health_help_wanted": "",
    "partner": "none",
    "has_children": "no",
    "housing_type": "reception",
    "housing_problems": "no",
    "income_sources": ["benefit"],
    "has_debts": "no",
    "social_contacts": "some",
    "volunteers": "yes",
    "wants_language_buddy": "yes",
    "main_goal": "work",
    "goal_description": "",
    "available_days": ["mon"],
    "available_times": ["morning"],
    "share_with_school": "yes",
    "answers_true": "yes",
}


def test_the_last_answer_by_sms_of_a_complete_intake_says_check_and_send(phone):
    with phone.app.test_request_context():
        row = services.start_or_resume(db.session.get(Newcomer, phone.person.id))
        ctx = services.context("en")
        while (question := questions.next_question(services.workflow(row), services.progress(row))) is not None:
            assert services.answer(
                row, question.field.id, WEB_RAW[question.field.id], channel=WEB, ctx=ctx, locale="en"
            ).ok
        services.reopen(row, "available_times")  # to change it: now by SMS
    phone.start()
    assert phone.filling().sms_field == "available_times"
    phone.reply("2 3")
    filling = phone.filling()
    assert filling.answers["available_times"] == ["afternoon", "evening"]
    assert (filling.sms_state, filling.sms_field) == ("done", None)
    done = phone.last()
    assert done.kind == "intake_sms_done"
    assert done.body == (
        "Municipality of Hoorn: thank you, you answered every question. Check and send your intake here: "
        "https://intake.example.nl/intake"
    )
    # BACK still works: the last question SMS asked, again.
    phone.reply("back")
    assert phone.filling().sms_field == "available_times"
    assert phone.filling().sms_state == "active"
    # Anything else after "check and send" is for the klantmanager.
    phone.reply("0")
    phone.reply("1")
    filling = phone.filling()
    assert filling.answers["available_times"] == ["morning"]
    assert filling.sms_state == "done"
    phone.reply("Thank you")
    with phone.app.app_context():
        assert db.session.scalar(select(ConversationMessage.body)) == "Thank you"
    assert phone.outcomes() == ["accepted", "back", "refused", "accepted"]


def test_a_queued_question_is_not_sent_once_the_intake_is_sent_in(hooks, newcomer, sms):
    with hooks.app_context():
        filling = intake_sms.start(db.session.get(Newcomer, newcomer.id), actor=("newcomer", newcomer.id))
        filling.status = "submitted"
        db.session.commit()
    assert sms.sent == []
    with hooks.app_context():
        question = db.session.scalar(select(OutboundMessage).where(OutboundMessage.kind == "intake_question"))
        assert (question.status, question.cancel_reason) == ("cancelled", "intake_submitted")


def test_the_conversation_words_are_documented():
    from pathlib import Path

    from app.sms import keywords

    doc = (Path(__file__).resolve().parents[3] / "docs" / "sms.md").read_text().splitlines()
    assert set(keywords.CONVERSATION_WORDS) == set(keywords.WORDS)
    for language, words in keywords.CONVERSATION_WORDS.items():
        assert f"| {language} | {', '.join(words[keywords.BACK])} |" in doc, language


def test_a_reply_sent_again_before_the_next_question_arrived_answers_nothing(phone):
    _skip_to_date_of_birth(phone)
    phone.reply("12-03-1984")  # the gender question is queued ...
    response = signed(phone.client, INBOUND, sms_from(phone.person.phone, "12-03-1984"))  # ... and it is sent again
    assert response.status_code == 200
    filling = phone.filling()
    assert "gender" not in filling.answers
    assert filling.sms_field == "gender"
    assert phone.outcomes() == ["accepted", "accepted", "stale"]
    assert [m.kind for m in phone.received()].count("intake_question") == 3  # nothing more was sent


def test_a_change_begun_in_the_chat_leaves_the_sms_question_answerable(phone):
    _skip_to_date_of_birth(phone)
    with phone.app.test_request_context():
        services.reopen(db.session.scalar(select(Filling)), "preferred_name")  # "change" tapped in the chat
    phone.reply("12-03-1984")
    filling = phone.filling()
    assert filling.answers["date_of_birth"] == "1984-03-12"
    assert phone.outcomes()[-1] == "accepted"
    assert filling.sms_field == "preferred_name"  # the change comes next, by SMS too
