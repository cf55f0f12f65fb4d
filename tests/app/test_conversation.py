"""The conversation on every file: the klantmanager writes, the newcomer reads signed in and answers.

Both sides in the test client: a klantmanager of Hoorn writes from the file (free text or a common
question), the SMS is queued once and sent by the worker's own code, names the municipality and
never holds free text; the newcomer reads the thread in their language and answers on the web or
on their returned intake's review page; the file shows every message's fate; unread answers show
on the today page and the caseload until the file is opened.
"""

from __future__ import annotations

import re
from html import unescape

import pytest
from flask.testing import FlaskClient
from flask_babel import force_locale, gettext
from sqlalchemy import func, select

from app.conversation import common_questions
from app.conversation import services as conversation
from app.extensions import db
from app.models import Filling, Newcomer, OutboundMessage
from app.models.conversation import ConversationMessage
from app.models.types import utcnow
from app.sms import texts
from app.sms.segments import count as count_segments
from tests.app.backoffice.test_casefiles import make_file, newcomer_submits
from tests.app.test_auth import enter_code, last_code, request_code
from tests.conftest import Person, csrf_token, sign_in, staff_sign_in

DIPLOMA = "Do you have a diploma from your country? Please bring it."


# -- helpers -------------------------------------------------------------------------------------


def file_page(client: FlaskClient, file_id: int):  # noqa: ANN201
    page = client.get(f"/backoffice/newcomers/{file_id}")
    assert page.status_code == 200
    return page


def token_of(html: str, name: str = "message-csrf_token") -> str:
    match = re.search(rf'name="{name}"(?: type="hidden")? value="([^"]+)"', html)
    assert match, f"no {name} on the page"
    return match.group(1)


def write(client: FlaskClient, file_id: int, follow: bool = False, **fields: str):  # noqa: ANN201
    """Post the file's message form (fields without their ``message-`` prefix)."""
    page = file_page(client, file_id)
    data = {"message-csrf_token": token_of(page.text), "message-language": "nl", "message-common_question": ""}
    data.update({f"message-{key}": value for key, value in fields.items()})
    return client.post(f"/backoffice/newcomers/{file_id}/messages", data=data, follow_redirects=follow)


def messages(app, file_id: int) -> list[ConversationMessage]:  # noqa: ANN001
    with app.app_context():
        rows = db.session.scalars(
            select(ConversationMessage)
            .where(ConversationMessage.newcomer_id == file_id)
            .order_by(ConversationMessage.id)
        ).all()
        db.session.expunge_all()
        return list(rows)


def outbox(app, file_id: int) -> list[OutboundMessage]:  # noqa: ANN001
    with app.app_context():
        rows = db.session.scalars(
            select(OutboundMessage).where(OutboundMessage.newcomer_id == file_id).order_by(OutboundMessage.id)
        ).all()
        db.session.expunge_all()
        return list(rows)


def in_language(app, locale: str, text: str) -> str:  # noqa: ANN001
    with app.test_request_context(), force_locale(locale):
        return gettext(text)


def newcomer_client(app, person_id: int) -> FlaskClient:  # noqa: ANN001
    """A phone signed in as the newcomer of ``person_id`` (its pages in the newcomer's language)."""
    client = app.test_client()
    with app.app_context():
        row = db.session.get(Newcomer, person_id)
        person = Person(row.id, row.name, row.phone, row.language)
    sign_in(client, person)
    return client


@pytest.fixture
def hoorn_file(app, municipality_id) -> int:  # noqa: ANN001
    """Yonas's file in Hoorn; English, so that the tests read the source strings."""
    return make_file(app, name="Yonas Tesfay", phone="+31612345690", status="intake_in_progress")


