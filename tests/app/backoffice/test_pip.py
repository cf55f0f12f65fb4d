"""Route and PIP: DUO's rules, versions, status and route, the integration term, tenancy, audit, DUO's schema."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.backoffice import pip_services as ps
from app.backoffice.pip_services import PipContext, PipDraft, check_pip
from app.extensions import db
from app.models import Municipality, Newcomer, Pip, StatusChange, TermExtension
from app.models.pip import LEARNABILITY, LEERROUTES, LEVELS, LITERACY
from forms.pip import LEARNABILITY_CHOICES, LEERROUTE_CHOICES, LEVEL_CHOICES, LITERACY_CHOICES
from tests.conftest import ROOT, csrf_token, staff_sign_in

TODAY = datetime.now(ZoneInfo("Europe/Amsterdam")).date()  # the app's today (the machine runs in UTC)
NOTIFIED = TODAY - timedelta(days=200)
SETTLED = TODAY - timedelta(days=190)
PIP_ON = TODAY - timedelta(days=100)


# --- helpers ---------------------------------------------------------------------------------------


def draft(leerroute: str = "B", level: str = "B1", pip_on: date = PIP_ON, **parts) -> PipDraft:  # noqa: ANN003
    """A PIP draft; MAP is off for the onderwijsroute unless asked for, as the form does."""
    parts.setdefault("map", leerroute != "O")
    return PipDraft(
        learnability_result="feasible",
        learnability_score=None,
        leerroute=leerroute,
        level=level,
        literacy="NVT",
        pip_on=pip_on,
        **parts,
    )


def codes(violations: list[ps.Violation]) -> list[str]:
    return [v.code for v in violations]


def make_file(app, code: str = "0405", status: str = "intake_approved", **fields) -> int:  # noqa: ANN001, ANN003
    """A newcomer's file in the municipality with ``code`` (created when missing)."""
    fields.setdefault("duo_notified_on", NOTIFIED)
    fields.setdefault("settled_on", SETTLED)
    with app.app_context():
        municipality = db.session.scalar(select(Municipality).where(Municipality.code == code))
        if municipality is None:
            municipality = Municipality(code=code, name=f"Gemeente {code}")
            db.session.add(municipality)
            db.session.flush()
        count = db.session.scalar(select(db.func.count(Newcomer.id))) or 0
        newcomer = Newcomer(
            name="Yonas ዮናስ",
            phone=f"+316123457{count:02d}",
            language="ti",
            municipality_id=municipality.id,
            status=status,
            **fields,
        )
        db.session.add(newcomer)
        db.session.commit()
        return newcomer.id


def add_pip(app, file_id: int, pip_on: date, version: int = 1, **fields) -> None:  # noqa: ANN001, ANN003
    """A stored PIP version, written directly (for the term and the panel)."""
    fields.setdefault("leerroute", "B")
    fields.setdefault("level", "B1")
    with app.app_context():
        newcomer = db.session.get(Newcomer, file_id)
        db.session.add(
            Pip(newcomer_id=file_id, municipality_id=newcomer.municipality_id, version=version, pip_on=pip_on, **fields)
        )
        db.session.commit()


FORM = {
    "learnability_result": "feasible",
    "learnability_score": "72",
    "leerroute": "B",
    "level": "B1",
    "literacy": "NVT",
    "pip_on": PIP_ON.isoformat(),
    "knm": "y",
    "pvt": "y",
    "map": "y",
    "social_guidance": "y",
    "financial_relief_on": "",
    "financial_relief_extended": "",
    "comment": "",
}


def post_pip(client, file_id: int, **overrides):  # noqa: ANN001, ANN003, ANN201
    """Post the PIP form; an override of None leaves the field out (an unticked box)."""
    page = client.get(f"/backoffice/newcomers/{file_id}/pip")
    data = {**FORM, **overrides, "csrf_token": csrf_token(page.text)}
    return client.post(f"/backoffice/newcomers/{file_id}/pip", data={k: v for k, v in data.items() if v is not None})


def post_extension(client, file_id: int, **overrides):  # noqa: ANN001, ANN003, ANN201
    page = client.get(f"/backoffice/newcomers/{file_id}").text
    token = re.search(r'name="extension-csrf_token" type="hidden" value="([^"]+)"', page)
    data = {
        "extension-csrf_token": token.group(1) if token else csrf_token(page),
        "extension-reason": "illness",
        "extension-days": "90",
        "extension-decided_on": (TODAY - timedelta(days=10)).isoformat(),
    }
    data.update({f"extension-{k}": v for k, v in overrides.items()})
    return client.post(f"/backoffice/newcomers/{file_id}/pip/extensions", data=data)


