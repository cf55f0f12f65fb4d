"""Staff sign-in state lives on the server: what testing from outside found, sent as attacks.

- a half-finished sign-in from before a reset, a disable or a lockout dies with it;
- the second factor and the enrolment check the lockout themselves;
- the same TOTP code or recovery code posted at the same moment signs in once (real parallel
  requests against a served app, on PostgreSQL as on SQLite);
- no secret (one-time password, TOTP secret, recovery codes) is in the signed session cookie, and
  a replayed cookie shows nothing a second time.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import zlib
from collections.abc import Iterator

import pyotp
import pytest
import requests
from flask import Flask
from werkzeug.serving import make_server

from app.extensions import db
from app.models import Staff, StaffSignIn
from app.staff import services
from tests.conftest import csrf_token, staff_sign_in


def post_login(client, email: str, password: str):  # noqa: ANN001, ANN201
    page = client.get("/staff/login")
    return client.post("/staff/login", data={"csrf_token": csrf_token(page.text), "email": email, "password": password})


def post_code(client, path: str, code: str):  # noqa: ANN001, ANN201
    page = client.get(path)
    if page.status_code != 200:
        return page
    return client.post(path, data={"csrf_token": csrf_token(page.text), "code": code})


def cookie_text(client) -> str:  # noqa: ANN001
    """What the signed session cookie carries, decoded (it is signed, not encrypted)."""
    cookie = client.get_cookie("intake_session")
    if cookie is None:
        return ""
    payload = cookie.value.split(".")[1 if cookie.value.startswith(".") else 0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    return (zlib.decompress(raw) if cookie.value.startswith(".") else raw).decode()


def signed_in(client) -> bool:  # noqa: ANN001
    return client.get("/backoffice/caseload").status_code == 200


@pytest.fixture
def admin_made(app, make_staff):  # noqa: ANN001, ANN201
    """An account as a beheerder makes it: a one-time password and no second factor yet."""
    login = make_staff()
    with app.app_context():
        db.session.get(Staff, login.id).totp_secret = None
        db.session.commit()
    return login


def reset(app: Flask, staff_id: int) -> str:
    with app.app_context():
        password = services.reset_password(db.session.get(Staff, staff_id))
        db.session.commit()
        return password


def test_a_half_finished_sign_in_dies_when_the_password_is_reset(client, app, admin_made):
    """The takeover: a browser that passed the old password must not enrol after a reset."""
    assert post_login(client, admin_made.email, admin_made.password).headers["Location"].endswith("/staff/enrol")
    enrol_page = client.get("/staff/enrol")
    secret = re.search(r"[A-Z2-7]{32}", enrol_page.text).group(0)
    reset(app, admin_made.id)

    assert client.get("/staff/enrol").headers["Location"].endswith("/staff/login")
    refused = client.post(
        "/staff/enrol", data={"csrf_token": csrf_token(enrol_page.text), "code": pyotp.TOTP(secret).now()}
    )
    assert refused.headers["Location"].endswith("/staff/login")
    assert not signed_in(client)
    with app.app_context():
        assert db.session.get(Staff, admin_made.id).totp_secret is None


@pytest.mark.parametrize("event", ["disable", "lockout", "sign-in elsewhere"])
def test_a_half_finished_sign_in_dies_with_every_generation_bump(client, app, make_staff, event):
    login = make_staff()
    post_login(client, login.email, login.password)
    assert client.get("/staff/2fa").status_code == 200
    if event == "disable":
        with app.app_context():
            services.set_disabled(db.session.get(Staff, login.id), True)
            db.session.commit()
    elif event == "lockout":
        other = app.test_client()
        post_login(other, login.email, login.password)
        for _ in range(services.MAX_FAILURES):
            post_code(other, "/staff/2fa", "000000")
    else:
        staff_sign_in(app.test_client(), login)
    with app.app_context():  # the next code is unused, so only the dead sign-in can refuse it
        db.session.get(Staff, login.id).totp_last_step = None
        db.session.commit()
    response = post_code(client, "/staff/2fa", pyotp.TOTP(login.totp_secret).now())
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/staff/login")
    assert not signed_in(client)


def test_the_second_factor_checks_the_lockout_itself(client, app, make_staff):
    """Five wrong codes lock the account; a cookie from before the lock gets no more guesses."""
    login = make_staff()
    post_login(client, login.email, login.password)
    attacker = app.test_client()
    post_login(attacker, login.email, login.password)
    for _ in range(services.MAX_FAILURES):
        post_code(attacker, "/staff/2fa", "000000")
    with app.app_context():
        assert db.session.get(Staff, login.id).locked_until is not None

    response = post_code(client, "/staff/2fa", pyotp.TOTP(login.totp_secret).now())
    assert response.headers["Location"].endswith("/staff/login")
    assert not signed_in(client)
    with app.app_context():  # the lock did not count the refused try as a sign-in
        assert db.session.get(Staff, login.id).last_login_at is None


def test_the_enrolment_checks_the_lockout_itself(client, app, admin_made):
    post_login(client, admin_made.email, admin_made.password)
    page = client.get("/staff/enrol")
    secret = re.search(r"[A-Z2-7]{32}", page.text).group(0)
    for _ in range(services.MAX_FAILURES - 1):
        assert post_code(client, "/staff/enrol", "000000").status_code == 422
    locked = post_code(client, "/staff/enrol", "000000")
    assert locked.headers["Location"].endswith("/staff/login")
    assert post_code(client, "/staff/enrol", pyotp.TOTP(secret).now()).headers["Location"].endswith("/staff/login")
    with app.app_context():
        staff = db.session.get(Staff, admin_made.id)
        assert staff.totp_secret is None
        assert staff.locked_until is not None


def test_a_completed_sign_in_cannot_be_replayed(client, app, make_staff):
    login = make_staff()
    post_login(client, login.email, login.password)
    page = client.get("/staff/2fa")
    saved = client.get_cookie("intake_session").value
    code = pyotp.TOTP(login.totp_secret).now()
    assert client.post("/staff/2fa", data={"csrf_token": csrf_token(page.text), "code": code}).status_code == 302
    replay = app.test_client()
    replay.set_cookie("intake_session", saved)
    with app.app_context():
        services.new_recovery_codes(db.session.get(Staff, login.id))  # even a fresh factor cannot finish it
        db.session.commit()
    assert replay.get("/staff/2fa").headers["Location"].endswith("/staff/login")
    with app.app_context():
        assert db.session.query(StaffSignIn).filter(StaffSignIn.ended_at.is_(None)).count() == 0


def test_no_secret_is_in_the_cookie_and_a_replayed_cookie_shows_nothing(client, app, admin_made):
    """Enrolment secret, recovery codes and one-time passwords stay on the server, shown once."""
    post_login(client, admin_made.email, admin_made.password)
    page = client.get("/staff/enrol")
    secret = re.search(r"[A-Z2-7]{32}", page.text).group(0)
    assert secret not in cookie_text(client)
    assert client.get("/staff/enrol").text.count(secret) >= 1  # the same secret while enrolling
    response = client.post("/staff/enrol", data={"csrf_token": csrf_token(page.text), "code": pyotp.TOTP(secret).now()})
    assert response.headers["Location"].endswith("/staff/recovery-codes")
    saved = client.get_cookie("intake_session").value
    codes_page = client.get("/staff/recovery-codes")
    codes = re.findall(r"[0-9a-f]{6}-[0-9a-f]{6}", codes_page.text)
    assert len(codes) == 10
    client.set_cookie("intake_session", saved)
    assert not any(code in cookie_text(client) for code in codes)
    again = client.get("/staff/recovery-codes")
    assert again.status_code == 302
    assert not re.findall(r"[0-9a-f]{6}-[0-9a-f]{6}", client.get("/staff/recovery-codes", follow_redirects=True).text)


def test_a_one_time_password_is_shown_once_even_with_a_replayed_cookie(app, make_staff):
    beheerder = app.test_client()
    beheerder.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    staff_sign_in(beheerder, make_staff(role="beheerder"))
    target = make_staff()
    page = beheerder.get(f"/admin/staff/{target.id}/reset")
    response = beheerder.post(f"/admin/staff/{target.id}/reset", data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 302
    saved = beheerder.get_cookie("intake_session").value
    shown = beheerder.get(response.headers["Location"])
    password = re.search(r'<code class="one-time-password" dir="ltr">([^<]+)</code>', shown.text).group(1)
    assert password not in cookie_text(beheerder)
    beheerder.set_cookie("intake_session", saved)
    replayed = beheerder.get(response.headers["Location"], follow_redirects=True)
    assert password not in replayed.text
    assert "shown only once" in replayed.text
    with app.app_context():  # and it really is the new password
        assert services.authenticate(target.email, password) is not None


# -- the same code at the same moment, from two browsers ------------------------------------------


@pytest.fixture
def served(database_url: str, app: Flask) -> Iterator[str]:
    """The app on a real threaded HTTP server, so that requests truly run in parallel."""
    from tests.conftest import _build_app, _dispose

    other = _build_app(database_url)
    server = make_server("127.0.0.1", 0, other, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    _dispose(other)


def browser_at_second_factor(base: str, email: str, password: str) -> tuple[requests.Session, str]:
    browser = requests.Session()
    page = browser.get(f"{base}/staff/login")
    browser.post(
        f"{base}/staff/login",
        data={"csrf_token": csrf_token(page.text), "email": email, "password": password},
        allow_redirects=False,
    )
    page = browser.get(f"{base}/staff/2fa", allow_redirects=False)
    assert page.status_code == 200
    return browser, csrf_token(page.text)


def race(base: str, browsers: list[tuple[requests.Session, str]], code: str) -> list[str]:
    """Post ``code`` from every browser at the same moment; where each answer sends it."""
    start = threading.Barrier(len(browsers))
    answers: list[str] = [""] * len(browsers)

    def post(index: int) -> None:
        browser, token = browsers[index]
        start.wait()
        answer = browser.post(f"{base}/staff/2fa", data={"csrf_token": token, "code": code}, allow_redirects=False)
        answers[index] = answer.headers.get("Location", str(answer.status_code))

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(browsers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return answers


def completed(answers: list[str]) -> int:
    return sum(1 for a in answers if a.endswith(("/backoffice/", "/staff/recovery-codes", "/staff/password")))


@pytest.mark.parametrize("kind", ["totp", "recovery code"])
def test_the_same_code_posted_at_the_same_moment_signs_in_once(served, app, make_staff, kind):
    login = make_staff()
    with app.app_context():
        staff = db.session.get(Staff, login.id)
        staff.must_change_password = False
        recovery = services.new_recovery_codes(staff)[0]
        db.session.commit()
    for _round in range(2):  # 3 browsers x 2 rounds stays under the sign-in rate limit per address
        browsers = [browser_at_second_factor(served, login.email, login.password) for _ in range(3)]
        with app.app_context():  # an unused code and no failures counted yet, every round
            staff = db.session.get(Staff, login.id)
            staff.totp_last_step, staff.failed_logins, staff.locked_until = None, 0, None
            db.session.commit()
        if kind == "totp":
            code = pyotp.TOTP(login.totp_secret).now()
        else:
            code = recovery
        answers = race(served, browsers, code)
        for browser, _token in browsers:
            browser.close()  # no socket left for the garbage collector to warn about in a later test
        assert completed(answers) == 1, answers
        if kind == "recovery code":
            with app.app_context():
                recovery = services.new_recovery_codes(db.session.get(Staff, login.id))[0]
                db.session.commit()


def test_decoded_cookie_helper_reads_a_real_cookie(client, make_staff):
    """The cookie check above reads what is really there (guards against a vacuous check)."""
    login = make_staff()
    post_login(client, login.email, login.password)
    data = json.loads(cookie_text(client))
    assert "staff_sign_in" in data
    assert login.email not in cookie_text(client)


def test_a_code_in_other_digits_is_a_message_not_a_crash(client, make_staff):
    """Full-width digits match ``\\d`` but are not ASCII: a message, never a 500."""
    login = make_staff()
    post_login(client, login.email, login.password)
    response = post_code(client, "/staff/2fa", "１２３４５６")
    assert response.status_code == 422
