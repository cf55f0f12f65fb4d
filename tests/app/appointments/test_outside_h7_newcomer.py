"""Outside testing (H7) of the newcomer's appointment pages, calendar files and the subscription feed:
other people's ids, odd ids, wrong methods, missing CSRF, huge and hostile bodies, the answers for
attendees who can no longer answer, what the signed cookie and the log lines hold.

Every answer must be a 404/405/413/422 or a page with a message, never a 500.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import zlib
from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from app.appointments import calendar, services
from app.appointments.services import Details
from app.extensions import db
from app.models import Attendee, CalendarFeed, Newcomer, Staff
from app.models.conversation import ConversationMessage
from app.models.types import utcnow
from tests.conftest import csrf_token, staff_sign_in

ODD_IDS = ("0", "-1", str(2**31), str(2**63), "abc", "1.5", "%00", "%C2%A0", "١")
SCRIPT = '<script>alert("x")</script>'


@pytest.fixture
def staff_id(app, make_staff):
    return make_staff().id


def book(app, person, staff_id, *, days=7.0, kind="intake_talk", capacity=None, others=(), now=None, **details):
    """Book ``person`` (and ``others``) on one appointment; the attendee id of ``person``."""
    with app.app_context():
        newcomers = [db.session.get(Newcomer, p.id) for p in (person, *others)]
        values = {
            "kind": kind,
            "starts_at": ((now or utcnow()) + timedelta(days=days)).replace(microsecond=0),
            "mode": "in_person",
            "location": "Stadhuis",
            "room": "2.14",
            "address": "Nieuwe Steen 1, Hoorn",
            "staff_id": staff_id,
            "note": "Staff only: hard of hearing",
            "capacity": capacity,
        }
        values |= details
        _appointment, result = services.book(
            newcomers[0].municipality_id, Details(**values), newcomers, actor=db.session.get(Staff, staff_id), now=now
        )
        db.session.commit()
        rows = {a.newcomer_id: a.id for a in (*result.invited, *result.waiting)}
        return rows[person.id]


def attendee_row(app, attendee_id):
    with app.app_context():
        row = db.session.get(Attendee, attendee_id)
        db.session.expunge(row)
        return row


def messages_of(app, attendee_id):
    with app.app_context():
        return [
            m.body
            for m in db.session.scalars(
                select(ConversationMessage).where(ConversationMessage.attendee_id == attendee_id)
            )
        ]


def session_of(client) -> dict:
    """The Flask session cookie, decoded (it is signed, not encrypted: anyone holding the phone can read it)."""
    cookie = client.get_cookie("session")
    if cookie is None:
        return {}
    value = cookie.value
    compressed = value.startswith(".")
    payload = value.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    if compressed:
        raw = zlib.decompress(raw)
    return json.loads(raw)


def page_action(client, attendee_id):
    page = client.get(f"/appointments/{attendee_id}")
    assert page.status_code == 200
    return csrf_token(page.text)


# -- other people's and odd ids -----------------------------------------------------------------------


def test_another_newcomers_appointment_is_404_on_every_route(app, client, signed_in, make_newcomer, staff_id):
    other = make_newcomer(name="Yonas Tesfay", language="en")
    theirs = book(app, other, staff_id)
    token = csrf_token(signed_in.get("/calendar").text)
    assert signed_in.get(f"/appointments/{theirs}").status_code == 404
    assert signed_in.get(f"/appointments/{theirs}.ics").status_code == 404
    assert signed_in.get(f"/appointments/{theirs}/cannot-come").status_code == 404
    assert signed_in.post(f"/appointments/{theirs}/confirm", data={"csrf_token": token}).status_code == 404
    response = signed_in.post(f"/appointments/{theirs}/cannot-come", data={"csrf_token": token, "reason": "ill"})
    assert response.status_code == 404
    row = attendee_row(app, theirs)
    assert row.response is None
    assert messages_of(app, theirs) == []


@pytest.mark.parametrize("odd", ODD_IDS)
def test_odd_ids_are_404(signed_in, odd):
    token = csrf_token(signed_in.get("/calendar").text)
    assert signed_in.get(f"/appointments/{odd}").status_code == 404
    assert signed_in.get(f"/appointments/{odd}.ics").status_code == 404
    assert signed_in.get(f"/appointments/{odd}/cannot-come").status_code == 404
    assert signed_in.post(f"/appointments/{odd}/confirm", data={"csrf_token": token}).status_code == 404
    assert signed_in.post(f"/appointments/{odd}/cannot-come", data={"csrf_token": token}).status_code == 404


@pytest.mark.parametrize("odd", [str(2**31), str(2**63)])
def test_an_id_beyond_the_bounds_on_the_cannot_come_post_is_404(signed_in, odd):
    token = csrf_token(signed_in.get("/calendar").text)
    assert signed_in.post(f"/appointments/{odd}/cannot-come", data={"csrf_token": token}).status_code == 404


def test_wrong_methods_are_405(app, signed_in, newcomer, staff_id):
    mine = book(app, newcomer, staff_id)
    assert signed_in.get(f"/appointments/{mine}/confirm").status_code == 405
    assert signed_in.put(f"/appointments/{mine}").status_code == 405
    assert signed_in.delete(f"/appointments/{mine}").status_code == 405
    assert signed_in.post(f"/appointments/{mine}.ics").status_code == 405
    assert signed_in.post("/route").status_code == 405
    assert signed_in.post("/r").status_code == 405
    assert signed_in.get("/calendar/stop").status_code == 405
    assert signed_in.delete("/calendar").status_code == 405
    assert attendee_row(app, mine).response is None


def test_not_signed_in_the_pages_send_to_sign_in_and_never_500(app, client, newcomer, staff_id):
    mine = book(app, newcomer, staff_id)
    for path in (f"/appointments/{mine}", f"/appointments/{mine}.ics", "/route", "/r", "/calendar"):
        response = client.get(path)
        assert response.status_code in (302, 401, 404), path
    assert client.post(f"/appointments/{mine}/confirm").status_code in (302, 400, 401, 404)
    assert attendee_row(app, mine).response is None


def test_staff_get_404_on_the_newcomers_pages(app, client, make_staff, newcomer, staff_id):
    mine = book(app, newcomer, staff_id)
    staff_sign_in(client, make_staff())
    for path in (f"/appointments/{mine}", f"/appointments/{mine}.ics", f"/appointments/{mine}/cannot-come"):
        assert client.get(path).status_code == 404, path


# -- CSRF, bodies, fields --------------------------------------------------------------------------------


def test_confirm_and_cannot_come_without_csrf_change_nothing(app, signed_in, newcomer, staff_id):
    mine = book(app, newcomer, staff_id)
    response = signed_in.post(f"/appointments/{mine}/confirm")
    assert response.status_code in (303, 400)
    response = signed_in.post(f"/appointments/{mine}/confirm", data={"csrf_token": "forged"})
    assert response.status_code in (303, 400)
    response = signed_in.post(f"/appointments/{mine}/cannot-come", data={"reason": "I am ill"})
    assert response.status_code in (400, 422)
    if response.status_code == 422:
        assert "I am ill" in response.text  # nothing typed is lost
    row = attendee_row(app, mine)
    assert row.response is None
    assert messages_of(app, mine) == []


def test_calendar_create_and_stop_without_csrf_change_nothing(app, signed_in, newcomer):
    assert signed_in.post("/calendar").status_code in (303, 400)
    with app.app_context():
        assert db.session.scalar(select(db.func.count(CalendarFeed.id))) == 0
    token = csrf_token(signed_in.get("/calendar").text)
    made = signed_in.post("/calendar", data={"csrf_token": token})
    assert made.status_code == 200
    assert signed_in.post("/calendar/stop").status_code in (303, 400)
    with app.app_context():
        assert db.session.scalar(select(CalendarFeed.revoked_at)) is None


def test_a_huge_reason_body_is_a_friendly_413(app, signed_in, newcomer, staff_id):
    mine = book(app, newcomer, staff_id)
    token = page_action(signed_in, mine)
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = signed_in.post(
        f"/appointments/{mine}/cannot-come", data={"csrf_token": token, "reason": "x" * (limit + 10)}
    )
    assert response.status_code == 413
    assert "<html" in response.text
    assert "Traceback" not in response.text
    assert messages_of(app, mine) == []


def test_a_reason_too_long_is_a_message_and_the_text_is_kept(app, signed_in, newcomer, staff_id):
    mine = book(app, newcomer, staff_id)
    token = page_action(signed_in, mine)
    reason = "a" * 501
    response = signed_in.post(f"/appointments/{mine}/cannot-come", data={"csrf_token": token, "reason": reason})
    assert response.status_code == 422
    assert "Write at most 500 characters." in response.text
    assert reason in response.text
    assert messages_of(app, mine) == []


def test_a_reason_sent_twice_in_one_form_is_no_500(app, signed_in, newcomer, staff_id):
    mine = book(app, newcomer, staff_id)
    token = page_action(signed_in, mine)
    response = signed_in.post(
        f"/appointments/{mine}/cannot-come", data={"csrf_token": [token, token], "reason": ["ill", "very ill"]}
    )
    assert response.status_code in (303, 422)
    assert len(messages_of(app, mine)) <= 1


def test_control_characters_in_the_reason_do_not_reach_the_database(app, signed_in, newcomer, staff_id):
    mine = book(app, newcomer, staff_id)
    token = page_action(signed_in, mine)
    response = signed_in.post(
        f"/appointments/{mine}/cannot-come", data={"csrf_token": token, "reason": "ill\x00 in\x1b[31m bed\x07"}
    )
    assert response.status_code == 303
    (body,) = messages_of(app, mine)
    assert body == "ill in[31m bed"


def test_a_bidi_override_in_the_reason_does_not_reach_the_database(app, signed_in, newcomer, staff_id):
    mine = book(app, newcomer, staff_id)
    token = page_action(signed_in, mine)
    response = signed_in.post(
        f"/appointments/{mine}/cannot-come", data={"csrf_token": token, "reason": "ill \u202eemoc lliw I"}
    )
    assert response.status_code == 303
    (body,) = messages_of(app, mine)
    assert "\u202e" not in body


def test_a_script_as_reason_is_escaped_for_staff_and_never_shown_to_the_newcomer(
    app, client, signed_in, newcomer, staff_id, make_staff
):
    mine = book(app, newcomer, staff_id)
    token = page_action(signed_in, mine)
    response = signed_in.post(f"/appointments/{mine}/cannot-come", data={"csrf_token": token, "reason": SCRIPT})
    assert response.status_code == 303
    for path in (f"/appointments/{mine}", "/route", f"/appointments/{mine}.ics"):
        page = signed_in.get(path)
        assert page.status_code == 200, path
        assert 'alert("x")' not in page.text, path  # the reason is never shown back on the newcomer's pages
    appointment_id = attendee_row(app, mine).appointment_id
    staff = app.test_client()
    staff.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    staff_sign_in(staff, make_staff())
    detail = staff.get(f"/backoffice/appointments/{appointment_id}")
    assert detail.status_code == 200
    assert SCRIPT not in detail.text
    assert "&lt;script&gt;" in detail.text


# -- attendees who can no longer answer: every sibling route agrees --------------------------------------


def _cancel(app, attendee_id, staff_id):
    with app.app_context():
        row = db.session.get(Attendee, attendee_id)
        services.cancel(row.appointment, "staff_unavailable", actor=db.session.get(Staff, staff_id))
        db.session.commit()


def _remove(app, attendee_id, staff_id):
    with app.app_context():
        row = db.session.get(Attendee, attendee_id)
        services.remove(row, actor=db.session.get(Staff, staff_id))
        db.session.commit()


@pytest.mark.parametrize("state", ["cancelled", "removed", "waiting"])
def test_no_answer_is_taken_from_someone_who_cannot_answer(app, signed_in, newcomer, make_newcomer, staff_id, state):
    if state == "waiting":
        first = make_newcomer(name="Yonas Tesfay", language="en")
        # a group session of one place: Yonas has it, Amal waits
        attendee_id = book(app, newcomer, staff_id, kind="pvt_session", capacity=1, others=())
        _remove(app, attendee_id, staff_id)
        with app.app_context():
            row = db.session.get(Attendee, attendee_id)
            appointment = row.appointment
            services.invite(appointment, [db.session.get(Newcomer, first.id)], actor=db.session.get(Staff, staff_id))
            services.invite(appointment, [db.session.get(Newcomer, newcomer.id)], actor=db.session.get(Staff, staff_id))
            db.session.commit()
        assert attendee_row(app, attendee_id).status == "waiting"
    else:
        attendee_id = book(app, newcomer, staff_id)
        (_cancel if state == "cancelled" else _remove)(app, attendee_id, staff_id)
    token = page_action(signed_in, attendee_id)
    confirm = signed_in.post(f"/appointments/{attendee_id}/confirm", data={"csrf_token": token})
    assert confirm.status_code == 303
    form = signed_in.get(f"/appointments/{attendee_id}/cannot-come")
    assert form.status_code == 303
    sent = signed_in.post(f"/appointments/{attendee_id}/cannot-come", data={"csrf_token": token, "reason": "ill"})
    assert sent.status_code == 303
    row = attendee_row(app, attendee_id)
    assert row.response is None
    assert messages_of(app, attendee_id) == []
    ics = signed_in.get(f"/appointments/{attendee_id}.ics")
    if state == "waiting":
        assert ics.status_code == 404
    else:
        assert ics.status_code == 200
        (event,) = Calendar.from_ical(ics.data).walk("VEVENT")
        assert str(event["STATUS"]) == "CANCELLED"
    page = signed_in.get(f"/appointments/{attendee_id}")
    assert page.status_code == 200
    assert f'action="/appointments/{attendee_id}/confirm"' not in page.text


def test_a_begun_appointment_takes_no_answer(app, signed_in, newcomer, staff_id):
    attendee_id = book(app, newcomer, staff_id, days=1, now=utcnow() - timedelta(days=1, minutes=5))
    token = page_action(signed_in, attendee_id)
    assert signed_in.post(f"/appointments/{attendee_id}/confirm", data={"csrf_token": token}).status_code == 303
    sent = signed_in.post(f"/appointments/{attendee_id}/cannot-come", data={"csrf_token": token, "reason": "late"})
    assert sent.status_code == 303
    assert attendee_row(app, attendee_id).response is None


# -- what the pages, the calendar file and the cookie hold ----------------------------------------------


def test_scripts_and_line_breaks_typed_by_staff_are_harmless_everywhere_the_newcomer_looks(
    app, signed_in, newcomer, staff_id
):
    attendee_id = book(
        app,
        newcomer,
        staff_id,
        location=SCRIPT,
        room="<b>2</b>",
        address="Straat 1\r\nATTENDEE:mailto:evil@example.org\r\nX-EVIL:1",
        note=SCRIPT + " staff only",
    )
    for path in (f"/appointments/{attendee_id}", "/route", f"/appointments/{attendee_id}/cannot-come"):
        page = signed_in.get(path)
        assert page.status_code == 200, path
        assert SCRIPT not in page.text, path
        assert "<b>2</b>" not in page.text, path
        assert "staff only" not in page.text, path
    body = signed_in.get(f"/appointments/{attendee_id}.ics").data
    unfolded = body.replace(b"\r\n ", b"")
    lines = unfolded.split(b"\r\n")
    assert not any(line.startswith((b"ATTENDEE", b"X-EVIL")) for line in lines)
    assert b"staff only" not in unfolded
    assert b"Al-Hassan" not in unfolded
    assert newcomer.phone.encode() not in unfolded


def test_the_session_cookie_keeps_neither_the_reason_nor_the_feed_token(app, signed_in, newcomer, staff_id):
    attendee_id = book(app, newcomer, staff_id)
    token = page_action(signed_in, attendee_id)
    signed_in.post(f"/appointments/{attendee_id}/cannot-come", data={"csrf_token": token, "reason": "my son is ill"})
    assert "my son is ill" not in json.dumps(session_of(signed_in))
    page = signed_in.post("/calendar", data={"csrf_token": csrf_token(signed_in.get("/calendar").text)})
    feed_token = re.search(r"/cal/([A-Za-z0-9_-]{43})\.ics", page.text).group(1)
    assert feed_token not in json.dumps(session_of(signed_in))
    # the reason on a refused (too long) form is not kept in the cookie either
    signed_in.post(
        f"/appointments/{attendee_id}/cannot-come", data={"csrf_token": token, "reason": "secret " + "b" * 500}
    )
    assert "secret" not in json.dumps(session_of(signed_in))


def test_no_log_line_holds_the_reason_or_the_token(app, signed_in, newcomer, staff_id, caplog):
    caplog.set_level(logging.DEBUG)
    attendee_id = book(app, newcomer, staff_id)
    token = page_action(signed_in, attendee_id)
    signed_in.post(f"/appointments/{attendee_id}/cannot-come", data={"csrf_token": token, "reason": "debts cousin"})
    page = signed_in.post("/calendar", data={"csrf_token": csrf_token(signed_in.get("/calendar").text)})
    feed_token = re.search(r"/cal/([A-Za-z0-9_-]{43})\.ics", page.text).group(1)
    assert signed_in.get(f"/cal/{feed_token}.ics").status_code == 200
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for secret in ("debts cousin", feed_token, newcomer.phone, "Al-Hassan"):
        assert secret not in logged


# -- the feed ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "token",
    [
        "a" * 19,
        "a" * 20,
        "a" * 42,
        "a" * 43,
        "a" * 44,
        "a" * 64,
        "a" * 65,
        "a" * 5000,
        "%00" * 20,
        "..%2F..%2F..%2Fetc%2Fpasswd" + "a" * 20,
        "../../../../etc/passwd",
        "ä" * 43,
        "a" * 42 + "=",
        "a" * 42 + "%20",
        "a" * 42 + "+",
    ],
)
def test_odd_feed_tokens_are_404(client, token):
    response = client.get(f"/cal/{token}.ics")
    assert response.status_code == 404
    assert "Cache-Control" not in response.headers or "max-age=900" not in response.headers["Cache-Control"]


def test_the_feed_with_odd_methods(app, signed_in, newcomer):
    page = signed_in.post("/calendar", data={"csrf_token": csrf_token(signed_in.get("/calendar").text)})
    feed_token = re.search(r"/cal/([A-Za-z0-9_-]{43})\.ics", page.text).group(1)
    assert signed_in.post(f"/cal/{feed_token}.ics").status_code == 405
    assert signed_in.delete(f"/cal/{feed_token}.ics").status_code == 405
    assert signed_in.get(f"/cal/{feed_token}.ics?x=%00").status_code == 200
    assert signed_in.get(f"/cal/{feed_token.upper()}.ics").status_code == 404
    assert signed_in.get(f"/cal/{feed_token}.ICS").status_code == 404


def test_the_feed_of_a_revoked_and_an_erased_file_is_404(app, signed_in, newcomer, staff_id):
    from app.backoffice.privacy_services import erase

    book(app, newcomer, staff_id)
    page = signed_in.post("/calendar", data={"csrf_token": csrf_token(signed_in.get("/calendar").text)})
    first = re.search(r"/cal/([A-Za-z0-9_-]{43})\.ics", page.text).group(1)
    page = signed_in.post("/calendar", data={"csrf_token": csrf_token(signed_in.get("/calendar").text)})
    second = re.search(r"/cal/([A-Za-z0-9_-]{43})\.ics", page.text).group(1)
    assert signed_in.get(f"/cal/{first}.ics").status_code == 404
    assert signed_in.get(f"/cal/{second}.ics").status_code == 200
    with app.app_context():
        erase(db.session.get(Newcomer, newcomer.id))
    assert signed_in.get(f"/cal/{second}.ics").status_code == 404


def test_the_feed_holds_no_note_surname_or_phone(app, client, signed_in, newcomer, staff_id):
    book(app, newcomer, staff_id, location=SCRIPT)
    page = signed_in.post("/calendar", data={"csrf_token": csrf_token(signed_in.get("/calendar").text)})
    feed_token = re.search(r"/cal/([A-Za-z0-9_-]{43})\.ics", page.text).group(1)
    body = client.get(f"/cal/{feed_token}.ics").data.replace(b"\r\n ", b"")
    assert b"BEGIN:VEVENT" in body
    for secret in (b"Staff only", b"Al-Hassan", b"Amal", newcomer.phone.encode()):
        assert secret not in body
    assert calendar.TOKEN_PATTERN.fullmatch(feed_token)
