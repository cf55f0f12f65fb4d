"""The monitor page and its queries on the database: as it stood on the reference date, tenancy,
roles, hostile input, and the percentiles from stored timestamps (run on SQLite and PostgreSQL)."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, timedelta
from itertools import count

import pytest
from flask import Flask
from sqlalchemy import event, select

from app.extensions import db
from app.models import Filling, Municipality, Newcomer, Pip, Staff, TermExtension
from app.models.partner import Region
from app.models.records import PAID_WORK, ParticipationActivity, ReliefTrajectory
from app.models.tenancy import limit_to
from app.reports.monitor import kpis, queries
from tests.conftest import staff_sign_in

REF = date(2025, 6, 1)
_phones = count(100)


def municipality(app: Flask, code: str, region: str | None = None, min_cell: int = 3, targets=None) -> int:  # noqa: ANN001
    """A municipality (created if needed), optionally in a region with these settings."""
    with app.app_context():
        row = db.session.scalar(select(Municipality).where(Municipality.code == code))
        if row is None:
            row = Municipality(code=code, name=f"Gemeente {code}")
            db.session.add(row)
        if region is not None:
            found = db.session.scalar(select(Region).where(Region.name == region))
            if found is None:
                found = Region(name=region, min_cell=min_cell, targets=targets or {})
                db.session.add(found)
                db.session.flush()
            row.region_id = found.id
        db.session.commit()
        return row.id


def newcomer(app: Flask, municipality_id: int, *, name: str = "Person", pips=(), **fields) -> int:  # noqa: ANN001, ANN003
    """A newcomer with PIP versions ``(pip_on, leerroute[, created_at])`` and any other fields."""
    with app.app_context():
        row = Newcomer(name=name, phone=f"+3161200{next(_phones):04d}", municipality_id=municipality_id, **fields)
        db.session.add(row)
        db.session.flush()
        for version, pip in enumerate(pips, start=1):
            pip_on, route, *created = pip
            db.session.add(
                Pip(
                    newcomer_id=row.id,
                    municipality_id=municipality_id,
                    version=version,
                    leerroute=route,
                    level="A1" if route == "Z" else "B1",
                    pip_on=pip_on,
                    created_at=created[0] if created else datetime(2022, 1, 1, tzinfo=UTC),
                )
            )
        db.session.commit()
        return row.id


def add(app: Flask, *rows) -> None:  # noqa: ANN002
    with app.app_context():
        db.session.add_all(rows)
        db.session.commit()


def people(app: Flask, ids: tuple[int, ...], ref: date = REF) -> list[kpis.Person]:
    with app.app_context():
        return queries.cohort_people(ids, ref)


def cell_of(table: kpis.KpiTable, kpi_id: str, cohort: str) -> kpis.Cell:
    return next(cells for kpi, cells, _total in table.rows if kpi.id == kpi_id)[cohort]


# -- the queries ---------------------------------------------------------------------------------


def test_a_pip_changed_after_the_reference_date_does_not_leak_in(app):
    hoorn = municipality(app, "0405")
    # version 2 changes the route to Z, but is recorded after the reference date (with an earlier pip_on)
    newcomer(app, hoorn, pips=[(date(2022, 3, 1), "B"), (date(2022, 4, 1), "Z", datetime(2025, 7, 1, tzinfo=UTC))])
    # version 2 dated after the reference date
    newcomer(app, hoorn, pips=[(date(2022, 3, 1), "B"), (date(2025, 7, 1), "O")])
    # the first PIP itself recorded after the reference date: in no cohort
    newcomer(app, hoorn, pips=[(date(2022, 3, 1), "B", datetime(2025, 6, 2, tzinfo=UTC))])
    found = people(app, (hoorn,))
    assert sorted((p.first_pip_on, p.leerroute) for p in found) == [(date(2022, 3, 1), "B")] * 2
    later = people(app, (hoorn,), date(2025, 7, 2))
    assert sorted(p.leerroute for p in later) == ["B", "O", "Z"]


def test_the_first_pip_date_is_the_earliest_version_in_force(app):
    hoorn = municipality(app, "0405")
    newcomer(app, hoorn, pips=[(date(2022, 5, 1), "B"), (date(2022, 2, 1), "Z")])
    (p,) = people(app, (hoorn,))
    assert p.first_pip_on == date(2022, 2, 1)
    assert p.leerroute == "Z"  # the highest version in force
    assert p.cohort == "2022-Q1"


def test_an_extension_counts_from_the_day_it_was_decided(app):
    hoorn = municipality(app, "0405")
    person_id = newcomer(app, hoorn, pips=[(date(2022, 3, 15), "B")])
    add(
        app,
        TermExtension(
            newcomer_id=person_id, municipality_id=hoorn, reason="illness", days=60, decided_on=date(2024, 1, 1)
        ),
        TermExtension(
            newcomer_id=person_id, municipality_id=hoorn, reason="birth", days=112, decided_on=date(2025, 5, 1)
        ),
    )
    assert [p.extension_days for p in people(app, (hoorn,), date(2024, 6, 1))] == [60]
    (p,) = people(app, (hoorn,), date(2025, 5, 1))
    assert p.extension_days == 172
    # without the extensions the term ended on 15 March 2025: with them the outcome is not known yet
    assert kpis.obligation_outcome(p, date(2025, 5, 1), "B") == kpis.UNKNOWN


def test_events_after_the_reference_date_are_left_out(app):
    hoorn = municipality(app, "0405")
    person_id = newcomer(
        app,
        hoorn,
        pips=[(date(2022, 3, 15), "B")],
        obligation_met_on=date(2025, 6, 2),
        ended_on=date(2025, 6, 10),
        end_reason="moved_away",
    )
    add(
        app,
        ReliefTrajectory(
            newcomer_id=person_id,
            municipality_id=hoorn,
            started_on=date(2022, 4, 1),
            six_months_on=date(2022, 10, 1),
            extended=True,
            extension_decided_on=date(2025, 6, 2),  # decided later: not extended as it stood
        ),
        ParticipationActivity(newcomer_id=person_id, municipality_id=hoorn, kind=PAID_WORK, started_on=date(2024, 1, 1),
                              ended_on=date(2025, 6, 5)),
        ParticipationActivity(newcomer_id=person_id, municipality_id=hoorn, kind=PAID_WORK,
                              started_on=date(2025, 6, 2)),
    )  # fmt: skip
    (p,) = people(app, (hoorn,))
    assert (p.obligation_met_on, p.ended_on, p.end_reason) == (None, None, None)
    assert p.relief_extended is False
    assert p.activities == (kpis.Activity(PAID_WORK, date(2024, 1, 1), None),)  # still in work on the reference date


def test_an_extension_flag_without_a_decision_date_is_unclear(app):
    hoorn = municipality(app, "0405")
    person_id = newcomer(app, hoorn, pips=[(date(2022, 3, 15), "B")])
    add(app, ReliefTrajectory(newcomer_id=person_id, municipality_id=hoorn, started_on=date(2022, 4, 1),
                              six_months_on=date(2022, 10, 1), extended=True))  # fmt: skip
    (p,) = people(app, (hoorn,))
    assert p.relief_extended is None
    assert kpis.self_reliant_outcome(p, REF) == kpis.UNCLEAR


def test_tenancy_limits_the_queries_even_when_asked_for_another_municipality(app):
    hoorn, medemblik = municipality(app, "0405"), municipality(app, "0420")
    newcomer(app, hoorn, pips=[(date(2022, 3, 15), "B")], duo_notified_on=date(2022, 1, 1))
    newcomer(app, medemblik, pips=[(date(2022, 3, 15), "Z")], duo_notified_on=date(2022, 1, 1))
    with app.test_request_context():
        limit_to((hoorn,))
        assert [p.leerroute for p in queries.cohort_people((hoorn, medemblik), REF)] == ["B"]
        assert [t.municipality_id for t in queries.timelines((hoorn, medemblik), REF)] == [hoorn]


def test_lead_time_percentiles_from_stored_timestamps(app):
    """Intake timestamps are UTC; the day counted is the Dutch one (23:30 UTC on 31 January is 1 February)."""
    hoorn = municipality(app, "0405")
    notified = date(2024, 1, 10)
    for index, (pip_days, started_at, submitted_at) in enumerate(
        [
            (40, datetime(2024, 1, 31, 23, 30, tzinfo=UTC), datetime(2024, 2, 5, 9, 0, tzinfo=UTC)),
            (60, datetime(2024, 1, 20, 10, 0, tzinfo=UTC), datetime(2024, 2, 29, 12, 0, tzinfo=UTC)),
            (75, datetime(2024, 1, 15, 10, 0, tzinfo=UTC), None),
            (120, datetime(2024, 1, 11, 10, 0, tzinfo=UTC), datetime(2024, 6, 1, 10, 0, tzinfo=UTC)),  # after ref
        ]
    ):
        person_id = newcomer(
            app, hoorn, name=f"P{index}", duo_notified_on=notified, pips=[(notified + timedelta(days=pip_days), "B")]
        )
        add(app, Filling(newcomer_id=person_id, municipality_id=hoorn, workflow_id="brede_intake", workflow_version=1,
                         locale="en", started_at=started_at, submitted_at=submitted_at))  # fmt: skip
    newcomer(app, hoorn, name="no pip", duo_notified_on=date(2024, 3, 31))
    ref = date(2024, 5, 1)
    with app.app_context():
        table = kpis.lead_time_table(queries.timelines((hoorn,), ref), ref)
    q1 = table.total["2024-Q1"]
    assert q1.notices == 5
    assert sorted(q1.stages["notice_to_intake"].days) == [1, 5, 10, 22]
    assert sorted(q1.stages["intake"].days) == [4, 40]
    assert q1.stages["notice_to_intake"].median == 7.5
    assert q1.stages["notice_to_intake"].p90 == pytest.approx(18.4)
    assert sorted(q1.stages["notice_to_pip"].days) == [40, 60, 75]  # 120 days is after the reference date
    # deadlines: 20 March (all four) and 9 June (the one without a PIP: not yet known)
    assert (q1.within_term, q1.late, q1.within_percent) == (2, 2, 50)


def test_the_number_of_queries_does_not_grow_with_the_people(app):
    hoorn = municipality(app, "0405")

    def queries_for(n: int) -> int:
        for _ in range(n):
            newcomer(app, hoorn, pips=[(date(2022, 3, 15), "B")], duo_notified_on=date(2022, 1, 5))
        with app.app_context():
            statements: list[str] = []
            listener = lambda *args: statements.append(args[2])  # noqa: E731
            event.listen(db.engine, "before_cursor_execute", listener)
            try:
                queries.cohort_people((hoorn,), REF)
                queries.timelines((hoorn,), REF)
            finally:
                event.remove(db.engine, "before_cursor_execute", listener)
            return len(statements)

    assert queries_for(1) == queries_for(5) <= 9


# -- the page ------------------------------------------------------------------------------------


@pytest.fixture
def region(app):
    """Westfriesland: Hoorn and Medemblik, smallest cell 3, a B1 target of 60%."""
    hoorn = municipality(app, "0405", "Westfriesland", min_cell=3, targets={"obligation_b": 60})
    medemblik = municipality(app, "0420", "Westfriesland")
    municipality(app, "0363")  # Amsterdam: another municipality, no region
    return hoorn, medemblik


def _cohort(app, municipality_id, marker):  # noqa: ANN001, ANN202
    for met in (True, True, False):
        newcomer(
            app,
            municipality_id,
            name=marker,
            pips=[(date(2022, 3, 15), "B")],
            obligation_met_on=date(2024, 1, 1) if met else None,
            duo_notified_on=date(2022, 1, 5),
        )


def _two_cohorts_page(app, client, make_staff, region):  # noqa: ANN001, ANN202
    """A cohort in Hoorn and one in Medemblik, and the region's page as its beleidsmedewerker sees it."""
    hoorn, medemblik = region
    _cohort(app, hoorn, "Zahra Hoornmarker")
    _cohort(app, medemblik, "Yonas Medemblikmarker")
    staff_sign_in(client, make_staff("beleidsmedewerker", codes=("0405", "0420")))
    return client.get("/reports/monitor?on=2025-06-01")