def text_of_page(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


# -- the klantmanager writes -----------------------------------------------------------------------


def test_free_text_is_written_audited_and_announced_by_an_sms_without_it(klantmanager, app, hoorn_file, sms, audit_log):
    page = file_page(klantmanager, hoorn_file)
    assert 'id="conversation"' in page.text
    assert "No messages yet." in page.text
    response = write(klantmanager, hoorn_file, body="Kom je dinsdag om 10 uur? <script>alert(1)</script>")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/backoffice/newcomers/{hoorn_file}#conversation")

    [message] = messages(app, hoorn_file)
    assert (message.direction, message.channel, message.language) == ("out", "web", "nl")
    assert message.body == "Kom je dinsdag om 10 uur? <script>alert(1)</script>"
    assert message.sensitive is True
    assert message.common_question is None
    assert message.outbound_message_id is not None
    assert [e.action for e in audit_log(action="file.message_written")] == ["file.message_written"]

    # One SMS, from the worker: it names the municipality, links to /m, and holds none of the text.
    [(to, body)] = sms.sent
    assert to == "+31612345690"
    assert body == "Municipality of Hoorn: you have a message from your klantmanager: http://127.0.0.1:5000/m"
    assert "dinsdag" not in body
    assert len(sms.sent) == 1  # draining again sends nothing more
    [row] = outbox(app, hoorn_file)
    assert (row.kind, row.cause_type, row.cause_id) == ("conversation_message", "conversation_message", message.id)

    # The thread on the file: the text escaped, in its language and direction, with its fate.
    page = file_page(klantmanager, hoorn_file)
    assert '<p class="utrecht-paragraph" dir="auto" lang="nl">Kom je dinsdag om 10 uur? &lt;script&gt;' in page.text
    assert "<script>alert" not in page.text
    assert "Written in" in page.text
    shown = text_of_page(page.text.split('id="conversation"')[1].split("</section>")[0])
    assert "SMS: sent" in shown
    assert "saying only that there is a message" in shown
    assert "Not read yet" in shown


def test_a_common_question_goes_into_the_sms_in_the_newcomers_language(klantmanager, app, hoorn_file, sms):
    with app.app_context():
        db.session.get(Newcomer, hoorn_file).language = "ar"
        db.session.commit()
    assert write(klantmanager, hoorn_file, common_question="bring_diploma").status_code == 302
    [message] = messages(app, hoorn_file)
    assert (message.common_question, message.sensitive) == ("bring_diploma", False)
    assert (message.body, message.language) == (DIPLOMA, "en")  # as its writer read it (the export shows it)
    [(_to, body)] = sms.sent
    with app.test_request_context(), force_locale("ar"):
        expected = texts.conversation_question("Hoorn", gettext(DIPLOMA), "http://127.0.0.1:5000/m")
    assert body == expected
    assert "Hoorn" in body
    assert count_segments(body).count <= 2
    # Staff read it in their own language, marked as a common question.
    page = file_page(klantmanager, hoorn_file)
    assert DIPLOMA in page.text
    assert "A common question: the newcomer reads it in their own language." in page.text
    assert "with the question in the newcomer's language" in page.text


def test_a_sensitive_common_question_never_goes_into_the_sms(klantmanager, app, hoorn_file, sms):
    assert write(klantmanager, hoorn_file, common_question="health_again").status_code == 302
    [(_to, body)] = sms.sent
    assert "health" not in body.lower()
    assert body.startswith("Municipality of Hoorn: you have a message")
    assert messages(app, hoorn_file)[0].sensitive is True


def test_a_question_too_long_for_two_segments_is_announced_without_it(klantmanager, app, hoorn_file, sms, monkeypatch):
    monkeypatch.setattr(common_questions, "text", lambda key: "ሕቶ " * 60)  # a translation far too long
    assert write(klantmanager, hoorn_file, common_question="days_available").status_code == 302
    [row] = outbox(app, hoorn_file)
    assert row.kind == "conversation_message"
    assert row.segments <= 2


def test_every_offered_question_fits_the_sms_with_the_longest_municipality_and_link(app):
    with app.test_request_context():
        for question in common_questions.offered():
            body = texts.conversation_question(
                texts.LONGEST_MUNICIPALITY, str(question.text), texts.SHORT_MESSAGES_LINK
            )
            assert count_segments(body).count <= 2, (question.key, body)
            assert len(question.key) <= 40  # the column


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"body": ""}, "Choose a common question or write your message."),
        ({"body": "   \n  "}, "Choose a common question or write your message."),
        ({"body": "Ook dit", "common_question": "school_years"}, "not both"),
        ({"body": "x" * 1001}, "Write at most 1000 characters."),
        ({"common_question": "drop_table"}, "Not a valid choice"),
        ({"body": "Hallo", "language": "xx"}, "Not a valid choice"),
    ],
)
def test_a_message_with_a_mistake_comes_back_with_the_text_kept(klantmanager, app, hoorn_file, sms, fields, error):
    response = write(klantmanager, hoorn_file, **fields)
    assert response.status_code == 422
    assert error in unescape(response.text)
    assert 'class="utrecht-form-field-error-message" id="message-' in response.text  # next to its field
    if fields.get("body", "").strip():
        assert f">{fields['body']}</textarea>" in response.text  # nothing typed is lost
    assert messages(app, hoorn_file) == []
    assert sms.sent == []


