"""The beheerder's partners and regions: add, edit, validation, audit, and who may use them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Municipality
from app.models.partner import Partner, Region
from tests.conftest import csrf_token, staff_sign_in


@pytest.fixture
def beheerder(client, make_staff):  # noqa: ANN001, ANN201
    staff_sign_in(client, make_staff("beheerder", codes=("0405", "0420")))
    return client


def _ids(app):  # noqa: ANN001, ANN202
    with app.app_context():
        return dict(db.session.execute(select(Municipality.code, Municipality.id)).all())


def test_add_and_edit_a_partner(app, beheerder, audit_log):
    ids = _ids(app)
    page = beheerder.get("/admin/partners/new")
    assert page.status_code == 200
    response = beheerder.post("/admin/partners/new", data={
        "csrf_token": csrf_token(page.text), "name": "  Fiolet   Taaltrainingen ", "kind": "language_school",
        "municipalities": [ids["0405"], ids["0420"]], "active": "y",
    })  # fmt: skip
    assert response.status_code == 302
    with app.app_context():
        partner = db.session.scalar(select(Partner))
        assert (partner.name, partner.kind, partner.active) == ("Fiolet Taaltrainingen", "language_school", True)
        assert sorted(m.code for m in partner.municipalities) == ["0405", "0420"]
        partner_id = partner.id
    assert "Fiolet Taaltrainingen" in beheerder.get("/admin/partners").text
    page = beheerder.get(f"/admin/partners/{partner_id}")
    response = beheerder.post(f"/admin/partners/{partner_id}", data={
        "csrf_token": csrf_token(page.text), "name": "Fiolet", "kind": "work_partner", "municipalities": [ids["0405"]],
    })  # fmt: skip
    assert response.status_code == 302
    with app.app_context():
        partner = db.session.get(Partner, partner_id)
        assert (partner.name, partner.kind, partner.active) == ("Fiolet", "work_partner", False)
        assert [m.code for m in partner.municipalities] == ["0405"]
    assert [e.record_id for e in audit_log(action="partner.saved")] == [partner_id, partner_id]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "   ", "kind": "language_school"}, "Please fill in a name."),
        ({"name": "x" * 121, "kind": "language_school"}, "Use at most 120 characters."),
        ({"name": "A", "kind": "bakery"}, "Not a valid choice."),
        ({"name": "A", "kind": "language_school", "municipalities": ["2147483648"]}, "is not a valid choice"),
        ({"name": "A", "kind": "language_school", "municipalities": ["<script>"]}, "Invalid choice"),
    ],
)
def test_a_bad_partner_gets_a_message_and_keeps_what_was_typed(app, beheerder, data, message):
    page = beheerder.get("/admin/partners/new")
    response = beheerder.post("/admin/partners/new", data={"csrf_token": csrf_token(page.text), **data})
    assert response.status_code == 422
    assert message in response.text
    assert "<script>" not in response.text
    with app.app_context():
        assert db.session.scalar(select(Partner)) is None


def test_unknown_and_huge_ids_are_404(beheerder):
    assert beheerder.get("/admin/partners/999999").status_code == 404
    assert beheerder.get("/admin/partners/2147483648").status_code == 404
    assert beheerder.get("/admin/regions/999999").status_code == 404


def test_add_and_edit_a_region(app, beheerder, audit_log):
    ids = _ids(app)
    page = beheerder.get("/admin/regions/new")
    assert page.status_code == 200
    response = beheerder.post("/admin/regions/new", data={
        "csrf_token": csrf_token(page.text), "name": "Westfriesland", "municipalities": [ids["0405"], ids["0420"]],
        "klantbeleving_target": "7,5", "min_cell": "5", "target_obligation_b": "70", "target_outflow_z": "",
    })  # fmt: skip
    assert response.status_code == 302, response.text
    with app.app_context():
        region = db.session.scalar(select(Region))
        assert (region.name, region.klantbeleving_target, region.min_cell) == ("Westfriesland", Decimal("7.5"), 5)
        assert region.targets == {"obligation_b": 70}
        assert sorted(m.code for m in region.municipalities) == ["0405", "0420"]
        region_id = region.id
    page = beheerder.get(f"/admin/regions/{region_id}")
    assert 'value="70"' in page.text
    response = beheerder.post(f"/admin/regions/{region_id}", data={
        "csrf_token": csrf_token(page.text), "name": "Westfriesland", "municipalities": [ids["0420"]],
        "klantbeleving_target": "7.0", "min_cell": "10",
    })  # fmt: skip
    assert response.status_code == 302
    with app.app_context():
        region = db.session.get(Region, region_id)
        assert [m.code for m in region.municipalities] == ["0420"]
        assert region.targets == {}
        assert db.session.scalar(select(Municipality.region_id).where(Municipality.code == "0405")) is None
    assert [e.record_id for e in audit_log(action="region.saved")] == [region_id, region_id]
    assert "Westfriesland" in beheerder.get("/admin/regions").text


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("klantbeleving_target", "0.9", "Please fill in a mark from 1.0 to 10.0."),
        ("klantbeleving_target", "10.1", "Please fill in a mark from 1.0 to 10.0."),
        ("klantbeleving_target", "7.25", "one decimal at most"),
        ("klantbeleving_target", "NaN", "Please fill in a mark from 1.0 to 10.0."),
        ("klantbeleving_target", "<script>", "Please fill in a mark from 1.0 to 10.0."),
        ("min_cell", "2", "Please fill in a whole number from 3 to 100."),
        ("min_cell", "101", "Please fill in a whole number from 3 to 100."),
        ("min_cell", "99999999999999999999", "Please fill in a whole number from 3 to 100."),
        ("target_obligation_z", "101", "Please fill in a whole percentage from 0 to 100."),
        ("target_obligation_z", "-1", "Please fill in a whole percentage from 0 to 100."),
    ],
)
def test_a_bad_region_gets_a_message_next_to_the_field(app, beheerder, field, value, message):
    page = beheerder.get("/admin/regions/new")
    data = {"csrf_token": csrf_token(page.text), "name": "Regio", "klantbeleving_target": "7", "min_cell": "10"}
    data[field] = value
    response = beheerder.post("/admin/regions/new", data=data)
    assert response.status_code == 422
    assert message in response.text
    assert "<script>" not in response.text
    assert 'value="Regio"' in response.text  # nothing typed is lost
    with app.app_context():
        assert db.session.scalar(select(Region)) is None


def test_a_region_name_is_unique(app, beheerder):
    with app.app_context():
        db.session.add(Region(name="Westfriesland"))
        db.session.commit()
    page = beheerder.get("/admin/regions/new")
    response = beheerder.post("/admin/regions/new", data={
        "csrf_token": csrf_token(page.text), "name": "westfriesland", "klantbeleving_target": "7", "min_cell": "10",
    })  # fmt: skip
    assert response.status_code == 422
    assert "A region with this name exists already." in response.text


@pytest.mark.parametrize("role", ["klantmanager", "beleidsmedewerker"])
def test_only_the_beheerder(client, make_staff, role):
    staff_sign_in(client, make_staff(role))
    for path in ("/admin/partners", "/admin/partners/new", "/admin/regions", "/admin/regions/new"):
        assert client.get(path).status_code == 404
