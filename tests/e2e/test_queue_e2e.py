"""In Chromium: the beheerder's SMS queue (cancel and send again, through the confirm pages) and the
messages section of a file, each checked with axe-core; screenshots go to the test's tmp_path."""

from __future__ import annotations

import re
import time
from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import Newcomer
from app.models.message import OutboundEvent, OutboundMessage, SmsOptOut, WorkerHeartbeat
from app.models.types import utcnow
from tests.app.backoffice.test_casefiles import make_file
from tests.app.test_queue_page import BODY, SECRET_BODY, add_message
from tests.e2e.test_accessibility import serious_violations
from tests.e2e.test_backoffice_journey import sign_in_staff, staff_page


def status_of(app, message_id: int) -> str:  # noqa: ANN001
    with app.app_context():
        return db.session.get(OutboundMessage, message_id).status


def wait_for_a_heartbeat(app) -> None:  # noqa: ANN001
    """The live server's worker process has started and said so."""
    for _ in range(100):
        with app.app_context():
            if db.session.scalar(select(WorkerHeartbeat.id).limit(1)) is not None:
                return
        time.sleep(0.1)
    raise AssertionError("the worker never started")


def test_queue_page_cancel_and_send_again_in_a_browser(live_server, app, browser, make_staff, tmp_path):
    file_id = make_file(app, name="Yonas Tesfay", phone="+31612345602")
    later = utcnow() + timedelta(hours=1)  # not due yet: the live server's worker leaves it waiting
    queued = add_message(app, newcomer_id=file_id, next_attempt_at=later)
    add_message(
        app, status="sending", kind="login_code", newcomer_id=file_id, claimed_by="e2e-other:1:abc", lease_until=later
    )
    unknown = add_message(app, status="unknown", newcomer_id=file_id, error_code="in_doubt", error_at=utcnow())
    failed = add_message(
        app, status="failed", kind="intake_returned", newcomer_id=file_id, error_code="30005", error_at=utcnow()
    )
    add_message(
        app, status="failed", kind="invitation", newcomer_id=file_id, body=SECRET_BODY, error_code="30005",
        error_at=utcnow(),
    )  # fmt: skip
    problems: list[str] = []
    beheer = staff_page(browser)
    sign_in_staff(beheer, live_server, make_staff(role="beheerder", codes=()), problems, start="/admin/staff")

    wait_for_a_heartbeat(app)
    beheer.get_by_role("link", name="SMS queue").click()
    expect(beheer).to_have_url(re.compile(r"/admin/queue$"))
    expect(beheer.locator("#queue-workers").locator("xpath=..")).to_contain_text("e2e-worker")
    problems += serious_violations(beheer)
    beheer.screenshot(path=str(tmp_path / "queue.png"), full_page=True)
    assert BODY not in beheer.content()
    assert "+31612345602" not in beheer.content()

    # Cancel the waiting message: a confirm page first.
    beheer.locator(f'a[href$="/admin/queue/{queued}/cancel"]').click()
    problems += serious_violations(beheer)
    beheer.get_by_role("button", name="Cancel the message").click()
    expect(beheer.locator(".utrecht-alert")).to_contain_text(f"Message {queued} is cancelled")
    assert status_of(app, queued) == "cancelled"

    # Send a failed notice again: the copy reaches the (dev) phone through the worker.
    beheer.goto(f"{live_server}/admin/queue?status=failed")
    expect(beheer.locator("#queue-list-section")).to_contain_text("Code or link: send a new invitation from the file")
    beheer.locator(f'a[href$="/admin/queue/{failed}/retry"]').click()
    expect(beheer.locator("main")).to_contain_text("This number does not exist (any more).")
    problems += serious_violations(beheer)
    beheer.get_by_role("button", name="Send again").click()
    expect(beheer.locator(".utrecht-alert")).to_contain_text(f"Message {failed} is queued again as message")
    assert status_of(app, failed) == "failed"
    for _ in range(50):
        beheer.goto(f"{live_server}/dev/sms")
        if "+31612345602" in beheer.content():
            break
        beheer.wait_for_timeout(100)
    expect(beheer.locator(".dev-inbox__message").first).to_contain_text(BODY)

    # An unclear message warns about a double; filters with a wrong value show a message at the field.
    beheer.goto(f"{live_server}/admin/queue/{unknown}/retry")
    expect(beheer.locator("main")).to_contain_text("the person may get it twice")
    beheer.goto(f"{live_server}/admin/queue?status=everything&page=0")
    expect(beheer.locator("#filter-status-error")).to_contain_text("Choose a status from the list.")
    problems += serious_violations(beheer)
    beheer.context.close()
    assert problems == []


def test_the_messages_of_a_file_in_a_browser(live_server, app, browser, make_staff, tmp_path):
    file_id = make_file(app, name="Zahra Ahmadi", phone="+31612345603")
    now = utcnow()
    with app.app_context():
        newcomer = db.session.get(Newcomer, file_id)
        newcomer.language = "fa"
        newcomer.sms_unreachable_code, newcomer.sms_unreachable_at = "30006", now
        db.session.add(SmsOptOut(newcomer_id=file_id, category="reminders", source="sms"))
        db.session.commit()
    delivered = add_message(app, status="delivered", newcomer_id=file_id, body="شهرداری هورن: فرم شما را دریافت کردیم")
    failed = add_message(
        app, status="failed", kind="invitation", newcomer_id=file_id, body=SECRET_BODY, error_code="30006",
        error_at=now, created_at=now - timedelta(minutes=1),
    )  # fmt: skip
    with app.app_context():
        db.session.add(OutboundEvent(message_id=delivered, status="delivered", source="twilio"))
        db.session.commit()
    problems: list[str] = []
    sanne = staff_page(browser)
    sign_in_staff(sanne, live_server, make_staff(), problems)
    sanne.goto(f"{live_server}/backoffice/newcomers/{file_id}#messages")
    section = sanne.locator("section#sms")
    expect(section).to_contain_text("This phone number cannot be reached by SMS")
    expect(section).to_contain_text("reminders: since")
    expect(section.locator(f"#sms-{failed}")).to_contain_text("could not be sent")
    expect(section.locator(f'#sms-{delivered} blockquote[lang="fa"][dir="rtl"]')).to_be_visible()
    section.locator(f"#sms-{failed} summary").click()
    expect(section.locator(f"#sms-{failed} details li").last).to_contain_text("the sending service")
    problems += serious_violations(sanne)
    section.screenshot(path=str(tmp_path / "file-messages.png"))
    sanne.context.close()
    assert problems == []