def versions(app, file_id: int) -> list[Pip]:
    with app.app_context():
        rows = db.session.scalars(select(Pip).where(Pip.newcomer_id == file_id).order_by(Pip.version)).all()
        db.session.expunge_all()
        return list(rows)


def error_of(html: str, field: str) -> str:
    """The error message shown next to ``field``."""
    match = re.search(rf'id="{field}-error">(?:<span class="visually-hidden">[^<]*</span>)?([^<]*)<', html)
    assert match, f"no error next to {field}"
    return match.group(1)


@pytest.fixture
def staff(client, make_staff):  # noqa: ANN001, ANN201
    """A klantmanager of Hoorn (0405), signed in on ``client``."""
    login = make_staff()
    staff_sign_in(client, login)
    return login


# --- DUO's rules, as a pure function ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("leerroute", "level", "version", "expected"),
    [
        ("B", "B1", 1, []),
        ("B", "A2", 1, [ps.FIRST_B_A2]),  # a first PIP on the B1-route is never A2
        ("B", "A2", 2, []),  # a changed PIP may lower the level
        ("Z", "A2", 1, []),
        ("Z", "B1", 1, [ps.B1_WITH_Z]),  # B1 never with the Z-route
        ("Z", "B1", 3, [ps.B1_WITH_Z]),
        ("O", "B1", 1, []),
        ("O", "A2", 1, [ps.A2_WITH_O]),  # A2 never with the onderwijsroute
        ("O", "A2", 2, [ps.A2_WITH_O]),
    ],
)
def test_route_and_level_rules(leerroute, level, version, expected):
    context = PipContext(version=version)
    violations = check_pip(draft(leerroute, level), context)
    assert codes(violations) == expected
    assert all(v.field == "level" for v in violations)


@pytest.mark.parametrize(
    ("pip_on", "context", "expected"),
    [
        (NOTIFIED, PipContext(1, NOTIFIED, None), []),  # the same day is allowed
        (NOTIFIED - timedelta(days=1), PipContext(1, NOTIFIED, None), [ps.BEFORE_OBLIGATION]),
        (SETTLED, PipContext(1, NOTIFIED, SETTLED), []),
        (SETTLED - timedelta(days=1), PipContext(1, NOTIFIED, SETTLED), [ps.BEFORE_SETTLING]),
        (NOTIFIED - timedelta(days=1), PipContext(1, NOTIFIED, SETTLED), [ps.BEFORE_OBLIGATION, ps.BEFORE_SETTLING]),
        (date(2000, 1, 1), PipContext(1, None, None), []),  # no dates known: nothing to check
        (PIP_ON, PipContext(2, NOTIFIED, SETTLED, PIP_ON, PIP_ON), []),
        (PIP_ON - timedelta(days=1), PipContext(2, NOTIFIED, SETTLED, PIP_ON, PIP_ON), [ps.BEFORE_EARLIER_PIP]),
        (
            PIP_ON + timedelta(days=5),
            PipContext(3, None, None, PIP_ON, PIP_ON + timedelta(days=9)),
            [ps.BEFORE_EARLIER_PIP],
        ),
    ],
)
def test_pip_date_rules(pip_on, context, expected):
    violations = check_pip(draft(pip_on=pip_on), context)
    assert codes(violations) == expected
    assert all(v.field == "pip_on" and v.date is not None for v in violations)


def test_a_changed_pip_is_compared_with_the_later_of_first_and_current():
    context = PipContext(3, None, None, first_pip_on=PIP_ON, current_pip_on=PIP_ON + timedelta(days=30))
    (violation,) = check_pip(draft(pip_on=PIP_ON + timedelta(days=10)), context)
    assert violation.date == PIP_ON + timedelta(days=30)


@pytest.mark.parametrize(
    ("leerroute", "level", "parts", "expected"),
    [
        ("O", "B1", {"map": True}, [("map", ps.MAP_WITH_O)]),
        ("O", "B1", {"map": False}, []),
        ("B", "B1", {"map": True}, []),
        ("Z", "A2", {"map": True, "z_participation": True}, []),
        ("B", "B1", {"z_participation": True}, [("z_participation", ps.Z_PARTICIPATION_NOT_Z)]),
        ("O", "B1", {"map": False, "z_participation": True}, [("z_participation", ps.Z_PARTICIPATION_NOT_Z)]),
    ],
)
def test_parts_belong_to_their_routes(leerroute, level, parts, expected):
    violations = check_pip(draft(leerroute, level, **parts), PipContext(version=1))
    assert [(v.field, v.code) for v in violations] == expected


