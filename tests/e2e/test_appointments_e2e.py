"""A PVT group session from booking to a confirmed place, in two real browsers, a worker at a simulated time
and a signed Twilio webhook (issue 8, section 5).

The klantmanager creates a PVT session for next week and invites three newcomers (Tigrinya, Arabic,
Dutch) from the filtered caseload. The Tigrinya newcomer signs in on a 360 px phone with an SMS code,
sees the session on her route page in Tigrinya, opens it and downloads its calendar file. A worker
whose clock stands at the reminder's send time (two days before the start) sends the reminder to the
dev SMS inbox; she replies "1" (a webhook POST signed as Twilio signs it), and the klantmanager's
agenda of that week shows her as confirmed.

Texts the newcomer reads are computed with gettext in the ``ti`` locale, so the test stays right once
the Tigrinya catalog translates them (until then they read as the English source).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from icalendar import Calendar
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.config import TestConfig
from app.extensions import db
from app.i18n import AMSTERDAM
from app.models.appointment import Appointment, Attendee
from app.models.message import OutboundMessage
from tests.conftest import ROOT
from tests.e2e.test_appointments_accessibility import sign_in_staff_quickly
from tests.e2e.test_backoffice_journey import staff_page
from tests.e2e.test_conversation_e2e import TOKEN, post_inbound_sms
from tests.e2e.test_newcomer_journey import read_code
from tests.e2e.test_sensitive_review import translated
from workflows.appointments import TYPES

NEWCOMERS = {"ti": "ሳባ ገብረሚካኤል", "ar": "ليلى حداد", "nl": "Fatima Öztürk"}


@pytest.fixture
def signed_webhooks(monkeypatch: pytest.MonkeyPatch) -> str:
    """The served app's Twilio auth token (set before ``live_server`` builds the app)."""
    monkeypatch.setattr(TestConfig, "TWILIO_AUTH_TOKEN", TOKEN)
    return TOKEN


