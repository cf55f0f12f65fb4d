"""The beheerder's administration: staff accounts, municipalities, the audit log and its export."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, AuthSession, Municipality, Staff
from app.models.types import utcnow
from app.staff import services as staff_services
from tests.conftest import csrf_token, sign_in, staff_sign_in

ADMIN_PAGES = [
    "/admin/",
    "/admin/staff",
    "/admin/staff/new",
    "/admin/municipalities",
    "/admin/audit",
    "/admin/audit.csv",
]


@pytest.fixture
def beheerder_login(make_staff):  # noqa: ANN001, ANN201
    return make_staff(role="beheerder", codes=())


@pytest.fixture
def beheerder(client, beheerder_login):  # noqa: ANN001, ANN201
    """A client signed in as a beheerder (no municipalities)."""
    staff_sign_in(client, beheerder_login)
    return client


def post(client, path: str, data: dict | None = None, page: str | None = None):  # noqa: ANN001, ANN201
    """POST a form with the CSRF token of the page it is on (``page``, default ``path``)."""
    token = csrf_token(client.get(page or path).text)
    return client.post(path, data={"csrf_token": token, **(data or {})})


def one_time_password(html: str) -> str:
    return re.search(r'<code class="one-time-password" dir="ltr">([^<]+)</code>', html).group(1)


def post_login(client, email: str, password: str):  # noqa: ANN001, ANN201
    page = client.get("/staff/login")
    return client.post("/staff/login", data={"csrf_token": csrf_token(page.text), "email": email, "password": password})


# -- access --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["klantmanager", "beleidsmedewerker"])
def test_other_roles_get_404_everywhere_in_admin(client, make_staff, role, audit_log):
    staff_sign_in(client, make_staff(role=role))
    other = make_staff(role="klantmanager")
    pages = [*ADMIN_PAGES, f"/admin/staff/{other.id}", f"/admin/staff/{other.id}/reset"]
    for path in pages:
        assert client.get(path).status_code == 404, path
    token = csrf_token(client.get("/backoffice/", follow_redirects=True).text)
    for path in (f"/admin/staff/{other.id}/disable", f"/admin/staff/{other.id}/reset", "/admin/municipalities"):
        assert client.post(path, data={"csrf_token": token}).status_code == 404, path
    refused = audit_log(action="access.refused")
    assert len(refused) == len(pages) + 3
    assert {e.result for e in refused} == {"denied"}
    with client.application.app_context():
        assert db.session.get(Staff, other.id).disabled_at is None


def test_newcomers_and_strangers_never_see_admin(client, newcomer):
    assert client.get("/admin/staff").status_code == 302  # not signed in: to the sign-in page
    sign_in(client, newcomer)
    assert client.get("/admin/staff").status_code == 404


def test_beheerder_starts_at_the_staff_list_with_nav_links(beheerder):
    response = beheerder.get("/backoffice/", follow_redirects=True)
    assert response.request.path == "/admin/staff"
    assert 'href="/admin/audit"' in response.text
    assert 'href="/admin/municipalities"' in response.text


# -- the staff list ------------------------------------------------------------------------------


def test_staff_list_shows_role_municipalities_state_and_last_sign_in(beheerder, app, make_staff):
    active = make_staff(role="klantmanager", codes=("0405", "0420"), email="active@example.nl")
    disabled = make_staff(role="beleidsmedewerker", codes=("0405",), email="gone@example.nl")
    locked = make_staff(role="klantmanager", email="locked@example.nl")
    with app.app_context():
        db.session.get(Staff, disabled.id).disabled_at = utcnow()
        db.session.get(Staff, locked.id).locked_until = utcnow() + timedelta(minutes=10)
        db.session.get(Staff, active.id).last_login_at = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
        db.session.commit()
    page = beheerder.get("/admin/staff")
    assert page.status_code == 200
    rows = {
        m.group(1): m.group(0)
        for m in re.finditer(
            r"<tr>\s*<td><a[^>]*><bdi>[^<]*</bdi></a></td>\s*"
            r'<td dir="ltr">([^<]+)</td>.*?</tr>',
            page.text,
            re.S,
        )
    }
    assert "Gemeente 0420" in rows["active@example.nl"]
    assert "Hoorn" in rows["active@example.nl"]
    assert "Klantmanager" in rows["active@example.nl"]
    assert '<span class="badge badge--ok">active</span>' in rows["active@example.nl"]
    assert "3/2/26" in rows["active@example.nl"]
    assert '<span class="badge badge--overdue">disabled</span>' in rows["gone@example.nl"]
    assert "Policy officer" in rows["gone@example.nl"]
    assert '<span class="badge badge--soon">locked</span>' in rows["locked@example.nl"]
    assert "never" in rows["locked@example.nl"]


def test_staff_list_is_paged(beheerder, app):
    with app.app_context():
        for number in range(55):
            db.session.add(Staff(email=f"p{number:02d}@example.nl", name=f"Person {number:02d}", role="klantmanager",
                                 password_hash="x"))  # fmt: skip
        db.session.commit()
    first = beheerder.get("/admin/staff")
    assert "56 staff members" in first.text  # and the beheerder
    assert "Page 1 of 2" in first.text
    assert "Person 00" in first.text
    assert "Person 54" not in first.text
    second = beheerder.get("/admin/staff?page=2")
    assert "Person 54" in second.text
    assert "Person 00" not in second.text
    assert beheerder.get("/admin/staff?page=x").status_code == 200


# -- creating staff ------------------------------------------------------------------------------


def municipality_ids(app) -> dict[str, int]:  # noqa: ANN001
    with app.app_context():
        return dict(db.session.execute(select(Municipality.code, Municipality.id)).all())


def test_create_staff_shows_the_password_once_and_enrols_at_first_sign_in(beheerder, app, audit_log):
    hoorn = municipality_ids(app)["0405"]
    response = post(
        beheerder,
        "/admin/staff/new",
        {"name": "Fatima  Zahra", "email": "Fatima@Example.nl", "role": "klantmanager", "municipalities": [hoorn]},
    )
    assert response.status_code == 302
    page = beheerder.get(response.headers["Location"])
    password = one_time_password(page.text)
    assert "shown only now" in page.text
    again = beheerder.get(response.headers["Location"])
    assert again.status_code == 302  # shown once
    assert password not in beheerder.get(again.headers["Location"]).text
    with app.app_context():
        staff = db.session.scalar(select(Staff).where(Staff.email == "fatima@example.nl"))
        assert staff.name == "Fatima Zahra"
        assert staff.totp_secret is None
        assert staff.must_change_password
        assert staff.municipality_ids == (hoorn,)
        staff_id = staff.id
    assert [(e.record_id, e.result) for e in audit_log(action="staff.created")] == [(staff_id, "ok")]
    # The new person's first sign-in goes through enrolment with a QR code.
    other = app.test_client()
    assert post_login(other, "fatima@example.nl", password).headers["Location"] == "/staff/enrol"
    enrol = other.get("/staff/enrol")
    assert 'src="data:image/svg+xml;base64,' in enrol.text
    secret = re.search(r"<code>([A-Z2-7]{32})</code>", enrol.text).group(1)
    done = other.post("/staff/enrol", data={"csrf_token": csrf_token(enrol.text), "code": pyotp.TOTP(secret).now()})
    assert done.status_code == 302


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"email": "taken@example.nl"}, "email", "An account with this e-mail address exists already."),
        ({"email": "TAKEN@example.nl"}, "email", "An account with this e-mail address exists already."),
        ({"municipalities": []}, "municipalities", "A klantmanager needs at least one municipality."),
        ({"email": "not an address"}, "email", "This is not a valid e-mail address."),
        ({"name": "   "}, "name", "Please fill in a name."),
        ({"role": "superuser"}, "role", "Not a valid choice"),
    ],
)
def test_create_staff_validation(beheerder, app, make_staff, audit_log, data, field, message):
    make_staff(email="taken@example.nl")
    hoorn = municipality_ids(app)["0405"]
    form = {"name": "Kees", "email": "kees@example.nl", "role": "klantmanager", "municipalities": [hoorn], **data}
    response = post(beheerder, "/admin/staff/new", form)
    assert response.status_code == 422
    error = re.search(rf'id="{field}-error">([^<]+)<', response.text)
    assert error, response.text
    assert message in error.group(1)
    assert 'value="Kees"' in response.text or field == "name"  # what was typed is kept
    with app.app_context():
        assert db.session.scalar(select(Staff).where(Staff.email == "kees@example.nl")) is None
    if field == "email" and "exists" in message:
        assert [e.result for e in audit_log(action="staff.created")] == ["failed"]


def test_a_policy_officer_may_have_no_municipality(beheerder, app):
    response = post(
        beheerder, "/admin/staff/new", {"name": "Piet", "email": "piet@example.nl", "role": "beleidsmedewerker"}
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Staff.role).where(Staff.email == "piet@example.nl")) == "beleidsmedewerker"


# -- reset, disable, enable ----------------------------------------------------------------------


def live_sessions(app, staff_id: int) -> int:  # noqa: ANN001
    with app.app_context():
        return len(
            db.session.scalars(
                select(AuthSession).where(AuthSession.staff_id == staff_id, AuthSession.ended_at.is_(None))
            ).all()
        )


def test_reset_password_after_a_confirm_step(beheerder, app, make_staff, audit_log):
    target = make_staff()
    target_client = app.test_client()
    staff_sign_in(target_client, target)
    assert live_sessions(app, target.id) == 1
    confirm = beheerder.get(f"/admin/staff/{target.id}/reset")
    assert confirm.status_code == 200
    assert "Every session of this account ends now." in confirm.text
    assert "set up again" in confirm.text
    assert live_sessions(app, target.id) == 1  # the confirm page changes nothing
    response = beheerder.post(f"/admin/staff/{target.id}/reset", data={"csrf_token": csrf_token(confirm.text)})
    assert response.status_code == 302
    password = one_time_password(beheerder.get(response.headers["Location"]).text)
    assert password != target.password
    assert live_sessions(app, target.id) == 0
    assert target_client.get("/backoffice/caseload").status_code == 302  # signed out on the server
    assert post_login(app.test_client(), target.email, password).headers["Location"] == "/staff/enrol"
    with app.app_context():
        staff = db.session.get(Staff, target.id)
        assert staff.totp_secret is None
        assert not staff_services.has_recovery_codes(staff)
    assert [(e.record_id, e.result) for e in audit_log(action="staff.password_reset")] == [(target.id, "ok")]


def test_confirm_steps_need_the_csrf_token(beheerder, app, make_staff):
    target = make_staff()
    for action in ("reset", "disable"):
        assert beheerder.post(f"/admin/staff/{target.id}/{action}").status_code == 400
    with app.app_context():
        staff = db.session.get(Staff, target.id)
        assert staff.disabled_at is None
        assert staff.totp_secret is not None


def test_disable_ends_sessions_and_enable_restores_access(beheerder, app, beheerder_login, make_staff, audit_log):
    target = make_staff()
    target_client = app.test_client()
    staff_sign_in(target_client, target)
    confirm = beheerder.get(f"/admin/staff/{target.id}/disable")
    assert "This person can no longer sign in." in confirm.text
    response = beheerder.post(f"/admin/staff/{target.id}/disable", data={"csrf_token": csrf_token(confirm.text)})
    assert response.status_code == 302
    assert "The account is disabled." in beheerder.get(response.headers["Location"]).text
    assert live_sessions(app, target.id) == 0
    assert target_client.get("/backoffice/caseload").status_code == 302
    assert post_login(app.test_client(), target.email, "a long new password 123").status_code == 422
    assert "disabled" in beheerder.get("/admin/staff").text
    confirm = beheerder.get(f"/admin/staff/{target.id}/enable")
    assert confirm.status_code == 200
    beheerder.post(f"/admin/staff/{target.id}/enable", data={"csrf_token": csrf_token(confirm.text)})
    with app.app_context():
        assert db.session.get(Staff, target.id).disabled_at is None
    assert post_login(app.test_client(), target.email, "a long new password 123").status_code == 302
    changes = [e for e in audit_log(record_type="staff", record_id=target.id) if e.action.endswith("abled")]
    assert [(e.action, e.actor_id, e.result) for e in changes] == [
        ("staff.disabled", beheerder_login.id, "ok"),
        ("staff.enabled", beheerder_login.id, "ok"),
    ]


def test_a_beheerder_cannot_disable_or_reset_themselves(beheerder, app, beheerder_login, audit_log):
    me = beheerder_login.id
    detail = beheerder.get(f"/admin/staff/{me}")
    assert "This is your own account." in detail.text
    assert f"/admin/staff/{me}/disable" not in detail.text
    assert beheerder.get(f"/admin/staff/{me}/disable").status_code == 302
    token = csrf_token(detail.text)
    response = beheerder.post(f"/admin/staff/{me}/disable", data={"csrf_token": token}, follow_redirects=True)
    assert "You cannot disable your own account." in response.text
    response = beheerder.post(f"/admin/staff/{me}/reset", data={"csrf_token": token}, follow_redirects=True)
    assert "You cannot reset your own password here." in response.text
    with app.app_context():
        staff = db.session.get(Staff, me)
        assert staff.disabled_at is None
        assert staff.totp_secret is not None
    assert live_sessions(app, me) == 1
    assert [(e.action, e.result) for e in audit_log(record_type="staff", record_id=me)] == [
        ("staff.disabled", "denied"),
        ("staff.password_reset", "denied"),
    ]


def test_unknown_staff_member_is_404(beheerder):
    assert beheerder.get("/admin/staff/999999").status_code == 404
    assert beheerder.get("/admin/staff/999999/reset").status_code == 404


# -- granting municipalities ---------------------------------------------------------------------


def test_grant_municipalities_takes_effect_at_the_next_request(beheerder, app, make_staff, make_newcomer, audit_log):
    target = make_staff(codes=("0405",))
    make_staff(codes=("0420",))  # creates Gemeente 0420
    ids = municipality_ids(app)
    with app.app_context():
        from app.models import Newcomer

        db.session.add(Newcomer(name="Zahra Ahmadi", phone="+31612340420", municipality_id=ids["0420"]))
        db.session.commit()
        other_file = db.session.scalar(select(Newcomer.id).where(Newcomer.phone == "+31612340420"))
    target_client = app.test_client()
    staff_sign_in(target_client, target)
    assert target_client.get(f"/backoffice/newcomers/{other_file}").status_code == 404
    detail = beheerder.get(f"/admin/staff/{target.id}")
    response = beheerder.post(
        f"/admin/staff/{target.id}/municipalities",
        data={"csrf_token": csrf_token(detail.text), "municipalities": [ids["0405"], ids["0420"]]},
    )
    assert response.status_code == 302
    assert target_client.get(f"/backoffice/newcomers/{other_file}").status_code == 200
    with app.app_context():
        assert db.session.get(Staff, target.id).municipality_ids == tuple(sorted((ids["0405"], ids["0420"])))
    assert [e.result for e in audit_log(action="staff.municipalities_changed")] == ["ok"]
    # A klantmanager must keep at least one.
    refused = beheerder.post(f"/admin/staff/{target.id}/municipalities", data={"csrf_token": csrf_token(detail.text)})
    assert refused.status_code == 422
    assert "A klantmanager needs at least one municipality." in refused.text
    with app.app_context():
        assert len(db.session.get(Staff, target.id).municipalities) == 2


# -- municipalities ------------------------------------------------------------------------------


def test_municipalities_list_and_add(beheerder, app, audit_log):
    page = beheerder.get("/admin/municipalities")
    assert "Hoorn" in page.text
    assert "0405" in page.text
    response = post(beheerder, "/admin/municipalities", {"code": "0420", "name": " Medemblik "})
    assert response.status_code == 302
    assert "Medemblik" in beheerder.get("/admin/municipalities").text
    with app.app_context():
        added = db.session.scalar(select(Municipality).where(Municipality.code == "0420"))
        assert added.name == "Medemblik"
    assert [(e.record_id, e.result) for e in audit_log(action="municipality.added")] == [(added.id, "ok")]


@pytest.mark.parametrize(
    ("code", "name", "field", "message"),
    [
        ("405", "Hoorn", "code", "exactly 4 digits"),
        ("04051", "Hoorn", "code", "exactly 4 digits"),
        ("abcd", "Hoorn", "code", "exactly 4 digits"),
        ("", "Hoorn", "code", "Please fill in the municipality code."),
        ("0405", "Hoorn again", "code", "A municipality with this code exists already."),
        ("0999", "", "name", "Please fill in a name."),
    ],
)
def test_municipality_validation(beheerder, app, code, name, field, message):
    response = post(beheerder, "/admin/municipalities", {"code": code, "name": name})
    assert response.status_code == 422
    assert message in re.search(rf'id="{field}-error">([^<]+)<', response.text).group(1)
    with app.app_context():
        assert db.session.scalar(select(Municipality.name).where(Municipality.code == "0405")) == "Hoorn"
        assert db.session.scalar(select(Municipality.id).where(Municipality.code == "0999")) is None


# -- the audit log -------------------------------------------------------------------------------


def old_entries(app, count: int, year: int) -> None:  # noqa: ANN001
    """Entries on 10 May of a year long gone (one per test): the append-only log keeps other tests' entries."""
    with app.app_context():
        hoorn = db.session.scalar(select(Municipality.id).where(Municipality.code == "0405"))
        for number in range(count):
            db.session.add(
                AuditEvent(
                    at=datetime(year, 5, 10, 12, 0, tzinfo=UTC) + timedelta(hours=number),
                    actor_type="staff" if number % 2 == 0 else "newcomer",
                    actor_id=100 + number,
                    action="file.viewed" if number % 3 else "staff.sign_in",
                    record_type="newcomer",
                    record_id=500 + number,
                    municipality_id=hoorn if number % 2 == 0 else None,
                    result="denied" if number == 1 else "ok",
                    ip="10.0.0.1",
                )
            )
        db.session.commit()


