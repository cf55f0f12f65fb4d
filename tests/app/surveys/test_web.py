"""The survey's web page /s/<token>: no sign-in, the person's language, numbers or faces, one response."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Filling, Newcomer
from app.models.partner import LANGUAGE_SCHOOL
from app.models.pip import Pip
from app.models.staff import Staff
from app.models.survey import SurveyInvitation
from app.models.types import local_today
from tests.app.surveys.conftest import NOW, add_partner, approve_intake, invitations, responses, run_scan, set_route
from tests.conftest import csrf_token


def _open(phone, scale=None):  # noqa: ANN001, ANN202
    run_scan(phone.app)
    token = phone.token()
    path = f"/s/{token}" + (f"?scale={scale}" if scale else "")
    page = phone.client.get(path)
    return token, page


def _send(phone, token, **answers):  # noqa: ANN001, ANN003, ANN202
    page = phone.client.get(f"/s/{token}")
    data = {"csrf_token": csrf_token(page.get_data(as_text=True)), **answers}
    return phone.client.post(f"/s/{token}", data=data)


FULL = {"mark": "7", "heard": "yes", "clear": "partly", "own_language": "no", "comment": "Fijne hulp"}


def test_the_page_needs_no_sign_in_names_the_partner_and_nothing_personal(phone):
    token, page = _open(phone)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "How would you rate the municipality of Hoorn?" in html
    assert "Answer with faces instead" in html
    assert phone.person.name not in html
    assert "Amal" not in html
    assert phone.person.phone not in html
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    for mark in range(1, 11):
        assert f'name="mark" value="{mark}"' in html
    assert "<script" not in html.split("</head>")[1]  # works without JavaScript: nothing inline


def test_a_web_answer_with_numbers_writes_one_response_with_the_dimensions(phone):
    with phone.app.app_context():
        row = db.session.get(Newcomer, phone.person.id)
        row.doelgroep = "gezinsmigrant_overig"
        for version, route in ((1, "Z"), (2, "B")):
            db.session.add(
                Pip(
                    newcomer_id=row.id, municipality_id=row.municipality_id, version=version, leerroute=route,
                    level="B1", pip_on=local_today() - timedelta(days=30),
                )
            )  # fmt: skip
        db.session.commit()
    token, _page = _open(phone)
    response = _send(phone, token, **FULL)
    assert response.status_code == 200
    assert "Thank you for your answers!" in response.get_data(as_text=True)
    [answer] = responses(phone.app)
    assert (answer.mark, answer.heard, answer.clear, answer.own_language) == (7, 3, 2, 1)
    assert (answer.channel, answer.language, answer.doelgroep, answer.leerroute) == (
        "web",
        "en",
        "gezinsmigrant_overig",
        "B",
    )
    assert (answer.trigger, answer.partner_kind, answer.survey_id) == (
        "intake_approved",
        "municipality",
        "survey_municipality",
    )
    assert answer.answered_on == NOW.date()
    assert answer.quarter == "2026-Q4"
    assert answer.comment == "Fijne hulp"
    [invitation] = invitations(phone.app)
    assert (invitation.status, invitation.channel, invitation.token_hash) == ("responded", "web", None)
    assert answer.invitation_id == invitation.id


def test_the_face_scale_stores_the_same_mark(phone):
    token, page = _open(phone, scale="faces")
    html = page.get_data(as_text=True)
    for mark, label in ((1, "Very bad"), (4, "Bad"), (6, "Okay"), (8, "Good"), (10, "Very good")):
        assert f'id="mark-face-{mark}" name="mark" value="{mark}"' in html
        assert label in html
    assert html.count('<svg class="face"') == 5
    response = _send(phone, token, scale="faces", **{**FULL, "mark": "8"})
    assert response.status_code == 200
    assert responses(phone.app)[0].mark == 8


def test_a_used_token_gives_a_friendly_gone_page_also_on_a_second_submit(phone):
    token, page = _open(phone)
    form_token = csrf_token(page.get_data(as_text=True))
    assert phone.client.post(f"/s/{token}", data={"csrf_token": form_token, **FULL}).status_code == 200
    again = phone.client.post(f"/s/{token}", data={"csrf_token": form_token, **FULL, "mark": "1"})
    assert again.status_code == 410
    assert "This link no longer works" in again.get_data(as_text=True)
    assert phone.client.get(f"/s/{token}").status_code == 410
    assert [r.mark for r in responses(phone.app)] == [7]


@pytest.mark.parametrize(
    "token",
    ["x" * 22, "short", "a" * 65, "%00" * 8, "../../etc/passwd", "<script>alert(1)</script>", "9" * 40, "ё" * 22],
)
def test_an_unknown_or_malformed_token_gives_the_gone_page(phone, token):
    response = phone.client.get(f"/s/{token}")
    assert response.status_code in (410, 404)
    if response.status_code == 410:
        assert "This link no longer works" in response.get_data(as_text=True)
    assert "<script>alert" not in response.get_data(as_text=True)


def test_an_expired_token_is_gone_and_marked(phone, clock):
    token, _ = _open(phone)
    clock.move_to(NOW + timedelta(days=30, minutes=1), tick=False)
    assert phone.client.get(f"/s/{token}").status_code == 410
    [invitation] = invitations(phone.app)
    assert (invitation.status, invitation.token_hash) == ("expired", None)
    assert responses(phone.app) == []


def test_bad_answers_get_a_message_next_to_the_field_and_keep_what_was_typed(phone):
    token, _ = _open(phone)
    for mark in ("11", "0", "1e9", "-3", "7.5", "٨٨", "9" * 5000):
        response = _send(phone, token, **{**FULL, "mark": mark, "comment": "mijn tekst blijft"})
        html = response.get_data(as_text=True)
        assert response.status_code == 422, mark
        assert 'id="mark-error"' in html
        assert "Choose a mark from 1 to 10." in html
        assert "mijn tekst blijft" in html
    missing = _send(phone, token, mark="5")
    html = missing.get_data(as_text=True)
    assert missing.status_code == 422
    assert 'id="heard-error"' in html
    assert 'id="clear-error"' in html
    assert 'value="5" checked' in html
    too_long = _send(phone, token, **{**FULL, "comment": "a" * 501})
    assert too_long.status_code == 422
    assert 'id="comment-error"' in too_long.get_data(as_text=True)
    odd = _send(phone, token, **{**FULL, "heard": "maybe"})
    assert odd.status_code == 422
    assert responses(phone.app) == []


def test_arabic_indic_digits_are_a_mark(phone):
    token, _ = _open(phone)
    assert _send(phone, token, **{**FULL, "mark": "٩"}).status_code == 200
    assert responses(phone.app)[0].mark == 9


def test_scripts_and_control_characters_in_the_comment(phone):
    token, _ = _open(phone)
    comment = "<script>alert(1)</script>\x00\x1b\u202e goed"
    response = _send(phone, token, **{**FULL, "comment": comment})
    assert response.status_code == 200
    stored = responses(phone.app)[0].comment
    assert "\x00" not in stored
    assert "\x1b" not in stored
    assert "\u202e" not in stored
    assert "<script>alert(1)</script>" in stored  # stored as text; escaped wherever it is shown
    html = _send(phone, phone.token(), **{**FULL, "mark": "99", "comment": comment}).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html


def test_the_comment_is_scrubbed_of_phone_email_bsn_and_names(phone):
    with phone.app.app_context():
        staff = Staff(email="jan@example.nl", name="Jan de Vries", role="klantmanager", password_hash="x")
        db.session.add(staff)
        db.session.flush()
        db.session.get(Newcomer, phone.person.id).klantmanager_id = staff.id
        db.session.commit()
    token, _ = _open(phone)
    comment = "Amal hier, bel 06-12345678 of mail amal@example.nl, bsn 111222333. Jan de Vries hielp goed"
    assert _send(phone, token, **{**FULL, "comment": comment}).status_code == 200
    stored = responses(phone.app)[0].comment
    assert stored == "[...] hier, bel [...] of mail [...], bsn [...]. [...] hielp goed"
    with phone.app.app_context():
        filling = db.session.scalar(select(Filling).where(Filling.workflow_id == "survey_municipality"))
        assert filling.answers["comment"] == stored  # the filling-in keeps no unscrubbed copy


def test_a_shared_phone_shows_no_earlier_answers(phone):
    run_scan(phone.app)
    phone.reply("3")  # the mark, by SMS
    phone.reply("no")
    token = phone.token()
    html = phone.client.get(f"/s/{token}").get_data(as_text=True)
    assert " checked" not in html
    assert _send(phone, token, **FULL).status_code == 200  # the page replaces what SMS answered
    assert responses(phone.app)[0].mark == 7


@pytest.mark.parametrize(("language", "direction"), [("ar", "rtl"), ("fa", "rtl"), ("so", "ltr"), ("tr", "ltr")])
def test_the_page_is_in_the_persons_language_and_direction(hooks, make_newcomer, sms, clock, language, direction):
    from tests.app.surveys.conftest import Phone

    person = make_newcomer(language=language)
    approve_intake(hooks, person)
    phone = Phone(hooks, hooks.test_client(), sms, person)
    _token, page = _open(phone)
    assert f'<html lang="{language}" dir="{direction}">' in page.get_data(as_text=True)


def test_the_language_school_survey_asks_two_closed_questions(hooks, newcomer, sms, clock):
    from tests.app.surveys.conftest import Phone

    add_partner(hooks, newcomer, LANGUAGE_SCHOOL, "Taalschool <b>Hoorn</b>", started_days_ago=400)
    set_route(hooks, newcomer, route_started_on=NOW.date() - timedelta(days=190))
    phone = Phone(hooks, hooks.test_client(), sms, newcomer)
    token, page = _open(phone)
    html = page.get_data(as_text=True)
    assert "How would you rate Taalschool &lt;b&gt;Hoorn&lt;/b&gt;?" in html
    assert 'name="own_language"' not in html
    response = _send(phone, token, mark="6", heard="yes", clear="yes")
    assert response.status_code == 200
    [answer] = responses(phone.app)
    assert (answer.partner_kind, answer.own_language, answer.comment) == ("language_school", None, None)


def test_a_post_without_its_csrf_token_is_refused_and_stores_nothing(phone):
    token, _ = _open(phone)
    assert phone.client.post(f"/s/{token}", data=FULL).status_code == 400
    assert responses(phone.app) == []
    with phone.app.app_context():
        assert db.session.scalar(select(SurveyInvitation.status)) == "invited"


def test_two_submits_at_the_same_moment_write_one_response(phone):
    import threading

    if phone.app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("two writers at once: PostgreSQL (SQLite takes one writer)")
    token, _ = _open(phone)
    browsers = [phone.app.test_client() for _ in range(2)]
    forms = []
    for mark, browser in zip(("3", "9"), browsers, strict=True):
        page = browser.get(f"/s/{token}")
        forms.append({"csrf_token": csrf_token(page.get_data(as_text=True)), **FULL, "mark": mark})
    barrier = threading.Barrier(2)
    codes: list[int] = []

    def submit(browser, form) -> None:  # noqa: ANN001
        barrier.wait(timeout=10)
        codes.append(browser.post(f"/s/{token}", data=form).status_code)

    threads = [threading.Thread(target=submit, args=pair) for pair in zip(browsers, forms, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(codes) == [200, 410]
    assert len(responses(phone.app)) == 1