def test_hostile_input_is_cleaned_bounded_and_escaped(klantmanager, app, hoorn_file, sms):
    assert write(klantmanager, hoorn_file, body="a\x00b\x1b[31mc\x7f\u0085d\r\nline two\tend").status_code == 302
    assert messages(app, hoorn_file)[0].body == "ab[31mcd\r\nline two\tend"  # control characters gone, lines kept
    # Far beyond the request limit: the friendly 413, nothing written.
    page = file_page(klantmanager, hoorn_file)
    huge = {"message-csrf_token": token_of(page.text), "message-body": "x" * 400_000, "message-language": "nl"}
    assert klantmanager.post(f"/backoffice/newcomers/{hoorn_file}/messages", data=huge).status_code == 413
    # Without the CSRF token: refused.
    no_token = {"message-body": "hello", "message-language": "nl"}
    assert klantmanager.post(f"/backoffice/newcomers/{hoorn_file}/messages", data=no_token).status_code == 400
    assert len(messages(app, hoorn_file)) == 1


def test_other_municipalities_files_and_impossible_ids_are_404(client, app, hoorn_file, make_staff, sms):
    staff_sign_in(client, make_staff(codes=("0420",)))
    token = csrf_token(client.get("/backoffice/caseload").text)
    for path in (f"/backoffice/newcomers/{hoorn_file}/messages", "/backoffice/newcomers/999999/messages"):
        assert client.get(path).status_code == 404
        data = {"csrf_token": token, "message-body": "hello", "message-language": "nl"}
        assert client.post(path, data=data).status_code == 404
    assert client.get(f"/backoffice/newcomers/{2**31}/messages").status_code == 404
    assert client.get(f"/backoffice/newcomers/{hoorn_file}").status_code == 404  # and no reply marked read there
    assert messages(app, hoorn_file) == []


@pytest.mark.parametrize("role", ["beleidsmedewerker", "beheerder"])
def test_other_roles_cannot_read_or_write_the_conversation(client, app, hoorn_file, make_staff, role):
    staff_sign_in(client, make_staff(role=role))
    assert client.get(f"/backoffice/newcomers/{hoorn_file}/messages").status_code == 404


def test_an_erased_file_is_read_only(klantmanager, app, hoorn_file, sms):
    from app.backoffice.privacy_services import erase

    write(klantmanager, hoorn_file, body="Before the erasure")
    with app.app_context():
        assert erase(db.session.get(Newcomer, hoorn_file))
        db.session.commit()
    page = klantmanager.get(f"/backoffice/newcomers/{hoorn_file}/messages")
    assert page.status_code == 200
    assert "Before the erasure" not in page.text  # erasing deleted the conversation
    assert 'name="message-body"' not in page.text  # and there is no form to write
    data = {"csrf_token": csrf_token(page.text), "message-body": "After", "message-language": "nl"}
    assert klantmanager.post(f"/backoffice/newcomers/{hoorn_file}/messages", data=data).status_code == 409
    assert messages(app, hoorn_file) == []


# -- the newcomer reads and answers ----------------------------------------------------------------


