"""Recording route progress: the form with good and hostile input, the rules, concurrency, tenancy, audit,
and the numbers on the file page."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.appointments import progress_services as ps
from app.extensions import db
from app.models import Municipality, Newcomer, Pip
from app.models.appointment import Appointment, Attendee, HoursEntry, RouteProgress
from tests.conftest import csrf_token, sign_in, staff_sign_in

TODAY = datetime.now(ZoneInfo("Europe/Amsterdam")).date()  # the app's today (the machine runs in UTC)
PIP_ON = TODAY - timedelta(days=100)
THIS_MONTH = TODAY.replace(day=1)
LAST_MONTH = (THIS_MONTH - timedelta(days=1)).replace(day=1)


def make_file(app, code: str = "0405", doelgroep: str = "statushouder") -> int:  # noqa: ANN001
    """A newcomer's file in the municipality with ``code`` (created when missing)."""
    with app.app_context():
        municipality = db.session.scalar(select(Municipality).where(Municipality.code == code))
        if municipality is None:
            municipality = Municipality(code=code, name=f"Gemeente {code}")
            db.session.add(municipality)
            db.session.flush()
        count = db.session.scalar(select(db.func.count(Newcomer.id))) or 0
        newcomer = Newcomer(
            name="Yonas ዮናስ",
            phone=f"+316123458{count:02d}",
            language="ti",
            municipality_id=municipality.id,
            status="pip_set",
            doelgroep=doelgroep,
            duo_notified_on=PIP_ON - timedelta(days=60),
        )
        db.session.add(newcomer)
        db.session.commit()
        return newcomer.id


def add_pip(app, file_id: int, leerroute: str = "B", pip_on: date = PIP_ON, **parts) -> None:  # noqa: ANN001, ANN003
    with app.app_context():
        newcomer = db.session.get(Newcomer, file_id)
        level = "A2" if leerroute == "Z" else "B1"
        db.session.add(
            Pip(
                newcomer_id=file_id,
                municipality_id=newcomer.municipality_id,
                version=1,
                pip_on=pip_on,
                leerroute=leerroute,
                level=level,
                **parts,
            )
        )
        db.session.commit()


def url(file_id: int) -> str:
    return f"/backoffice/appointments/{file_id}/progress"


def post(client, file_id: int, **fields):  # noqa: ANN001, ANN003, ANN201
    """Post the progress form as a browser would, starting from the page (its token and version)."""
    page = client.get(url(file_id))
    assert page.status_code == 200, page.text
    version = re.search(r'name="version" type="hidden" value="([^"]*)"', page.text)
    data = {"csrf_token": csrf_token(page.text), "version": version.group(1) if version else "", **fields}
    return client.post(url(file_id), data={k: v for k, v in data.items() if v is not None})


def error_of(html: str, field: str) -> str:
    """The error message shown next to ``field``."""
    match = re.search(rf'id="{field}-error">(?:<span class="visually-hidden">[^<]*</span>)?([^<]*)<', html)
    assert match, f"no error next to {field}"
    return match.group(1)


def record(app, file_id: int) -> RouteProgress | None:  # noqa: ANN001
    with app.app_context():
        row = db.session.scalar(select(RouteProgress).where(RouteProgress.newcomer_id == file_id))
        if row is not None:
            db.session.expunge(row)
        return row


def hours(app, file_id: int) -> dict[tuple[date, str, str], int]:  # noqa: ANN001
    with app.app_context():
        return {
            (e.month, e.kind, e.source): e.hours
            for e in db.session.scalars(select(HoursEntry).where(HoursEntry.newcomer_id == file_id))
        }


@pytest.fixture
def km(client, make_staff):  # noqa: ANN001, ANN201
    """A klantmanager of Hoorn (0405), signed in."""
    staff_sign_in(client, make_staff())
    return client


@pytest.fixture
def file_id(app, km):  # noqa: ANN001, ANN201
    """A file with a PIP on the B1-route (KNM, PVT, MAP)."""
    file_id = make_file(app)
    add_pip(app, file_id)
    return file_id


