"""Staff sign-in: password and second factor, enrolment, recovery codes, lockout, sessions."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
from sqlalchemy import select, update

from app.extensions import db
from app.models import AuthSession, Staff
from app.models.types import utcnow
from app.staff import services
from tests.conftest import csrf_token, staff_sign_in

WRONG = "The e-mail address, password or code is not right"


def post_login(client, email: str, password: str):  # noqa: ANN001, ANN201
    page = client.get("/staff/login")
    return client.post("/staff/login", data={"csrf_token": csrf_token(page.text), "email": email, "password": password})


def test_full_sign_in_ends_on_the_caseload(client, make_staff):
    login = make_staff()
    staff_sign_in(client, login)
    assert client.get("/backoffice/", follow_redirects=True).request.path == "/backoffice/today"


def test_password_alone_is_not_enough(client, make_staff):
    login = make_staff()
    post_login(client, login.email, login.password)
    assert client.get("/backoffice/caseload").status_code == 302


def test_same_message_for_unknown_account_and_wrong_password(client, make_staff):
    login = make_staff()
    unknown = post_login(client, "nobody@example.nl", "whatever password")
    wrong = post_login(client, login.email, "wrong password!!")
    assert unknown.status_code == wrong.status_code == 422
    assert WRONG in unknown.text
    assert WRONG in wrong.text


def test_lockout_after_five_failures(client, app, make_staff, audit_log):
    login = make_staff()
    for _ in range(5):
        post_login(client, login.email, "wrong password!!")
    locked = post_login(client, login.email, login.password)
    assert locked.status_code == 422
    assert WRONG in locked.text
    with app.app_context():
        assert db.session.get(Staff, login.id).locked_until is not None
    failures = audit_log(action="staff.sign_in")
    assert [e.result for e in failures] == ["failed"] * 6
    assert all(e.ip == "127.0.0.1" for e in failures)


def test_wrong_totp_code_and_replay_are_refused(client, app, make_staff):
    login = make_staff()
    post_login(client, login.email, login.password)
    page = client.get("/staff/2fa")
    response = client.post("/staff/2fa", data={"csrf_token": csrf_token(page.text), "code": "000000"})
    assert response.status_code == 422
    code = pyotp.TOTP(login.totp_secret).now()
    assert client.post("/staff/2fa", data={"csrf_token": csrf_token(page.text), "code": code}).status_code == 302
    other = app.test_client()
    post_login(other, login.email, login.password)
    page = other.get("/staff/2fa")
    replay = other.post("/staff/2fa", data={"csrf_token": csrf_token(page.text), "code": code})
    assert replay.status_code == 422  # the same code twice is refused


def test_recovery_codes_are_shown_once_and_work_once(client, app, make_staff):
    login = make_staff()
    post_login(client, login.email, login.password)
    page = client.get("/staff/2fa")
    client.post("/staff/2fa", data={"csrf_token": csrf_token(page.text), "code": pyotp.TOTP(login.totp_secret).now()})
    codes = re.findall(r"<li>([0-9a-f]{6}-[0-9a-f]{6})</li>", client.get("/staff/recovery-codes").text)
    assert len(codes) == 10
    assert client.get("/staff/recovery-codes").status_code == 302  # shown once
    for attempt, expected in ((codes[0], 302), (codes[0], 422)):
        other = app.test_client()
        post_login(other, login.email, login.password)
        page = other.get("/staff/2fa")
        assert other.post("/staff/2fa", data={"csrf_token": csrf_token(page.text), "code": attempt}).status_code == (
            expected
        )


def test_one_time_password_must_be_changed_first(client, make_staff):
    login = make_staff()
    post_login(client, login.email, login.password)
    page = client.get("/staff/2fa")
    client.post("/staff/2fa", data={"csrf_token": csrf_token(page.text), "code": pyotp.TOTP(login.totp_secret).now()})
    client.get("/staff/recovery-codes")
    assert client.get("/backoffice/caseload").headers["Location"] == "/staff/password"
    page = client.get("/staff/password")
    short = client.post(
        "/staff/password", data={"csrf_token": csrf_token(page.text), "password": "short", "confirm": "short"}
    )
    assert short.status_code == 422
    ok = client.post(
        "/staff/password",
        data={
            "csrf_token": csrf_token(page.text),
            "password": "correct horse battery",
            "confirm": "correct horse battery",
        },
    )
    assert ok.status_code == 302
    assert client.get("/backoffice/caseload").status_code == 200


def test_enrolment_shows_a_qr_code_and_the_secret(client, app, make_staff):
    login = make_staff()
    with app.app_context():
        db.session.execute(update(Staff).values(totp_secret=None))
        db.session.commit()
    assert post_login(client, login.email, login.password).headers["Location"] == "/staff/enrol"
    page = client.get("/staff/enrol")
    assert 'src="data:image/svg+xml;base64,' in page.text
    secret = re.search(r"<code>([A-Z2-7]{32})</code>", page.text).group(1)
    response = client.post("/staff/enrol", data={"csrf_token": csrf_token(page.text), "code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Staff, login.id).totp_secret == secret


def test_disabling_an_account_ends_its_sessions(client, app, make_staff):
    login = make_staff()
    staff_sign_in(client, login)
    assert client.get("/backoffice/caseload").status_code == 200
    with app.app_context():
        services.set_disabled(db.session.get(Staff, login.id), True)
        db.session.commit()
        assert db.session.scalar(select(AuthSession.ended_at).where(AuthSession.staff_id == login.id)) is not None
    assert client.get("/backoffice/caseload").status_code == 302
    assert WRONG in post_login(client, login.email, "a long new password 123").text


def test_reset_password_gives_a_new_one_time_password(app, make_staff):
    login = make_staff()
    with app.app_context():
        staff = db.session.get(Staff, login.id)
        password = services.reset_password(staff)
        db.session.commit()
        assert staff.totp_secret is None
        assert staff.must_change_password
    assert post_login(app.test_client(), login.email, password).headers["Location"] == "/staff/enrol"


def test_newcomers_cannot_reach_the_back_office(signed_in):
    assert signed_in.get("/backoffice/caseload").status_code == 404


def test_staff_cannot_reach_the_intake(klantmanager):
    assert klantmanager.get("/intake/about_you").status_code == 404


def test_locked_until_expires(client, app, make_staff):
    login = make_staff()
    with app.app_context():
        db.session.execute(update(Staff).values(locked_until=utcnow()))
        db.session.commit()
    assert post_login(client, login.email, login.password).status_code == 302


def test_staff_sessions_end_sooner_when_idle(client, app, make_staff):
    login = make_staff()
    staff_sign_in(client, login)
    with app.app_context():
        idle = app.config["STAFF_SESSION_IDLE_TIMEOUT"] + timedelta(minutes=1)
        assert idle < app.config["SESSION_IDLE_TIMEOUT"]
        db.session.execute(update(AuthSession).values(last_seen_at=utcnow() - idle))
        db.session.commit()
    assert client.get("/backoffice/caseload").status_code == 302