def test_form_choices_are_the_models_codes():
    assert tuple(choice.value for choice in LEERROUTE_CHOICES) == LEERROUTES
    assert tuple(choice.value for choice in LEVEL_CHOICES) == LEVELS
    assert {choice.value for choice in LITERACY_CHOICES} == set(LITERACY)
    assert tuple(choice.value for choice in LEARNABILITY_CHOICES) == LEARNABILITY


# --- the integration term ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pip_on", "extensions", "end"),
    [
        (date(2024, 3, 10), [], date(2027, 3, 11)),  # starts the day after, lasts three years
        (date(2024, 3, 10), [30, 60], date(2027, 6, 9)),  # plus every extension
        (date(2024, 2, 28), [], date(2027, 3, 1)),  # starts on 29 February: three years later has none
        (date(2023, 12, 31), [], date(2027, 1, 1)),
    ],
)
def test_term_end(pip_on, extensions, end):
    assert ps.term_end(pip_on, extensions) == end


@pytest.mark.parametrize(
    ("end", "status", "flag"),
    [
        (TODAY - timedelta(days=1), "in_route", "passed"),
        (TODAY, "pip_set", "passed"),  # the end date is exclusive, as DUO's
        (TODAY + timedelta(days=1), "in_route", "soon"),
        (ps.add_months(TODAY, 6), "in_route", "soon"),
        (ps.add_months(TODAY, 6) + timedelta(days=1), "in_route", ""),
        (TODAY - timedelta(days=1), "obligation_met", ""),  # closed files are not flagged
        (TODAY + timedelta(days=10), "moved_away", ""),
        (None, "pip_set", ""),
    ],
)
def test_term_flag(end, status, flag):
    assert ps.term_flag(end, TODAY, status) == flag


def test_add_months_keeps_the_day_or_takes_the_months_last():
    assert ps.add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert ps.add_months(date(2027, 8, 31), 6) == date(2028, 2, 29)
    assert ps.add_months(date(2026, 11, 15), 2) == date(2027, 1, 15)


# --- recording a PIP --------------------------------------------------------------------------------


def test_first_pip_saves_version_one_sets_route_and_status_and_is_audited(client, app, staff, audit_log):
    file_id = make_file(app)
    response = post_pip(client, file_id, comment="  Wil graag werken ")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/backoffice/newcomers/{file_id}#pip")
    (pip,) = versions(app, file_id)
    assert (pip.version, pip.leerroute, pip.level, pip.literacy, pip.pip_on) == (1, "B", "B1", "NVT", PIP_ON)
    assert (pip.learnability_result, pip.learnability_score) == ("feasible", 72)
    assert (pip.knm, pip.pvt, pip.map, pip.z_participation, pip.social_guidance) == (True, True, True, False, True)
    assert pip.comment == "Wil graag werken"
    assert pip.created_by_staff_id == staff.id
    with app.app_context():
        newcomer = db.session.get(Newcomer, file_id)
        assert (newcomer.leerroute, newcomer.status) == ("B", "pip_set")
        change = db.session.scalar(select(StatusChange).where(StatusChange.newcomer_id == file_id))
        assert (change.from_status, change.to_status, change.actor_staff_id) == ("intake_approved", "pip_set", staff.id)
    entries = audit_log(record_type="newcomer", record_id=file_id)
    assert [e.action for e in entries] == ["pip.viewed", "pip.saved"]
    assert all(e.municipality_id is not None and e.actor_id == staff.id for e in entries)


def test_a_changed_pip_adds_a_version_and_keeps_the_earlier_ones(client, app, staff):
    file_id = make_file(app)
    post_pip(client, file_id)
    form = client.get(f"/backoffice/newcomers/{file_id}/pip").text
    assert re.search(r'value="B"\s+checked', form)  # prefilled from the newest version
    assert f'value="{PIP_ON.isoformat()}"' in form
    assert "Saving adds version 2" in form
    later = PIP_ON + timedelta(days=20)
    response = post_pip(
        client, file_id, leerroute="Z", level="A2", map="y", z_participation="y", pip_on=later.isoformat()
    )
    assert response.status_code == 302
    first, second = versions(app, file_id)
    assert (first.version, first.leerroute, first.pip_on) == (1, "B", PIP_ON)  # kept as it was
    assert (second.version, second.leerroute, second.level, second.z_participation) == (2, "Z", "A2", True)
    with app.app_context():
        newcomer = db.session.get(Newcomer, file_id)
        assert (newcomer.leerroute, newcomer.status) == ("Z", "pip_set")
        changes = db.session.scalars(select(StatusChange.to_status).where(StatusChange.newcomer_id == file_id)).all()
        assert changes == ["pip_set"]  # only the first PIP moved the file
    page = client.get(f"/backoffice/newcomers/{file_id}").text
    rows = re.findall(r"<tr>\s*<td>(\d+)</td>", page)
    assert rows == ["2", "1"]  # newest first
    assert page.count("<bdi>staff") >= 2  # who saved each version


