"""Privacy of the new tables: the export holds each of them; erasure keeps the figures and drops the
link to the person (complaints, survey responses), deletes the survey invitations, and leaves the
dated records the reports count."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from app.backoffice.privacy_services import as_json, erase, gather
from app.extensions import db
from app.models import Newcomer
from app.models.partner import RoutePartner
from app.models.records import Complaint, HouseholdMember, ParticipationActivity, ReliefTrajectory
from app.models.survey import SurveyInvitation, SurveyResponse
from tests.app.backoffice.test_pip import make_file
from tests.app.backoffice.test_records import partner
from tests.conftest import csrf_token, staff_sign_in

UTC = UTC


def fill(app, file_id: int) -> dict[str, int]:  # noqa: ANN001
    """One row of every new table for the file (and one complaint of someone else)."""
    school = partner(app, "Taalschool West")
    with app.app_context():
        person = db.session.get(Newcomer, file_id)
        m = person.municipality_id
        person.ended_on, person.end_reason, person.nareiziger = date(2025, 3, 1), "moved_away", True
        invitation = SurveyInvitation(
            newcomer_id=file_id, municipality_id=m, trigger="pvt_signed", occasion="pvt_signed",
            survey_id="survey_language_school", partner_id=school, partner_kind="language_school",
            status="responded", token_hash="a" * 64, expires_at=datetime(2025, 4, 1, tzinfo=UTC), channel="sms",
        )  # fmt: skip
        db.session.add(invitation)
        db.session.flush()
        rows = [
            ReliefTrajectory(newcomer_id=file_id, municipality_id=m, started_on=date(2024, 5, 1),
                             six_months_on=date(2024, 11, 1)),
            ParticipationActivity(newcomer_id=file_id, municipality_id=m, kind="paid_work",
                                  started_on=date(2024, 6, 1), hours_per_week=20),
            HouseholdMember(newcomer_id=file_id, municipality_id=m, kind="child", birth_year=2016,
                            housed_on=date(2024, 4, 15), external_id="M-1"),
            Complaint(newcomer_id=file_id, municipality_id=m, received_on=date(2024, 7, 1), subject="Wachttijd",
                      outcome="Gesproken met Amal, 0612345678"),
            Complaint(newcomer_id=None, municipality_id=m, received_on=date(2024, 7, 2), subject="Iemand anders",
                      outcome="Blijft"),
            RoutePartner(newcomer_id=file_id, municipality_id=m, partner_id=school, kind="language_school",
                         started_on=date(2024, 5, 1)),
            SurveyResponse(invitation_id=invitation.id, municipality_id=m, survey_id="survey_language_school",
                           partner_id=school, partner_kind="language_school", trigger="pvt_signed", mark=8, heard=3,
                           comment="Fijne juf, bel me op 0612345678", comment_language="nl", channel="sms",
                           language="ar", doelgroep="statushouder", leerroute="B",
                           answered_on=date(2025, 3, 20), quarter="2025-Q1"),
        ]  # fmt: skip
        db.session.add_all(rows)
        db.session.commit()
        return {"invitation": invitation.id, "school": school}


def test_the_export_holds_every_new_table(app):  # noqa: ANN001
    file_id = make_file(app)
    fill(app, file_id)
    with app.app_context():
        data = as_json(gather(db.session.get(Newcomer, file_id)))
    person = data["newcomer"]
    assert (person["ended_on"], person["end_reason"], person["nareiziger"]) == ("2025-03-01", "moved_away", True)
    assert data["financieel_ontzorgen"]["started_on"] == "2024-05-01"
    assert [a["kind"] for a in data["participation_activities"]] == ["paid_work"]
    assert [(m["kind"], m["birth_year"]) for m in data["household_members"]] == [("child", 2016)]
    assert [c["subject"] for c in data["complaints"]] == ["Wachttijd"]  # not someone else's
    assert [(r["kind"], r["partner"]) for r in data["route_partners"]] == [("language_school", "Taalschool West")]
    assert [(i["trigger"], i["status"]) for i in data["survey_invitations"]] == [("pvt_signed", "responded")]
    assert "token_hash" not in data["survey_invitations"][0]
    assert [(r["mark"], r["comment"]) for r in data["survey_responses"]] == [(8, "Fijne juf, bel me op 0612345678")]


def test_the_json_download_holds_them_too(client, app, make_staff):  # noqa: ANN001
    staff_sign_in(client, make_staff())
    file_id = make_file(app)
    fill(app, file_id)
    response = client.get(f"/backoffice/newcomers/{file_id}/export.json")
    assert response.status_code == 200
    data = response.get_json()
    for key in (
        "financieel_ontzorgen", "participation_activities", "household_members", "complaints", "route_partners",
        "survey_invitations", "survey_responses",
    ):  # fmt: skip
        assert data[key], key


def test_erasure_keeps_the_figures_and_drops_the_link(app):  # noqa: ANN001
    file_id = make_file(app)
    ids = fill(app, file_id)
    with app.app_context():
        assert erase(db.session.get(Newcomer, file_id))
    with app.app_context():
        assert db.session.scalars(select(SurveyInvitation)).all() == []
        (response,) = db.session.scalars(select(SurveyResponse)).all()
        assert (response.invitation_id, response.comment, response.comment_language) == (None, None, None)
        assert (response.mark, response.heard, response.partner_id, response.quarter) == (
            8,
            3,
            ids["school"],
            "2025-Q1",
        )
        complaints = {c.subject: c for c in db.session.scalars(select(Complaint))}
        assert (complaints["Wachttijd"].newcomer_id, complaints["Wachttijd"].outcome) == (None, None)
        assert complaints["Wachttijd"].received_on == date(2024, 7, 1)
        assert complaints["Iemand anders"].outcome == "Blijft"  # another entry is untouched
        (member,) = db.session.scalars(select(HouseholdMember)).all()
        assert (member.newcomer_id, member.kind, member.birth_year, member.external_id) == (
            file_id,
            "child",
            2016,
            None,
        )
        assert db.session.scalar(select(ReliefTrajectory.started_on)) == date(2024, 5, 1)
        assert db.session.scalar(select(ParticipationActivity.hours_per_week)) == 20
        assert db.session.scalar(select(RoutePartner.kind)) == "language_school"
        person = db.session.get(Newcomer, file_id)
        assert (person.ended_on, person.end_reason, person.nareiziger) == (date(2025, 3, 1), "moved_away", True)
        # What the export of the erased file still holds names nobody.
        data = as_json(gather(person))
        assert data["survey_invitations"] == []
        assert data["survey_responses"] == []
        assert data["complaints"] == []


@pytest.mark.parametrize("path", ["records/end", "records/activities", "records/household", "records/partners"])
def test_an_erased_file_refuses_record_writes(client, app, make_staff, path):  # noqa: ANN001
    staff_sign_in(client, make_staff())
    file_id = make_file(app)
    with app.app_context():
        erase(db.session.get(Newcomer, file_id))
    page = client.get(f"/backoffice/newcomers/{file_id}/{path}")
    assert page.status_code == 200
    body = {"csrf_token": csrf_token(page.text), "ended_on": "2025-01-01", "end_reason": "other",
            "kind": "child", "housed_on": "2024-01-01", "started_on": "2024-01-01"}  # fmt: skip
    assert client.post(f"/backoffice/newcomers/{file_id}/{path}", data=body).status_code == 409
    with app.app_context():
        assert db.session.get(Newcomer, file_id).end_reason is None
        assert db.session.scalars(select(HouseholdMember)).all() == []


def test_every_table_of_the_export_is_on_the_printable_page(client, app, make_staff):  # noqa: ANN001
    """Each key of the machine-readable export is a part of the printable one, and the new tables show their rows."""
    staff_sign_in(client, make_staff())
    file_id = make_file(app)
    fill(app, file_id)
    keys = set(client.get(f"/backoffice/newcomers/{file_id}/export.json").get_json()) - {"exported_at"}
    page = client.get(f"/backoffice/newcomers/{file_id}/export?lang=en")
    assert page.status_code == 200
    printed = {key for value in re.findall(r'data-export="([^"]+)"', page.text) for key in value.split()}
    assert keys - printed == set()
    assert printed - keys == set()  # no part claims a table the export does not hold
    sections = dict(re.findall(r'<section[^>]*data-export="([^"]+)"[^>]*>(.*?)</section>', page.text, re.S))
    records = sections["financieel_ontzorgen participation_activities household_members"]
    assert "May 1, 2024" in records  # relief from
    assert "Betaald werk" in records  # the DUO term, in every language
    assert "2016" in records
    assert "Wachttijd" in sections["complaints"]
    assert "Iemand anders" not in page.text  # someone else's complaint
    assert "Taalschool West" in sections["route_progress hours route_partners"]
    surveys = sections["survey_invitations survey_responses"]
    assert "survey_language_school" in surveys
    assert "Fijne juf, bel me op 0612345678" in surveys
    assert "<td>Answered</td>" in surveys  # the status in words, not the stored code
    assert "responded" not in surveys
