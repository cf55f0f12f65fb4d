"""Privacy of one newcomer: export everything held, erase the file, purge files past their retention."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    AuthSession,
    ConversationMessage,
    DevSms,
    Filling,
    Invitation,
    LoginChallenge,
    Municipality,
    Newcomer,
    Note,
    OutboundEvent,
    OutboundMessage,
    Pip,
    SmsOptOut,
    StatusChange,
    TermExtension,
)
from app.models.types import utcnow
from tests.app.test_intake import complete
from tests.conftest import csrf_token, invitation_path, sign_in, staff_sign_in, wait_for_sms

BSN = "111222333"  # passes the eleven-test
NOTE = "Wil graag snel aan het werk; بدها شغل"


@dataclass(frozen=True)
class File:
    """A newcomer's file with something in every table, and the newcomer's signed-in browser."""

    id: int
    phone: str
    newcomer: FlaskClient
    invitation: str


@pytest.fixture
def full_file(app, klantmanager, newcomer, make_staff) -> File:  # noqa: ANN001
    """Amal's file: intake submitted, a note, a status with a reason, a PIP, an extension, SMS, sessions."""
    with app.app_context():
        row = db.session.get(Newcomer, newcomer.id)
        row.bsn, row.external_id = BSN, "DUO-2026-0042"
        row.duo_notified_on, row.settled_on = date(2026, 1, 5), date(2026, 1, 20)
        row.update_deadline()
        hoorn = row.municipality_id
        db.session.add(DevSms(to_phone=newcomer.phone, body="the full text with a code"))
        db.session.commit()
    browser = klantmanager.application.test_client()
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    sign_in(browser, newcomer)
    complete(browser)
    review = browser.get("/intake/review")
    browser.post("/intake/submit", data={"csrf_token": csrf_token(review.text)})
    page = klantmanager.get(f"/backoffice/newcomers/{newcomer.id}")
    token = csrf_token(page.text)
    klantmanager.post(f"/backoffice/newcomers/{newcomer.id}/invitation", data={"csrf_token": token})
    klantmanager.post(f"/backoffice/newcomers/{newcomer.id}/notes", data={"csrf_token": token, "body": NOTE})
    klantmanager.post(f"/backoffice/newcomers/{newcomer.id}/approve", data={"csrf_token": token})
    klantmanager.post(
        f"/backoffice/newcomers/{newcomer.id}/status",
        data={"csrf_token": token, "status": "in_route", "comment": "Woont nu bij haar zus"},
    )
    # An SMS code request leaves a login challenge and a recorded message.
    login = browser.application.test_client()
    form = login.get("/login")
    login.post("/login", data={"csrf_token": csrf_token(form.text), "phone": newcomer.phone})
    wait_for_sms()
    with app.app_context():
        db.session.add_all(
            [
                Pip(newcomer_id=newcomer.id, municipality_id=hoorn, version=1, leerroute="B",
                    level="B1", literacy="NVT", pip_on=date(2026, 3, 1), learnability_result="feasible",
                    learnability_score=71, comment="Kan na de zomer starten"),
                TermExtension(newcomer_id=newcomer.id, municipality_id=hoorn, reason="illness",
                              days=90, decided_on=date(2027, 2, 1)),
                ConversationMessage(newcomer_id=newcomer.id, municipality_id=hoorn, direction="in",
                                    channel="sms", body="Ik kan dinsdag niet komen", language="nl"),
                SmsOptOut(newcomer_id=newcomer.id, category="surveys", source="sms"),
            ]
        )  # fmt: skip
        db.session.get(Newcomer, newcomer.id).sms_unreachable_code = "30003"
        db.session.commit()
    return File(newcomer.id, newcomer.phone, browser, invitation_path(app, newcomer))