def test_the_beleidsmedewerker_sees_the_region_and_no_person(app, client, make_staff, region, audit_log):
    page = _two_cohorts_page(app, client, make_staff, region)
    assert page.status_code == 200
    assert "Westfriesland" in page.text
    summary = page.text.split('id="kpis"', 1)[1]
    # six of the B1 cohort known, four met: 67% against the region's 60%
    assert re.search(
        r"B1-route: obligation met within the term</a></th>\s*<td>60%</td>\s*<td><strong>67%</strong>", summary
    )
    assert "Hoornmarker" not in page.text
    assert "Medemblikmarker" not in page.text
    assert "/backoffice/newcomers/" not in page.text
    assert "<caption>Hoorn</caption>" in page.text  # lead times per municipality
    assert "<caption>Gemeente 0420</caption>" in page.text
    assert 'role="img"' in page.text  # the chart of the measurable cohorts
    assert [e.record_type for e in audit_log(action="report.viewed")] == ["monitor"]


def test_a_municipality_alone(app, client, make_staff, region):
    hoorn, _medemblik = region
    _cohort(app, hoorn, "x")
    staff_sign_in(client, make_staff("klantmanager", codes=("0405", "0420")))
    page = client.get(f"/reports/monitor?on=2025-06-01&scope=m{hoorn}")
    assert page.status_code == 200
    assert re.search(r"<td>60%</td>\s*<td><strong>67%</strong>", page.text)  # 2 of 3, the region's target