def may(year: int) -> str:
    return f"date_from={year}-05-01&date_to={year}-05-31"


def shown_records(html: str) -> list[int]:
    return [int(n) for n in re.findall(r"<td>newcomer <a [^>]*>(\d+)</a></td>", html)]


def test_audit_log_newest_first_and_filters(beheerder, app):
    old_entries(app, 6, 2021)
    page = beheerder.get(f"/admin/audit?{may(2021)}")
    assert page.status_code == 200
    assert shown_records(page.text) == [505, 504, 503, 502, 501, 500]  # newest first
    hoorn = municipality_ids(app)["0405"]
    cases = {
        "actor_type=newcomer": [505, 503, 501],
        "actor_type=staff&actor_id=102": [502],
        "action=file.": [505, 504, 502, 501],
        "action=staff.sign_in": [503, 500],
        "record_type=newcomer&record_id=504": [504],
        "record_type=staff": [],
        "result=denied": [501],
        f"municipality={hoorn}": [504, 502, 500],
    }
    for query, expected in cases.items():
        assert shown_records(beheerder.get(f"/admin/audit?{may(2021)}&{query}").text) == expected, query
    # Dates are days in Amsterdam, both ends inclusive.
    assert shown_records(beheerder.get("/admin/audit?date_from=2021-05-10&date_to=2021-05-10").text) == [
        505, 504, 503, 502, 501, 500
    ]  # fmt: skip
    assert shown_records(beheerder.get("/admin/audit?date_from=2021-05-11&date_to=2021-05-31").text) == []
    assert shown_records(beheerder.get("/admin/audit?date_from=2021-05-01&date_to=2021-05-09").text) == []