def counts(app, file_id: int, phone: str) -> dict[str, int]:  # noqa: ANN001
    """How many rows of each kind the file has."""
    with app.app_context():

        def count(model, *where) -> int:  # noqa: ANN001
            return db.session.scalar(select(func.count()).select_from(model).where(*where))

        return {
            "intake": count(Filling, Filling.newcomer_id == file_id),
            "notes": count(Note, Note.newcomer_id == file_id),
            "messages": count(OutboundMessage, OutboundMessage.newcomer_id == file_id),
            "messages_to_phone": count(OutboundMessage, OutboundMessage.to_phone == phone),
            "message_history": count(
                OutboundEvent,
                OutboundEvent.message_id.in_(
                    select(OutboundMessage.id).where(OutboundMessage.newcomer_id == file_id).scalar_subquery()
                ),
            ),
            "conversation": count(ConversationMessage, ConversationMessage.newcomer_id == file_id),
            "opt_outs": count(SmsOptOut, SmsOptOut.newcomer_id == file_id),
            "dev_sms": count(DevSms, DevSms.to_phone == phone),
            "invitations": count(Invitation, Invitation.newcomer_id == file_id),
            "challenges": count(LoginChallenge, LoginChallenge.newcomer_id == file_id),
            "sessions": count(AuthSession, AuthSession.newcomer_id == file_id),
            "history": count(StatusChange, StatusChange.newcomer_id == file_id),
            "pips": count(Pip, Pip.newcomer_id == file_id),
            "extensions": count(TermExtension, TermExtension.newcomer_id == file_id),
        }


def test_the_file_page_links_to_export_and_erase(full_file, klantmanager):
    page = klantmanager.get(f"/backoffice/newcomers/{full_file.id}")
    assert f'href="/backoffice/newcomers/{full_file.id}/export"' in page.text
    assert f'href="/backoffice/newcomers/{full_file.id}/export.json"' in page.text
    assert f'href="/backoffice/newcomers/{full_file.id}/erase"' in page.text


# -- export --------------------------------------------------------------------------------------


