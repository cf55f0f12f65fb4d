"""Group sessions on the klantmanager's pages: creating one, inviting from the filtered caseload up to
its places and then onto the waiting list, the list of sessions, and the first in line moving up."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import Attendee, Newcomer
from tests.app.appointments import test_staff_pages as pages
from tests.app.appointments.test_staff_pages import (
    BASE,
    START,
    appointments,
    attendees_of,
    detail_of,
    outbox_of,
    service_booking,
    text_of,
)
from tests.conftest import csrf_token

clock, staff = pages.clock, pages.staff  # the same frozen time and signed-in klantmanager


def session_form(login, **changes):
    data = {
        "kind": "pvt_session",
        "day": "2026-10-13",
        "start": "10:30",
        "duration": "120",
        "mode": "in_person",
        "location": "Taalhuis",
        "address": "Grote Oost 1, Hoorn",
        "room": "",
        "staff": str(login.id),
        "bring": ["id", "pen"],
        "capacity": "2",
        "group_language": "ti",
        "note": "",
    }
    data.update(changes)
    return data


def create_session(client, login, **changes):
    page = client.get(f"{BASE}/groups/new")
    assert page.status_code == 200
    return client.post(
        f"{BASE}/groups/new", data={"csrf_token": csrf_token(page.text), **session_form(login, **changes)}
    )


def people(make_newcomer):
    return {
        "yonas": make_newcomer(name="Yonas Tesfay", language="ti"),
        "selam": make_newcomer(name="Selam Haile", language="ti"),
        "ruta": make_newcomer(name="Ruta Kidane", language="ti"),
        "omar": make_newcomer(name="Omar Haddad", language="ar"),
    }


def set_route(app, person_id, leerroute):
    with app.app_context():
        db.session.get(Newcomer, person_id).leerroute = leerroute
        db.session.commit()


def test_a_group_session_offers_the_group_kinds_and_their_places(client, app, staff):
    page = client.get(f"{BASE}/groups/new?kind=knm_lesson")
    assert page.status_code == 200
    assert 'name="capacity" type="number" value="15"' in page.text
    assert '<option selected value="knm_lesson">' in page.text or 'value="knm_lesson" selected' in page.text
    assert 'value="intake_talk"' not in page.text  # one-to-one kinds are booked from the file


def test_creating_a_session_then_inviting_fills_the_places_and_then_the_waiting_list(
    client, app, staff, make_newcomer, sms
):
    who = people(make_newcomer)
    set_route(app, who["yonas"].id, "B")
    set_route(app, who["selam"].id, "B")
    set_route(app, who["ruta"].id, "B")
    set_route(app, who["omar"].id, "B")
    response = create_session(client, staff)
    assert response.status_code == 302
    [session] = appointments(app)
    assert session.capacity == 2
    assert session.group_language == "ti"
    invite_url = f"{BASE}/{session.id}/invite"
    assert response.headers["Location"].endswith(invite_url)

    page = client.get(f"{invite_url}?language=ti&leerroute=B")
    assert page.status_code == 200
    listed = text_of(page.text)
    assert "3 newcomers match." in listed
    assert "Yonas Tesfay" in listed
    assert "Omar Haddad" not in listed  # another language
    assert client.get(f"{invite_url}?language=ti&leerroute=Z").text.count('name="newcomer"') == 0

    response = client.post(
        f"{invite_url}?language=ti&leerroute=B",
        data={"csrf_token": csrf_token(page.text), "newcomer": [str(who[n].id) for n in ("ruta", "selam", "yonas")]},
    )
    assert response.status_code == 302
    rows = attendees_of(app, session.id)
    assert [(r.newcomer_id, r.status) for r in rows] == [
        (who["ruta"].id, "invited"),
        (who["selam"].id, "invited"),
        (who["yonas"].id, "waiting"),
    ]
    assert outbox_of(app, rows[2].id) == []  # waiting: no SMS yet

    page = detail_of(client, session.id)
    text = text_of(page.text)
    assert "2 newcomers invited." in text
    assert "1 newcomer is on the waiting list: the session is full." in text
    assert "Yonas Tesfay waiting list, number 1" in text
    assert "2 of 2 taken" in text

    # taking Ruta off: Yonas, first in line, gets her place and the booking's SMS
    remove_url = f"{BASE}/{session.id}/attendees/{rows[0].id}/remove"
    confirm = client.get(remove_url)
    assert confirm.status_code == 200
    assert "the first in line gets the place" in confirm.text
    assert attendees_of(app, session.id)[0].status == "invited"  # asking changes nothing
    assert client.post(remove_url, data={"csrf_token": csrf_token(confirm.text)}).status_code == 302
    rows = attendees_of(app, session.id)
    assert [r.status for r in rows] == ["removed", "invited", "invited"]
    assert outbox_of(app, rows[2].id)[0] == ("appointment_booked", "queued")
    assert set(outbox_of(app, rows[0].id)) == {
        ("appointment_booked", "cancelled"),
        ("appointment_reminder", "cancelled"),
    }
    text = text_of(detail_of(client, session.id).text)
    assert "The first person on the waiting list got the place and gets an SMS." in text
    assert "Ruta Kidane taken off" in text


def test_inviting_someone_already_booked_elsewhere_warns_first(client, app, staff, make_newcomer):
    who = people(make_newcomer)
    service_booking(app, staff, [who["yonas"]], kind="intake_talk", start=START)
    assert "Double-booked" in create_session(client, staff).text  # the staff member has the intake talk then
    assert create_session(client, staff, anyway="y").status_code == 302
    session = appointments(app)[-1]
    assert session.kind == "pvt_session"
    page = client.get(f"{BASE}/{session.id}/invite")
    data = {"csrf_token": csrf_token(page.text), "newcomer": [str(who["yonas"].id), str(who["selam"].id)]}
    response = client.post(f"{BASE}/{session.id}/invite", data=data)
    assert response.status_code == 200
    assert "Double-booked" in response.text
    assert f'value="{who["yonas"].id}" id="newcomer-{who["yonas"].id}" checked' in response.text  # kept ticked
    assert attendees_of(app, session.id) == []
    assert client.post(f"{BASE}/{session.id}/invite", data={**data, "anyway": "y"}).status_code == 302
    assert len(attendees_of(app, session.id)) == 2


def test_inviting_nobody_or_impossible_ids_is_a_message_not_an_error(client, app, staff, make_newcomer):
    create_session(client, staff)
    [session] = appointments(app)
    page = client.get(f"{BASE}/{session.id}/invite")
    for values in ([], ["2147483648"], ["abc"], ["-1"]):
        response = client.post(
            f"{BASE}/{session.id}/invite", data={"csrf_token": csrf_token(page.text), "newcomer": values}
        )
        assert response.status_code == 422
        assert "Tick at least one newcomer." in response.text
    assert attendees_of(app, session.id) == []


def test_the_list_of_sessions_shows_places_left_and_adds_a_newcomer_from_their_file(client, app, staff, make_newcomer):
    who = people(make_newcomer)
    session_id = service_booking(app, staff, [who["selam"]], capacity=3, group_language="ti")
    service_booking(app, staff, [who["omar"]], kind="intake_talk", start=START + timedelta(days=1))  # not a group
    page = client.get(f"{BASE}/groups")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Participation statement (PVT) session" in text
    assert "2 of 3" in text
    assert "Intake talk" not in text

    file_page = client.get(f"/backoffice/newcomers/{who['yonas'].id}")
    assert f"{BASE}/groups?newcomer={who['yonas'].id}" in file_page.text
    page = client.get(f"{BASE}/groups?newcomer={who['yonas'].id}")
    assert "Add to a group session: Yonas Tesfay" in text_of(page.text)
    response = client.post(
        f"{BASE}/{session_id}/invite", data={"csrf_token": csrf_token(page.text), "newcomer": str(who["yonas"].id)}
    )
    assert response.status_code == 302
    assert {a.newcomer_id for a in attendees_of(app, session_id)} == {who["selam"].id, who["yonas"].id}
    assert "on it already" in client.get(f"{BASE}/groups?newcomer={who['yonas'].id}").text
    assert client.get(f"{BASE}/groups?newcomer=2147483648").status_code == 404
    assert client.get(f"{BASE}/groups?newcomer=x").status_code == 404


def test_a_group_session_has_at_most_200_places(client, app, staff):
    response = create_session(client, staff, capacity="201")
    assert response.status_code == 422
    assert "The number of places must be between 1 and 200." in response.text
    assert appointments(app) == []
    assert create_session(client, staff, group_language="klingon").status_code == 422


def test_a_double_submit_of_a_session_creates_one(client, app, staff):
    page = client.get(f"{BASE}/groups/new")
    data = {"csrf_token": csrf_token(page.text), **session_form(staff)}
    assert client.post(f"{BASE}/groups/new", data=data).status_code == 302
    assert client.post(f"{BASE}/groups/new", data=data).status_code == 302
    assert len(appointments(app)) == 1


def test_the_waiting_list_keeps_its_order(client, app, staff, make_newcomer):
    who = people(make_newcomer)
    session_id = service_booking(app, staff, [who["selam"]], capacity=1)
    for name in ("ruta", "yonas", "omar"):
        page = client.get(f"{BASE}/{session_id}/invite")
        client.post(
            f"{BASE}/{session_id}/invite", data={"csrf_token": csrf_token(page.text), "newcomer": str(who[name].id)}
        )
    text = text_of(detail_of(client, session_id).text)
    assert text.index("Ruta Kidane waiting list, number 1") < text.index("Yonas Tesfay waiting list, number 2")
    assert "Omar Haddad waiting list, number 3" in text
    with app.app_context():
        assert (
            db.session.scalars(select(Attendee.status).where(Attendee.appointment_id == session_id))
            .all()
            .count("waiting")
            == 3
        )