def test_a_first_pip_on_the_b1_route_may_be_lowered_to_a2_later(client, app, staff):
    file_id = make_file(app)
    refused = post_pip(client, file_id, level="A2")
    assert refused.status_code == 422
    assert "A first PIP on the B1-route cannot have level A2" in error_of(refused.text, "level")
    assert versions(app, file_id) == []
    assert post_pip(client, file_id).status_code == 302
    assert post_pip(client, file_id, level="A2").status_code == 302
    assert [p.level for p in versions(app, file_id)] == ["B1", "A2"]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"leerroute": "O", "level": "A2", "map": None}, "level", "Level A2 is not possible with the onderwijsroute"),
        ({"leerroute": "Z", "level": "B1"}, "level", "Level B1 is not possible with the Z-route"),
        ({"level": "A2"}, "level", "A first PIP on the B1-route cannot have level A2"),
        (
            {"pip_on": (NOTIFIED - timedelta(days=1)).isoformat()},
            "pip_on",
            "The PIP date cannot be before the obligation started",
        ),
        (
            {"pip_on": (SETTLED - timedelta(days=1)).isoformat()},
            "pip_on",
            "The PIP date cannot be before the newcomer settled in the municipality",
        ),
        ({"leerroute": "O", "level": "B1", "map": "y"}, "map", "The MAP is not part of the onderwijsroute"),
        ({"z_participation": "y"}, "z_participation", "Participation in the Z-route is only for the Z-route"),
        ({"leerroute": None}, "leerroute", "Choose a learning route."),
        ({"pip_on": ""}, "pip_on", "Fill in the PIP date."),
        ({"learnability_score": "101"}, "learnability_score", "Type a whole number from 0 to 100."),
        ({"learnability_score": "-3"}, "learnability_score", "Type a whole number from 0 to 100."),
        ({"financial_relief_extended": "yes"}, "financial_relief_extended", "Fill in the start date"),
    ],
)
def test_every_broken_rule_is_a_message_next_to_its_field(client, app, staff, overrides, field, message):
    file_id = make_file(app)
    response = post_pip(client, file_id, **overrides)
    assert response.status_code == 422
    assert message in error_of(response.text, field)
    assert versions(app, file_id) == []
    with app.app_context():
        assert db.session.get(Newcomer, file_id).status == "intake_approved"


def test_a_date_message_names_the_date(client, app, staff):
    file_id = make_file(app, duo_notified_on=date(2026, 1, 5), settled_on=None)
    response = post_pip(client, file_id, pip_on="2026-01-04")
    assert "(Jan 5, 2026)" in error_of(response.text, "pip_on")


def test_a_changed_pip_cannot_be_dated_before_the_earlier_one(client, app, staff):
    file_id = make_file(app)
    post_pip(client, file_id)
    response = post_pip(client, file_id, pip_on=(PIP_ON - timedelta(days=1)).isoformat())
    assert response.status_code == 422
    assert "A changed PIP cannot be dated before the earlier PIP" in error_of(response.text, "pip_on")
    assert len(versions(app, file_id)) == 1


def test_onderwijsroute_without_map_and_financial_relief_are_saved(client, app, staff):
    file_id = make_file(app)
    relief = (PIP_ON - timedelta(days=5)).isoformat()
    response = post_pip(
        client,
        file_id,
        leerroute="O",
        map=None,
        literacy="AA",
        financial_relief_on=relief,
        financial_relief_extended="no",
    )
    assert response.status_code == 302
    (pip,) = versions(app, file_id)
    assert (pip.leerroute, pip.map, pip.literacy) == ("O", False, "AA")
    assert (pip.financial_relief_on.isoformat(), pip.financial_relief_extended) == (relief, False)


def test_the_map_and_z_participation_are_shown_only_for_their_routes(client, app, staff):
    form = client.get(f"/backoffice/newcomers/{make_file(app)}/pip").text
    when_map = re.search(r'data-when="([^"]*)">\s*<p[^>]*id="map-help"', form)
    assert when_map
    assert "&#34;B&#34;, &#34;Z&#34;" in when_map.group(1)
    assert re.search(r'data-when="[^"]*&#34;Z&#34;\]', form)