def test_too_few_outcomes_are_not_yet_measurable(app, client, make_staff):
    hoorn = municipality(app, "0405", "Klein", min_cell=10)
    _cohort(app, hoorn, "x")
    staff_sign_in(client, make_staff("beleidsmedewerker"))
    page = client.get("/reports/monitor?on=2025-06-01")
    assert page.status_code == 200
    assert "not yet measurable" in page.text
    assert "<strong>67%</strong>" not in page.text


def test_a_partial_region_counts_only_ones_own_municipalities(app, client, make_staff, region):
    hoorn, medemblik = region
    _cohort(app, medemblik, "x")
    staff_sign_in(client, make_staff("beleidsmedewerker", codes=("0405",)))
    page = client.get("/reports/monitor?on=2025-06-01")
    assert page.status_code == 200
    assert "Only the municipalities of this region that you serve are counted." in page.text
    assert "No one in this selection has a PIP on the reference date yet." in page.text
    # another municipality (or a region one does not serve) is not a choice: the default is shown instead
    assert client.get(f"/reports/monitor?scope=m{medemblik}").status_code == 422


def test_empty_states(app, client, make_staff):
    staff_sign_in(client, make_staff("beleidsmedewerker"))
    page = client.get("/reports/monitor")
    assert page.status_code == 200
    assert "No one in this selection has a PIP on the reference date yet." in page.text
    assert "No one in this selection has a DUO notice on or before the reference date." in page.text