# -- saving ------------------------------------------------------------------------------------------


def test_the_first_save_creates_the_record_and_is_audited(app, km, file_id, audit_log):
    started = (PIP_ON + timedelta(days=10)).isoformat()
    signed = (PIP_ON + timedelta(days=20)).isoformat()
    response = post(
        km,
        file_id,
        route_started_on=started,
        knm_themes=["housing", "citizenship"],
        pvt_signed_on=signed,
        pvt_verwijtbaar="no",
        map_themes=["networking"],
        map_final_interview_on=signed,
        map_verwijtbaar="yes",
        hours_month=LAST_MONTH.strftime("%Y-%m"),
        hours_pvt="12",
        hours_map_practical="40",
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/backoffice/newcomers/{file_id}#progress")
    saved = record(app, file_id)
    assert saved.route_started_on.isoformat() == started
    assert saved.knm_themes == ["housing", "citizenship"]
    assert saved.pvt_signed_on.isoformat() == signed
    assert saved.pvt_verwijtbaar is False
    assert saved.map_themes == ["networking"]
    assert saved.map_verwijtbaar is True
    assert hours(app, file_id) == {(LAST_MONTH, "pvt", "manual"): 12, (LAST_MONTH, "map_practical", "manual"): 40}
    entries = audit_log(action="progress.recorded")
    assert [(e.record_type, e.record_id) for e in entries] == [("newcomer", file_id)]


def test_a_month_saved_again_replaces_its_hours_and_empty_boxes_leave_them(app, km, file_id):
    month = LAST_MONTH.strftime("%Y-%m")
    assert post(km, file_id, hours_month=month, hours_pvt="5", hours_participatietaalles="30").status_code == 302
    assert post(km, file_id, hours_month=month, hours_pvt="7").status_code == 302
    assert hours(app, file_id) == {(LAST_MONTH, "pvt", "manual"): 7, (LAST_MONTH, "participatietaalles", "manual"): 30}


def test_the_form_opens_with_what_was_saved(app, km, file_id):
    post(km, file_id, knm_themes=["housing"], map_exempt="y", map_exemption_reason="Works full time")
    page = km.get(url(file_id)).text
    assert re.search(r'name="knm_themes" value="housing"\s+checked', page)
    assert 'value="Works full time"' in page
    assert re.search(r'id="map_exempt" name="map_exempt" value="y"\s*checked', page)


def test_unticking_every_theme_clears_them(app, km, file_id):
    post(km, file_id, knm_themes=["housing", "citizenship"])
    assert post(km, file_id).status_code == 302
    assert record(app, file_id).knm_themes == []


# -- hostile and wrong input -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("route_started_on", "9999-12-31", "Type a date from"),
        ("route_started_on", "2020-12-31", "Type a date from"),
        ("pvt_signed_on", (TODAY + timedelta(days=1)).isoformat(), "Type a date from"),
        ("z_completed_on", "not a date", "Not a valid date value."),
        ("hours_pvt", str(2**31), "Type a whole number of hours from 0 to 9999."),
        ("hours_pvt", "10000", "Type a whole number of hours from 0 to 9999."),
        ("hours_pvt", "-1", "Type a whole number of hours from 0 to 9999."),
        ("hours_pvt", "1e3", "Type a whole number of hours from 0 to 9999."),
        ("hours_pvt", "12.5", "Type a whole number of hours from 0 to 9999."),
        ("hours_month", "9999-12", "Type a month from 2021-01 to"),
        ("hours_month", "2025-13", "Type a month from 2021-01 to"),
        ("hours_month", "<script>alert(1)</script>", "Type a month from 2021-01 to"),
        ("map_exemption_reason", "x" * 201, "Write at most 200 characters."),
        ("pvt_verwijtbaar", "maybe", "Choose yes, no or unknown."),
        ("knm_themes", "not_a_theme", "is not a valid choice"),
    ],
)
def test_a_bad_value_is_a_message_next_to_its_field_and_nothing_is_saved(app, km, file_id, field, value, message):
    extra = (
        {"hours_month": LAST_MONTH.strftime("%Y-%m")} if field.startswith("hours_") and field != "hours_month" else {}
    )
    response = post(km, file_id, **{field: value, **extra})
    assert response.status_code == 422
    assert message in error_of(response.text, field)
    assert record(app, file_id) is None
    assert hours(app, file_id) == {}