def test_saving_the_same_pip_again_adds_no_version(client, app, staff, audit_log):
    file_id = make_file(app)
    post_pip(client, file_id)
    response = post_pip(client, file_id)
    assert response.status_code == 302
    assert len(versions(app, file_id)) == 1
    assert "Nothing changed" in client.get(response.headers["Location"]).text
    assert [e.action for e in audit_log(action="pip.saved")] == ["pip.saved"]


@pytest.mark.parametrize("status", ["in_route", "exempted"])
def test_a_file_further_along_keeps_its_status(client, app, staff, status):
    file_id = make_file(app, status=status)
    assert post_pip(client, file_id).status_code == 302
    with app.app_context():
        assert db.session.get(Newcomer, file_id).status == status


def test_a_file_before_review_moves_to_pip_set_too(client, app, staff):
    file_id = make_file(app, status="invited")  # intake done on paper
    post_pip(client, file_id)
    with app.app_context():
        assert db.session.get(Newcomer, file_id).status == "pip_set"


# --- the file page ----------------------------------------------------------------------------------


def test_file_page_without_a_pip_links_to_the_form(client, app, staff):
    file_id = make_file(app)
    page = client.get(f"/backoffice/newcomers/{file_id}").text
    assert "No PIP has been recorded yet." in page
    assert f'href="/backoffice/newcomers/{file_id}/pip"' in page


@pytest.mark.parametrize(
    ("pip_on", "badge"),
    [
        (TODAY - timedelta(days=100), None),
        (ps.add_years(TODAY, -3) + timedelta(days=60), "within 6 months"),
        (ps.add_years(TODAY, -3) - timedelta(days=10), "term passed"),
    ],
)
def test_file_page_shows_the_term_end_and_flags_it(client, app, staff, pip_on, badge):
    file_id = make_file(app, status="in_route", duo_notified_on=None, settled_on=None)
    add_pip(app, file_id, pip_on, leerroute="Z", level="A2", learnability_score=41)
    page = client.get(f"/backoffice/newcomers/{file_id}").text
    assert "Z-route (self-reliance)" in page
    assert "score 41" in page
    end = ps.term_end(pip_on)
    assert f"{end:%b} {end.day}, {end.year}" in page
    for text in ("within 6 months", "term passed"):
        assert (text in page) == (text == badge)


def test_an_extension_moves_the_term_end(client, app, staff, audit_log):
    file_id = make_file(app, status="pip_set")
    add_pip(app, file_id, PIP_ON)
    response = post_extension(client, file_id, days="90")
    assert response.status_code == 302
    with app.app_context():
        (extension,) = db.session.scalars(select(TermExtension)).all()
        assert (extension.reason, extension.days, extension.newcomer_id) == ("illness", 90, file_id)
        assert extension.municipality_id == db.session.get(Newcomer, file_id).municipality_id
    page = client.get(f"/backoffice/newcomers/{file_id}").text
    end = ps.term_end(PIP_ON, [90])
    assert f"{end:%b} {end.day}, {end.year}" in page
    assert "90 days: Illness" in page
    assert [e.action for e in audit_log(action="pip.term_extended")] == ["pip.term_extended"]


def test_an_extension_can_move_the_flag_away(client, app, staff):
    file_id = make_file(app, status="in_route")
    pip_on = ps.add_years(TODAY, -3) + timedelta(days=30)  # ends in about a month
    add_pip(app, file_id, pip_on)
    assert "within 6 months" in client.get(f"/backoffice/newcomers/{file_id}").text
    post_extension(client, file_id, days="365", reason="birth")
    assert "within 6 months" not in client.get(f"/backoffice/newcomers/{file_id}").text


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"days": "0"}, "extension-days", "Type a whole number of days from 1 to 1096."),
        ({"days": "abc"}, "extension-days", "Type a whole number of days from 1 to 1096."),
        ({"days": ""}, "extension-days", "Fill in the number of days."),
        ({"reason": "holiday"}, "extension-reason", "Choose a reason."),
        ({"decided_on": ""}, "extension-decided_on", "Fill in the date of DUO"),
        ({"decided_on": (PIP_ON - timedelta(days=1)).isoformat()}, "extension-decided_on", "cannot be before the PIP"),
        ({"decided_on": (TODAY + timedelta(days=1)).isoformat()}, "extension-decided_on", "cannot be in the future"),
    ],
)
def test_a_wrong_extension_is_a_message_next_to_its_field(client, app, staff, overrides, field, message):
    file_id = make_file(app, status="pip_set")
    add_pip(app, file_id, PIP_ON)
    response = post_extension(client, file_id, **overrides)
    assert response.status_code == 422
    assert message in error_of(response.text, field)
    with app.app_context():
        assert db.session.scalars(select(TermExtension)).all() == []