def test_the_newcomer_reads_in_arabic_and_answers_on_the_web(klantmanager, app, hoorn_file, sms):
    with app.app_context():
        db.session.get(Newcomer, hoorn_file).language = "ar"
        db.session.commit()
    write(klantmanager, hoorn_file, common_question="bring_diploma")
    write(klantmanager, hoorn_file, body="Tot dinsdag!")
    phone = newcomer_client(app, hoorn_file)

    page = phone.get("/messages")
    assert page.status_code == 200
    assert '<html lang="ar" dir="rtl">' in page.text
    assert page.headers["Cache-Control"] == "no-store"  # personal: no browser or proxy keeps it
    assert f"<bdi>{in_language(app, 'ar', DIPLOMA)}</bdi>" in unescape(page.text)
    assert '<p class="utrecht-paragraph" dir="auto" lang="nl"><bdi>Tot dinsdag!</bdi></p>' in page.text
    assert all(m.read_at is not None for m in messages(app, hoorn_file))  # reading marks them read

    response = phone.post("/messages", data={"csrf_token": csrf_token(page.text), "body": "نعم، لدي شهادة"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/messages#reply")
    answer = messages(app, hoorn_file)[-1]
    assert (answer.direction, answer.channel, answer.body, answer.language) == ("in", "web", "نعم، لدي شهادة", "ar")
    assert answer.in_reply_to_id == messages(app, hoorn_file)[1].id  # the latest message to them
    assert answer.read_at is None
    assert "نعم، لدي شهادة" in phone.get("/messages").text

    # The klantmanager opens the file: the answer is new once, then read; the messages are read and answered.
    page = file_page(klantmanager, hoorn_file)
    section = page.text.split('id="conversation"')[1].split("</section>")[0]
    assert "1 new answer" in section
    assert "From the newcomer, on the web" in section
    assert 'lang="ar">نعم، لدي شهادة</p>' in section
    assert "Read by the newcomer on" in section
    assert section.count(">answered</span>") == 1  # the one it answers
    assert messages(app, hoorn_file)[-1].read_at is not None
    assert "new answer" not in file_page(klantmanager, hoorn_file).text


def test_a_reply_with_a_mistake_comes_back_with_the_text_kept(app, hoorn_file):
    phone = newcomer_client(app, hoorn_file)
    page = phone.get("/messages")
    assert "No messages yet." in page.text
    empty = phone.post("/messages", data={"csrf_token": csrf_token(page.text), "body": "  "})
    assert empty.status_code == 422
    assert "Please write your answer." in empty.text
    long = phone.post("/messages", data={"csrf_token": csrf_token(page.text), "body": "ب" * 1001})
    assert long.status_code == 422
    assert "Write at most 1000 characters." in long.text
    assert "ب" * 1001 + "</textarea>" in long.text
    assert messages(app, hoorn_file) == []


def test_an_sms_answer_shows_in_the_thread_with_its_channel(klantmanager, app, hoorn_file):
    write(klantmanager, hoorn_file, common_question="days_available")
    with app.app_context():
        newcomer = db.session.get(Newcomer, hoorn_file)
        conversation.reply(newcomer, "Maandag", channel="sms", provider_sid="SM" + "a" * 32)
    section = file_page(klantmanager, hoorn_file).text.split('id="conversation"')[1].split("</section>")[0]
    assert "From the newcomer, by SMS" in section
    assert "Maandag" in section
    assert ">answered</span>" in section
    assert "You, by SMS" in newcomer_client(app, hoorn_file).get("/messages").text


def test_staff_have_no_messages_page(klantmanager):
    assert klantmanager.get("/messages").status_code == 404


def test_the_sms_link_leads_through_signing_in_back_to_the_messages(client, app, hoorn_file, sms):
    assert client.get("/m").headers["Location"] == "/messages"
    response = client.get("/messages")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Fmessages"
    page = client.get(response.headers["Location"])
    response = client.post(
        "/login?next=%2Fmessages", data={"csrf_token": csrf_token(page.text), "phone": "+31612345690"}
    )
    assert response.headers["Location"] == "/login/code?next=/messages"
    page = client.get(response.headers["Location"])
    response = client.post(
        "/login/code?next=%2Fmessages", data={"csrf_token": csrf_token(page.text), "code": last_code(sms)}
    )
    assert response.headers["Location"] == "/messages"
    assert client.get("/messages").status_code == 200


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "/backoffice/today", "/messages/../x"])
def test_signing_in_leads_nowhere_but_the_allowed_pages(client, app, hoorn_file, sms, target):
    request_code(client, "+31612345690")
    page = client.get("/login/code")
    response = client.post(
        "/login/code", query_string={"next": target}, data={"csrf_token": csrf_token(page.text), "code": last_code(sms)}
    )
    assert response.headers["Location"] == "/intake/"
    assert enter_code  # the plain sign-in still works as before (tests/app/test_auth.py)


