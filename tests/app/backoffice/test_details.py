"""Correcting a file: the details page (audited; a new phone number signs out), and the status form."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import AuthSession, Invitation, LoginChallenge, Newcomer, StatusChange
from app.models.newcomer import PIP_TERM
from app.models.types import local_today, utcnow
from tests.app.backoffice.test_casefiles import VALID_BSN, make_file, register
from tests.app.backoffice.test_pip import error_of
from tests.conftest import csrf_token, invitation_path, sign_in, staff_sign_in

TODAY = local_today()
NOTIFIED = TODAY - timedelta(days=30)


@pytest.fixture
def km(client, make_staff):  # noqa: ANN001, ANN201
    staff_sign_in(client, make_staff())
    return client


@pytest.fixture
def file_id(app) -> int:  # noqa: ANN001
    return make_file(app, name="Yonas Tesfay", phone="+31612345601", duo_notified_on=NOTIFIED)


def post_details(client: FlaskClient, file_id: int, **overrides: str):  # noqa: ANN201
    page = client.get(f"/backoffice/newcomers/{file_id}/details")
    assert page.status_code == 200
    data = {
        "csrf_token": csrf_token(page.text),
        "name": "Yonas Tesfay",
        "phone": "06 12345601",
        "language": "en",
        "bsn": "",
        "duo_notified_on": NOTIFIED.isoformat(),
        "settled_on": "",
        **overrides,
    }
    return client.post(f"/backoffice/newcomers/{file_id}/details", data=data)


def on_the_intake(client: FlaskClient) -> bool:
    """Whether the client is signed in as a newcomer: the intake opens instead of sending it to sign in."""
    response = client.get("/intake/")
    return response.status_code == 200 or response.headers.get("Location", "").startswith("/intake/")


def newcomer(app, file_id: int) -> Newcomer:  # noqa: ANN001
    with app.app_context():
        row = db.session.get(Newcomer, file_id)
        db.session.expunge(row)
        return row


def test_the_file_page_links_to_the_details_page(km, file_id):
    page = km.get(f"/backoffice/newcomers/{file_id}")
    assert f'href="/backoffice/newcomers/{file_id}/details"' in page.text


def test_the_details_page_is_prefilled_without_the_bsn(km, app, file_id):
    with app.app_context():
        db.session.get(Newcomer, file_id).bsn = VALID_BSN
        db.session.commit()
    page = km.get(f"/backoffice/newcomers/{file_id}/details")
    assert 'value="Yonas Tesfay"' in page.text
    assert 'value="+31612345601"' in page.text
    assert f'value="{NOTIFIED.isoformat()}"' in page.text
    assert VALID_BSN not in page.text
    assert "******333" in page.text
    assert 'maxlength="200"' in page.text  # the browser's limit is the server's


def test_correcting_phone_language_bsn_and_dates_is_saved_and_audited_without_values(km, app, file_id, audit_log):
    settled = TODAY - timedelta(days=3)
    response = post_details(
        km, file_id, phone="06 1234 5699", language="ti", bsn=VALID_BSN, settled_on=settled.isoformat()
    )
    assert response.status_code == 302
    row = newcomer(app, file_id)
    assert (row.phone, row.language, row.bsn, row.settled_on) == ("+31612345699", "ti", VALID_BSN, settled)
    assert row.pip_deadline_on == settled + PIP_TERM  # recomputed from the later date
    actions = sorted(e.action for e in audit_log(record_type="newcomer") if e.action.startswith("file.details"))
    assert actions == [
        "file.details_changed.bsn",
        "file.details_changed.language",
        "file.details_changed.phone",
        "file.details_changed.settled_on",
    ]
    for entry in audit_log():
        # every column but the time (its microseconds can hold any four digits)
        values = str({name: value for name, value in vars(entry).items() if name != "at"})
        assert "5699" not in values
        assert VALID_BSN not in values


def test_saving_without_changes_changes_nothing(km, app, file_id, audit_log):
    assert post_details(km, file_id).status_code == 302
    assert [e for e in audit_log() if e.action.startswith("file.details")] == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("phone", "12345", "Type a valid phone number"),
        ("phone", "", "Please fill in a phone number."),
        ("bsn", "123456789", "eleven-test"),
        ("name", "", "Please fill in a name."),
        ("name", "N" * 201, "Write at most 200 characters."),
        ("language", "", "Choose a language."),
        ("language", "de", "Not a valid choice"),
        ("duo_notified_on", "9999-12-31", "Type a date from "),
        ("settled_on", "1999-01-01", "Type a date from "),
    ],
)
def test_a_wrong_value_is_a_message_next_to_its_field_and_nothing_typed_is_lost(
    km, app, file_id, field, value, message
):
    response = post_details(km, file_id, **{"name": "Yonas T.", field: value})
    assert response.status_code == 422
    assert message in error_of(response.text, field)
    if field != "name":
        assert 'value="Yonas T."' in response.text
    assert newcomer(app, file_id).name == "Yonas Tesfay"


def test_at_least_one_of_the_dates_stays(km, file_id):
    response = post_details(km, file_id, duo_notified_on="", settled_on="")
    assert response.status_code == 422
    assert "Fill in the date of DUO" in response.text


def test_the_phone_number_of_another_newcomer_is_refused(km, app, file_id):
    make_file(app, name="Ander", phone="+31612345602")
    response = post_details(km, file_id, phone="0612345602")
    assert response.status_code == 422
    assert "registered already" in error_of(response.text, "phone")
    assert newcomer(app, file_id).phone == "+31612345601"


def test_a_changed_phone_ends_the_newcomers_sessions_and_unused_links_and_codes(km, app, file_id):
    from tests.conftest import Person

    person = Person(file_id, "Yonas Tesfay", "+31612345601", "en")
    other = app.test_client()
    sign_in(other, person)
    assert on_the_intake(other)
    unused = invitation_path(app, person)
    with app.app_context():
        db.session.add(
            LoginChallenge(
                public_id="x" * 43, newcomer_id=file_id, code_hash="0" * 64, expires_at=utcnow() + timedelta(minutes=10)
            )
        )
        db.session.commit()
    assert post_details(km, file_id, phone="0612345688").status_code == 302
    with app.app_context():
        sessions = db.session.scalars(select(AuthSession).where(AuthSession.newcomer_id == file_id)).all()
        assert sessions
        assert all(s.ended_at is not None for s in sessions)
        invitations = db.session.scalars(select(Invitation).where(Invitation.newcomer_id == file_id)).all()
        assert all(i.used_at is not None or i.revoked_at is not None for i in invitations)
        challenge = db.session.scalar(select(LoginChallenge).where(LoginChallenge.newcomer_id == file_id))
        assert challenge.expires_at <= utcnow()
    assert not on_the_intake(other)  # signed out on the server
    fresh = app.test_client()
    page = fresh.get(unused)
    assert fresh.post(unused, data={"csrf_token": csrf_token(page.text)}).status_code != 302  # the link is dead


def test_another_municipality_gets_404_and_an_erased_file_409(km, app, make_staff):
    from app.backoffice.privacy_services import erase

    make_staff(codes=("0420",))  # makes the municipality
    elsewhere = make_file(app, municipality_code="0420", name="Elders", phone="+31612345603")
    assert km.get(f"/backoffice/newcomers/{elsewhere}/details").status_code == 404
    mine = make_file(app, name="Gewist", phone="+31612345604", duo_notified_on=NOTIFIED)
    with app.app_context():
        erase(db.session.get(Newcomer, mine))
        db.session.commit()
    token = csrf_token(km.get(f"/backoffice/newcomers/{mine}").text)
    assert km.post(f"/backoffice/newcomers/{mine}/details", data={"csrf_token": token}).status_code == 409
    assert f"/newcomers/{mine}/details" not in km.get(f"/backoffice/newcomers/{mine}").text


# -- the status form ----------------------------------------------------------------------------------


def post_status(client: FlaskClient, file_id: int, **data: str):  # noqa: ANN201
    page = client.get(f"/backoffice/newcomers/{file_id}")
    return client.post(f"/backoffice/newcomers/{file_id}/status", data={"csrf_token": csrf_token(page.text), **data})


def test_the_status_form_starts_empty(km, file_id):
    page = km.get(f"/backoffice/newcomers/{file_id}").text
    select_html = page.split('id="status"')[1].split("</select>")[0]
    first_option = select_html.split("<option")[1]
    assert 'value=""' in first_option.split(">")[0]
    assert 'maxlength="500"' in page  # the reason's limit, in the browser too


def test_no_status_chosen_is_a_message_next_to_the_field(km, app, file_id):
    response = post_status(km, file_id, status="", comment="Verhuisd naar Utrecht")
    assert response.status_code == 422
    assert error_of(response.text, "status")
    assert 'value="Verhuisd naar Utrecht"' in response.text
    with app.app_context():
        assert db.session.scalars(select(StatusChange).where(StatusChange.newcomer_id == file_id)).all() == []


def test_a_too_long_reason_is_a_message_next_to_the_field_with_the_text_kept(km, app, file_id):
    reason = "r" * 501
    response = post_status(km, file_id, status="moved_away", comment=reason)
    assert response.status_code == 422
    assert "500" in error_of(response.text, "comment")
    assert f'value="{reason}"' in response.text
    assert newcomer(app, file_id).status == "invited"


def test_a_status_not_set_by_hand_is_refused_with_a_message(km, app, file_id):
    response = post_status(km, file_id, status="pip_set")
    assert response.status_code == 422
    assert error_of(response.text, "status")


def test_a_chosen_status_is_saved(km, app, file_id):
    response = post_status(km, file_id, status="moved_away", comment="Naar Utrecht")
    assert response.status_code == 302
    assert newcomer(app, file_id).status == "moved_away"


def test_the_register_form_has_the_servers_limits_in_the_browser_and_messages_next_to_the_fields(km):
    page = km.get("/backoffice/newcomers/new").text
    assert re.search(r'id="name"[^>]*maxlength="200"|maxlength="200"[^>]*id="name"', page)
    assert re.search(r'id="bsn"[^>]*maxlength="20"|maxlength="20"[^>]*id="bsn"', page)
    response = register(km, name="N" * 201)
    assert response.status_code == 422
    assert "Write at most 200 characters." in error_of(response.text, "name")
    assert f'value="{"N" * 201}"' in response.text


def test_every_corrected_field_has_a_readable_name_in_the_audit_log():
    from app.audit import ACTIONS
    from app.backoffice.details_services import FIELDS

    assert {f"file.details_changed.{field}" for field in FIELDS} <= set(ACTIONS)