def test_audit_log_is_paged(beheerder, app):
    old_entries(app, 60, 2022)
    first = beheerder.get(f"/admin/audit?{may(2022)}")
    assert "60 entries" in first.text
    assert "Page 1 of 2" in first.text
    assert shown_records(first.text)[0] == 559
    assert len(shown_records(first.text)) == 50
    assert "page=2" in first.text
    assert "date_from=2022-05-01" in first.text
    second = beheerder.get(f"/admin/audit?{may(2022)}&page=2")
    assert shown_records(second.text) == list(range(509, 499, -1))


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("actor_id=abc", "actor_id", "integer"),
        ("record_id=0", "record_id", "An id is a whole number from 1."),
        ("date_from=2021-05-31&date_to=2021-05-01", "date_to", "The end date is before the start date."),
        ("date_from=yesterday", "date_from", "date"),
        ("result=maybe", "result", "Not a valid choice"),
    ],
)
def test_audit_filter_errors_are_shown_next_to_the_field(beheerder, query, field, message):
    response = beheerder.get(f"/admin/audit?{query}")
    assert response.status_code == 422
    assert message in re.search(rf'id="{field}-error">([^<]+)<', response.text).group(1)
    assert beheerder.get(f"/admin/audit.csv?{query}").status_code == 302  # no export of a bad filter