@pytest.mark.parametrize(
    "query",
    [
        "on=9999-12-31",
        "on=2020-12-31",
        "on=31-12-2024",
        "on=<script>alert(1)</script>",
        "on=2024-02-30",
        "scope=m2147483648",
        "scope=r99999999999999999999",
        "scope=<script>",
    ],
)
def test_hostile_input_gets_a_message_not_an_error(app, client, make_staff, query):
    staff_sign_in(client, make_staff("beleidsmedewerker"))
    page = client.get(f"/reports/monitor?{query}")
    assert page.status_code == 422
    assert "<script>" not in page.text
    assert "utrecht-form-field-error-message" in page.text


@pytest.mark.parametrize("query", ["scope=m1%00", "on=%E2%80%AE2024-01-01", "on=2024-01-01&on=x", "scope="])
def test_control_characters_are_dropped_before_reading(app, client, make_staff, query):
    staff_sign_in(client, make_staff("beleidsmedewerker"))
    assert client.get(f"/reports/monitor?{query}").status_code in (200, 422)


def test_what_was_typed_stays_in_the_field(app, client, make_staff):
    staff_sign_in(client, make_staff("beleidsmedewerker"))
    page = client.get("/reports/monitor?on=31-12-2024")
    assert 'value="31-12-2024"' in page.text


@pytest.mark.parametrize("role", ["beheerder"])
def test_other_roles_get_404(app, client, make_staff, role):
    staff_sign_in(client, make_staff(role))
    assert client.get("/reports/monitor").status_code == 404


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/reports/monitor")
    assert response.status_code in (302, 401, 404)


def test_lead_times_over_too_few_people_are_not_shown_on_the_page(app, client, make_staff, region):
    """Smallest cell 3: Medemblik's one notice is hidden, and so is Hoorn's four (5 - 4 = 1); the total shows."""
    hoorn, medemblik = region
    for municipality_id, days in ((hoorn, (30, 31, 32, 33)), (medemblik, (47,))):
        for d in days:
            pip_on = date(2024, 1, 10) + timedelta(days=d)
            newcomer(app, municipality_id, duo_notified_on=date(2024, 1, 10), pips=[(pip_on, "B")])
    staff_sign_in(client, make_staff("beleidsmedewerker", codes=("0405", "0420")))
    leads = client.get("/reports/monitor?on=2025-06-01").text.split('id="leads"', 1)[1]
    tables = dict(re.findall(r"<caption>(.*?)</caption>(.*?)</table>", leads, re.S))
    assert set(tables) == {"The whole selection", "Hoorn", "Gemeente 0420"}
    for name in ("Hoorn", "Gemeente 0420"):
        assert tables[name].count("not shown") == 2, name  # notice to PIP and the share within the term
        assert "(n=" not in tables[name]
        assert not re.search(r"\b(47|30|31|32|33)\b", tables[name])
    # 30, 31, 32, 33 and 47 days: the median 32, the 90th percentile 33 + 0.6 x 14
    assert '32 / 41.4 <span class="muted">(n=5)</span>' in tables["The whole selection"]
    assert "not shown" not in tables["The whole selection"]  # the intake stages have no one: "–"
    assert '100% <span class="muted">(5 of 5)</span>' in tables["The whole selection"]