def test_an_extension_needs_a_pip(client, app, staff):
    file_id = make_file(app)
    response = post_extension(client, file_id)
    assert response.status_code == 302
    assert "Record the PIP first" in client.get(response.headers["Location"]).text
    with app.app_context():
        assert db.session.scalars(select(TermExtension)).all() == []


# --- who may ----------------------------------------------------------------------------------------


def test_a_klantmanager_of_another_municipality_gets_404(client, app, make_staff, audit_log):
    other_file = make_file(app, code="0420")
    add_pip(app, other_file, PIP_ON)
    staff_sign_in(client, make_staff(codes=("0405",)))
    token = csrf_token(client.get("/backoffice/caseload").text)
    assert client.get(f"/backoffice/newcomers/{other_file}/pip").status_code == 404
    post = client.post(f"/backoffice/newcomers/{other_file}/pip", data={**FORM, "csrf_token": token})
    assert post.status_code == 404
    extension = client.post(
        f"/backoffice/newcomers/{other_file}/pip/extensions",
        data={"csrf_token": token, "extension-reason": "illness", "extension-days": "9", "extension-decided_on": ""},
    )
    assert extension.status_code == 404
    assert len(versions(app, other_file)) == 1
    with app.app_context():
        assert db.session.scalars(select(TermExtension)).all() == []
    denied = audit_log(record_id=other_file, result="denied")
    assert len(denied) == 3
    assert not audit_log(action="pip.saved")


def test_their_own_klantmanager_may(client, app, make_staff):
    other_file = make_file(app, code="0420")
    staff_sign_in(client, make_staff(codes=("0420",)))
    assert client.get(f"/backoffice/newcomers/{other_file}/pip").status_code == 200
    assert post_pip(client, other_file).status_code == 302


@pytest.mark.parametrize("role", ["beleidsmedewerker", "beheerder"])
def test_other_roles_get_404(client, app, make_staff, role):
    file_id = make_file(app)
    staff_sign_in(client, make_staff(role=role))
    assert client.get(f"/backoffice/newcomers/{file_id}/pip").status_code == 404


def test_a_newcomer_gets_404(client, app, make_newcomer):
    from tests.conftest import sign_in

    person = make_newcomer(language="en")
    sign_in(client, person)
    assert client.get(f"/backoffice/newcomers/{person.id}/pip").status_code == 404


# --- DUO's PIP schema -------------------------------------------------------------------------------

SPEC = ROOT.parent / "shared" / "duo-api" / "API" / "PIP" / "openapi.yml"
# The PIP schema of DUO's PIP API 1.2.0 (openapi.yml, components/schemas/PIP), copied by hand because
# PyYAML is not a dependency; test_the_copy_matches_the_spec checks it against the file when present.
PIP_REQUIRED = {"dagtekeningPip", "leerroute"}
PIP_PROPERTIES = {
    "dagtekeningPip",
    "leerroute",
    "niveau",
    "geschatteIntensiteitB1Route",
    "indicatorMagOpleidingAfmaken",
    "indicatorAlfabetiseringsonderwijs",
}
ENUMS = {"leerroute": ["B", "O", "Z"], "niveau": ["A2", "B1"], "indicatorAlfabetiseringsonderwijs": ["A", "AA", "NVT"]}


def _block(lines: list[str], header: str, indent: int) -> list[str]:
    """The lines under ``header`` at ``indent`` spaces, up to the next line indented as far or less."""
    start = lines.index(" " * indent + header)
    block = []
    for line in lines[start + 1 :]:
        if line.strip() and len(line) - len(line.lstrip()) <= indent:
            break
        block.append(line)
    return block


def _items(block: list[str], key: str, indent: int) -> list[str]:
    """The ``- item`` lines of the list under ``key`` (YAML lets them start as far in as the key)."""
    items = []
    for line in block[block.index(" " * indent + key) + 1 :]:
        if not line.strip().startswith("- ") or len(line) - len(line.lstrip()) < indent:
            break
        items.append(line.strip()[2:])
    return items