# -- unread answers on the today page and the caseload ---------------------------------------------


def test_unread_answers_show_on_the_today_page_and_the_caseload_until_the_file_is_opened(client, app, make_staff, sms):
    sanne = make_staff()
    mine = make_file(app, name="Amal Al-Hassan", phone="+31612345691", klantmanager_id=sanne.id)
    other = make_file(app, name="Zahra Ahmadi", phone="+31612345692")
    with app.app_context():
        for file_id, count in ((mine, 2), (other, 1)):
            newcomer = db.session.get(Newcomer, file_id)
            for n in range(count):
                conversation.reply(newcomer, f"answer {n}")
    staff_sign_in(client, sanne)

    today = client.get("/backoffice/today").text
    replies = today.split('id="replies"')[1].split("</section>")[0]
    assert 'data-count="1"' in replies  # my files: one with unread answers
    assert "Amal Al-Hassan" in replies
    assert "2 unread answers" in replies
    assert "Zahra" not in replies
    team = client.get("/backoffice/today?klantmanager=all").text.split('id="replies"')[1].split("</section>")[0]
    assert 'data-count="2"' in team

    caseload = client.get("/backoffice/caseload?klantmanager=all").text
    assert "2 unread answers" in caseload
    assert "1 unread answer<" in caseload
    only = client.get("/backoffice/caseload?klantmanager=all&queue=replies").text
    assert "Showing only: Unread answers from newcomers." in only
    assert "Amal Al-Hassan" in only
    assert "Zahra Ahmadi" in only

    file_page(client, mine)  # opening the file reads its answers
    assert "Amal Al-Hassan" not in client.get("/backoffice/today").text.split('id="replies"')[1].split("</section>")[0]
    assert "2 unread answers" not in client.get("/backoffice/caseload?klantmanager=all").text
    assert "Every answer from a newcomer has been read." in client.get("/backoffice/today").text


def test_unread_counts_are_one_statement_and_bounded_by_tenancy(app, make_staff):
    a = make_file(app, name="A", phone="+31612345693")
    with app.app_context():
        conversation.reply(db.session.get(Newcomer, a), "hi")
        assert conversation.unread_counts([a, 999]) == {a: 1}
        assert conversation.unread_counts([]) == {}


# -- return with a question, answered in text ------------------------------------------------------


