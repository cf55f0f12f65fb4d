"""Tenancy and roles, proven for every back-office route that names a file.

The routes are read from the app's URL map, so a route added later is covered without anyone
remembering to add it here.
"""

from __future__ import annotations

import pytest
from flask import Flask

from tests.app.backoffice.test_casefiles import make_file, search
from tests.conftest import csrf_token, staff_sign_in


def file_routes(app: Flask) -> list[tuple[str, str]]:
    """(method, rule) for every back-office route with a newcomer id in it."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith(("backoffice.", "admin.")) or "newcomer_id" not in rule.arguments:
            continue
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            routes.append((method, rule.rule))
    return routes


@pytest.fixture
def two_municipalities(app, make_staff):  # noqa: ANN001, ANN201
    """A klantmanager of Hoorn (0405) and one of Medemblik (0420), and a file in Medemblik."""
    hoorn = make_staff(codes=("0405",))
    medemblik = make_staff(codes=("0420",))
    other_file = make_file(
        app, municipality_code="0420", name="Zahra Ahmadi", phone="+31612345603", status="intake_submitted"
    )
    return hoorn, medemblik, other_file


def test_there_are_file_routes_to_check(app):
    assert len(file_routes(app)) >= 6


def test_klantmanager_of_another_municipality_gets_404_everywhere(client, app, two_municipalities, audit_log):
    hoorn, _medemblik, other_file = two_municipalities
    staff_sign_in(client, hoorn)
    token = csrf_token(client.get("/backoffice/caseload").text)
    for method, rule in file_routes(app):
        path = rule.replace("<int:newcomer_id>", str(other_file))
        response = client.open(path, method=method, data={"csrf_token": token} if method == "POST" else None)
        assert response.status_code == 404, (method, path, response.status_code)
    assert any(e.result == "denied" and e.record_id == other_file for e in audit_log(action="file.viewed"))


def test_the_own_klantmanager_can_open_the_same_file(client, app, two_municipalities):
    _hoorn, medemblik, other_file = two_municipalities
    staff_sign_in(client, medemblik)
    for method, rule in file_routes(app):
        if method == "GET":
            path = rule.replace("<int:newcomer_id>", str(other_file))
            assert client.get(path).status_code in (200, 302), path


def test_caseload_shows_only_granted_municipalities(client, app, two_municipalities):
    hoorn, _medemblik, _other_file = two_municipalities
    make_file(app, municipality_code="0405", name="Amal Al-Hassan", phone="+31612345601")
    staff_sign_in(client, hoorn)
    page = client.get("/backoffice/caseload?klantmanager=all")  # the whole team's files
    assert "Amal Al-Hassan" in page.text
    assert "Zahra" not in page.text
    assert "Zahra" not in search(client, "zahra").text
    assert "Zahra" not in client.get("/backoffice/caseload?status=intake_submitted&klantmanager=all").text


def test_a_regional_klantmanager_sees_all_granted_municipalities(client, app, make_staff):
    make_file(app, municipality_code="0405", name="Amal Al-Hassan", phone="+31612345601")
    staff = make_staff(codes=("0405", "0420"))
    make_file(app, municipality_code="0420", name="Zahra Ahmadi", phone="+31612345603")
    staff_sign_in(client, staff)
    page = client.get("/backoffice/caseload?klantmanager=all")  # the whole team's files
    assert "Amal Al-Hassan" in page.text
    assert "Zahra Ahmadi" in page.text


def test_cannot_register_into_a_municipality_not_granted(client, app, two_municipalities):
    from app.extensions import db
    from app.models import Municipality

    hoorn, _medemblik, _file = two_municipalities
    staff_sign_in(client, hoorn)
    with app.app_context():
        medemblik_id = db.session.query(Municipality.id).filter_by(code="0420").scalar()
    page = client.get("/backoffice/newcomers/new")
    response = client.post(
        "/backoffice/newcomers/new",
        data={
            "csrf_token": csrf_token(page.text),
            "name": "X",
            "phone": "0612345677",
            "language": "nl",
            "doelgroep": "statushouder",
            "municipality": str(medemblik_id),
            "duo_notified_on": "2026-10-01",
        },
    )
    assert response.status_code == 422


@pytest.mark.parametrize("role", ["beleidsmedewerker", "beheerder"])
def test_other_roles_never_open_a_personal_file(client, app, two_municipalities, make_staff, role):
    _hoorn, _medemblik, other_file = two_municipalities
    staff_sign_in(client, make_staff(role=role, codes=("0420",)))
    token = csrf_token(client.get("/backoffice/overview").text)
    for method, rule in file_routes(app):
        path = rule.replace("<int:newcomer_id>", str(other_file))
        response = client.open(path, method=method, data={"csrf_token": token} if method == "POST" else None)
        assert response.status_code == 404, (method, path)
        assert "Zahra" not in response.text


def test_a_newcomer_never_reaches_staff_routes(signed_in, app, two_municipalities):
    _hoorn, _medemblik, other_file = two_municipalities
    token = csrf_token(signed_in.get("/intake/about_you").text)
    for method, rule in file_routes(app):
        path = rule.replace("<int:newcomer_id>", str(other_file))
        response = signed_in.open(path, method=method, data={"csrf_token": token} if method == "POST" else None)
        assert response.status_code == 404, (method, path)