def run_worker_at(database_url: str, base: str, moment: datetime) -> int:
    """One ``--once`` run of the e2e worker process with its clock at ``moment``; how many SMS it sent."""
    env = {**os.environ, "E2E_WORKER_AT": moment.isoformat(), "E2E_WORKER_ONCE": "1"}
    done = subprocess.run(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", "tests.e2e.worker_process", database_url, base],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return int(done.stdout.strip().splitlines()[-1])


def inbox_messages(page: Page, base: str, phone: str) -> list[str]:
    """The dev SMS inbox's messages to ``phone``, newest first, as one line of text each."""
    page.goto(f"{base}/dev/sms")
    found = []
    for message in page.locator(".dev-inbox__message").all():
        to = message.locator("p").first.inner_text()
        if phone in to:
            found.append(" ".join(message.locator(".dev-inbox__body").inner_text().split()))
    return found


def iso_week(day: date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def test_pvt_session_booked_seen_in_tigrinya_reminded_and_confirmed_by_sms(
    signed_webhooks, live_server, database_url, app, browser, make_staff, make_newcomer, new_phone
):
    people = {language: make_newcomer(name=name, language=language) for language, name in NEWCOMERS.items()}
    saba = people["ti"]
    day = datetime.now(AMSTERDAM).date() + timedelta(days=7)

    # The klantmanager creates the PVT session for next week.
    sanne = staff_page(browser)
    sign_in_staff_quickly(sanne, live_server, make_staff())
    sanne.goto(f"{live_server}/backoffice/appointments/groups/new?kind=pvt_session")
    expect(sanne.locator("#kind")).to_have_value("pvt_session")
    sanne.fill("#day", day.isoformat())
    sanne.fill("#start", "10:00")
    sanne.fill("#location", "Stadhuis Hoorn")
    sanne.fill("#room", "Zaal 2")
    sanne.locator("form.appointment-form button.utrecht-button--primary-action").click()
    expect(sanne).to_have_url(re.compile(r"/backoffice/appointments/\d+/invite$"))
    appointment_id = int(re.search(r"/appointments/(\d+)/invite", sanne.url).group(1))

    # The invitation page: the language filter narrows the list; then all three are ticked and invited.
    rows = sanne.locator("form.caseload-selection tbody tr")
    sanne.select_option("#language", "ti")
    sanne.locator("form.filters button[type=submit]").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(NEWCOMERS["ti"])
    sanne.select_option("#language", "")
    sanne.locator("form.filters button[type=submit]").click()
    expect(rows).to_have_count(3)
    for person in people.values():
        sanne.locator(f"#newcomer-{person.id}").check()
    sanne.locator("form.caseload-selection button[type=submit]").click()
    expect(sanne).to_have_url(re.compile(rf"/backoffice/appointments/{appointment_id}#attendees$"))
    expect(sanne.locator(".utrecht-alert").first).to_contain_text("3 newcomers invited.")

    with app.app_context():
        appointment = db.session.get(Appointment, appointment_id)
        assert appointment.kind == "pvt_session"
        starts_at = appointment.starts_at
        assert starts_at == datetime(day.year, day.month, day.day, 10, tzinfo=AMSTERDAM).astimezone(UTC)
        attendee = db.session.scalar(
            select(Attendee).where(Attendee.appointment_id == appointment_id, Attendee.newcomer_id == saba.id)
        )
        attendee_id, uid = attendee.id, attendee.uid
        assert {a.newcomer_id for a in appointment.attendees} == {p.id for p in people.values()}
        reminder = db.session.scalar(
            select(OutboundMessage)
            .where(OutboundMessage.newcomer_id == saba.id, OutboundMessage.kind == "appointment_reminder")
            .order_by(OutboundMessage.next_attempt_at)
            .limit(1)
        )
        reminder_id, reminder_at = reminder.id, reminder.next_attempt_at
    assert timedelta(days=2) - timedelta(hours=1) <= starts_at - reminder_at <= timedelta(days=2) + timedelta(hours=1)

    # Saba signs in on her phone with an SMS code and sees the session on her route, in Tigrinya.
    [name, what] = translated(app, "ti", TYPES["pvt_session"].name, TYPES["pvt_session"].short)
    phone = new_phone()
    phone.goto(f"{live_server}/login?next=/route")
    phone.locator('[name="phone"]').fill(saba.phone)
    phone.locator("main button[type=submit]").click()
    expect(phone).to_have_url(re.compile(r"/login/code\?next="))
    phone.locator('[name="code"]').fill(read_code(phone.context.new_page(), live_server, saba.phone))
    phone.locator("main button[type=submit]").click()
    expect(phone).to_have_url(re.compile(r"/route$"))
    expect(phone.locator("html")).to_have_attribute("lang", "ti")
    title = phone.locator(".appt__title a", has_text=name)
    expect(title).to_have_count(1)
    overflow = phone.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, "the route page scrolls sideways at 360 px"

    # Its page, and its calendar file.
    title.click()
    expect(phone).to_have_url(re.compile(rf"/appointments/{attendee_id}$"))
    expect(phone.locator("h1")).to_contain_text(name)
    with phone.expect_download() as download_info:
        phone.locator(f'a[href$="/appointments/{attendee_id}.ics"]').click()
    download = download_info.value
    assert download.suggested_filename.endswith(".ics")
    with open(download.path(), "rb") as handle:
        ics = Calendar.from_ical(handle.read())
    assert [str(tz["TZID"]) for tz in ics.walk("VTIMEZONE")] == ["Europe/Amsterdam"]
    [event] = ics.walk("VEVENT")
    assert str(event["UID"]) == uid
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event["DTSTART"].params["TZID"] == "Europe/Amsterdam"
    assert event.decoded("DTSTART") == starts_at
    assert name in str(event["SUMMARY"])

    # Two days before the start, a worker sends the reminder: the dev inbox has it for her number.
    assert reminder_id not in _sent_ids(app, saba.id)
    sent = run_worker_at(database_url, live_server, reminder_at + timedelta(seconds=1))
    assert sent >= 1
    with app.app_context():
        reminder = db.session.get(OutboundMessage, reminder_id)
        assert reminder.status in ("sent", "delivered")
        body = " ".join(reminder.body.split())
    assert what in body
    inbox = sanne.context.new_page()
    assert inbox_messages(inbox, live_server, saba.phone)[0] == body

    # She replies "1" by SMS: the agenda of that week shows her as confirmed.
    assert post_inbound_sms(live_server, saba.phone, "1", "SM" + "e2e8" * 8) == 200
    sanne.goto(f"{live_server}/backoffice/appointments/agenda/week?week={iso_week(day)}")
    row = sanne.locator(".agenda-attendees li", has=sanne.locator("bdi", has_text=NEWCOMERS["ti"]))
    for _ in range(50):
        if row.locator(".agenda-answer--confirmed").count():
            break
        time.sleep(0.1)
        sanne.reload()
    expect(row.locator(".agenda-answer--confirmed")).to_have_text("Confirmed")
    for language in ("ar", "nl"):
        other = sanne.locator(".agenda-attendees li", has=sanne.locator("bdi", has_text=NEWCOMERS[language]))
        expect(other.locator(".agenda-answer--none")).to_have_count(1)
    with app.app_context():
        assert db.session.get(Attendee, attendee_id).response_channel == "sms"


def _sent_ids(app, newcomer_id: int) -> set[int]:  # noqa: ANN001
    """The ids of the SMS that went out to this newcomer so far."""
    with app.app_context():
        return set(
            db.session.scalars(
                select(OutboundMessage.id).where(
                    OutboundMessage.newcomer_id == newcomer_id, OutboundMessage.sent_at.is_not(None)
                )
            )
        )