def test_return_with_a_common_question_answered_in_text_on_the_review_page(klantmanager, app, sms, audit_log):
    file_id = make_file(app)
    newcomer = newcomer_submits(app, file_id)
    page = file_page(klantmanager, file_id)
    assert 'name="common_question"' in page.text.split('id="return"')[1].split("</form>")[0]
    response = klantmanager.post(
        f"/backoffice/newcomers/{file_id}/return",
        data={"csrf_token": csrf_token(page.text), "common_question": "school_years", "question": "", "language": "nl"},
    )
    assert response.status_code == 302
    question = messages(app, file_id)[-1]
    assert (question.direction, question.common_question, question.outbound_message_id is not None) == (
        "out",
        "school_years",
        True,
    )
    with app.app_context():
        intake = db.session.scalar(select(Filling))
        assert intake.status == "returned"
        assert intake.question == "How many years did you go to school?"
        assert question.created_at == intake.reviewed_at
    body = sms.sent[-1][1]
    assert "question about your intake" in body
    assert "school" not in body  # the returned-intake SMS never carries the question
    assert outbox(app, file_id)[-1].cause_id == question.id
    assert "intake.returned" in [e.action for e in audit_log(record_type="newcomer")]

    # The newcomer reads it on their review page and answers it in text.
    review = newcomer.get("/intake/", follow_redirects=True)
    assert review.request.path == "/intake/review"
    assert "How many years did you go to school?" in review.text
    assert 'action="/intake/review/answer"' in review.text
    assert messages(app, file_id)[-1].read_at is not None  # seeing it there is reading it
    response = newcomer.post(
        "/intake/review/answer", data={"csrf_token": csrf_token(review.text), "body": "Acht jaar, in Asmara."}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/intake/review#question")
    answer = messages(app, file_id)[-1]
    assert (answer.direction, answer.in_reply_to_id, answer.body) == ("in", question.id, "Acht jaar, in Asmara.")
    review = newcomer.get("/intake/review")
    assert "Your answer:" in review.text
    assert "Acht jaar, in Asmara." in review.text
    # Still returned: they can change answers and send it again.
    assert newcomer.post("/intake/submit", data={"csrf_token": csrf_token(review.text)}).status_code == 302
    with app.app_context():
        assert db.session.get(Newcomer, file_id).status == "intake_submitted"

    section = file_page(klantmanager, file_id).text.split('id="conversation"')[1].split("</section>")[0]
    assert "How many years did you go to school?" in section
    assert "saying that the intake has a question, without the question" in section
    assert "Acht jaar, in Asmara." in section
    assert ">answered</span>" in section


def test_the_returned_question_in_the_newcomers_language_and_answer_mistakes(klantmanager, app, sms):
    file_id = make_file(app)
    newcomer = newcomer_submits(app, file_id)
    page = file_page(klantmanager, file_id)
    klantmanager.post(
        f"/backoffice/newcomers/{file_id}/return",
        data={"csrf_token": csrf_token(page.text), "question": "Wat is je beroep?", "language": "nl"},
    )
    with app.app_context():
        db.session.get(Newcomer, file_id).language = "ar"
        db.session.commit()
    review = newcomer.get("/intake/review")
    assert '<bdi dir="auto" lang="nl">Wat is je beroep?</bdi>' in review.text  # free text as written, marked Dutch
    empty = newcomer.post("/intake/review/answer", data={"csrf_token": csrf_token(review.text), "body": ""})
    assert empty.status_code == 422
    assert in_language(app, "ar", "Please write your answer.") in empty.text
    assert (
        in_language(app, "ar", "Check your answers") in empty.text
    )  # the review page, with the message next to the field
    long = newcomer.post("/intake/review/answer", data={"csrf_token": csrf_token(review.text), "body": "y" * 1001})
    assert long.status_code == 422
    assert "y" * 1001 + "</textarea>" in long.text
    assert [m.direction for m in messages(app, file_id)] == ["out"]


def test_a_return_with_a_mistake_comes_back_with_the_text_kept(klantmanager, app, sms):
    file_id = make_file(app)
    newcomer_submits(app, file_id)
    page = file_page(klantmanager, file_id)
    for data, error in (
        ({"question": ""}, "Choose a common question or write your message."),
        ({"question": "z" * 1001}, "Write at most 1000 characters."),
        ({"question": "Hoe oud?", "common_question": "bring_id"}, "not both"),
    ):
        response = klantmanager.post(
            f"/backoffice/newcomers/{file_id}/return",
            data={"csrf_token": csrf_token(page.text), "language": "nl", **data},
        )
        assert response.status_code == 422
        assert error in unescape(response.text)
        if data["question"]:
            assert f">{data['question']}</textarea>" in response.text
    with app.app_context():
        assert db.session.get(Newcomer, file_id).status == "intake_submitted"
        assert db.session.scalar(select(func.count()).select_from(ConversationMessage)) == 0


def test_no_answer_form_when_the_intake_is_not_returned(signed_in, app):
    from tests.app.test_intake import complete

    complete(signed_in)
    review = signed_in.get("/intake/review")
    assert 'action="/intake/review/answer"' not in review.text
    response = signed_in.post("/intake/review/answer", data={"csrf_token": csrf_token(review.text), "body": "hi"})
    assert response.headers["Location"].endswith("/intake/review")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ConversationMessage)) == 0


