"""A file's responsible klantmanager: set at registration and import, changed on the file and in bulk, audited."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Newcomer, Staff
from tests.app.backoffice.test_casefiles import make_file, register
from tests.app.backoffice.test_import import csv_bytes, import_file, row
from tests.conftest import csrf_token, staff_sign_in


def assignee(app, file_id: int) -> int | None:  # noqa: ANN001
    with app.app_context():
        return db.session.get(Newcomer, file_id).klantmanager_id


def named(app, login, name: str) -> None:  # noqa: ANN001
    with app.app_context():
        db.session.get(Staff, login.id).name = name
        db.session.commit()


@pytest.fixture
def team(app, make_staff):  # noqa: ANN001, ANN201
    """Sanne and Peter (Hoorn), Maria (Medemblik, 0420) and a beheerder of Hoorn."""
    logins = {
        "sanne": make_staff(codes=("0405",)),
        "peter": make_staff(codes=("0405",)),
        "maria": make_staff(codes=("0420",)),
        "admin": make_staff(role="beheerder", codes=("0405",)),
    }
    for key, login in logins.items():
        named(app, login, key.title())
    return logins


@pytest.fixture
def sanne(client, team):  # noqa: ANN001, ANN201
    staff_sign_in(client, team["sanne"])
    return client


def only_file(app) -> Newcomer:  # noqa: ANN001
    with app.app_context():
        newcomer = db.session.scalar(select(Newcomer))
        db.session.expunge(newcomer)
        return newcomer


def test_registering_makes_the_registering_klantmanager_responsible(sanne, app, team, audit_log):
    page = sanne.get("/backoffice/newcomers/new")
    select = page.text.split('id="klantmanager"')[1].split("</select>")[0]
    assert re.findall(r"<option [^>]*>([^<]+)</option>", select) == ["Peter", "Sanne"]  # Hoorn's klantmanagers only
    sanne_id = team["sanne"].id
    assert re.search(rf'<option selected value="{sanne_id}"|<option value="{sanne_id}" selected', select)
    assert register(sanne).status_code == 302
    newcomer = only_file(app)
    assert newcomer.klantmanager_id == team["sanne"].id
    assert [e.action for e in audit_log(record_type="newcomer", record_id=newcomer.id)][:2] == [
        "file.created",
        "file.assigned",
    ]


def test_registering_for_a_colleague(sanne, app, team):
    assert register(sanne, klantmanager=str(team["peter"].id)).status_code == 302
    assert only_file(app).klantmanager_id == team["peter"].id


@pytest.mark.parametrize("who", ["maria", "admin"])
def test_registering_for_someone_who_is_no_klantmanager_there_is_refused_next_to_the_field(sanne, app, team, who):
    response = register(sanne, klantmanager=str(team[who].id))
    assert response.status_code == 422
    assert "Choose a klantmanager who works for this municipality." in response.text
    assert "ዮናስ ተስፋይ" in response.text  # what was typed is kept
    with app.app_context():
        assert db.session.scalar(select(Newcomer)) is None


def test_registering_with_a_garbled_klantmanager_is_a_message_not_a_crash(sanne, app):
    response = register(sanne, klantmanager="robert'); drop table")
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(Newcomer)) is None


def test_importing_makes_the_importing_klantmanager_responsible(sanne, app, team, audit_log):
    import_file(sanne, csv_bytes(row("DUO-1", "Zahra Ahmadi", "0612345603")))
    newcomer = only_file(app)
    assert newcomer.klantmanager_id == team["sanne"].id
    assert "file.assigned" in [e.action for e in audit_log(record_type="newcomer", record_id=newcomer.id)]


def test_the_file_page_names_the_klantmanager_and_changes_them(sanne, app, team, audit_log):
    file_id = make_file(app, klantmanager_id=team["sanne"].id)
    page = sanne.get(f"/backoffice/newcomers/{file_id}")
    now = page.text.split('id="now"')[1].split("</section>")[0]
    assert "Sanne" in now
    response = sanne.post(
        f"/backoffice/newcomers/{file_id}/klantmanager",
        data={"csrf_token": csrf_token(page.text), "klantmanager": str(team["peter"].id)},
    )
    assert response.status_code == 302
    assert assignee(app, file_id) == team["peter"].id
    assert [e.action for e in audit_log(action="file.assigned", record_id=file_id)] == ["file.assigned"]


@pytest.mark.parametrize(("value", "message"), [
    ("maria", "Choose a klantmanager who works for this municipality."),
    ("admin", "Choose a klantmanager who works for this municipality."),
    ("", "Choose a klantmanager."),
    ("abc", 'id="klantmanager-error"'),
])  # fmt: skip
def test_a_wrong_assignee_on_the_file_page_is_a_message_next_to_the_field(sanne, app, team, value, message):
    file_id = make_file(app, klantmanager_id=team["sanne"].id)
    token = csrf_token(sanne.get(f"/backoffice/newcomers/{file_id}").text)
    chosen = str(team[value].id) if value in team else value
    response = sanne.post(
        f"/backoffice/newcomers/{file_id}/klantmanager", data={"csrf_token": token, "klantmanager": chosen}
    )
    assert response.status_code == 422
    field = response.text.split('for="klantmanager"')[1].split("</select>")[0]
    assert message in field
    assert 'aria-invalid="true"' in field
    assert assignee(app, file_id) == team["sanne"].id


def test_another_municipalitys_file_cannot_be_assigned(sanne, app, team):
    file_id = make_file(app, "0420", klantmanager_id=team["maria"].id)
    token = csrf_token(sanne.get("/backoffice/caseload").text)
    response = sanne.post(
        f"/backoffice/newcomers/{file_id}/klantmanager",
        data={"csrf_token": token, "klantmanager": str(team["sanne"].id)},
    )
    assert response.status_code == 404
    assert assignee(app, file_id) == team["maria"].id


def bulk(client, action: str, ids: list[int], **fields: str):  # noqa: ANN001, ANN201
    token = csrf_token(client.get("/backoffice/caseload?klantmanager=all").text)
    data = {"csrf_token": token, "klantmanager": "all", "action": action, "selected": [str(i) for i in ids], **fields}
    return client.post("/backoffice/caseload/selection", data=data)


def test_when_someone_leaves_their_files_move_in_one_go(sanne, app, team, audit_log):
    peters = [make_file(app, name=f"Peter's {n}", phone=f"+3161234570{n}", klantmanager_id=team["peter"].id)
              for n in range(4)]  # fmt: skip
    mine = make_file(app, name="Mine", phone="+31612345699", klantmanager_id=team["sanne"].id)
    listing = sanne.get(f"/backoffice/caseload?klantmanager={team['peter'].id}")
    assert set(re.findall(r'name="selected" value="(\d+)"', listing.text)) == {str(i) for i in peters}
    response = bulk(sanne, "assign", [*peters, mine], assignee=str(team["sanne"].id))
    assert response.status_code == 302
    assert {assignee(app, i) for i in [*peters, mine]} == {team["sanne"].id}
    assert sorted(e.record_id for e in audit_log(action="file.assigned")) == sorted(peters)  # the 4 that changed
    assert "4 files assigned." in sanne.get(response.headers["Location"]).text


def test_bulk_assign_to_someone_not_working_for_every_files_municipality_changes_nothing(client, app, make_staff, team):
    regional = make_staff(codes=("0405", "0420"))
    staff_sign_in(client, regional)
    hoorn = make_file(app, "0405", name="In Hoorn", phone="+31612345601", klantmanager_id=team["sanne"].id)
    medemblik = make_file(app, "0420", name="In Medemblik", phone="+31612345602", klantmanager_id=team["maria"].id)
    response = bulk(client, "assign", [hoorn, medemblik], assignee=str(team["peter"].id))
    assert response.status_code == 422
    assert "does not work for the municipality of every selected file" in response.text
    assert re.search(rf'value="{hoorn}" id="select-{hoorn}" checked', response.text)  # the selection is kept
    assert (assignee(app, hoorn), assignee(app, medemblik)) == (team["sanne"].id, team["maria"].id)


def test_bulk_assign_without_a_choice_asks_for_one(sanne, app, team):
    file_id = make_file(app, klantmanager_id=team["peter"].id)
    response = bulk(sanne, "assign", [file_id])
    assert response.status_code == 422
    assert "Choose the klantmanager who takes over these files." in response.text
    assert assignee(app, file_id) == team["peter"].id


def test_a_selection_with_another_municipalitys_file_is_refused_whole(sanne, app, team, audit_log):
    mine = make_file(app, "0405", name="Here", phone="+31612345601", klantmanager_id=team["peter"].id)
    theirs = make_file(app, "0420", name="Elsewhere", phone="+31612345602", klantmanager_id=team["maria"].id)
    response = bulk(sanne, "assign", [mine, theirs], assignee=str(team["sanne"].id))
    assert response.status_code == 404
    assert (assignee(app, mine), assignee(app, theirs)) == (team["peter"].id, team["maria"].id)
    assert [e.result for e in audit_log(action="caseload.selection")] == ["denied"]


def test_deleting_a_staff_account_leaves_the_file_without_a_klantmanager(app, team):
    file_id = make_file(app, klantmanager_id=team["peter"].id)
    with app.app_context():
        from sqlalchemy import delete, text

        if db.engine.dialect.name == "sqlite":
            db.session.execute(text("PRAGMA foreign_keys=ON"))
        db.session.execute(delete(Staff).where(Staff.id == team["peter"].id))
        db.session.commit()
    assert assignee(app, file_id) is None


def test_a_disabled_colleagues_files_are_listed_and_handed_on_but_nothing_is_given_to_them(sanne, app, team):
    from app.models.types import utcnow

    file_id = make_file(app, name="Peter's", phone="+31612345601", klantmanager_id=team["peter"].id)
    with app.app_context():
        db.session.get(Staff, team["peter"].id).disabled_at = utcnow()
        db.session.commit()
    page = sanne.get("/backoffice/caseload?klantmanager=all").text
    assert "Peter (account disabled)" in page.split('id="klantmanager"')[1].split("</select>")[0]
    assert f'<option value="{team["peter"].id}">' not in page.split('id="assign-to"')[1].split("</select>")[0]
    listing = sanne.get(f"/backoffice/caseload?klantmanager={team['peter'].id}").text
    assert "Peter&#39;s" in listing
    assert bulk(sanne, "assign", [file_id], assignee=str(team["peter"].id)).status_code == 422
    assert bulk(sanne, "assign", [file_id], assignee=str(team["sanne"].id)).status_code == 302
    assert assignee(app, file_id) == team["sanne"].id


@pytest.mark.parametrize("value", ["2147483648", "9999999999", "9" * 30, "-1", "0", "١", "1.5"])
def test_an_assignee_beyond_an_id_is_a_message_not_a_database_error(sanne, app, team, value):
    """On every form that chooses a klantmanager: PostgreSQL's ``integer`` refuses 2**31 (a 500 before)."""
    file_id = make_file(app, klantmanager_id=team["peter"].id)
    token = csrf_token(sanne.get(f"/backoffice/newcomers/{file_id}").text)
    on_file = sanne.post(
        f"/backoffice/newcomers/{file_id}/klantmanager", data={"csrf_token": token, "klantmanager": value}
    )
    assert on_file.status_code == 422
    assert 'id="klantmanager-error"' in on_file.text
    assert bulk(sanne, "assign", [file_id], assignee=value).status_code == 422
    assert register(sanne, klantmanager=value).status_code == 422
    assert assignee(app, file_id) == team["peter"].id


@pytest.mark.parametrize("value", ["2147483648", "9" * 30, "-1", "0", "١", " 1_0 "])
def test_a_chosen_id_is_within_an_ids_bounds(value):
    from forms.backoffice import optional_id

    with pytest.raises(ValueError, match="."):
        optional_id(value)
    assert optional_id("2147483647") == 2**31 - 1
    assert optional_id("") is None