def test_json_export_holds_everything(full_file, klantmanager, app, audit_log):
    response = klantmanager.get(f"/backoffice/newcomers/{full_file.id}/export.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == f'attachment; filename="newcomer-{full_file.id}.json"'
    data = json.loads(response.text)
    person = data["newcomer"]
    assert (person["name"], person["phone"], person["bsn"]) == ("Amal Al-Hassan", full_file.phone, BSN)
    assert person["external_id"] == "DUO-2026-0042"
    assert person["duo_notified_on"] == "2026-01-05"
    assert person["municipality"] == {"code": "0405", "name": "Hoorn"}
    assert data["intake"]["status"] == "approved"
    assert data["intake"]["answers"]["preferred_name"] == "أمل 🌸"
    assert [c["to_status"] for c in data["status_history"]][-2:] == ["intake_approved", "in_route"]
    assert data["status_history"][-1]["comment"] == "Woont nu bij haar zus"
    assert [n["body"] for n in data["notes"]] == [NOTE]
    assert data["pips"][0]["leerroute"] == "B"
    assert data["pips"][0]["comment"] == "Kan na de zomer starten"
    [extension] = data["term_extensions"]
    assert (extension["decided_on"], extension["reason"], extension["days"]) == ("2027-02-01", "illness", 90)
    kinds = [m["kind"] for m in data["messages"]]
    assert "invitation" in kinds
    assert [(c["direction"], c["channel"], c["body"]) for c in data["conversation"]] == [
        ("in", "sms", "Ik kan dinsdag niet komen")
    ]
    assert [o["category"] for o in data["sms_opt_outs"]] == ["surveys"]
    assert "login_code" in kinds
    assert all("/i/" not in m["body"] and not re.search(r"\d{6}", m["body"]) for m in data["messages"])
    actions = [e["action"] for e in data["audit"]]
    assert "file.viewed" in actions
    assert "file.note_added" in actions
    assert actions[-1] == "file.exported"
    assert all("ip" not in e for e in data["audit"])
    [entry] = audit_log(action="file.exported")
    assert (entry.record_type, entry.record_id, entry.result) == ("newcomer", full_file.id, "ok")
    with app.app_context():
        assert entry.municipality_id == db.session.scalar(select(Municipality.id).where(Municipality.code == "0405"))


def test_printable_export_masks_the_bsn(full_file, klantmanager, audit_log):
    page = klantmanager.get(f"/backoffice/newcomers/{full_file.id}/export")
    assert page.status_code == 200
    assert "Everything we hold" in page.text
    assert "******333" in page.text
    assert BSN not in page.text
    assert "<bdi>Amal Al-Hassan</bdi>" in page.text
    assert "<bdi>أمل 🌸</bdi>" in page.text  # the intake, labelled, as written
    assert NOTE in page.text
    assert "Kan na de zomer starten" in page.text
    assert "DUO-2026-0042" in page.text
    assert "file.viewed" in page.text
    assert "<script" not in page.text.split("</head>")[1]
    assert [e.record_id for e in audit_log(action="file.printed")] == [full_file.id]


# -- erasure -------------------------------------------------------------------------------------


def test_erase_needs_the_confirm_step(full_file, klantmanager, app, audit_log):
    before = counts(app, full_file.id, full_file.phone)
    page = klantmanager.get(f"/backoffice/newcomers/{full_file.id}/erase")
    assert page.status_code == 200
    assert "This cannot be undone." in page.text
    assert "What stays, without a name, for the reports" in page.text
    path = f"/backoffice/newcomers/{full_file.id}/erase"
    response = klantmanager.post(path, data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 422
    assert re.search(r'id="understood-error">Tick the box to confirm.<', response.text)
    assert klantmanager.post(f"/backoffice/newcomers/{full_file.id}/erase", data={"understood": "y"}).status_code == 400
    assert counts(app, full_file.id, full_file.phone) == before
    assert audit_log(action="file.erased") == []


def test_erase_removes_the_personal_data_and_keeps_the_figures(full_file, klantmanager, app, sms, audit_log):
    before = counts(app, full_file.id, full_file.phone)
    assert all(before.values()), before  # the fixture filled every table
    with app.app_context():
        kept = db.session.get(Newcomer, full_file.id)
        kept = (kept.municipality_id, kept.doelgroep, kept.status, kept.duo_notified_on, kept.pip_deadline_on)
    page = klantmanager.get(f"/backoffice/newcomers/{full_file.id}/erase")
    response = klantmanager.post(
        f"/backoffice/newcomers/{full_file.id}/erase", data={"csrf_token": csrf_token(page.text), "understood": "y"}
    )
    assert response.status_code == 302
    after = counts(app, full_file.id, full_file.phone)
    gone = (
        "intake", "notes", "messages", "messages_to_phone", "message_history", "conversation", "opt_outs",
        "dev_sms", "invitations", "challenges", "sessions",
    )  # fmt: skip
    assert {key: after[key] for key in gone} == dict.fromkeys(gone, 0)
    assert {key: after[key] for key in ("history", "pips", "extensions")} == {
        key: before[key] for key in ("history", "pips", "extensions")
    }
    with app.app_context():
        row = db.session.get(Newcomer, full_file.id)
        assert (row.name, row.phone, row.bsn, row.external_id, row.language, row.sms_unreachable_code) == (
            "[erased]", f"erased-{full_file.id}", None, None, "nl", None
        )  # fmt: skip
        assert (row.municipality_id, row.doelgroep, row.status, row.duo_notified_on, row.pip_deadline_on) == kept
        assert (
            db.session.scalars(select(StatusChange.comment).where(StatusChange.newcomer_id == row.id)).all()
            == [None] * before["history"]
        )
        pip = db.session.scalar(select(Pip).where(Pip.newcomer_id == row.id))
        assert (pip.leerroute, pip.level, pip.pip_on, pip.comment, pip.learnability_score) == (
            "B", "B1", date(2026, 3, 1), None, None
        )  # fmt: skip
    [entry] = audit_log(action="file.erased")
    assert (entry.actor_type, entry.record_id, entry.result) == ("staff", full_file.id, "ok")
    # The newcomer is signed out and cannot sign in again, by link or by code.
    assert full_file.newcomer.get("/intake/").status_code == 302
    assert full_file.newcomer.get(full_file.invitation).status_code == 410
    sent = len(sms.sent)
    browser = app.test_client()
    form = browser.get("/login")
    browser.post("/login", data={"csrf_token": csrf_token(form.text), "phone": full_file.phone})
    wait_for_sms()
    assert len(sms.sent) == sent
    # What is left is shown without a name, and cannot be erased twice.
    page = klantmanager.get(f"/backoffice/newcomers/{full_file.id}")
    assert "Amal" not in page.text
    assert "This file has been erased." in page.text
    again = klantmanager.get(f"/backoffice/newcomers/{full_file.id}/erase", follow_redirects=True)
    assert "This file has been erased already." in again.text
    assert len(audit_log(action="file.erased")) == 1


# -- access --------------------------------------------------------------------------------------

PRIVACY_GETS = ("export.json", "export", "erase")


def test_another_municipalitys_klantmanager_gets_404(full_file, app, make_staff, audit_log):
    other = app.test_client()
    staff_sign_in(other, make_staff(codes=("0420",)))
    for path in PRIVACY_GETS:
        assert other.get(f"/backoffice/newcomers/{full_file.id}/{path}").status_code == 404, path
    token = csrf_token(other.get("/backoffice/caseload").text)
    erase = other.post(f"/backoffice/newcomers/{full_file.id}/erase", data={"csrf_token": token, "understood": "y"})
    assert erase.status_code == 404
    with app.app_context():
        assert db.session.get(Newcomer, full_file.id).name == "Amal Al-Hassan"
    refused = audit_log(action="file.viewed", result="denied")
    assert [e.record_id for e in refused] == [full_file.id] * 4
    assert audit_log(action="file.exported") == audit_log(action="file.printed") == []


@pytest.mark.parametrize("role", ["beheerder", "beleidsmedewerker"])
def test_other_roles_never_see_the_personal_file(full_file, app, make_staff, role, audit_log):
    other = app.test_client()
    staff_sign_in(other, make_staff(role=role, codes=("0405",)))
    for path in PRIVACY_GETS:
        assert other.get(f"/backoffice/newcomers/{full_file.id}/{path}").status_code == 404, path
    token = csrf_token(other.get("/backoffice/", follow_redirects=True).text)
    erase = other.post(f"/backoffice/newcomers/{full_file.id}/erase", data={"csrf_token": token, "understood": "y"})
    assert erase.status_code == 404
    assert len(audit_log(action="access.refused")) == 4
    with app.app_context():
        assert db.session.get(Newcomer, full_file.id).bsn == BSN


def test_newcomers_cannot_export_or_erase(full_file):
    assert full_file.newcomer.get(f"/backoffice/newcomers/{full_file.id}/export.json").status_code == 404


# -- purging expired files -----------------------------------------------------------------------


def aged_file(app, municipality_id: int, phone: str, changes: list[tuple[str, datetime]]) -> int:  # noqa: ANN001
    """A newcomer whose status changed as listed (the last one is their status now)."""
    with app.app_context():
        row = Newcomer(name=f"Person {phone[-2:]}", phone=phone, municipality_id=municipality_id, bsn=BSN,
                       status=changes[-1][0] if changes else "registered")  # fmt: skip
        db.session.add(row)
        db.session.flush()
        for to_status, at in changes:
            db.session.add(
                StatusChange(newcomer_id=row.id, municipality_id=municipality_id, to_status=to_status, at=at)
            )
        db.session.add(Note(newcomer_id=row.id, municipality_id=municipality_id, body="private"))
        db.session.commit()
        return row.id


def years_ago(years: float) -> datetime:
    return utcnow() - timedelta(days=365.25 * years)


@pytest.fixture
def aged(app, municipality_id) -> dict[str, int]:  # noqa: ANN001
    """Files whose retention ended (the first two) or did not (the others), with a note and a BSN each."""
    histories = {
        "ended_6y": [("in_route", years_ago(8)), ("ended", years_ago(6))],
        "met_5y2d": [("obligation_met", years_ago(5) - timedelta(days=2))],
        "moved_4y": [("moved_away", years_ago(4))],
        "back_in_route": [("exempted", years_ago(7)), ("in_route", years_ago(6.5))],
        "final_again_1y": [("exempted", years_ago(9)), ("dispensation", years_ago(1))],
        "active": [("in_route", years_ago(10))],
    }
    return {
        key: aged_file(app, municipality_id, f"+3160000000{number}", changes)
        for number, (key, changes) in enumerate(histories.items(), start=1)
    }


def listed(output: str) -> list[int]:
    return [int(n) for n in re.findall(r"newcomer (\d+)", output)]


def test_purge_dry_run_lists_without_changing(app, aged, audit_log):
    result = app.test_cli_runner().invoke(args=["purge-expired", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "would anonymise 2 file(s)" in result.output
    assert listed(result.output) == [aged["ended_6y"], aged["met_5y2d"]]
    assert BSN not in result.output
    assert "Person" not in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Newcomer).where(Newcomer.bsn == BSN)) == 6
    assert audit_log(action="file.erased") == []


def test_purge_anonymises_expired_files_only(app, aged, audit_log):
    result = app.test_cli_runner().invoke(args=["purge-expired"])
    assert result.exit_code == 0, result.output
    assert "anonymised 2 file(s)" in result.output
    expired = {aged["ended_6y"], aged["met_5y2d"]}
    with app.app_context():
        for key, newcomer_id in aged.items():
            row = db.session.get(Newcomer, newcomer_id)
            notes = db.session.scalar(select(func.count()).select_from(Note).where(Note.newcomer_id == newcomer_id))
            if newcomer_id in expired:
                assert (row.name, row.bsn, notes) == ("[erased]", None, 0), key
                assert row.phone == f"erased-{newcomer_id}"
            else:
                assert (row.bsn, notes) == (BSN, 1), key
    entries = audit_log(action="file.erased")
    assert sorted(e.record_id for e in entries) == sorted(expired)
    assert {(e.actor_type, e.result) for e in entries} == {("system", "ok")}
    again = app.test_cli_runner().invoke(args=["purge-expired"])
    assert "anonymised 0 file(s)" in again.output  # erased files are not erased twice


def test_retention_years_is_configurable(make_app, aged):
    shorter = make_app(RETENTION_YEARS=3)
    result = shorter.test_cli_runner().invoke(args=["purge-expired", "--dry-run"])
    assert listed(result.output) == [aged["ended_6y"], aged["met_5y2d"], aged["moved_4y"]]
    assert "retention period of 3 years" in result.output


def test_retention_default_is_five_years(app):
    assert app.config["RETENTION_YEARS"] == 5


def test_an_erased_file_cannot_be_changed(klantmanager, app):
    from app.backoffice.privacy_services import erase
    from app.models import Newcomer
    from tests.app.backoffice.test_casefiles import make_file

    file_id = make_file(app)
    with app.app_context():
        assert erase(db.session.get(Newcomer, file_id))
        db.session.commit()
    page = klantmanager.get(f"/backoffice/newcomers/{file_id}")
    assert page.status_code == 200
    token = csrf_token(page.text)
    for action, data in (
        ("invitation", {}),
        ("notes", {"body": "x"}),
        ("status", {"status": "ended"}),
        ("approve", {}),
        ("return", {"question": "?"}),
    ):
        response = klantmanager.post(f"/backoffice/newcomers/{file_id}/{action}", data={"csrf_token": token, **data})
        assert response.status_code == 409, action
