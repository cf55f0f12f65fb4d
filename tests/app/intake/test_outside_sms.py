"""Outside tests of the SMS conversation (issue 9): what a stranger, a shared phone or bad luck sends.

Every reply is a signed request to Twilio's inbound webhook, as Twilio sends it; the outbox is sent
by the real worker (``sms`` fixture) only when a test reads it, so a test decides what has reached
the phone. What they found is fixed; the tests stay as guards (an open defect would be a strict
xfail naming it).
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.intake import services
from app.intake import sms as intake_sms
from app.models import Filling, Newcomer, OutboundMessage
from app.models.conversation import ConversationMessage, UnknownSenderCount
from app.models.filling import FillingReply
from tests.app.intake.conftest import AMAL_ON_THE_WEB, NOW, Phone
from tests.app.test_webhooks import INBOUND, new_sid, signed, sms_from
from workflows import questions
from workflows.engine import WEB

LANGUAGES = ("nl", "en", "ar", "ti", "fa", "tr", "so")


def answer_on_the_web(phone: Phone, answers: dict[str, object]) -> None:
    """Answer questions one by one in the form's channel (the same row as SMS)."""
    with phone.app.test_request_context():
        row = services.start_or_resume(db.session.get(Newcomer, phone.person.id))
        ctx = services.context("en")
        for field_id, raw in answers.items():
            assert services.answer(row, field_id, raw, channel=WEB, ctx=ctx, locale="en").ok, field_id


def kinds(rows: list[OutboundMessage]) -> list[str]:
    return [m.kind for m in rows]


# -- after STOP, after START, after submit ------------------------------------------------------------


def test_stop_before_the_question_went_out_cancels_it(phone):
    phone.start()  # queued, not sent yet
    phone.reply("STOP", received=False)
    rows = phone.deliver()
    (question,) = [m for m in rows if m.kind == "intake_question"]
    assert (question.status, question.cancel_reason) == ("cancelled", "opted_out")
    assert [m.kind for m in rows if m.status == "sent"] == ["keyword_stopped"]


def test_stop_in_the_middle_then_no_more_questions_whatever_is_sent(phone):
    phone.start()
    phone.reply("Amal")
    phone.deliver()
    phone.reply("stop")
    before = len([m for m in phone.deliver() if m.kind == "intake_question"])
    for body in ("12-03-1984", "BACK", "help", "1", "terug"):
        phone.reply(body)
    rows = phone.deliver()
    assert len([m for m in rows if m.kind == "intake_question"]) == before
    assert "date_of_birth" not in phone.filling().answers
    assert [r.outcome for r in phone.replies()] == ["accepted"]
    # What they sent went to the klantmanager (HELP is a keyword, answered with the keyword help).
    assert "12-03-1984" in [m.body for m in phone.inbox()]
    assert "keyword_help" in kinds(rows)


def test_start_after_stop_lets_the_conversation_go_on(phone):
    phone.start()
    phone.reply("Amal")
    phone.reply("STOP")
    phone.reply("START")
    assert "keyword_started" in kinds(phone.received())
    phone.reply("12-03-1984")
    filling = phone.filling()
    assert filling.answers["date_of_birth"] == "1984-03-12"
    assert filling.sms_field == "gender"
    last = phone.received()[-1]
    assert last.kind == "intake_question"
    assert "What is your gender?" in last.body


def test_after_submit_a_reply_changes_no_answer_and_no_question_goes_out(phone):
    phone.start()
    phone.reply("Amal")  # the next question is queued, not sent yet
    with phone.app.app_context():
        db.session.scalar(select(Filling)).status = "submitted"
        db.session.commit()
    rows = phone.deliver()
    (pending,) = [m for m in rows if m.kind == "intake_question" and m.status != "sent"]
    assert (pending.status, pending.cancel_reason) == ("cancelled", "intake_submitted")
    before = dict(phone.filling().answers)
    for body in ("12-03-1984", "BACK", "help"):
        phone.reply(body)
    assert dict(phone.filling().answers) == before
    assert [r.outcome for r in phone.replies()] == ["accepted"]
    assert len([m for m in phone.deliver() if m.kind == "intake_question" and m.status == "sent"]) == 1
    assert "12-03-1984" in [m.body for m in phone.inbox()]