def test_what_was_typed_is_kept_when_a_field_is_wrong(app, km, file_id):
    response = post(
        km,
        file_id,
        route_started_on="9999-12-31",
        map_exemption_reason="<script>alert(1)</script>",
        map_exempt="y",
        hours_month="2025-99",
        hours_pvt="abc",
    )
    assert response.status_code == 422
    assert 'value="9999-12-31"' in response.text
    assert 'value="2025-99"' in response.text
    assert 'value="abc"' in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    assert "<script>alert(1)" not in response.text


def test_control_characters_never_reach_the_database(app, km, file_id):
    response = post(km, file_id, map_exempt="y", map_exemption_reason="Medical\x00 reasons\x1b[31m\n ok")
    assert response.status_code == 302
    assert record(app, file_id).map_exemption_reason == "Medical reasons[31m ok"


# -- the rules ---------------------------------------------------------------------------------------


def test_a_pvt_cannot_be_signed_before_the_pip(app, km, file_id):
    response = post(km, file_id, pvt_signed_on=(PIP_ON - timedelta(days=1)).isoformat())
    assert response.status_code == 422
    assert "cannot be signed before the PIP date" in error_of(response.text, "pvt_signed_on")
    assert record(app, file_id) is None


def test_a_pvt_signed_on_the_pip_date_is_fine(app, km, file_id):
    assert post(km, file_id, pvt_signed_on=PIP_ON.isoformat()).status_code == 302


def test_without_a_pip_there_is_no_pvt_signing_but_the_language_route_can_be_recorded(app, km):
    file_id = make_file(app)
    refused = post(km, file_id, pvt_signed_on=(TODAY - timedelta(days=3)).isoformat())
    assert "Record the PIP first" in error_of(refused.text, "pvt_signed_on")
    assert post(km, file_id, route_started_on=(TODAY - timedelta(days=3)).isoformat()).status_code == 302


def test_a_map_final_interview_only_on_the_b1_and_z_routes(app, km):
    file_id = make_file(app)
    add_pip(app, file_id, leerroute="O", map=False)
    response = post(km, file_id, map_final_interview_on=(TODAY - timedelta(days=3)).isoformat())
    assert response.status_code == 422
    assert "only part of the B1-route and the Z-route" in error_of(response.text, "map_final_interview_on")


def test_a_map_final_interview_on_the_z_route(app, km):
    file_id = make_file(app)
    add_pip(app, file_id, leerroute="Z")
    assert post(km, file_id, map_final_interview_on=(TODAY - timedelta(days=3)).isoformat()).status_code == 302
    assert record(app, file_id).map_final_interview_on == TODAY - timedelta(days=3)


def test_completion_not_before_the_start(app, km, file_id):
    response = post(
        km,
        file_id,
        route_started_on=(TODAY - timedelta(days=5)).isoformat(),
        route_completed_on=(TODAY - timedelta(days=6)).isoformat(),
    )
    assert response.status_code == 422
    assert "cannot be completed before its first lesson" in error_of(response.text, "route_completed_on")


def test_completion_needs_a_start(app, km, file_id):
    response = post(km, file_id, route_completed_on=(TODAY - timedelta(days=6)).isoformat())
    assert "Fill in the first lesson too" in error_of(response.text, "route_started_on")


def test_an_exemption_needs_a_reason_and_has_no_final_interview(app, km, file_id):
    response = post(km, file_id, map_exempt="y", map_final_interview_on=(TODAY - timedelta(days=1)).isoformat())
    assert response.status_code == 422
    assert error_of(response.text, "map_exemption_reason") == "Write the reason for the exemption."
    assert "An exempted MAP has no final interview" in error_of(response.text, "map_final_interview_on")


