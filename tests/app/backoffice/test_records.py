"""The records behind the reports on a file: end, facts, relief, activities, household, route partners.

Every form: valid, invalid (the message next to the field, what was typed kept), hostile (dates of
9999, scripts, control characters, ids of 2**31, another municipality's rows), another
municipality's file (404), audited.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Municipality, Newcomer, StatusChange
from app.models.appointment import RouteProgress
from app.models.partner import Partner, RoutePartner
from app.models.records import HouseholdMember, ParticipationActivity, ReliefTrajectory
from app.models.types import local_today
from tests.app.backoffice.test_pip import make_file
from tests.conftest import csrf_token, staff_sign_in

TODAY = local_today()
START = date(2024, 3, 1)


@pytest.fixture
def staff(client, make_staff):  # noqa: ANN001, ANN201
    staff_sign_in(client, make_staff())
    return client


def post(client, path: str, data: dict):  # noqa: ANN001, ANN201
    token = csrf_token(client.get(path).text)
    return client.post(path, data={"csrf_token": token, **data})


def load(app, model, **where):  # noqa: ANN001, ANN003, ANN201
    with app.app_context():
        query = select(model)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        rows = db.session.scalars(query).all()
        db.session.expunge_all()
        return rows


def newcomer(app, file_id: int) -> Newcomer:  # noqa: ANN001
    with app.app_context():
        row = db.session.get(Newcomer, file_id)
        db.session.expunge(row)
        return row


def partner(
    app, name: str = "Taalschool West", kind: str = "language_school", code: str = "0405", active: bool = True
) -> int:  # noqa: ANN001, E501
    with app.app_context():
        municipality = db.session.scalar(select(Municipality).where(Municipality.code == code))
        if municipality is None:
            municipality = Municipality(code=code, name=f"Gemeente {code}")
            db.session.add(municipality)
            db.session.flush()
        row = Partner(name=name, kind=kind, active=active)
        row.municipalities = [municipality]
        db.session.add(row)
        db.session.commit()
        return row.id


# -- the file page ------------------------------------------------------------------------------------


def test_the_file_page_shows_the_records_panel(staff, app):  # noqa: ANN001
    file_id = make_file(app)
    page = staff.get(f"/backoffice/newcomers/{file_id}")
    assert page.status_code == 200
    assert 'id="records"' in page.text
    assert f"/backoffice/newcomers/{file_id}/records/end" in page.text


# -- end of the file ----------------------------------------------------------------------------------


def test_ending_a_file_sets_date_reason_and_status_and_undo_restores(staff, app, audit_log):  # noqa: ANN001
    file_id = make_file(app, status="in_route")
    path = f"/backoffice/newcomers/{file_id}/records/end"
    response = post(staff, path, {"ended_on": "2025-02-03", "end_reason": "moved_away"})
    assert response.status_code == 302
    row = newcomer(app, file_id)
    assert (row.ended_on, row.end_reason, row.status) == (date(2025, 2, 3), "moved_away", "moved_away")
    changes = load(app, StatusChange, newcomer_id=file_id)
    assert [(c.from_status, c.to_status) for c in changes] == [("in_route", "moved_away")]
    assert [e.action for e in audit_log(action="records.ended")] == ["records.ended"]

    post(staff, path, {"ended_on": "2025-02-03", "end_reason": "exempted"})
    assert newcomer(app, file_id).status == "exempted"
    post(staff, path, {"ended_on": "2025-02-03", "end_reason": "left_country"})
    assert newcomer(app, file_id).status == "ended"

    response = post(staff, path, {"ended_on": "", "end_reason": ""})
    assert response.status_code == 302
    row = newcomer(app, file_id)
    assert (row.ended_on, row.end_reason, row.status) == (None, None, "in_route")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"ended_on": "2025-02-03", "end_reason": ""}, "end_reason", "Choose why the file ended."),
        ({"ended_on": "", "end_reason": "deceased"}, "ended_on", "Fill in the date the file ended."),
        ({"ended_on": "9999-12-31", "end_reason": "other"}, "ended_on", "Type a date from"),
        ({"ended_on": "2020-12-31", "end_reason": "other"}, "ended_on", "Type a date from"),
        ({"ended_on": "2025-02-03", "end_reason": "<script>alert(1)</script>"}, "end_reason", "Choose a reason"),
        ({"ended_on": "3-2-2025x", "end_reason": "other"}, "ended_on", "Not a valid date"),
    ],
)
def test_ending_a_file_refuses_bad_input_next_to_the_field(staff, app, data, field, message):  # noqa: ANN001
    file_id = make_file(app, status="in_route")
    response = post(staff, f"/backoffice/newcomers/{file_id}/records/end", data)
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.text
    assert message in response.text
    assert "<script>alert(1)</script>" not in response.text
    if data["ended_on"]:
        assert f'value="{data["ended_on"]}"' in response.text  # what was typed is kept
    row = newcomer(app, file_id)
    assert (row.ended_on, row.end_reason, row.status) == (None, None, "in_route")


# -- facts: obligation met, MAP exemption date, nareiziger -------------------------------------------


def test_facts_are_saved_audited_and_set_the_status(staff, app, audit_log):  # noqa: ANN001
    file_id = make_file(app, status="in_route")
    path = f"/backoffice/newcomers/{file_id}/records/facts"
    response = post(staff, path, {"obligation_met_on": "2025-05-01", "map_exempt_on": "2025-04-01", "nareiziger": "y"})
    assert response.status_code == 302
    row = newcomer(app, file_id)
    assert (row.obligation_met_on, row.nareiziger, row.status) == (date(2025, 5, 1), True, "obligation_met")
    assert load(app, RouteProgress, newcomer_id=file_id)[0].map_exempt_on == date(2025, 4, 1)
    actions = [e.action for e in audit_log() if e.action.startswith("records.")]
    assert actions == ["records.obligation_met", "records.facts_saved"]

    post(staff, path, {"obligation_met_on": "", "map_exempt_on": ""})
    row = newcomer(app, file_id)
    assert (row.obligation_met_on, row.nareiziger, row.status) == (None, False, "in_route")
    assert load(app, RouteProgress, newcomer_id=file_id)[0].map_exempt_on is None


def test_obligation_met_cannot_be_in_the_future(staff, app):  # noqa: ANN001
    file_id = make_file(app, status="in_route")
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    response = post(staff, f"/backoffice/newcomers/{file_id}/records/facts", {"obligation_met_on": tomorrow})
    assert response.status_code == 422
    assert 'id="obligation_met_on-error"' in response.text
    assert newcomer(app, file_id).obligation_met_on is None


# -- financieel ontzorgen ---------------------------------------------------------------------------


def test_relief_defaults_the_six_month_date_and_keeps_one_per_person(staff, app, audit_log):  # noqa: ANN001
    file_id = make_file(app)
    path = f"/backoffice/newcomers/{file_id}/records/relief"
    assert post(staff, path, {"started_on": "2024-08-31"}).status_code == 302
    (relief,) = load(app, ReliefTrajectory, newcomer_id=file_id)
    assert (relief.started_on, relief.six_months_on, relief.extended) == (date(2024, 8, 31), date(2025, 2, 28), False)
    body = {"started_on": "2024-08-31", "extended": "y", "extension_decided_on": "2025-02-20", "ended_on": "2025-08-31"}
    assert post(staff, path, body).status_code == 302
    (relief,) = load(app, ReliefTrajectory, newcomer_id=file_id)
    assert (relief.extended, relief.extension_decided_on, relief.ended_on) == (
        True,
        date(2025, 2, 20),
        date(2025, 8, 31),
    )
    assert len(audit_log(action="records.relief_saved")) == 2


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"started_on": ""}, "started_on"),
        ({"started_on": "9999-12-31"}, "started_on"),
        ({"started_on": "2024-03-01", "extended": "y"}, "extension_decided_on"),
        ({"started_on": "2024-03-01", "extension_decided_on": "2024-09-01"}, "extension_decided_on"),
        ({"started_on": "2024-03-01", "extended": "y", "extension_decided_on": "2024-02-01"}, "extension_decided_on"),
        ({"started_on": "2024-03-01", "ended_on": "2024-02-28"}, "ended_on"),
        ({"started_on": "2024-03-01", "six_months_on": "2024-01-01"}, "six_months_on"),
    ],
)
def test_relief_refuses_bad_dates(staff, app, data, field):  # noqa: ANN001
    file_id = make_file(app)
    response = post(staff, f"/backoffice/newcomers/{file_id}/records/relief", data)
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.text
    assert load(app, ReliefTrajectory, newcomer_id=file_id) == []


# -- participation activities -------------------------------------------------------------------------


def test_activities_add_edit_delete_with_confirm(staff, app, audit_log):  # noqa: ANN001
    file_id = make_file(app)
    work = partner(app, "WerkSaam", "work_partner")
    path = f"/backoffice/newcomers/{file_id}/records/activities"
    body = {"kind": "volunteer_work", "started_on": "2024-05-01", "partner": str(work), "hours_per_week": "8"}
    assert post(staff, path, body).status_code == 302
    (activity,) = load(app, ParticipationActivity, newcomer_id=file_id)
    assert (activity.kind, activity.partner_id, activity.hours_per_week) == ("volunteer_work", work, 8)

    page = staff.get(f"{path}?item={activity.id}")
    assert page.status_code == 200
    assert 'value="2024-05-01"' in page.text
    body = {
        "item": str(activity.id),
        "kind": "paid_work",
        "started_on": "2024-05-01",
        "ended_on": "2024-12-31",
        "partner": "",
    }
    assert post(staff, f"{path}?item={activity.id}", body).status_code == 302
    (activity,) = load(app, ParticipationActivity, newcomer_id=file_id)
    assert (activity.kind, activity.ended_on, activity.partner_id) == ("paid_work", date(2024, 12, 31), None)

    confirm = staff.get(f"{path}/delete?item={activity.id}")
    assert confirm.status_code == 200
    assert "cannot be undone" in confirm.text
    assert load(app, ParticipationActivity, newcomer_id=file_id) != []
    response = staff.post(f"{path}/delete", data={"csrf_token": csrf_token(confirm.text), "item": str(activity.id)})
    assert response.status_code == 302
    assert load(app, ParticipationActivity, newcomer_id=file_id) == []
    actions = [e.action for e in audit_log() if e.action.startswith("records.")]
    assert actions == ["records.activity_saved", "records.activity_saved", "records.activity_deleted"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "", "started_on": "2024-05-01"}, "kind"),
        ({"kind": "crime", "started_on": "2024-05-01"}, "kind"),
        ({"kind": "paid_work", "started_on": "9999-12-31"}, "started_on"),
        ({"kind": "paid_work", "started_on": "2024-05-01", "ended_on": "2024-04-30"}, "ended_on"),
        ({"kind": "paid_work", "started_on": "2024-05-01", "hours_per_week": "2147483648"}, "hours_per_week"),
        ({"kind": "paid_work", "started_on": "2024-05-01", "hours_per_week": "-1"}, "hours_per_week"),
        ({"kind": "paid_work", "started_on": "2024-05-01", "partner": "2147483648"}, "partner"),
    ],
)
def test_activities_refuse_bad_input(staff, app, data, field):  # noqa: ANN001
    file_id = make_file(app)
    response = post(staff, f"/backoffice/newcomers/{file_id}/records/activities", data)
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.text
    assert load(app, ParticipationActivity, newcomer_id=file_id) == []


def test_an_activity_of_another_file_or_partner_is_not_reachable(staff, app):  # noqa: ANN001
    mine, other_file = make_file(app), make_file(app)
    elsewhere = partner(app, "Werk Medemblik", "work_partner", code="0420")
    with app.app_context():
        db.session.add(
            ParticipationActivity(
                newcomer_id=other_file, municipality_id=newcomer(app, other_file).municipality_id,
                kind="paid_work", started_on=START,
            )
        )  # fmt: skip
        db.session.commit()
    (theirs,) = load(app, ParticipationActivity, newcomer_id=other_file)
    path = f"/backoffice/newcomers/{mine}/records/activities"
    assert staff.get(f"{path}?item={theirs.id}").status_code == 404
    assert staff.get(f"{path}?item=2147483648").status_code == 404
    token = csrf_token(staff.get(path).text)
    assert staff.post(f"{path}/delete", data={"csrf_token": token, "item": str(theirs.id)}).status_code == 404
    assert staff.post(f"{path}/delete", data={"csrf_token": token, "item": "99999999999999"}).status_code == 404
    assert len(load(app, ParticipationActivity, newcomer_id=other_file)) == 1
    # A partner that does not serve the file's municipality is not a choice.
    body = {"kind": "paid_work", "started_on": "2024-05-01", "partner": str(elsewhere)}
    response = post(staff, path, body)
    assert response.status_code == 422
    assert 'id="partner-error"' in response.text


# -- household members -------------------------------------------------------------------------------


def test_household_members_add_edit_delete(staff, app, audit_log):  # noqa: ANN001
    file_id = make_file(app)
    path = f"/backoffice/newcomers/{file_id}/records/household"
    body = {"kind": "child", "birth_year": "2016", "housed_on": "2024-04-15"}
    assert post(staff, path, body).status_code == 302
    (member,) = load(app, HouseholdMember, newcomer_id=file_id)
    assert (member.kind, member.birth_year, member.housed_on, member.nareiziger) == (
        "child",
        2016,
        date(2024, 4, 15),
        False,
    )
    body = {
        "item": str(member.id),
        "kind": "elderly",
        "birth_year": "1950",
        "housed_on": "2024-04-15",
        "nareiziger": "y",
    }
    assert post(staff, f"{path}?item={member.id}", body).status_code == 302
    (member,) = load(app, HouseholdMember, newcomer_id=file_id)
    assert (member.kind, member.nareiziger) == ("elderly", True)
    confirm = staff.get(f"{path}/delete?item={member.id}")
    assert confirm.status_code == 200
    staff.post(f"{path}/delete", data={"csrf_token": csrf_token(confirm.text), "item": str(member.id)})
    assert load(app, HouseholdMember, newcomer_id=file_id) == []
    actions = [e.action for e in audit_log() if e.action.startswith("records.")]
    assert actions == ["records.household_saved", "records.household_saved", "records.household_deleted"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "child", "birth_year": "1899", "housed_on": "2024-04-15"}, "birth_year"),
        ({"kind": "child", "birth_year": str(TODAY.year + 1), "housed_on": "2024-04-15"}, "birth_year"),
        ({"kind": "child", "birth_year": "2147483648", "housed_on": "2024-04-15"}, "birth_year"),
        ({"kind": "child", "birth_year": "twenty", "housed_on": "2024-04-15"}, "birth_year"),
        ({"kind": "child", "housed_on": "9999-12-31"}, "housed_on"),
        ({"kind": "spouse", "housed_on": "2024-04-15"}, "kind"),
    ],
)
def test_household_members_refuse_bad_input(staff, app, data, field):  # noqa: ANN001
    file_id = make_file(app)
    response = post(staff, f"/backoffice/newcomers/{file_id}/records/household", data)
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.text
    assert load(app, HouseholdMember, newcomer_id=file_id) == []


def test_birth_year_before_2021_is_fine(staff, app):  # noqa: ANN001
    file_id = make_file(app)
    body = {"kind": "elderly", "birth_year": "1940", "housed_on": "2022-01-10"}
    assert post(staff, f"/backoffice/newcomers/{file_id}/records/household", body).status_code == 302


# -- route partners -----------------------------------------------------------------------------------


def test_linking_a_partner_ends_the_one_before_of_that_kind(staff, app, audit_log):  # noqa: ANN001
    file_id = make_file(app)
    first, second = partner(app, "Taalschool A"), partner(app, "Taalschool B")
    guidance = partner(app, "Vluchtelingenwerk", "social_guidance")
    path = f"/backoffice/newcomers/{file_id}/records/partners"
    assert post(staff, path, {"partner": str(first), "started_on": "2024-01-10"}).status_code == 302
    assert post(staff, path, {"partner": str(guidance), "started_on": "2024-01-10"}).status_code == 302
    assert post(staff, path, {"partner": str(second), "started_on": "2024-06-01"}).status_code == 302
    links = {(r.partner_id, r.kind): r for r in load(app, RoutePartner, newcomer_id=file_id)}
    assert links[(first, "language_school")].ended_on == date(2024, 6, 1)
    assert links[(second, "language_school")].ended_on is None
    assert links[(guidance, "social_guidance")].ended_on is None
    assert len(audit_log(action="records.partner_linked")) == 3


def test_only_active_partners_of_the_files_municipality_can_be_linked(staff, app):  # noqa: ANN001
    file_id = make_file(app)
    inactive = partner(app, "Oude school", active=False)
    elsewhere = partner(app, "Taalschool Medemblik", code="0420")
    partner(app, "Taalschool Hoorn")
    path = f"/backoffice/newcomers/{file_id}/records/partners"
    page = staff.get(path)
    assert "Taalschool Hoorn" in page.text
    assert "Oude school" not in page.text
    assert "Taalschool Medemblik" not in page.text
    for value in (str(inactive), str(elsewhere), "2147483648", "<script>", ""):
        response = post(staff, path, {"partner": value, "started_on": "2024-01-10"})
        assert response.status_code == 422
        assert 'id="partner-error"' in response.text
    assert load(app, RoutePartner, newcomer_id=file_id) == []


# -- another municipality, other roles, erased ---------------------------------------------------------

RECORD_PATHS = (
    "end",
    "facts",
    "relief",
    "activities",
    "activities/delete",
    "household",
    "household/delete",
    "partners",
)


def test_another_municipalitys_file_is_404_on_every_record_page(client, app, make_staff):  # noqa: ANN001
    other_file = make_file(app, code="0420")
    staff_sign_in(client, make_staff(codes=("0405",)))
    token = csrf_token(client.get("/backoffice/caseload").text)
    for path in RECORD_PATHS:
        url = f"/backoffice/newcomers/{other_file}/records/{path}"
        assert client.get(url).status_code == 404, url
        assert (
            client.post(url, data={"csrf_token": token, "ended_on": "2025-01-01", "end_reason": "other"}).status_code
            == 404
        )
    assert newcomer(app, other_file).end_reason is None


@pytest.mark.parametrize("role", ["beleidsmedewerker", "beheerder"])
def test_other_roles_get_404(client, app, make_staff, role):  # noqa: ANN001
    file_id = make_file(app)
    staff_sign_in(client, make_staff(role=role))
    for path in RECORD_PATHS:
        assert client.get(f"/backoffice/newcomers/{file_id}/records/{path}").status_code == 404


def test_a_file_id_beyond_the_database_is_404(staff):  # noqa: ANN001
    assert staff.get("/backoffice/newcomers/2147483648/records/end").status_code == 404
    assert staff.get("/backoffice/newcomers/2147483647/records/end").status_code == 404


# -- the generic record view -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "endpoint", "delete_endpoint", "model", "row"),
    [
        ("activities", "records_activities", "records_activity_delete", ParticipationActivity,
         {"kind": "paid_work", "started_on": START}),
        ("household", "records_household", "records_member_delete", HouseholdMember,
         {"kind": "child", "housed_on": START}),
    ],
)  # fmt: skip
def test_each_record_kind_keeps_its_urls_and_guards(staff, app, path, endpoint, delete_endpoint, model, row):  # noqa: ANN001
    """One view for both kinds: the same URLs and endpoints; another file's item is 404; a bare delete goes back."""
    rules = {r.endpoint: (r.rule, r.methods) for r in app.url_map.iter_rules()}
    base = "/backoffice/newcomers/<int:newcomer_id>/records/" + path
    assert rules[f"backoffice.{endpoint}"][0] == base
    assert rules[f"backoffice.{delete_endpoint}"][0] == base + "/delete"
    assert {"GET", "POST"} <= rules[f"backoffice.{delete_endpoint}"][1]
    mine, other_file = make_file(app), make_file(app)
    with app.app_context():
        db.session.add(model(newcomer_id=other_file, municipality_id=newcomer(app, other_file).municipality_id, **row))
        db.session.commit()
    (theirs,) = load(app, model, newcomer_id=other_file)
    url = f"/backoffice/newcomers/{mine}/records/{path}"
    assert staff.get(f"{url}?item={theirs.id}").status_code == 404
    assert staff.get(f"{url}/delete?item={theirs.id}").headers["Location"].endswith(url)
    token = csrf_token(staff.get(url).text)
    assert staff.post(f"{url}/delete", data={"csrf_token": token, "item": str(theirs.id)}).status_code == 404
    assert len(load(app, model, newcomer_id=other_file)) == 1
