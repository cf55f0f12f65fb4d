"""axe-core on the pages of issue 6: correcting the details, the status form with a message, the PIP's warnings."""

from __future__ import annotations

from datetime import timedelta

from app.models.types import local_today
from tests.app.backoffice.test_pip import make_file
from tests.e2e.test_accessibility import serious_violations
from tests.e2e.test_backoffice_journey import sign_in_staff, staff_page


def test_details_status_and_pip_warning_pages_have_no_serious_violations(live_server, app, browser, make_staff):
    problems: list[str] = []
    page = staff_page(browser)
    sign_in_staff(page, live_server, make_staff(), problems, start="/backoffice/today")
    today = local_today()
    file_id = make_file(app, duo_notified_on=today - timedelta(days=120), pip_deadline_on=today - timedelta(days=50))
    base = f"{live_server}/backoffice/newcomers/{file_id}"

    page.goto(f"{base}/details")
    problems += serious_violations(page)
    page.fill('[name="phone"]', "12345")
    page.fill('[name="duo_notified_on"]', "9999-12-31")
    page.locator("main form button[type=submit]").click()
    assert page.locator("#phone-error").is_visible()
    assert page.locator("#duo_notified_on-error").is_visible()
    assert page.locator('[name="duo_notified_on"]').input_value() == "9999-12-31"  # nothing typed is lost
    problems += serious_violations(page)

    page.goto(base)
    status_form = 'main form[action$="/status"]'
    assert page.locator(f"{status_form} select[required]").count() == 1  # the browser asks first ...
    page.eval_on_selector(status_form, "form => { form.noValidate = true; }")  # ... the server too
    page.locator(f"{status_form} button[type=submit]").click()  # no status chosen
    assert page.locator("#status-error").is_visible()
    problems += serious_violations(page)

    page.goto(f"{base}/pip")
    page.check('[name="learnability_result"][value="not_feasible"]')
    page.check('[name="leerroute"][value="B"]')
    page.check('[name="level"][value="B1"]')
    page.fill('[name="pip_on"]', (today - timedelta(days=10)).isoformat())
    page.locator("main form.step-form button[type=submit]").click()
    assert page.locator("#warning-summary").is_visible()
    assert page.locator("#pip_on-warning").is_visible()
    assert page.locator("#leerroute-warning").is_visible()
    problems += serious_violations(page)
    page.check('[name="save_anyway"]')
    page.locator("main form.step-form button[type=submit]").click()
    assert page.url.endswith(f"/backoffice/newcomers/{file_id}#pip")
    assert problems == []