def _spec_schema() -> tuple[set[str], set[str], dict[str, list[str]]]:
    """Required fields, properties and the enums of the PIP schema, read from the yml by indentation."""
    lines = SPEC.read_text(encoding="utf-8").splitlines()
    schemas = _block(lines, "schemas:", 2)
    pip = _block(schemas, "PIP:", 4)
    required = set(_items(pip, "required:", 6))
    properties = {line.strip()[:-1] for line in _block(pip, "properties:", 6) if re.match(r"^ {8}\w+:$", line)}
    enums = {
        "leerroute": _items(_block(schemas, "Leerroute:", 4), "enum:", 6),
        "niveau": _items(_block(schemas, "NiveauPip:", 4), "enum:", 6),
        "indicatorAlfabetiseringsonderwijs": _items(_block(schemas, "Alfabetiseringsonderwijs:", 4), "enum:", 6),
    }
    return required, properties, enums


def test_the_copy_matches_the_spec():
    if not SPEC.exists():
        pytest.skip("DUO's API documentation is not next to the repository")
    assert _spec_schema() == (PIP_REQUIRED, PIP_PROPERTIES, ENUMS)


def assert_valid_duo_pip(body: dict) -> None:
    """The body satisfies DUO's PIP schema: required fields, known fields, codes and date format."""
    assert PIP_REQUIRED <= body.keys()
    assert body.keys() <= PIP_PROPERTIES
    for name, values in ENUMS.items():
        if name in body:
            assert body[name] in values, (name, body[name])
    assert date.fromisoformat(body["dagtekeningPip"])
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", body["dagtekeningPip"])


VALID_COMBINATIONS = [("B", "B1"), ("B", "A2"), ("Z", "A2"), ("O", "B1")]


@pytest.mark.parametrize("literacy", ["A", "AA", "NVT"])
@pytest.mark.parametrize(("leerroute", "level"), VALID_COMBINATIONS)
def test_to_duo_pip_maps_every_route_level_and_literacy(app, leerroute, level, literacy):
    file_id = make_file(app)
    add_pip(app, file_id, date(2026, 3, 2), version=2, leerroute=leerroute, level=level, literacy=literacy)
    with app.app_context():
        newcomer = db.session.get(Newcomer, file_id)
        pip = db.session.scalar(select(Pip))
        body = ps.to_duo_pip(pip, newcomer)
    assert body == {
        "dagtekeningPip": "2026-03-02",
        "leerroute": leerroute,
        "niveau": level,
        "indicatorAlfabetiseringsonderwijs": literacy,
    }
    assert_valid_duo_pip(body)


def test_every_combination_duo_accepts_is_allowed_and_mapped():
    """The rules and the mapping agree: what check_pip accepts (as a changed PIP) is exactly the valid set."""
    allowed = {
        (route, level)
        for route in LEERROUTES
        for level in LEVELS
        if not check_pip(draft(route, level), PipContext(version=2))
    }
    assert allowed == set(VALID_COMBINATIONS)


def test_to_duo_pip_refuses_another_newcomers_pip(app):
    first, second = make_file(app), make_file(app)
    add_pip(app, first, PIP_ON)
    with app.app_context():
        pip = db.session.scalar(select(Pip))
        with pytest.raises(ValueError, match="another newcomer"):
            ps.to_duo_pip(pip, db.session.get(Newcomer, second))


def test_duos_optional_fields_are_recorded_and_sent(client, app, staff):
    file_id = make_file(app, doelgroep="statushouder")
    response = post_pip(client, file_id, leerroute="B", level="B1", b1_hours_estimate="600", may_finish_education="yes")
    assert response.status_code == 302
    with app.app_context():
        pip = db.session.scalar(select(Pip))
        assert (pip.b1_hours_estimate, pip.may_finish_education) == (600, True)
        body = ps.to_duo_pip(pip, db.session.get(Newcomer, file_id))
    assert body["geschatteIntensiteitB1Route"] == 600
    assert body["indicatorMagOpleidingAfmaken"] is True
    assert_valid_duo_pip(body)
    page = client.get(f"/backoffice/newcomers/{file_id}/pip")
    assert 'value="600"' in page.text  # the form is filled from the newest version


@pytest.mark.parametrize(
    ("doelgroep", "overrides", "message"),
    [
        ("statushouder", {"leerroute": "Z", "level": "A2", "b1_hours_estimate": "600"}, "only for the B1-route"),
        (
            "gezinsmigrant_overig",
            {"leerroute": "B", "level": "B1", "b1_hours_estimate": "600"},
            "only for statushouders",
        ),
        ("statushouder", {"leerroute": "B", "level": "B1", "b1_hours_estimate": "0"}, "from 1 to 9999"),
        ("statushouder", {"leerroute": "B", "level": "B1", "b1_hours_estimate": "12.5"}, "from 1 to 9999"),
    ],
)
def test_estimated_hours_follow_duos_rules(client, app, staff, doelgroep, overrides, message):
    file_id = make_file(app, doelgroep=doelgroep)
    response = post_pip(client, file_id, **overrides)
    assert response.status_code == 422
    assert message in error_of(response.text, "b1_hours_estimate")
    assert versions(app, file_id) == []


