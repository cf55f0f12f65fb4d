"""Security basics: headers, cookies, CSRF, error pages that reveal nothing, no personal data in logs."""

from __future__ import annotations

import io
import logging
import re

import pytest

from tests.conftest import csrf_token, sign_in, wait_for_sms


def test_security_headers_on_every_page(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "script-src 'self'"):
        assert directive in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in response.headers  # only in production


def test_personal_pages_are_never_cached(signed_in):
    assert signed_in.get("/intake/about_you").headers["Cache-Control"] == "no-store"


def test_static_files_are_cacheable_and_versioned(client):
    page = client.get("/login").text
    css = re.search(r'href="(/static/app\.css\?v=\w+)"', page).group(1)
    response = client.get(css)
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")
    response.close()


def test_production_cookies_and_hsts(make_app):
    app = make_app(ENV_NAME="production", SECRET_KEY="x" * 32, SMS_BACKEND="fake")
    client = app.test_client()
    response = client.get("/login", base_url="https://intake.example.nl")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_production_needs_a_secret_key(make_app):
    with pytest.raises(RuntimeError, match="SECRET_KEY is required"):
        make_app(ENV_NAME="production", SECRET_KEY=None)


def test_dev_inbox_is_not_in_production(make_app):
    app = make_app(ENV_NAME="production", SECRET_KEY="x" * 32, SMS_BACKEND="fake")
    assert app.test_client().get("/dev/sms").status_code == 404


def test_every_form_needs_csrf(signed_in):
    assert signed_in.post("/intake/about_you", data={"gender": "man"}).status_code == 400
    assert signed_in.post("/intake/submit").status_code == 400
    assert signed_in.post("/logout").status_code == 400
    assert signed_in.post("/language", data={"lang": "ar"}).status_code == 400


def test_csrf_error_page_is_friendly_and_translated(client):
    response = client.post("/login", data={"phone": "0612345678"}, headers={"Accept-Language": "nl"})
    assert response.status_code == 400
    assert '<html lang="nl"' in response.text
    assert "Traceback" not in response.text


def test_csrf_token_lasts_the_whole_session(app):
    assert app.config["WTF_CSRF_TIME_LIMIT"] is None


def test_error_pages_are_translated_and_reveal_nothing(client):
    response = client.get("/no/such/page", headers={"Accept-Language": "ar"})
    assert response.status_code == 404
    assert '<html lang="ar" dir="rtl">' in response.text
    assert "werkzeug" not in response.text.lower()


def test_server_error_page(make_app):
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.get("/boom")
    def boom():  # noqa: ANN202
        raise RuntimeError("secret detail +31612345678")

    response = app.test_client().get("/boom", headers={"Accept-Language": "en"})
    assert response.status_code == 500
    assert "Sorry, something went wrong on our side" in response.text
    assert "secret detail" not in response.text


def test_open_redirect_is_refused(signed_in):
    page = signed_in.get("/intake/about_you")
    for target in ("https://evil.example", "//evil.example", "/\\evil.example", "/x\r\nSet-Cookie: a=b"):
        response = signed_in.post("/language", data={"csrf_token": csrf_token(page.text), "lang": "nl", "next": target})
        assert response.headers["Location"] == "/"


def test_no_personal_data_in_logs(client, app, newcomer, sms, caplog):
    caplog.set_level(logging.DEBUG)
    sign_in(client, newcomer)
    page = client.get("/intake/about_you")
    client.post("/intake/about_you", data={"csrf_token": csrf_token(page.text), "preferred_name": "أمل"})
    anonymous = app.test_client()
    page = anonymous.get("/login")
    anonymous.post("/login", data={"csrf_token": csrf_token(page.text), "phone": newcomer.phone})
    wait_for_sms()
    code = re.search(r"\d{6}", sms.sent[-1][1]).group()
    logged = caplog.text
    for secret in (newcomer.phone, newcomer.phone[3:], newcomer.name, "أمل", code):
        assert secret not in logged


def test_no_personal_data_in_urls(signed_in):
    """Every URL the intake shows or redirects to carries step ids only."""
    page = signed_in.get("/intake/", follow_redirects=True)
    for url in re.findall(r'(?:href|action)="([^"]+)"', page.text):
        assert "+31" not in url
        assert "Amal" not in url


def test_a_file_instead_of_an_answer_is_refused_cleanly(signed_in):
    page = signed_in.get("/intake/about_you")
    response = signed_in.post(
        "/intake/about_you",
        data={"csrf_token": csrf_token(page.text), "gender": (io.BytesIO(b"<script>"), "x.html")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "Please answer this question." in response.text