def test_a_reason_without_the_exemption_is_refused(app, km, file_id):
    response = post(km, file_id, map_exemption_reason="Works full time")
    assert "Tick the exemption" in error_of(response.text, "map_exemption_reason")


def test_a_z_route_completion_only_on_the_z_route(app, km, file_id):
    response = post(km, file_id, z_completed_on=(TODAY - timedelta(days=1)).isoformat())
    assert "Only a Z-route can be completed here" in error_of(response.text, "z_completed_on")


def test_hours_need_their_month_and_a_month_needs_hours(app, km, file_id):
    assert "Fill in the month" in error_of(post(km, file_id, hours_pvt="3").text, "hours_month")
    assert "at least one kind" in error_of(
        post(km, file_id, hours_month=LAST_MONTH.strftime("%Y-%m")).text, "hours_month"
    )


def test_check_names_every_broken_rule_without_the_database(app):
    facts = ps.PipFacts(first_on=date(2025, 1, 10), leerroute="O")
    values = {
        "route_started_on": date(2025, 2, 1),
        "route_completed_on": date(2025, 1, 31),
        "pvt_signed_on": date(2025, 1, 9),
        "map_final_interview_on": date(2025, 3, 1),
        "map_exempt": True,
        "map_exemption_reason": None,
        "z_completed_on": date(2025, 3, 1),
    }
    with app.test_request_context():
        fields = [v.field for v in ps.check(values, None, {"pvt": 1}, facts)]
    assert fields == [
        "route_completed_on",
        "pvt_signed_on",
        "map_final_interview_on",
        "map_exemption_reason",
        "map_final_interview_on",
        "z_completed_on",
        "hours_month",
    ]


# -- someone else saved meanwhile --------------------------------------------------------------------


def test_a_save_on_a_stale_form_keeps_the_typed_values_and_overwrites_nothing(app, km, file_id):
    post(km, file_id, knm_themes=["housing"])
    page = km.get(url(file_id)).text
    token = csrf_token(page)
    version = re.search(r'name="version" type="hidden" value="([^"]*)"', page).group(1)
    post(km, file_id, knm_themes=["housing", "institutions"])  # someone else, in another tab
    response = km.post(
        url(file_id), data={"csrf_token": token, "version": version, "knm_themes": ["citizenship"], "map_themes": []}
    )
    assert response.status_code == 409
    assert "Someone else saved this progress" in response.text
    assert re.search(r'name="knm_themes" value="citizenship"\s+checked', response.text)
    assert record(app, file_id).knm_themes == ["institutions", "housing"]  # in the order of KNM_THEMES
    newer = re.search(r'name="version" type="hidden" value="([^"]*)"', response.text).group(1)
    assert newer != version
    again = km.post(url(file_id), data={"csrf_token": token, "version": newer, "knm_themes": ["citizenship"]})
    assert again.status_code == 302
    assert record(app, file_id).knm_themes == ["citizenship"]


def test_a_first_save_when_someone_else_created_the_record_is_a_conflict(app, km, file_id):
    page = km.get(url(file_id)).text
    post(km, file_id, knm_themes=["housing"])
    response = km.post(
        url(file_id), data={"csrf_token": csrf_token(page), "version": "", "knm_themes": ["citizenship"]}
    )
    assert response.status_code == 409
    assert record(app, file_id).knm_themes == ["housing"]


def test_a_forged_version_is_a_conflict_not_an_error(app, km, file_id):
    response = post(km, file_id, version="x" * 5000 + "\x00", knm_themes=["housing"])
    assert response.status_code == 409
    assert record(app, file_id) is None


# -- who may ---------------------------------------------------------------------------------------