def test_audit_names_staff_actors_but_never_newcomers(beheerder, app, make_staff, make_newcomer):
    person = make_newcomer(name="Amal Al-Hassan")
    klantmanager = app.test_client()
    login = make_staff()
    staff_sign_in(klantmanager, login)
    klantmanager.get(f"/backoffice/newcomers/{person.id}")
    page = beheerder.get(f"/admin/audit?action=file.viewed&record_id={person.id}")
    assert f'/admin/audit?record_type=newcomer&amp;record_id={person.id}"' in page.text  # rows link the record
    assert "Amal" not in page.text
    with app.app_context():
        name = db.session.get(Staff, login.id).name
    assert f"<bdi>{name}</bdi>" in page.text


def test_csv_export_of_the_filtered_log_is_audited(beheerder, app, beheerder_login, audit_log):
    old_entries(app, 6, 2023)
    response = beheerder.get(f"/admin/audit.csv?{may(2023)}&action=file.")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert re.fullmatch(r'attachment; filename="audit-log-\d{8}-\d{6}\.csv"', response.headers["Content-Disposition"])
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [int(r["record_id"]) for r in rows] == [505, 504, 502, 501]
    first = rows[0]
    assert first["action"] == "file.viewed"
    assert first["actor_type"] == "newcomer"
    assert first["actor_id"] == "105"
    assert first["at"] == "2023-05-10T17:00:00+00:00"
    assert first["ip"] == "10.0.0.1"
    assert rows[1]["municipality_code"] == "0405"
    assert rows[2]["result"] == "ok"
    assert rows[3]["result"] == "denied"
    exports = audit_log(action="audit.exported")
    assert [(e.actor_type, e.actor_id, e.result) for e in exports] == [("staff", beheerder_login.id, "ok")]


def test_csv_cells_cannot_become_spreadsheet_formulas(beheerder, app):
    with app.app_context():
        at = datetime(2024, 5, 10, tzinfo=UTC)
        db.session.add(AuditEvent(at=at, actor_type="system", action="=HYPERLINK(1)", result="ok"))
        db.session.commit()
    rows = list(csv.reader(io.StringIO(beheerder.get(f"/admin/audit.csv?{may(2024)}").text)))
    assert rows[1][4] == "'=HYPERLINK(1)"