def test_the_button_after_submit_sends_nothing(hooks, client, newcomer, sms):
    from tests.conftest import csrf_token, sign_in

    sign_in(client, newcomer)
    token = csrf_token(client.get("/intake/about_you").text)
    with hooks.app_context():
        row = services.start_or_resume(db.session.get(Newcomer, newcomer.id))
        row.status = "submitted"
        db.session.commit()
    response = client.post("/intake/sms/start", data={"csrf_token": token}, follow_redirects=True)
    assert response.status_code == 200
    assert sms.sent == []


# -- numbers that are no longer anyone's ----------------------------------------------------------------


def test_an_erased_files_old_number_reaches_no_intake(phone, make_staff):
    from app.backoffice.privacy_services import erase

    phone.start()
    phone.reply("Amal")
    with phone.app.app_context():
        assert erase(db.session.get(Newcomer, phone.person.id))
    before = len(phone.sms.sent)
    phone.reply("12-03-1984")
    phone.reply("BACK")
    with phone.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(FillingReply)) == 0
        assert db.session.scalar(select(func.count()).select_from(Filling)) == 0
        assert db.session.scalar(select(func.count()).select_from(ConversationMessage)) == 0
        assert db.session.scalar(select(func.sum(UnknownSenderCount.count))) == 2
    # The stranger's answer is in Dutch and English, at most once a day, and names no municipality's file.
    sent = phone.sms.sent[before:]
    assert len(sent) == 1
    assert sent[0][0] == phone.person.phone
    assert "Amal" not in sent[0][1]
    assert "Hoorn" not in sent[0][1]  # nothing tells the new holder of the number whose it was


# -- what is in a body ---------------------------------------------------------------------------------


HOSTILE = "\u202eAmal\x00\x07\x1b[31m <script>alert(1)</script>"


def test_control_characters_nul_and_bidi_overrides_never_reach_the_database(phone):
    phone.start()
    phone.reply(HOSTILE)
    filling = phone.filling()
    stored = filling.answers["preferred_name"]
    for bad in ("\x00", "\x07", "\x1b", "\u202e"):
        assert bad not in stored
        assert bad not in phone.replies()[0].body
    assert stored == "Amal[31m <script>alert(1)</script>"
    assert filling.sms_field == "date_of_birth"


def test_a_body_of_only_control_characters_is_no_answer(phone):
    phone.start()
    phone.reply("\x00\x01\u202e\u2066")
    filling = phone.filling()
    assert "preferred_name" not in filling.answers
    assert filling.sms_field == "preferred_name"
    assert phone.replies() == []


def test_the_longest_body_twilio_can_send_is_cut_and_refused_by_the_text_field(phone):
    phone.start()
    phone.reply("ب" * 1600)
    (reply,) = phone.replies()
    assert reply.outcome == "refused"
    assert len(reply.body) == 1600
    assert "preferred_name" not in phone.filling().answers


@pytest.mark.parametrize("body", ["1" * 1600, "٤" * 1600, "1 " * 800, "1," * 800])
def test_a_long_run_of_digits_to_a_choice_question_is_refused_not_a_server_error(phone, body):
    answer_on_the_web(phone, {"preferred_name": "Amal", "date_of_birth": "12-03-1984"})
    phone.start()
    assert phone.filling().sms_field == "gender"
    phone.reply(body)
    assert [r.outcome for r in phone.replies()] == ["refused"]
    assert "gender" not in phone.filling().answers


# -- order, doubles and races ------------------------------------------------------------------------


def test_two_replies_with_one_sid_one_after_the_other_count_once(phone):
    """Twilio retries after the first request ended: the second finds the receipt."""
    phone.start()
    sid = new_sid()
    phone.reply("Amal", sid=sid)
    phone.reply("Yonas", sid=sid)
    filling = phone.filling()
    assert filling.answers["preferred_name"] == "Amal"
    assert len(phone.replies()) == 1
    assert filling.sms_sequence == 2


def test_a_reply_sent_twice_does_not_answer_a_question_not_yet_received(phone):
    """Found here: a reply answered the question whose SMS was still queued (or waiting for a retry)."""
    answer_on_the_web(
        phone,
        {
            "preferred_name": "Amal",
            "date_of_birth": "12-03-1984",
            "gender": "woman",
            "country_of_birth": "SY",
            "phone": "0612345678",
            "email": "",
            "contact_preference": "sms",
            "mother_tongue": "ar",
            "other_language": "en",
        },
    )
    phone.start()
    phone.deliver()
    assert phone.filling().sms_field == "reads_mother_tongue"
    phone.reply("4")  # very good; the next question is queued ...
    phone.reply("4", received=False)  # ... and the phone sends the same text again before it arrives
    answers = phone.filling().answers
    assert answers["reads_mother_tongue"] == "very_good"
    assert "writes_mother_tongue" not in answers  # the person never saw that question


