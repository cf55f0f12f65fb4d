"""The complaints register: list with filters and pages, add, edit, delete with a confirm; tenancy; hostile input."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Municipality
from app.models.records import Complaint
from app.models.types import local_today
from tests.app.backoffice.test_pip import make_file
from tests.app.backoffice.test_records import load, partner, post
from tests.conftest import csrf_token, staff_sign_in

TODAY = local_today()


@pytest.fixture
def staff(client, make_staff):  # noqa: ANN001, ANN201
    staff_sign_in(client, make_staff(codes=("0405", "0420")))
    return client


def municipality(app, code: str) -> int:  # noqa: ANN001
    with app.app_context():
        return db.session.scalar(select(Municipality.id).where(Municipality.code == code))


def add(app, code: str = "0405", **fields) -> int:  # noqa: ANN001, ANN003
    fields.setdefault("received_on", date(2024, 5, 1))
    fields.setdefault("subject", "Wachttijd")
    with app.app_context():
        row = Complaint(municipality_id=municipality(app, code), **fields)
        db.session.add(row)
        db.session.commit()
        return row.id


def body(app, **changes) -> dict:  # noqa: ANN001, ANN003
    return {
        "received_on": "2024-05-01",
        "municipality": str(municipality(app, "0405")),
        "official": "yes",
        "about_inburgering": "y",
        "filed_with": "municipality",
        "partner": "",
        "subject": "Wachttijd voor de intake",
        "newcomer": "",
        "handled_on": "",
        "outcome": "",
        **changes,
    }


def test_registering_editing_and_deleting_a_complaint(staff, app, audit_log):  # noqa: ANN001
    file_id = make_file(app)
    response = post(staff, "/backoffice/complaints/new", body(app, newcomer=str(file_id)))
    assert response.status_code == 302
    (entry,) = load(app, Complaint)
    assert (entry.official, entry.filed_with, entry.newcomer_id, entry.subject) == (
        True, "municipality", file_id, "Wachttijd voor de intake",
    )  # fmt: skip
    school = partner(app, "Taalschool West")
    changed = body(
        app, official="no", filed_with="partner", partner=str(school), handled_on="2024-05-20", outcome="Opgelost"
    )
    assert post(staff, f"/backoffice/complaints/{entry.id}", changed).status_code == 302
    (entry,) = load(app, Complaint)
    assert (entry.official, entry.filed_with, entry.partner_id, entry.handled_on, entry.newcomer_id) == (
        False, "partner", school, date(2024, 5, 20), None,
    )  # fmt: skip
    confirm = staff.get(f"/backoffice/complaints/{entry.id}/delete")
    assert confirm.status_code == 200
    assert "cannot be undone" in confirm.text
    staff.post(f"/backoffice/complaints/{entry.id}/delete", data={"csrf_token": csrf_token(confirm.text)})
    assert load(app, Complaint) == []
    actions = [e.action for e in audit_log() if e.action.startswith("records.")]
    assert actions == ["records.complaint_saved", "records.complaint_saved", "records.complaint_deleted"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"received_on": "9999-12-31"}, "received_on"),
        ({"received_on": (TODAY + timedelta(days=1)).isoformat()}, "received_on"),
        ({"received_on": ""}, "received_on"),
        ({"official": ""}, "official"),
        ({"filed_with": "police"}, "filed_with"),
        ({"filed_with": "partner", "partner": ""}, "partner"),
        ({"partner": "2147483648"}, "partner"),
        ({"subject": ""}, "subject"),
        ({"subject": "\u202e\u0000 "}, "subject"),
        ({"subject": "x" * 201}, "subject"),
        ({"newcomer": "abc"}, "newcomer"),
        ({"newcomer": "99999999999999999999"}, "newcomer"),
        ({"newcomer": "2147483648"}, "newcomer"),
        ({"handled_on": "2024-04-30"}, "handled_on"),
        ({"municipality": "2147483648"}, "municipality"),
    ],
)
def test_bad_input_is_refused_next_to_the_field_and_kept(staff, app, changes, field):  # noqa: ANN001
    response = post(staff, "/backoffice/complaints/new", body(app, **changes))
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.text
    assert "Wachttijd voor de intake" in response.text or field == "subject"
    assert load(app, Complaint) == []


def test_scripts_and_controls_in_the_subject_are_text(staff, app):  # noqa: ANN001
    subject = "<script>alert(1)</script>\u202eevil\u0007 =HYPERLINK(1)"
    assert post(staff, "/backoffice/complaints/new", body(app, subject=subject)).status_code == 302
    (entry,) = load(app, Complaint)
    assert entry.subject == "<script>alert(1)</script>evil =HYPERLINK(1)"
    page = staff.get("/backoffice/complaints")
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;" in page.text


def test_a_file_of_another_municipality_cannot_be_linked(staff, app, make_staff):  # noqa: ANN001
    elsewhere = make_file(app, code="0999")
    medemblik = make_file(app, code="0420")
    response = post(staff, "/backoffice/complaints/new", body(app, newcomer=str(elsewhere)))
    assert response.status_code == 422
    assert 'id="newcomer-error"' in response.text
    # A file of the staff member's other municipality is no link for a complaint of Hoorn either.
    response = post(staff, "/backoffice/complaints/new", body(app, newcomer=str(medemblik)))
    assert response.status_code == 422
    assert load(app, Complaint) == []


def test_the_list_filters_and_pages(staff, app):  # noqa: ANN001
    for day in range(30):
        add(app, received_on=date(2024, 1, 1) + timedelta(days=day), official=day % 2 == 0)
    add(app, "0420", subject="Medemblik klacht", filed_with="partner")
    page = staff.get("/backoffice/complaints")
    assert page.status_code == 200
    assert "31 complaints" in page.text
    assert "Page 1 of 2" in page.text
    assert "Medemblik klacht" in page.text  # newest first: received in May, the others in January
    second = staff.get("/backoffice/complaints?page=2")
    assert "Page 2 of 2" in second.text
    assert "Medemblik klacht" not in second.text
    assert "16 complaints" in staff.get("/backoffice/complaints?official=yes").text  # Medemblik's is official too
    informal = staff.get(f"/backoffice/complaints?official=no&municipality={municipality(app, '0405')}")
    assert "15 complaints" in informal.text
    assert "1 complaint" in staff.get("/backoffice/complaints?filed_with=partner").text
    for hostile in ("page=99999999999", "page=-1", "municipality=2147483648", "official=<script>", "filed_with=x"):
        response = staff.get(f"/backoffice/complaints?{hostile}")
        assert response.status_code == 200, hostile


def test_another_municipalitys_complaint_does_not_exist(client, app, make_staff):  # noqa: ANN001
    staff_sign_in(client, make_staff(codes=("0405",)))
    with app.app_context():
        db.session.add(Municipality(code="0420", name="Medemblik"))
        db.session.commit()
    theirs = add(app, "0420", subject="Niet van jou")
    assert "Niet van jou" not in client.get("/backoffice/complaints").text
    assert client.get(f"/backoffice/complaints/{theirs}").status_code == 404
    token = csrf_token(client.get("/backoffice/complaints/new").text)
    assert client.post(f"/backoffice/complaints/{theirs}/delete", data={"csrf_token": token}).status_code == 404
    response = client.post(
        "/backoffice/complaints/new",
        data={"csrf_token": token, **body(app, municipality=str(municipality(app, "0420")))},
    )
    assert response.status_code == 422
    assert client.get("/backoffice/complaints/2147483648").status_code == 404
    assert len(load(app, Complaint)) == 1


@pytest.mark.parametrize("role", ["beleidsmedewerker", "beheerder"])
def test_other_roles_get_404(client, make_staff, role):  # noqa: ANN001
    staff_sign_in(client, make_staff(role=role))
    assert client.get("/backoffice/complaints").status_code == 404
    assert client.get("/backoffice/complaints/new").status_code == 404
