"""The progress report's definitions (docs/reports.md), cell by cell on small hand-made cases.

Every case goes through :func:`figures`, which also checks for every cell that the count equals
the number of items its "which ids" variant lists (the files a klantmanager opens).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import Flask

from app.extensions import db
from app.models.records import Complaint, HouseholdMember, ParticipationActivity, ReliefTrajectory
from app.reports.progress import queries
from app.reports.progress.queries import Period, mean_mark
from tests.app.reports.progress_helpers import PERIOD, cell, figures, municipality, person, pip, progress

GM = "gezinsmigrant_overig"


def test_the_reference_date_is_the_last_day_and_its_end_in_amsterdam() -> None:
    assert PERIOD.reference_date == date(2023, 6, 30)
    # Summer time: midnight in Amsterdam is 22:00 UTC the day before.
    assert PERIOD.reference_end == datetime(2023, 6, 30, 22, tzinfo=UTC)
    assert Period(date(2022, 1, 1), date(2023, 1, 1)).reference_end == datetime(2022, 12, 31, 23, tzinfo=UTC)


def test_base_pips_and_ends_of_both_doelgroepen(app: Flask) -> None:
    with app.app_context():
        hoorn = municipality("0405", "Hoorn")
        a = person(hoorn)  # obliged, first PIP in the period
        pip(a, 1, "Z", date(2023, 3, 1))
        pip(a, 2, "B", date(2023, 5, 1))  # a second version: the person counts once
        b = person(hoorn, ended_on=date(2023, 6, 30), end_reason="moved_away")  # ended on the reference date
        pip(b, 1, "B", date(2023, 7, 1))  # dated on the first day after the period: not set in it
        c = person(hoorn, ended_on=date(2023, 7, 1), end_reason="left_country")  # ended after it: not ended
        person(hoorn, duo_notified_on=date(2023, 7, 1))  # notified after the period: not in the base
        person(hoorn, duo_notified_on=date(2021, 12, 31))  # before it
        person(hoorn, duo_notified_on=None)  # never notified
        g = person(hoorn, GM, ended_on=date(2022, 10, 1), end_reason="exempted")
        pip(g, 1, "B", date(2022, 9, 20))
        db.session.commit()
        counted = figures(PERIOD, hoorn)
        assert cell(counted, "statushouders", "obliged", hoorn) == 3
        assert cell(counted, "statushouders", "pip_set", hoorn) == 1
        assert cell(counted, "statushouders", "ended", hoorn) == 1
        assert cell(counted, "gezinsmigranten", "obliged", hoorn) == 1
        assert cell(counted, "gezinsmigranten", "pip_set", hoorn) == 1
        assert cell(counted, "gezinsmigranten", "ended", hoorn) == 1
        items = queries.cell_items(queries.find_row("statushouders", "ended"), PERIOD, (hoorn,))
        assert items == [("file", b.id)]
        assert c.id not in [i for _k, i in items]


def test_a_pip_recorded_after_the_reference_date_does_not_leak_in(app: Flask) -> None:
    after = datetime(2023, 8, 15, 9, tzinfo=UTC)
    with app.app_context():
        hoorn = municipality("0405", "Hoorn")
        # First PIP recorded in August with a June dagtekening: not known on the reference date.
        late = person(hoorn)
        pip(late, 1, "B", date(2023, 6, 1), created_at=after)
        # A change recorded in August, back-dated to May: the route stays that of version 1.
        changed = person(hoorn, doelgroep=GM)
        pip(changed, 1, "Z", date(2023, 2, 1))
        pip(changed, 2, "B", date(2023, 5, 1), created_at=after)
        # A change recorded in June, dated in July: not yet in force.
        future = person(hoorn, doelgroep=GM)
        pip(future, 1, "Z", date(2023, 2, 1))
        pip(future, 2, "O", date(2023, 7, 3), created_at=datetime(2023, 6, 20, tzinfo=UTC))
        # Recorded at 23:30 Amsterdam time on the reference date: still that day.
        evening = person(hoorn, doelgroep=GM)
        pip(evening, 1, "O", date(2023, 6, 30), created_at=datetime(2023, 6, 30, 21, 30, tzinfo=UTC))
        # Recorded at 00:30 Amsterdam time the next day: too late.
        night = person(hoorn, doelgroep=GM)
        pip(night, 1, "O", date(2023, 6, 30), created_at=datetime(2023, 6, 30, 22, 30, tzinfo=UTC))
        db.session.commit()
        counted = figures(PERIOD, hoorn)
        assert cell(counted, "statushouders", "pip_set", hoorn) == 0
        assert cell(counted, "gezinsmigranten", "pip_set", hoorn) == 3
        assert cell(counted, "leerroute_gezinsmigranten", "z_set", hoorn) == 2
        assert cell(counted, "leerroute_gezinsmigranten", "b1_set", hoorn) == 0
        assert cell(counted, "leerroute_gezinsmigranten", "o_set", hoorn) == 1
        # A later report (reference date 31 August) sees the August versions.
        later = Period(date(2022, 1, 1), date(2023, 9, 1))
        counted = figures(later, hoorn)
        assert cell(counted, "statushouders", "pip_set", hoorn) == 1
        assert cell(counted, "leerroute_gezinsmigranten", "b1_set", hoorn) == 1
        assert cell(counted, "leerroute_gezinsmigranten", "z_set", hoorn) == 0
        assert cell(counted, "leerroute_gezinsmigranten", "o_set", hoorn) == 3  # the July version, and the night's


def test_gezinsmigrant_routes_lapse_with_the_obligation_not_by_moving_away(app: Flask) -> None:
    with app.app_context():
        hoorn = municipality("0405", "Hoorn")
        for reason, ended_on in (
            ("left_country", date(2023, 4, 1)),  # lapsed
            ("dispensed", date(2023, 6, 30)),  # lapsed on the reference date
            ("moved_away", date(2023, 4, 1)),  # stays in force
            ("other_education", date(2023, 8, 1)),  # after the reference date: in force then
            (None, None),
        ):
            g = person(hoorn, GM, ended_on=ended_on, end_reason=reason)
            pip(g, 1, "B", date(2023, 1, 10))
        db.session.commit()
        counted = figures(PERIOD, hoorn)
        assert cell(counted, "gezinsmigranten", "pip_set", hoorn) == 5
        assert cell(counted, "gezinsmigranten", "ended", hoorn) == 3
        assert cell(counted, "leerroute_gezinsmigranten", "b1_set", hoorn) == 3


def test_housed_counts_every_age_and_the_municipality_that_housed_them(app: Flask) -> None:
    with app.app_context():
        hoorn, enkhuizen = municipality("0405", "Hoorn"), municipality("0388", "Enkhuizen")
        mother = person(hoorn, settled_on=date(2022, 8, 1))
        person(hoorn, settled_on=date(2023, 7, 1))  # housed after the period (obliged all the same)
        person(hoorn, duo_notified_on=None, settled_on=date(2022, 8, 1))  # not obliged, still housed
        person(hoorn, GM, settled_on=date(2022, 8, 1))  # a family migrant is no statushouder
        for kind, housed_on in (
            ("child", date(2022, 8, 1)),
            ("child", date(2022, 8, 1)),
            ("elderly", date(2023, 6, 30)),
        ):
            db.session.add(
                HouseholdMember(municipality_id=hoorn, newcomer_id=mother.id, kind=kind, housed_on=housed_on)
            )
        db.session.add(HouseholdMember(municipality_id=hoorn, kind="child", housed_on=date(2023, 7, 1)))  # after
        db.session.add(
            HouseholdMember(municipality_id=enkhuizen, kind="child", housed_on=date(2023, 1, 1), nareiziger=True)
        )
        db.session.commit()
        counted = figures(PERIOD, hoorn, enkhuizen)
        assert cell(counted, "statushouders", "housed", hoorn) == 5
        assert cell(counted, "statushouders", "housed", enkhuizen) == 1
        assert cell(counted, "statushouders", "obliged", hoorn) == 2
        kinds = {k for k, _i in queries.cell_items(queries.find_row("statushouders", "housed"), PERIOD, (hoorn,))}
        assert kinds == {"file", "member"}


def test_statushouder_routes_by_start_and_completion(app: Flask) -> None:
    with app.app_context():
        hoorn = municipality("0405", "Hoorn")
        z = person(hoorn)
        pip(z, 1, "Z", date(2022, 10, 1))
        progress(z, route_started_on=date(2022, 11, 1), z_completed_on=date(2023, 6, 1))
        b = person(hoorn)
        pip(b, 1, "Z", date(2022, 10, 1))
        pip(b, 2, "B", date(2023, 1, 1))  # the route in force on the reference date: B1
        progress(b, route_started_on=date(2023, 2, 1), route_completed_on=date(2023, 7, 1))  # completed after
        only_pip = person(hoorn)  # a PIP without a started route does not count
        pip(only_pip, 1, "O", date(2023, 1, 1))
        progress(only_pip)
        later = person(hoorn)  # started after the period
        pip(later, 1, "O", date(2023, 1, 1))
        progress(later, route_started_on=date(2023, 7, 1))
        db.session.commit()
        counted = figures(PERIOD, hoorn)
        assert cell(counted, "leerroute_statushouders", "z_started", hoorn) == 1
        assert cell(counted, "leerroute_statushouders", "z_completed", hoorn) == 1
        assert cell(counted, "leerroute_statushouders", "b1_started", hoorn) == 1
        assert cell(counted, "leerroute_statushouders", "b1_completed", hoorn) == 0
        assert cell(counted, "leerroute_statushouders", "o_started", hoorn) == 0


def test_map_and_pvt_dated_in_the_period_of_either_doelgroep(app: Flask) -> None:
    with app.app_context():
        hoorn = municipality("0405", "Hoorn")
        progress(person(hoorn), map_final_interview_on=date(2023, 6, 30), pvt_signed_on=date(2022, 3, 1))
        progress(person(hoorn, GM), map_exempt=True, map_exempt_on=date(2023, 1, 5), pvt_signed_on=date(2023, 7, 1))
        progress(person(hoorn), map_exempt=True, map_exempt_on=None)  # an exemption without a date
        progress(person(hoorn), map_final_interview_on=date(2023, 7, 1))  # after
        db.session.commit()
        counted = figures(PERIOD, hoorn)
        assert cell(counted, "map", "completed", hoorn) == 1
        assert cell(counted, "map", "exempted", hoorn) == 1
        assert cell(counted, "pvt", "completed", hoorn) == 1


def test_relief_one_per_person_no_nareiziger_and_extension_by_its_decision(app: Flask) -> None:
    with app.app_context():
        hoorn = municipality("0405", "Hoorn")

        def relief(p, **fields):  # noqa: ANN001, ANN202
            fields.setdefault("started_on", date(2022, 9, 1))
            fields.setdefault("six_months_on", date(2023, 3, 1))
            db.session.add(ReliefTrajectory(newcomer_id=p.id, municipality_id=p.municipality_id, **fields))

        relief(person(hoorn), extended=True, extension_decided_on=date(2023, 3, 1))
        relief(person(hoorn), extended=True, extension_decided_on=date(2023, 7, 3))  # decided later
        relief(person(hoorn), extended=True)  # a flag without a decision date
        relief(person(hoorn, nareiziger=True))  # a nareiziger joining a relieved household: none of their own
        relief(person(hoorn), started_on=date(2023, 7, 1))  # started after the period
        relief(person(hoorn, GM))  # no family migrant is relieved
        # The nareiziger as a housed household member: housed, no trajectory.
        db.session.add(
            HouseholdMember(municipality_id=hoorn, kind="other", housed_on=date(2023, 2, 1), nareiziger=True)
        )
        db.session.commit()
        counted = figures(PERIOD, hoorn)
        assert cell(counted, "financieel_ontzorgen", "trajectories", hoorn) == 3
        assert cell(counted, "financieel_ontzorgen", "extended", hoorn) == 1
        assert cell(counted, "statushouders", "housed", hoorn) == 1


def test_work_per_kind_by_person_and_social_guidance_by_the_pip_in_force(app: Flask) -> None:
    with app.app_context():
        hoorn = municipality("0405", "Hoorn")
        a = person(hoorn)
        for kind, started in (
            ("paid_work", date(2023, 1, 1)),
            ("paid_work", date(2023, 3, 1)),
            ("volunteer_work", date(2023, 7, 1)),
        ):
            db.session.add(
                ParticipationActivity(newcomer_id=a.id, municipality_id=hoorn, kind=kind, started_on=started)
            )
        g = person(hoorn, GM)
        db.session.add(
            ParticipationActivity(
                newcomer_id=g.id, municipality_id=hoorn, kind="work_placement", started_on=date(2022, 5, 1)
            )
        )
        outside = person(hoorn, duo_notified_on=date(2021, 6, 1))  # not of the base
        db.session.add(
            ParticipationActivity(
                newcomer_id=outside.id, municipality_id=hoorn, kind="paid_work", started_on=date(2023, 1, 1)
            )
        )
        pip(a, 1, "Z", date(2022, 10, 1), social_guidance=True)
        b = person(hoorn)
        pip(b, 1, "Z", date(2022, 10, 1), social_guidance=True)
        pip(b, 2, "Z", date(2023, 6, 1), social_guidance=False)  # no longer offered on the reference date
        c = person(hoorn)
        pip(c, 1, "Z", date(2022, 10, 1), social_guidance=False)
        pip(c, 2, "Z", date(2023, 6, 1), social_guidance=True, created_at=datetime(2023, 9, 1, tzinfo=UTC))  # later
        pip(person(hoorn, GM), 1, "Z", date(2022, 10, 1), social_guidance=True)  # family migrants get none
        db.session.commit()
        counted = figures(PERIOD, hoorn)
        assert cell(counted, "werk", "paid_work", hoorn) == 1
        assert cell(counted, "werk", "volunteer_work", hoorn) == 0
        assert cell(counted, "werk", "work_placement", hoorn) == 1
        assert cell(counted, "werk", "work_placement_orientation", hoorn) == 0
        assert cell(counted, "maatschappelijke_begeleiding", "offered", hoorn) == 1


def test_complaints_official_about_inburgering_filed_with_the_municipality(app: Flask) -> None:
    with app.app_context():
        hoorn = municipality("0405", "Hoorn")

        def complaint(**fields):  # noqa: ANN003, ANN202
            fields.setdefault("received_on", date(2023, 2, 1))
            db.session.add(Complaint(municipality_id=hoorn, subject="Wachttijd", **fields))

        complaint()
        complaint(official=False)  # an informal signal
        complaint(filed_with="partner")  # filed with a partner
        complaint(about_inburgering=False)
        complaint(received_on=date(2023, 7, 1))
        db.session.commit()
        counted = figures(PERIOD, hoorn)
        assert cell(counted, "klachten", "official", hoorn) == 1


def test_figures_per_municipality_and_no_other_municipality_leaks(app: Flask) -> None:
    with app.app_context():
        hoorn, opmeer, other = (
            municipality("0405", "Hoorn"),
            municipality("0441", "Opmeer"),
            municipality("0363", "Amsterdam"),
        )
        person(hoorn)
        person(opmeer)
        person(opmeer)
        for _n in range(3):
            person(other)
        db.session.commit()
        counted = figures(PERIOD, hoorn, opmeer)
        assert counted[("statushouders", "obliged")] == {hoorn: 1, opmeer: 2}
        assert queries.counts(PERIOD, ()) == {}


def test_mean_mark_rounds_half_up_and_no_responses_is_no_mark() -> None:
    assert mean_mark(29, 4) == mean_mark(725, 100)  # 7.25
    assert str(mean_mark(29, 4)) == "7.3"
    assert str(mean_mark(20, 3)) == "6.7"
    assert str(mean_mark(7, 1)) == "7.0"
    assert str(mean_mark(13, 2)) == "6.5"
    assert str(mean_mark(5, 20)) == "0.3"  # 0.25 half up
    assert mean_mark(0, 0) is None
