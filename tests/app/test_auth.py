"""Signing in: invitation links, SMS codes, sessions."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.extensions import db
from app.models import AuthSession, Invitation, LoginChallenge, OutboundEvent, OutboundMessage
from app.models.types import utcnow
from tests.conftest import csrf_token, invitation_path, sign_in, wait_for_sms


def request_code(client, phone: str):  # noqa: ANN001, ANN201
    page = client.get("/login")
    response = client.post("/login", data={"csrf_token": csrf_token(page.text), "phone": phone})
    wait_for_sms()
    return response


def last_code(sms) -> str:  # noqa: ANN001
    return re.search(r"\d{6}", sms.sent[-1][1]).group()


def enter_code(client, code: str):  # noqa: ANN001, ANN201
    page = client.get("/login/code")
    return client.post("/login/code", data={"csrf_token": csrf_token(page.text), "code": code})


# -- invitations -------------------------------------------------------------------------------


def test_opening_an_invitation_does_not_use_it_up(client, app, newcomer):
    path = invitation_path(app, newcomer)
    for _ in range(3):  # link previewers, virus scanners, the person themselves
        page = client.get(path)
        assert page.status_code == 200
        assert 'method="post"' in page.text
    assert newcomer.name not in page.text  # a previewer learns nothing about the person
    assert client.post(path, data={"csrf_token": csrf_token(page.text)}).status_code == 302
    assert client.get("/intake/", follow_redirects=True).request.path == "/intake/about_you"


def test_invitation_page_speaks_the_newcomers_language(client, app, make_newcomer):
    page = client.get(invitation_path(app, make_newcomer(language="ar")), headers={"Accept-Language": "nl"})
    assert '<html lang="ar" dir="rtl">' in page.text


def test_invitation_is_single_use(client, app, newcomer):
    path = invitation_path(app, newcomer)
    token = csrf_token(client.get(path).text)
    assert client.post(path, data={"csrf_token": token}).status_code == 302
    other = app.test_client()
    page = other.get(path)
    assert page.status_code == 410
    assert other.post(path, data={"csrf_token": csrf_token(page.text)}).status_code == 410


def test_expired_invitation_does_not_work(client, app, newcomer):
    path = invitation_path(app, newcomer)
    with app.app_context():
        db.session.execute(update(Invitation).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert client.get(path).status_code == 410


def test_a_new_invitation_replaces_the_old_one(client, app, newcomer):
    old = invitation_path(app, newcomer)
    new = invitation_path(app, newcomer)
    assert client.get(old).status_code == 410
    assert client.get(new).status_code == 200


@pytest.mark.parametrize("token", ["garbage", "eyJpIjoxfQ.forged.signature", "x" * 500])
def test_forged_or_garbage_invitation(client, app, newcomer, token):
    assert client.get(f"/i/{token}").status_code == 410


def test_invitation_post_needs_csrf(client, app, newcomer):
    assert client.post(invitation_path(app, newcomer)).status_code == 400


# -- SMS codes ---------------------------------------------------------------------------------


def test_sign_in_with_sms_code(client, app, sms, newcomer):
    response = request_code(client, "06 1234 56" + newcomer.phone[-2:])
    assert response.headers["Location"] == "/login/code"
    assert sms.sent[0][0] == newcomer.phone
    response = enter_code(client, last_code(sms))
    assert response.status_code == 302
    assert client.get("/intake/", follow_redirects=True).request.path == "/intake/about_you"


def test_code_in_arabic_indic_digits_with_spaces_is_accepted(client, app, sms, newcomer):
    request_code(client, newcomer.phone)
    code = last_code(sms)
    arabic = " ".join("٠١٢٣٤٥٦٧٨٩"[int(d)] for d in code)
    assert enter_code(client, arabic).status_code == 302


def test_known_and_unknown_numbers_get_the_same_answer(client, app, sms, newcomer):
    known = request_code(client, newcomer.phone)
    stranger = app.test_client()
    stranger.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    unknown = request_code(stranger, "+31687654321")
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    # The CSRF token is signed with a timestamp: take each page's own token out of that page.
    known_page, unknown_page = client.get("/login/code").text, stranger.get("/login/code").text
    assert known_page.replace(csrf_token(known_page), "") == unknown_page.replace(csrf_token(unknown_page), "")
    assert len(sms.sent) == 1
    with app.app_context():
        assert db.session.query(LoginChallenge).count() == 2  # the same work for both
        # ... but nothing is kept of the stranger's attempt beyond its challenge: no message, no history
        assert [m.to_phone for m in db.session.scalars(select(OutboundMessage))] == [newcomer.phone]
        assert db.session.query(OutboundEvent).join(OutboundMessage).count() == db.session.query(OutboundEvent).count()


def test_unknown_number_can_never_sign_in(client, app, sms):
    request_code(client, "+31687654321")
    for code in ("000000", "123456"):
        assert enter_code(client, code).status_code == 422


def test_invalid_phone_number_is_explained_next_to_the_field(client, app):
    page = client.get("/login", headers={"Accept-Language": "en"})
    response = client.post("/login", data={"csrf_token": csrf_token(page.text), "phone": "12<script>"})
    assert response.status_code == 422
    assert "Type a valid phone number" in response.text
    assert 'value="12&lt;script&gt;"' in response.text  # kept, escaped
    assert 'aria-invalid="true"' in response.text


def test_five_wrong_codes_kill_the_code(client, app, sms, newcomer):
    request_code(client, newcomer.phone)
    right = last_code(sms)
    wrong = "000000" if right != "000000" else "111111"
    for left in (4, 3, 2, 1):
        response = enter_code(client, wrong)
        assert response.status_code == 422
        assert f"{left} more time" in response.text or str(left) in response.text
    response = enter_code(client, wrong)
    assert "does not work any more" in response.text
    # the right code no longer helps, even from a fresh form
    assert client.get("/login/code").status_code == 302
    with app.app_context():
        challenge = db.session.scalar(select(LoginChallenge))
        assert challenge.attempts == 5


def test_expired_code_does_not_work(client, app, sms, newcomer):
    request_code(client, newcomer.phone)
    with app.app_context():
        db.session.execute(update(LoginChallenge).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    response = enter_code(client, last_code(sms))
    assert response.status_code == 422
    assert "does not work any more" in response.text


def test_code_is_stored_hashed_and_never_in_the_message_record(client, app, sms, newcomer):
    request_code(client, newcomer.phone)
    code = last_code(sms)
    with app.app_context():
        challenge = db.session.scalar(select(LoginChallenge))
        message = db.session.scalar(select(OutboundMessage))
        assert code not in challenge.code_hash
        assert len(challenge.code_hash) == 64
        assert code not in message.body
        assert message.to_phone == newcomer.phone
        assert message.status == "sent"


def test_code_sms_is_in_the_newcomers_language(client, app, sms, make_newcomer):
    person = make_newcomer(language="nl")
    request_code(client, person.phone)
    assert "geldig" in sms.sent[0][1] or "Geldig" in sms.sent[0][1]


def test_rate_limit_per_number(client, app, sms, newcomer):
    statuses = [request_code(app.test_client(), newcomer.phone).status_code for _ in range(4)]
    assert statuses == [302, 302, 302, 429]
    assert len(sms.sent) == 3


def test_rate_limit_per_address(client, app, sms):
    statuses = [request_code(client, f"+316876543{n:02d}").status_code for n in range(11)]
    assert statuses[:10] == [302] * 10
    assert statuses[10] == 429
    page = request_code(client, "+31687654399")
    assert "Too many attempts" in page.text or page.status_code == 429


def test_code_page_without_a_request_goes_back_to_login(client, app):
    assert client.get("/login/code").headers["Location"] == "/login"


# -- sessions ----------------------------------------------------------------------------------


def test_sign_in_starts_a_new_session(client, app, newcomer):
    client.get("/login")
    with client.session_transaction() as before:
        before["planted"] = "by someone else"
    sign_in(client, newcomer)
    with client.session_transaction() as after:
        assert "planted" not in after
        assert after["_user_id"]


def test_sign_out_ends_the_session_on_the_server(client, app, newcomer):
    sign_in(client, newcomer)
    with client.session_transaction() as cookie:
        stolen = dict(cookie)
    page = client.get("/intake/about_you")
    client.post("/logout", data={"csrf_token": csrf_token(page.text)})
    assert client.get("/intake/about_you").status_code == 302
    thief = app.test_client()
    with thief.session_transaction() as cookie:
        cookie.update(stolen)
    assert thief.get("/intake/about_you").status_code == 302  # the copied cookie is dead too
    with app.app_context():
        assert db.session.scalar(select(AuthSession)).ended_at is not None


def test_session_expires_after_inactivity(client, app, newcomer):
    sign_in(client, newcomer)
    assert client.get("/intake/about_you").status_code == 200
    with app.app_context():
        idle = app.config["SESSION_IDLE_TIMEOUT"] + timedelta(minutes=1)
        db.session.execute(update(AuthSession).values(last_seen_at=utcnow() - idle))
        db.session.commit()
    response = client.get("/intake/about_you")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_intake_needs_sign_in(client, app):
    response = client.get("/intake/about_you")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