# -- the workbook ------------------------------------------------------------------------------------


def workbook(response) -> dict[str, list[tuple]]:  # noqa: ANN001
    """The sheets of an XLSX response by name, each a list of rows of cell values."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(response.data))
    return {sheet.title: [tuple(c.value for c in row) for row in sheet.iter_rows()] for sheet in book.worksheets}


def test_the_workbook_holds_the_pages_figures_as_numbers(app, client, make_staff, region, audit_log):
    page = _two_cohorts_page(app, client, make_staff, region)
    [link] = re.findall(r'href="(/reports/monitor\.xlsx\?[^"]+)"', page.text)
    response = client.get(link.replace("&amp;", "&"))
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.headers["Cache-Control"] == "no-store"
    assert "monitor-r" in response.headers["Content-Disposition"]
    sheets = workbook(response)
    assert list(sheets) == ["Cohort KPIs", "Lead times to the PIP"]
    kpi_rows = sheets["Cohort KPIs"]
    assert kpi_rows[0][:4] == ("KPI", "Target in percent", "Cohort (first PIP)", "Result in percent")
    b1 = [r for r in kpi_rows if r[0] == "B1-route: obligation met within the term"]
    # the 2022-Q1 cohort and all cohorts together: 4 of 6 met, 67% against the region's 60%
    assert [r[1:7] for r in b1] == [(60, "2022-Q1", 67, 4, 6, 6), (60, "All cohorts together", 67, 4, 6, 6)]
    text = "\n".join(str(v) for rows in sheets.values() for row in rows for v in row if v is not None)
    assert "marker" not in text  # figures only, never a person
    leads = sheets["Lead times to the PIP"]
    assert [r[:3] for r in leads[1:]] == [
        ("The whole selection", "2022-Q1", 6),
        ("Hoorn", "2022-Q1", 3),
        ("Gemeente 0420", "2022-Q1", 3),
    ]
    assert [e.record_type for e in audit_log(action="report.exported")] == ["monitor_xlsx"]


def test_the_workbook_leaves_out_what_the_page_hides(app, client, make_staff, region):
    """Smallest cell 3: each municipality's lead times are "not shown" and their n left out, as on the page."""
    hoorn, medemblik = region
    for municipality_id, days in ((hoorn, (30, 31, 32, 33)), (medemblik, (47,))):
        for d in days:
            newcomer(
                app, municipality_id, duo_notified_on=date(2024, 1, 10), pips=[(date(2024, 1, 10) + timedelta(d), "B")]
            )
    staff_sign_in(client, make_staff("beleidsmedewerker", codes=("0405", "0420")))
    leads = workbook(client.get("/reports/monitor.xlsx?on=2025-06-01"))["Lead times to the PIP"]
    header, whole, *municipalities = leads
    median = header.index("DUO notice to PIP: median in days")
    assert whole[median : median + 3] == (32, 41.4, 5)
    for row in municipalities:
        assert row[median : median + 3] == ("not shown", None, None)
        assert not {30, 31, 32, 33, 47} & set(row[3:])


def test_the_workbook_is_in_the_staff_members_language_and_refuses_what_the_page_refuses(app, client, make_staff):
    hoorn = municipality(app, "0405", "Westfriesland")
    _cohort(app, hoorn, "x")
    login = make_staff("beleidsmedewerker")
    with app.app_context():
        db.session.get(Staff, login.id).language = "nl"  # staff read Dutch by default
        db.session.commit()
    staff_sign_in(client, login)
    sheets = workbook(client.get("/reports/monitor.xlsx?on=2025-06-01"))
    assert list(sheets)[0] == "Cohort-KPI's"
    assert sheets["Cohort-KPI's"][0][0] == "KPI"
    assert sheets["Cohort-KPI's"][0][2] == "Cohort (eerste PIP)"
    for query in ("on=9999-12-31", "on=1e30", "scope=m99999999999999999999", "scope=r-1"):
        response = client.get(f"/reports/monitor.xlsx?{query}")
        assert response.status_code == 422, query
        assert response.mimetype == "text/html"  # the page with the message next to the field, no workbook


@pytest.mark.parametrize("role", ["beheerder"])
def test_other_roles_get_no_workbook(app, client, make_staff, role):
    staff_sign_in(client, make_staff(role))
    assert client.get("/reports/monitor.xlsx").status_code == 404
