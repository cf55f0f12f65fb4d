"""Hostile values on the beheerder's region and partner forms: every one gets a clear message next
to its field, the page keeps what was typed, nothing is stored, and nothing is a 500.

Numbers too big for the decimal context (1e30, thirty digits), not numbers (NaN, inf), comma
decimals (7,5: accepted), 2^31 and beyond for the whole numbers, control characters and names of
10,000 characters. Run on SQLite and on PostgreSQL (``TEST_DATABASE_URL``).
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from markupsafe import escape
from sqlalchemy import select

from app.admin import partners_routes
from app.extensions import db
from app.models.partner import Partner, Region
from tests.conftest import csrf_token, staff_sign_in

MARK = "Please fill in a mark from 1.0 to 10.0."
MIN_CELL = "Please fill in a whole number from 3 to 100."
PERCENT = "Please fill in a whole percentage from 0 to 100."
NAME = "Please fill in a name."
TAKEN = "A region with this name exists already."


@pytest.fixture
def beheerder(client, make_staff):  # noqa: ANN001, ANN201
    staff_sign_in(client, make_staff("beheerder", codes=("0405", "0420")))
    return client


def post_region(client, **values: str):  # noqa: ANN001, ANN201
    """The new-region form sent with ``values`` over a valid region's."""
    page = client.get("/admin/regions/new")
    assert page.status_code == 200
    data = {"csrf_token": csrf_token(page.text), "name": "Regio Test", "klantbeleving_target": "7", "min_cell": "10"}
    data.update(values)
    return client.post("/admin/regions/new", data=data)


def post_partner(client, **values: str):  # noqa: ANN001, ANN201
    page = client.get("/admin/partners/new")
    assert page.status_code == 200
    data = {"csrf_token": csrf_token(page.text), "name": "Taalschool", "kind": "language_school", "active": "y"}
    data.update(values)
    return client.post("/admin/partners/new", data=data)


def message_of(html: str, field: str) -> str | None:
    """The error message shown next to ``field`` (its error paragraph), if any."""
    found = re.search(rf'<p class="utrecht-form-field-error-message" id="{field}-error">(.*?)</p>', html, re.S)
    return found.group(1) if found else None


def typed_in(html: str, field: str) -> str:
    """The value attribute of the ``field`` input, as the page has it (escaped)."""
    found = re.search(rf'<input class="utrecht-textbox" id="{field}" name="{field}" type="text" value="([^"]*)"', html)
    assert found, f"no input {field}"
    return found.group(1)


def regions(app) -> list[Region]:  # noqa: ANN001
    with app.app_context():
        found = list(db.session.scalars(select(Region).order_by(Region.id)))
        db.session.expunge_all()
        return found


HOSTILE_MARKS = [
    "1e30",
    "123456789012345678901234567890",
    "1e999999999",
    "-1e999999999",
    "1e-999999999",
    "9" * 10_000,
    "NaN",
    "-NaN",
    "sNaN",
    "inf",
    "-Infinity",
    "-0",
    "0,0",
    "7,5,5",
    "1.000,5",
    "1_0",
    "7.5e",
    "10.000000000000000000000000000001",
    "<script>",
]


@pytest.mark.parametrize("target", HOSTILE_MARKS)
def test_a_hostile_klantbeleving_target_gets_its_message_and_keeps_what_was_typed(app, beheerder, target):
    response = post_region(beheerder, klantbeleving_target=target, target_obligation_b="70")
    assert response.status_code == 422
    assert message_of(response.text, "klantbeleving_target") in (
        MARK,
        "Please fill in a mark with one decimal at most, for example 7.5.",
    )
    assert typed_in(response.text, "klantbeleving_target") == escape(target)
    assert typed_in(response.text, "name") == "Regio Test"  # nothing else typed is lost
    assert typed_in(response.text, "target_obligation_b") == "70"
    assert "<script>" not in response.text
    assert regions(app) == []


@pytest.mark.parametrize("target", ["1e30", "123456789012345678901234567890", "1e999999999"])
def test_a_huge_klantbeleving_target_gets_the_mark_message(app, beheerder, target):
    """The same values as the strict xfail in tests/app/reports/test_outside_reports.py."""
    response = post_region(beheerder, klantbeleving_target=target)
    assert response.status_code == 422
    assert message_of(response.text, "klantbeleving_target") == MARK


@pytest.mark.parametrize(
    ("target", "stored"),
    [("7,5", "7.5"), (" 8,0 ", "8.0"), ("7.50", "7.5"), ("10", "10.0"), ("1e1", "10.0"), ("1", "1.0"), ("٧٫٥", None)],
)
def test_a_mark_with_a_comma_or_a_point_is_stored_with_one_decimal(app, beheerder, target, stored):
    response = post_region(beheerder, klantbeleving_target=target)
    if stored is None:  # an Arabic decimal separator is not a point or a comma: a message, not a guess
        assert response.status_code == 422
        assert message_of(response.text, "klantbeleving_target") == MARK
        return
    assert response.status_code == 302, message_of(response.text, "klantbeleving_target")
    [region] = regions(app)
    assert region.klantbeleving_target == Decimal(stored)
    assert str(region.klantbeleving_target) == stored