def test_another_municipality_s_file_is_404_and_audited(app, km, file_id, audit_log):
    other = make_file(app, code="0361")
    add_pip(app, other)
    token = csrf_token(km.get(url(file_id)).text)
    assert km.get(url(other)).status_code == 404
    assert km.post(url(other), data={"csrf_token": token, "knm_themes": ["housing"]}).status_code == 404
    assert record(app, other) is None
    assert audit_log(action="file.viewed", result="denied")


@pytest.mark.parametrize("newcomer_id", ["999999", str(2**31), "-1", "abc"])
def test_a_newcomer_that_does_not_exist_is_404(km, newcomer_id):
    assert km.get(f"/backoffice/appointments/{newcomer_id}/progress").status_code == 404


@pytest.mark.parametrize("role", ["beheerder", "beleidsmedewerker"])
def test_other_roles_get_404(app, client, make_staff, role):
    file_id = make_file(app)
    staff_sign_in(client, make_staff(role=role))
    assert client.get(url(file_id)).status_code == 404


def test_a_newcomer_gets_404(app, client, make_newcomer):
    person = make_newcomer(language="en")
    sign_in(client, person)
    assert client.get(url(person.id)).status_code == 404


def test_signed_out_is_not_let_in(app, client):
    file_id = make_file(app)
    response = client.get(url(file_id))
    assert response.status_code in (302, 404)
    assert "Record progress" not in response.text


# -- the file page ---------------------------------------------------------------------------------


def file_page(km, file_id: int) -> str:  # noqa: ANN001
    """The progress section of the file page as a reader sees it (text only), with its links."""
    page = km.get(f"/backoffice/newcomers/{file_id}")
    assert page.status_code == 200
    match = re.search(r'<section class="panel file-progress".*?</section>', page.text, re.S)
    assert match, "no progress section on the file page"
    links = " ".join(re.findall(r'href="[^"]*"', match.group(0)))
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(0)).split()) + " " + links


def test_the_file_page_without_a_pip_has_a_one_line_empty_state(app, km):
    file_id = make_file(app)
    section = file_page(km, file_id)
    assert "No PIP yet" in section
    assert "Under way" not in section
    assert "Not started" not in section
    assert f'href="/backoffice/appointments/{file_id}/progress"' in section


def test_the_file_page_shows_the_numbers_of_each_part(app, km, file_id):
    with app.app_context():
        newcomer = db.session.get(Newcomer, file_id)
        db.session.add_all(
            [
                HoursEntry(
                    newcomer_id=file_id, municipality_id=newcomer.municipality_id, month=LAST_MONTH, kind="pvt", hours=4
                ),
                HoursEntry(
                    newcomer_id=file_id,
                    municipality_id=newcomer.municipality_id,
                    month=LAST_MONTH,
                    kind="map_practical",
                    hours=10,
                    source="import",
                ),
            ]
        )
        # An attended two-hour PVT session counts too.
        start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)
        session = Appointment(
            municipality_id=newcomer.municipality_id,
            kind="pvt_session",
            starts_at=start,
            ends_at=start + timedelta(hours=2),
        )
        db.session.add(session)
        db.session.flush()
        db.session.add(
            Attendee(
                appointment_id=session.id,
                newcomer_id=file_id,
                municipality_id=newcomer.municipality_id,
                uid=f"test-{session.id}",
                attendance="present",
            )
        )
        db.session.commit()
    post(km, file_id, knm_themes=["housing", "citizenship", "institutions"], map_themes=["networking"])
    section = file_page(km, file_id)
    assert "KNM Under way 3 of 8 themes" in section
    assert "PVT Under way 6 of 12 hours" in section
    assert "MAP Under way 10 of 40 hours; 1 of 8 themes" in section
    assert "Record progress" in section


def test_the_file_page_shows_done_and_exempt_parts(app, km, file_id):
    signed = PIP_ON + timedelta(days=30)
    post(km, file_id, pvt_signed_on=signed.isoformat(), map_exempt="y", map_exemption_reason="Works full time")
    section = file_page(km, file_id)
    assert "PVT Done" in section
    assert "MAP Exempt" in section
    assert "Works full time" not in section  # the reason stays on the progress page