def test_question_of_finds_the_returning_message_not_a_later_one(app, make_staff, klantmanager):
    file_id = make_file(app)
    with app.app_context():
        from app.models import Staff

        newcomer = db.session.get(Newcomer, file_id)
        staff = db.session.scalar(select(Staff))
        returned_at = utcnow()
        first = conversation.outgoing(newcomer, staff, common_question="bring_id", at=returned_at)
        later = conversation.outgoing(newcomer, staff, body="Nog iets")
        db.session.commit()
        assert conversation.question_of(newcomer, returned_at).id == first.id != later.id
        assert conversation.question_of(newcomer, None) is None
        db.session.expire_all()  # read back from the database: the moment round-trips exactly
        assert (
            conversation.question_of(newcomer, db.session.get(ConversationMessage, first.id).created_at).id == first.id
        )
        assert conversation.question_of(newcomer, utcnow()) is None  # an intake returned before returns were messages


def test_a_message_sent_twice_by_a_double_click_is_one_message_and_one_sms(klantmanager, app, hoorn_file, sms):
    write(klantmanager, hoorn_file, body="Komt u donderdag om 10 uur?")
    write(klantmanager, hoorn_file, body="Komt u donderdag om 10 uur?")
    assert len(messages(app, hoorn_file)) == 1
    assert len(outbox(app, hoorn_file)) == 1
    write(klantmanager, hoorn_file, body="Of vrijdag?")  # another text is another message
    assert len(messages(app, hoorn_file)) == 2

    phone = newcomer_client(app, hoorn_file)
    page = phone.get("/messages")
    for _ in range(2):
        phone.post("/messages", data={"csrf_token": csrf_token(page.text), "body": "Donderdag is goed"})
    assert [m.body for m in messages(app, hoorn_file) if m.direction == "in"] == ["Donderdag is goed"]


def test_answers_on_the_web_are_rate_limited_per_newcomer(make_app, hoorn_file):
    limited = make_app(MESSAGE_REPLY_LIMIT="2 per minute")
    phone = newcomer_client(limited, hoorn_file)
    page = phone.get("/messages")
    statuses = [
        phone.post("/messages", data={"csrf_token": csrf_token(page.text), "body": f"Antwoord {n}"}).status_code
        for n in range(3)
    ]
    assert statuses == [302, 302, 429]
    assert [m.body for m in messages(limited, hoorn_file)] == ["Antwoord 0", "Antwoord 1"]


def test_the_newcomer_sees_new_messages_counted_in_the_header_until_read(klantmanager, app, hoorn_file, sms):
    phone = newcomer_client(app, hoorn_file)
    header = phone.get("/intake/", follow_redirects=True).text.split("</header>")[0]
    assert 'href="/messages"' in header
    assert "new message" not in header
    write(klantmanager, hoorn_file, body="Welkom!")
    write(klantmanager, hoorn_file, common_question="bring_diploma")
    header = phone.get("/intake/", follow_redirects=True).text.split("</header>")[0]
    assert '<span class="badge badge--soon">2<span class="visually-hidden"> new messages</span></span>' in header
    phone.get("/messages")
    header = phone.get("/intake/", follow_redirects=True).text.split("</header>")[0]
    assert "new message" not in header


def test_answers_on_the_review_page_count_against_the_same_limit(make_app, klantmanager, app, sms):
    file_id = make_file(app)
    newcomer_submits(app, file_id)
    page = file_page(klantmanager, file_id)
    klantmanager.post(
        f"/backoffice/newcomers/{file_id}/return",
        data={"csrf_token": csrf_token(page.text), "question": "Wat is je beroep?", "language": "nl"},
    )
    limited = make_app(MESSAGE_REPLY_LIMIT="2 per minute")
    phone = newcomer_client(limited, file_id)
    review = phone.get("/intake/review")
    first = phone.post("/intake/review/answer", data={"csrf_token": csrf_token(review.text), "body": "Kok"})
    messages_page = phone.get("/messages")
    second = phone.post("/messages", data={"csrf_token": csrf_token(messages_page.text), "body": "Ook bakker"})
    third = phone.post("/intake/review/answer", data={"csrf_token": csrf_token(review.text), "body": "En visser"})
    assert (first.status_code, second.status_code, third.status_code) == (302, 302, 429)
    assert [m.body for m in messages(limited, file_id) if m.direction == "in"] == ["Kok", "Ook bakker"]