def test_a_reply_during_sleep_to_help_and_back_wakes_the_conversation(phone, clock):
    phone.start()
    phone.reply("Amal")
    phone.deliver()
    clock.move_to(NOW + timedelta(days=8))
    phone.deliver()  # the reminder, and the worker writes the sleep down
    assert intake_sms.state(phone.filling()) == "sleeping"
    phone.reply("HELP")
    assert phone.received()[-1].kind == "intake_help"
    phone.reply("back")
    filling = phone.filling()
    assert (filling.sms_state, filling.sms_field) == ("active", "preferred_name")
    assert intake_sms.state(filling) == "active"


def test_back_at_the_first_question_asks_it_again(phone):
    phone.start()
    phone.reply("BACK")
    phone.reply("BACK")
    filling = phone.filling()
    assert filling.sms_field == "preferred_name"
    assert filling.answers == {}
    assert [r.outcome for r in phone.replies()] == ["back", "back"]


def test_back_never_asks_a_sensitive_question_even_one_reopened_on_the_web(phone):
    """BACK from the first money question goes to housing, never to the health questions."""
    answer_on_the_web(
        phone,
        {
            **AMAL_ON_THE_WEB,
            "skills": ["cooking"],
            "health_limits": "physical",
            "health_details": "",
            "health_help_wanted": "no",
        },
    )
    with phone.app.test_request_context():
        row = db.session.scalar(select(Filling))
        services.reopen(row, "health_limits")  # on the web, then left there
    phone.start()
    first = phone.filling().sms_field
    assert first != "health_limits"
    for _ in range(3):
        phone.reply("BACK")
        assert phone.filling().sms_field not in ("health_limits", "health_help_wanted")
    bodies = "\n".join(m.body for m in phone.deliver())
    assert "health" not in bodies.lower()


# -- what SMS carry, and what is logged ------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_sms_of_the_conversation_names_the_municipality(make_phone, language):
    phone = make_phone(language)
    phone.start()
    phone.reply("help")
    phone.reply("back")
    phone.reply("0")  # skip the name
    for _ in range(3):
        phone.reply("31-31-3131")  # refused twice, then the link to the web
    rows = phone.deliver()
    assert {"intake_question", "intake_help", "intake_to_web"} <= set(kinds(rows))
    for message in rows:
        assert message.status in ("sent", "cancelled"), message.kind
        assert "Hoorn" in message.body[:80], (message.kind, message.body)


def test_no_log_line_holds_a_body_a_number_or_a_name(phone, caplog):
    caplog.set_level(logging.DEBUG)
    phone.start()
    secret = ("Zahra-Secret", "29-02-1990", "Qwertyuiop", "Afghanistan")
    phone.reply(secret[0])
    phone.reply(secret[1])  # refused (no 29 February in 1990)
    phone.reply("help")
    phone.reply("back")
    phone.reply(secret[2])
    phone.reply("STOP")
    phone.reply(secret[3])  # for the klantmanager now
    phone.reply("START")
    phone.deliver()
    logged = "\n".join(f"{record.getMessage()} {record.args!r}" for record in caplog.records)
    for text in (*secret, phone.person.phone, phone.person.phone[3:], phone.person.name):
        assert text not in logged


def test_a_question_sms_holds_no_earlier_answer_after_back(phone):
    phone.start()
    phone.reply("Amal-Unique-Name")
    phone.reply("BACK")
    phone.reply("BACK")
    for message in phone.deliver():
        assert "Amal-Unique-Name" not in message.body


def test_a_refused_answer_is_not_repeated_in_the_next_sms(phone):
    phone.start()
    phone.reply("Amal")
    phone.reply("my-secret-birthday-42")
    (again,) = [m for m in phone.deliver() if m.kind == "intake_question"][2:]
    assert "my-secret-birthday-42" not in again.body


# -- the newcomer's button ------------------------------------------------------------------------------