# --- warnings: allowed, but confirmed before saving; the intake's facts beside the choices ---------------


def warning_of(html: str, field: str) -> str:
    """The warning shown next to ``field``."""
    match = re.search(rf'id="{field}-warning"><span class="visually-hidden">[^<]*</span>([^<]*)<', html)
    assert match, f"no warning next to {field}"
    return match.group(1)


def test_a_first_pip_after_the_deadline_is_shown_again_with_a_warning_then_saved_when_confirmed(client, app, staff):
    deadline = PIP_ON - timedelta(days=5)
    file_id = make_file(app, pip_deadline_on=deadline)
    response = post_pip(client, file_id, comment="Wachten op de leerbaarheidstoets")
    assert response.status_code == 200
    assert "10-week deadline" in warning_of(response.text, "pip_on")
    assert "Check before saving" in response.text
    assert 'name="save_anyway"' in response.text
    assert "Wachten op de leerbaarheidstoets" in response.text  # nothing typed is lost
    assert versions(app, file_id) == []
    response = post_pip(client, file_id, comment="Wachten op de leerbaarheidstoets", save_anyway="y")
    assert response.status_code == 302
    assert [p.version for p in versions(app, file_id)] == [1]


def test_a_pip_on_time_or_a_later_version_has_no_deadline_warning(client, app, staff):
    file_id = make_file(app, pip_deadline_on=PIP_ON)
    assert post_pip(client, file_id).status_code == 302  # on the deadline itself: on time
    later = (PIP_ON + timedelta(days=30)).isoformat()
    assert post_pip(client, file_id, pip_on=later, comment="Gewijzigd").status_code == 302  # version 2
    assert [p.version for p in versions(app, file_id)] == [1, 2]


def test_b1_route_at_b1_while_b1_is_not_feasible_warns(client, app, staff):
    file_id = make_file(app)
    response = post_pip(client, file_id, learnability_result="not_feasible")
    assert response.status_code == 200
    assert "not feasible" in warning_of(response.text, "leerroute")
    assert versions(app, file_id) == []
    assert post_pip(client, file_id, learnability_result="not_feasible", leerroute="Z", level="A2").status_code == 302
    assert [p.leerroute for p in versions(app, file_id)] == ["Z"]


def test_a_warning_confirmed_for_b1_not_feasible_saves(client, app, staff):
    file_id = make_file(app)
    response = post_pip(client, file_id, learnability_result="not_feasible", save_anyway="y")
    assert response.status_code == 302
    assert [p.learnability_result for p in versions(app, file_id)] == ["not_feasible"]


def test_a_rule_broken_is_an_error_before_any_warning(client, app, staff):
    file_id = make_file(app, pip_deadline_on=PIP_ON - timedelta(days=5))
    response = post_pip(client, file_id, leerroute="Z", level="B1")
    assert response.status_code == 422
    assert "Level B1 is not possible with the Z-route" in error_of(response.text, "level")
    assert "Check before saving" not in response.text


def test_the_form_shows_the_intake_facts_that_matter(client, app, staff):
    from tests.app.backoffice.test_casefiles import newcomer_submits

    file_id = make_file(app, status="invited")
    page = client.get(f"/backoffice/newcomers/{file_id}/pip")
    assert "The newcomer has not submitted the intake yet." in page.text
    newcomer_submits(app, file_id)
    page = client.get(f"/backoffice/newcomers/{file_id}/pip")
    facts = page.text.split('id="intake-facts"')[1].split("</aside>")[0]
    for label in ("How well can you read in your mother tongue?", "Can you read our alphabet", "How many years"):
        assert label in facts, label
    assert "<bdi>9</bdi>" in facts  # school years
    assert 'maxlength="2000"' in page.text  # the comment's limit, in the browser too


def test_the_form_names_the_learnability_result_of_the_current_pip(client, app, staff):
    file_id = make_file(app)
    add_pip(app, file_id, PIP_ON, learnability_result="not_feasible", literacy="NVT")
    page = client.get(f"/backoffice/newcomers/{file_id}/pip")
    assert "Learnability test in the current PIP: B1 not feasible" in page.text