WHOLE_NUMBERS = [
    str(2**31),
    str(2**31 - 1),
    str(-(2**31)),
    str(2**63),
    "9" * 5000,  # more digits than Python's int() reads (4300): a ValueError of another kind
    "1e9",
    "1_000",
    "5.0",
    "5,0",
    "NaN",
    "inf",
    "+",
    "-",
    "五十",
]


@pytest.mark.parametrize("value", WHOLE_NUMBERS)
@pytest.mark.parametrize(("field", "message"), [("min_cell", MIN_CELL), ("target_obligation_b", PERCENT)])
def test_a_hostile_whole_number_gets_its_message_next_to_the_field(app, beheerder, field, message, value):
    response = post_region(beheerder, **{field: value})
    assert response.status_code == 422
    assert message_of(response.text, field) == message
    assert typed_in(response.text, field) == escape(value)
    assert message_of(response.text, "klantbeleving_target") is None
    assert regions(app) == []


def test_an_empty_smallest_cell_is_asked_for_and_an_empty_kpi_target_is_the_default(app, beheerder):
    response = post_region(beheerder, min_cell=" ")
    assert response.status_code == 422
    assert message_of(response.text, "min_cell") == MIN_CELL
    response = post_region(beheerder, min_cell=" 5 ", target_obligation_b="", target_outflow_z="-0")
    assert response.status_code == 302
    [region] = regions(app)
    assert (region.min_cell, region.targets) == (5, {"outflow_z": 0})


@pytest.mark.parametrize(("path", "field", "longest"), [("regions", "name", 100), ("partners", "name", 120)])
def test_a_name_of_ten_thousand_characters_gets_a_message_and_stays_in_the_field(app, beheerder, path, field, longest):
    name = "Regio " + "é" * 9994
    post = post_region if path == "regions" else post_partner
    response = post(beheerder, name=name)
    assert response.status_code == 422
    assert message_of(response.text, field) == f"Use at most {longest} characters."
    assert typed_in(response.text, field) == name
    with app.app_context():
        assert db.session.scalar(select(Region.id)) is None
        assert db.session.scalar(select(Partner.id)) is None
    just_fits = post(beheerder, name="é" * longest)
    assert just_fits.status_code == 302


@pytest.mark.parametrize("name", ["\u200b", "\u200e\u200f", "\x00\x01\x7f", "\u202e\u2066", " \t\n "])
def test_a_name_of_only_invisible_characters_gets_the_name_message(app, beheerder, name):
    for post in (post_region, post_partner):
        response = post(beheerder, name=name)
        assert response.status_code == 422
        assert message_of(response.text, "name") == NAME
    assert regions(app) == []


def test_control_characters_leave_a_name_and_a_tab_is_a_space(app, beheerder):
    assert post_region(beheerder, name="Regio\x00\x1b Noord\u202e\tWest").status_code == 302
    assert post_partner(beheerder, name="Taal\x07school\u2066  Hoorn").status_code == 302
    [region] = regions(app)
    assert region.name == "Regio Noord West"
    with app.app_context():
        assert db.session.scalar(select(Partner.name)) == "Taalschool Hoorn"


@pytest.mark.parametrize("second", ["Regio Één", "REGIO ÉÉN", "regio één", "Regio  Één "])
def test_a_region_name_with_accents_is_unique_in_any_case(app, beheerder, second):
    assert post_region(beheerder, name="Regio Één").status_code == 302
    response = post_region(beheerder, name=second, min_cell="12")
    assert response.status_code == 422
    assert message_of(response.text, "name") == TAKEN
    assert typed_in(response.text, "min_cell") == "12"
    assert [r.name for r in regions(app)] == ["Regio Één"]


def test_a_region_saved_under_the_same_name_a_moment_earlier_gets_the_message(app, beheerder, monkeypatch):
    """Two beheerders save the same new name at once: the unique constraint answers, not a 500."""
    assert post_region(beheerder, name="Regio Één").status_code == 302
    monkeypatch.setattr(partners_routes, "_name_taken", lambda name, region: False)  # the other request's view
    response = post_region(beheerder, name="Regio Één")
    assert response.status_code == 422
    assert message_of(response.text, "name") == TAKEN
    assert [r.name for r in regions(app)] == ["Regio Één"]


def test_an_existing_region_keeps_its_values_when_a_hostile_one_is_sent(app, beheerder):
    assert post_region(beheerder, name="Westfriesland", klantbeleving_target="7,5").status_code == 302
    [region] = regions(app)
    page = beheerder.get(f"/admin/regions/{region.id}")
    assert typed_in(page.text, "klantbeleving_target") == "7.5"
    response = beheerder.post(
        f"/admin/regions/{region.id}",
        data={"csrf_token": csrf_token(page.text), "name": "Westfriesland", "klantbeleving_target": "1e30",
              "min_cell": str(2**31)},
    )  # fmt: skip
    assert response.status_code == 422
    assert (message_of(response.text, "klantbeleving_target"), message_of(response.text, "min_cell")) == (
        MARK,
        MIN_CELL,
    )
    [unchanged] = regions(app)
    assert (unchanged.klantbeleving_target, unchanged.min_cell) == (Decimal("7.5"), region.min_cell)