def test_the_button_refuses_get_a_missing_token_and_a_stranger(hooks, client, newcomer, sms):
    from tests.conftest import csrf_token, sign_in

    assert client.get("/intake/sms/start").status_code == 405
    response = client.post("/intake/sms/start", data={})
    assert response.status_code in (302, 303, 400, 401)
    assert "/intake/chat" not in response.headers.get("Location", "")
    sign_in(client, newcomer)
    assert client.post("/intake/sms/start", data={"from": "chat"}).status_code == 400
    token = csrf_token(client.get("/intake/about_you").text)
    for came_from in ("https://evil.example/", "//evil.example", "javascript:alert(1)", ["chat", "form"]):
        response = client.post("/intake/sms/start", data={"csrf_token": token, "from": came_from})
        assert response.status_code == 303
        assert response.headers["Location"].startswith("/intake")
    assert len(sms.sent) >= 1
    assert {to for to, _body in sms.sent} == {newcomer.phone}


def test_the_button_cannot_be_pressed_into_an_sms_flood(hooks, client, newcomer, sms):
    from tests.conftest import csrf_token, sign_in

    sign_in(client, newcomer)
    token = csrf_token(client.get("/intake/about_you").text)
    codes = [client.post("/intake/sms/start", data={"csrf_token": token}).status_code for _ in range(15)]
    assert 429 in codes
    assert len([body for _to, body in sms.sent if "What name" in body]) <= 10


def test_an_sms_conversation_never_starts_for_another_newcomer(hooks, client, make_newcomer, sms):
    from tests.conftest import csrf_token, sign_in

    amal, yonas = make_newcomer(), make_newcomer(name="Yonas", language="ti")
    sign_in(client, amal)
    token = csrf_token(client.get("/intake/about_you").text)
    for extra in ({"newcomer_id": str(yonas.id)}, {"newcomer": str(yonas.id)}, {"id": str(yonas.id)}):
        client.post("/intake/sms/start", data={"csrf_token": token, **extra})
    assert {to for to, _body in sms.sent} == {amal.phone}
    with hooks.app_context():
        assert db.session.scalar(select(Filling).where(Filling.newcomer_id == yonas.id)) is None


def test_what_sms_left_is_still_asked_on_the_web(phone):
    """Guard: nothing the SMS conversation skips is lost (remaining() lists it for the web)."""
    phone.start()
    with phone.app.app_context():
        row = db.session.scalar(select(Filling))
        left = [f.id for _, f in questions.remaining(services.workflow(row), services.progress(row))]
    assert "health_limits" in left
    assert "answers_true" in left


def _at_once(phone: Phone, *replies: tuple[str, str]) -> list[int]:
    """Send the (body, sid) replies from threads at the same moment; their status codes."""
    import threading

    phone.sms.sent  # noqa: B018 - what was due reached the phone first
    codes: list[int] = []
    barrier = threading.Barrier(len(replies))

    def send(body: str, sid: str) -> None:
        barrier.wait()
        response = signed(phone.app.test_client(), INBOUND, sms_from(phone.person.phone, body, sid=sid))
        codes.append(response.status_code)

    threads = [threading.Thread(target=send, args=reply) for reply in replies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "deadlock"
    return codes


def test_one_sid_retried_while_the_first_is_still_running_counts_once(phone):
    phone.start()
    sid = new_sid()
    assert _at_once(phone, ("Amal", sid), ("Amal", sid), ("Amal", sid)) == [200, 200, 200]
    assert [r.outcome for r in phone.replies()] == ["accepted"]
    assert phone.filling().answers == {"preferred_name": "Amal"}
    assert phone.filling().sms_sequence == 2


def test_two_replies_at_the_same_moment_answer_one_question(phone):
    """A reply sent twice (two SIDs) at once: one answers, the other finds the next question on its way."""
    phone.start()
    assert _at_once(phone, ("Amal", new_sid()), ("Yonas", new_sid())) == [200, 200]
    outcomes = sorted(r.outcome for r in phone.replies())
    assert outcomes == ["accepted", "stale"]
    filling = phone.filling()
    assert filling.answers["preferred_name"] in ("Amal", "Yonas")
    assert filling.sms_field == "date_of_birth"
    assert "date_of_birth" not in filling.answers


def test_a_closed_file_gets_no_more_intake_questions(phone, clock):
    from app.casefiles import set_status

    phone.start()
    phone.reply("Amal")
    phone.deliver()
    with phone.app.app_context():
        set_status(db.session.get(Newcomer, phone.person.id), "moved_away")
        db.session.commit()
    clock.move_to(NOW + timedelta(days=7, hours=1))
    rows = phone.deliver()
    assert [m for m in rows if m.kind == "intake_reminder" and m.status == "sent"] == []
    phone.reply("12-03-1984")
    assert "date_of_birth" not in phone.filling().answers
    with phone.app.app_context():
        assert intake_sms.why_not(db.session.get(Newcomer, phone.person.id)) is not None
