"""axe-core on the pages of issue 8, in Dutch and in Arabic: no serious or critical violation.

The newcomer's pages on a 360 px phone: the route page, an appointment, the "I cannot come" form
(empty and with its error), the calendar subscription (before and after making a link). The
klantmanager's pages at desktop width: the agenda's day and week, the appointment, the booking form
(empty and with errors), the new group session form and the invitation page.

Until the catalogs have the new strings these pages show English text in a Dutch or Arabic frame;
axe checks their structure (names, labels, contrast, landmarks, the language and direction).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from app.appointments import services
from app.appointments.services import Details
from app.extensions import db
from app.i18n import AMSTERDAM
from app.models import Newcomer, Staff
from app.models.appointment import Attendee
from tests.conftest import invitation_path
from tests.e2e.test_accessibility import serious_violations
from tests.e2e.test_backoffice_journey import staff_page

DIRECTION = {"nl": "ltr", "ar": "rtl"}


def sign_in_staff_quickly(page: Page, base: str, login) -> None:  # noqa: ANN001
    """The staff sign-in without axe on its pages (test_backoffice_journey checks those)."""
    page.goto(f"{base}/staff/login")
    page.fill('[name="email"]', login.email)
    page.fill('[name="password"]', login.password)
    page.locator("main button[type=submit]").click()
    page.fill('[name="code"]', pyotp.TOTP(login.totp_secret).now())
    page.locator("main button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/staff/recovery-codes$"))
    page.goto(f"{base}/staff/password")
    page.fill('[name="password"]', "correct horse battery staple")
    page.fill('[name="confirm"]', "correct horse battery staple")
    page.locator("main button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/staff/password$"))


def _book_next_week(app, staff_id: int, newcomer_ids: list[int]) -> tuple[int, int, datetime]:  # noqa: ANN001
    """A PVT session next Tuesday at 10:00 with these newcomers: (appointment id, first attendee id, start)."""
    today = datetime.now(AMSTERDAM).date()
    day = today + timedelta(days=7 + (1 - today.weekday()) % 7)
    start = datetime(day.year, day.month, day.day, 10, tzinfo=AMSTERDAM)
    with app.app_context():
        staff = db.session.get(Staff, staff_id)
        newcomers = [db.session.get(Newcomer, i) for i in newcomer_ids]
        appointment, _result = services.book(
            newcomers[0].municipality_id,
            Details(kind="pvt_session", starts_at=start, location="Stadhuis", room="2.14", staff_id=staff.id),
            newcomers,
            actor=staff,
        )
        db.session.commit()
        attendee_id = db.session.scalar(
            select(Attendee.id).where(
                Attendee.appointment_id == appointment.id, Attendee.newcomer_id == newcomer_ids[0]
            )
        )
        return appointment.id, attendee_id, start


def _staff_language(app, staff_id: int, language: str) -> None:  # noqa: ANN001
    with app.app_context():
        db.session.get(Staff, staff_id).language = language
        db.session.commit()


def _checked(page: Page, language: str) -> list[str]:
    """axe's serious and critical findings, once the page is known to be in ``language``."""
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("html")).to_have_attribute("dir", DIRECTION[language])
    return serious_violations(page)


@pytest.mark.parametrize("language", ["nl", "ar"])
def test_no_serious_violations_on_the_appointment_pages(
    live_server, app, browser: Browser, make_staff, make_newcomer, new_phone, language
):
    problems: list[str] = []
    person = make_newcomer(name="أمل الحسن" if language == "ar" else "Amal Al-Hassan", language=language)
    other = make_newcomer(name="Yonas Tesfay", language="ti")  # not on the session: the invitation list has a row
    login = make_staff()
    _staff_language(app, login.id, language)
    appointment_id, attendee_id, start = _book_next_week(app, login.id, [person.id])

    # The newcomer, on a phone.
    phone = new_phone(locale="ar" if language == "ar" else "nl-NL")
    phone.goto(live_server + invitation_path(app, person))
    phone.locator("main button[type=submit]").click()
    phone.wait_for_load_state()
    phone.goto(f"{live_server}/route")
    expect(phone.locator(f'a[href$="/appointments/{attendee_id}"]').first).to_be_visible()
    problems += _checked(phone, language)
    phone.goto(f"{live_server}/appointments/{attendee_id}")
    expect(phone.locator(f'form[action$="/appointments/{attendee_id}/confirm"]')).to_have_count(1)
    problems += _checked(phone, language)
    phone.goto(f"{live_server}/appointments/{attendee_id}/cannot-come")
    problems += _checked(phone, language)
    phone.locator("main form button[type=submit]").click()  # nothing written: the error next to the box
    expect(phone.locator("textarea[aria-invalid=true]")).to_have_count(1)
    problems += _checked(phone, language)
    phone.goto(f"{live_server}/calendar")
    problems += _checked(phone, language)
    phone.locator('form[action$="/calendar"] button[type=submit]').click()  # the new link, shown once
    expect(phone.locator("#calendar-link")).to_be_visible()
    problems += _checked(phone, language)

    # The klantmanager, at a desk.
    desk = staff_page(browser)
    sign_in_staff_quickly(desk, live_server, login)
    day = start.date()
    year, week, _weekday = day.isocalendar()
    for path in (
        f"/backoffice/appointments/agenda/day?date={day.isoformat()}",
        f"/backoffice/appointments/agenda/week?week={year}-W{week:02d}",
        f"/backoffice/appointments/{appointment_id}",
        f"/backoffice/appointments/new/{person.id}",
        "/backoffice/appointments/groups/new?kind=pvt_session",
        f"/backoffice/appointments/{appointment_id}/invite",
    ):
        desk.goto(live_server + path)
        assert desk.url.endswith(path), desk.url
        problems += _checked(desk, language)
        if "/agenda/" in path:
            expect(desk.locator(".agenda-attendees bdi", has_text=person.name)).to_have_count(1)
        if path.endswith("/invite"):
            expect(desk.locator(f"#newcomer-{other.id}")).to_have_count(1)

    desk.goto(f"{live_server}/backoffice/appointments/new/{person.id}")
    desk.fill("#start", "")
    desk.locator("form.appointment-form button.utrecht-button--primary-action").click()  # a form with errors
    expect(desk.locator("[aria-invalid=true]").first).to_be_visible()
    problems += _checked(desk, language)
    assert problems == []
