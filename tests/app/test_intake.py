"""The intake on the web: steps, validation, resuming, review, submit."""

from __future__ import annotations

import re

from flask_babel import force_locale, gettext
from sqlalchemy import select

from app.extensions import db
from app.models import Filling
from tests.conftest import csrf_token, sign_in
from tests.workflows.test_intake import AMAL

# The same answers as the engine test, as the web form posts them (values, not numbers).
WEB = {
    "about_you": {
        "preferred_name": "أمل 🌸",
        "date_of_birth": "1985-03-14",
        "gender": "woman",
        "country_of_birth": "SY",
        "phone": "0612345601",
        "email": "",
        "contact_preference": "sms",
    },
    "languages": {
        "mother_tongue": "ar",
        "other_language": "",
        "reads_mother_tongue": "good",
        "writes_mother_tongue": "little",
        "reads_latin_script": "little",
        "dutch_level": "none",
        "english_level": "none",
    },
    "education": {"school_years": "9", "highest_education": "secondary", "has_diploma": "no", "wants_study": "no"},
    "work": {
        "has_worked": "yes",
        "occupation": "خياطة",
        "work_years": "6",
        "work_country": "SY",
        "works_now": "no",
        "skills": ["hands", "cooking"],
    },
    "health": {"health_limits": "prefer_not_to_say"},
    "family": {
        "partner": "in_nl",
        "talk_without_partner": "yes",
        "has_children": "yes",
        "children_count": "2",
        "children_under_4": "yes",
        "needs_childcare": "yes",
    },
    "housing": {"housing_type": "own_home", "housing_problems": "no"},
    "income": {"income_sources": ["benefit"], "has_debts": "no"},
    "network": {
        "social_contacts": "some",
        "volunteers": "no",
        "volunteer_interest": "yes",
        "wants_language_buddy": "yes",
    },
    "goals": {
        "main_goal": "dutch",
        "goal_description": "أريد أن أعمل خياطة.\nثم أتعلم.",
        "available_days": ["mon", "tue"],
        "available_times": ["morning"],
    },
    "consent": {"share_with_school": "yes", "answers_true": "yes"},
}
assert list(WEB) == list(AMAL)


def post_step(client, step_id: str, data: dict, query: str = ""):  # noqa: ANN001, ANN201
    page = client.get(f"/intake/{step_id}{query}")
    assert page.status_code == 200, page.headers.get("Location")
    return client.post(f"/intake/{step_id}{query}", data={"csrf_token": csrf_token(page.text), **data})


def complete(client, upto: str | None = None) -> None:  # noqa: ANN001
    for step_id, data in WEB.items():
        if step_id == upto:
            return
        response = post_step(client, step_id, data)
        assert response.status_code == 302, re.findall(r'error-message"[^>]*>(.*?)</p>', response.text)


def stored(app) -> Filling:  # noqa: ANN001
    with app.app_context():
        intake = db.session.scalar(select(Filling))
        db.session.expunge(intake)
        return intake


def test_first_visit_starts_at_step_one_with_progress(signed_in):
    page = signed_in.get("/intake/", follow_redirects=True)
    assert page.request.path == "/intake/about_you"
    assert "Step 1 of 11" in page.text
    assert 'name="date_of_birth"' in page.text


def test_every_next_saves_and_moves_on(signed_in, app):
    response = post_step(signed_in, "about_you", WEB["about_you"])
    assert response.headers["Location"] == "/intake/languages"
    intake = stored(app)
    assert intake.answers["preferred_name"] == "أمل 🌸"
    assert intake.answers["date_of_birth"] == "1985-03-14"
    assert intake.completed_steps == ["about_you"]
    page = signed_in.get("/intake/languages")
    assert "Step 2 of 11" in page.text
    assert 'href="/intake/about_you"' in page.text  # Back


def test_errors_are_shown_next_to_fields_and_input_is_kept(signed_in, app):
    data = dict(WEB["about_you"], date_of_birth="31-02-1985", phone="12", preferred_name="<script>alert(1)</script>")
    response = post_step(signed_in, "about_you", data)
    assert response.status_code == 422
    text = response.text
    assert 'id="date_of_birth-error"' in text
    assert 'id="phone-error"' in text
    assert "Type a valid phone number" in text
    assert 'value="&lt;script&gt;alert(1)&lt;/script&gt;"' in text
    assert "<script>alert(1)" not in text
    assert 'value="woman" checked' in text  # the other answers are still there
    assert '<option value="SY" selected>' in text
    assert 'href="#phone"' in text  # error summary links to the field
    assert stored(app).answers == {}


def test_errors_are_in_the_users_language(client, app, make_newcomer):
    sign_in(client, make_newcomer(language="ar"))  # the profile says Arabic; the browser says English
    page = client.get("/intake/about_you")
    response = client.post("/intake/about_you", data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 422
    assert '<html lang="ar" dir="rtl">' in response.text
    with app.test_request_context(), force_locale("ar"):
        arabic = gettext("Please answer this question.")
    assert arabic != "Please answer this question."
    assert arabic in response.text


def test_cannot_skip_ahead_or_reach_unknown_or_skipped_steps(signed_in):
    assert signed_in.get("/intake/consent").headers["Location"] == "/intake/about_you"
    assert signed_in.get("/intake/nonexistent").status_code == 404
    assert signed_in.get("/intake/%3Cscript%3E").status_code == 404


def test_leaving_and_coming_back_on_another_device_resumes(client, app, newcomer):
    sign_in(client, newcomer)
    complete(client, upto="work")
    other_phone = app.test_client()
    sign_in(other_phone, newcomer)
    page = other_phone.get("/intake/", follow_redirects=True)
    assert page.request.path == "/intake/work"
    previous = other_phone.get("/intake/about_you")
    assert 'value="أمل 🌸"' in previous.text
    assert 'value="1985-03-14"' in previous.text


def test_changing_an_answer_drops_answers_that_no_longer_apply(signed_in, app):
    complete(signed_in, upto="housing")
    assert stored(app).answers["children_count"] == 2
    response = post_step(signed_in, "family", dict(WEB["family"], has_children="no"))
    assert response.status_code == 302
    answers = stored(app).answers
    assert answers["has_children"] is False
    assert "children_count" not in answers
    assert "needs_childcare" not in answers


def test_review_lists_every_answer_and_submit_locks_the_intake(signed_in, app):
    complete(signed_in)
    review = signed_in.get("/intake/", follow_redirects=True)
    assert review.request.path == "/intake/review"
    assert "<bdi>أمل 🌸</bdi>" in review.text
    assert "<bdi>أريد أن أعمل خياطة.\nثم أتعلم.</bdi>" in review.text
    assert 'href="/intake/family?from=review"' in review.text
    assert "Syria" in review.text
    response = signed_in.post("/intake/submit", data={"csrf_token": csrf_token(review.text)})
    assert response.headers["Location"] == "/intake/done"
    done = signed_in.get("/intake/done")
    assert "your intake has been sent" in done.text
    intake = stored(app)
    assert intake.status == "submitted"
    assert intake.submitted_at is not None
    # read-only now: steps lead to the confirmation
    assert signed_in.get("/intake/about_you").headers["Location"] == "/intake/done"


def test_edit_from_review_returns_to_review(signed_in):
    complete(signed_in)
    response = post_step(signed_in, "housing", dict(WEB["housing"], housing_type="reception"), "?from=review")
    assert response.headers["Location"] == "/intake/review"


def test_stale_form_after_submit_gets_a_notice_not_an_error(signed_in, app):
    complete(signed_in)
    stale = signed_in.get("/intake/goals")  # an old tab, still open
    review = signed_in.get("/intake/review")
    signed_in.post("/intake/submit", data={"csrf_token": csrf_token(review.text)})
    response = signed_in.post(
        "/intake/goals", data={"csrf_token": csrf_token(stale.text), **WEB["goals"]}, follow_redirects=True
    )
    assert response.status_code == 200
    assert "You already sent your intake. This change was not saved." in response.text
    assert stored(app).answers["main_goal"] == "dutch"


def test_review_before_complete_goes_to_the_next_question(signed_in):
    complete(signed_in, upto="goals")
    assert signed_in.get("/intake/review").headers["Location"] == "/intake/goals"


def test_submit_incomplete_intake_is_refused_gently(signed_in, app):
    complete(signed_in, upto="goals")
    page = signed_in.get("/intake/goals")
    response = signed_in.post("/intake/submit", data={"csrf_token": csrf_token(page.text)}, follow_redirects=True)
    assert response.request.path == "/intake/goals"
    assert "Some questions still need an answer." in response.text
    assert stored(app).status == "in_progress"


def test_too_big_a_body_gets_a_friendly_413(signed_in):
    page = signed_in.get("/intake/about_you")
    big = "ዮ" * 200_000
    response = signed_in.post("/intake/about_you", data={"csrf_token": csrf_token(page.text), "preferred_name": big})
    assert response.status_code == 413
    assert "Your answer is too long" in response.text


def test_too_long_an_answer_is_a_field_error_and_is_kept(signed_in):
    response = post_step(signed_in, "about_you", dict(WEB["about_you"], preferred_name="ዮ" * 101))
    assert response.status_code == 422
    assert "Use at most 100 characters." in response.text


def test_wrong_types_and_unknown_fields_do_not_crash(signed_in, app):
    page = signed_in.get("/intake/about_you")
    response = signed_in.post(
        "/intake/about_you",
        data={
            "csrf_token": csrf_token(page.text),
            "gender": ["woman", "man"],
            "country_of_birth": "<b>",
            "date_of_birth": "\x00",
            "is_admin": "1",
            "contact_preference": "1",
        },
    )
    assert response.status_code == 422
    assert "is_admin" not in str(stored(app).answers)


def test_another_newcomers_answers_are_never_shown(client, app, make_newcomer):
    amal, yonas = make_newcomer(), make_newcomer(name="Yonas Tesfay", language="ti")
    sign_in(client, amal)
    complete(client, upto="languages")
    other = app.test_client()
    sign_in(other, yonas)
    page = other.get("/intake/about_you")
    assert "أمل" not in page.text
    assert other.get("/intake/", follow_redirects=True).request.path == "/intake/about_you"


# -- sensitive answers, the receipt and the read-only view -------------------------------------------

SENSITIVE_TEXTS = ("Benefit from the municipality", "I prefer not to say")


def review_rows(html: str) -> dict[str, str]:
    """Question -> answer text of a review page (without the staff's label of the channel it came from)."""
    rows = re.findall(r"<dt>(.*?)</dt>\s*<dd>(.*?)</dd>", html, re.S)
    badge = re.compile(r'\s*<span class="badge badge--channel.*?</span></span>', re.S)
    return {question: re.sub(r"<[^>]+>", "", badge.sub("", answer)) for question, answer in rows}


def test_the_newcomers_review_shows_sensitive_answers_only_as_answered(signed_in):
    complete(signed_in)
    review = signed_in.get("/intake/review")
    rows = review_rows(review.text)
    assert rows["Would you like a talk with us without your partner?"] == "Answered"
    assert rows["Do you have health problems that make learning or working harder?"] == "Answered"
    assert rows["What money do you live on?"] == "Answered"
    assert rows["Do you have debts?"] == "Answered"
    assert rows["Do you have a partner?"] == "Yes, my partner lives in the Netherlands"  # not sensitive
    for text in SENSITIVE_TEXTS:
        assert text not in review.text
    assert "some answers are not shown here" in review.text
    assert 'href="/intake/family?from=review"' in review.text  # they can still open and change them
    assert 'href="/intake/health?from=review"' in review.text


def test_a_question_asked_because_of_a_sensitive_answer_is_not_listed(signed_in):
    complete(signed_in, upto="health")
    post_step(signed_in, "health", {"health_limits": "mental", "health_details": "Ik slaap slecht"})
    for step_id in list(WEB)[5:]:
        post_step(signed_in, step_id, WEB[step_id])
    review = signed_in.get("/intake/review")
    assert review.status_code == 200
    assert "Ik slaap slecht" not in review.text
    assert "What should we know about this?" not in review.text
    assert "problems with stress" not in review.text
    step = signed_in.get("/intake/health?from=review")
    assert "Ik slaap slecht" in step.text  # opening the step shows them


def test_staff_review_still_shows_sensitive_answers(client, app, make_staff):
    from tests.app.backoffice.test_casefiles import make_file, newcomer_submits
    from tests.conftest import staff_sign_in

    file_id = make_file(app)
    newcomer_submits(app, file_id)
    staff_sign_in(client, make_staff())
    page = client.get(f"/backoffice/newcomers/{file_id}")
    rows = review_rows(page.text)
    assert rows["Would you like a talk with us without your partner?"] == "Yes"
    assert "Benefit from the municipality" in page.text


def test_submitting_sends_a_short_receipt_that_names_the_municipality(signed_in, app, sms, newcomer):
    complete(signed_in)
    review = signed_in.get("/intake/review")
    signed_in.post("/intake/submit", data={"csrf_token": csrf_token(review.text)})
    assert len(sms.sent) == 1
    to, body = sms.sent[0]
    assert to == newcomer.phone
    assert "Hoorn" in body
    assert "received your intake" in body
    for private in (newcomer.name, "أمل", "Yes", "partner", "http", *SENSITIVE_TEXTS):
        assert private not in body
    with app.app_context():
        from app.models import OutboundMessage

        message = db.session.scalar(select(OutboundMessage))
        assert (message.kind, message.body, message.status) == ("intake_received", body, "sent")
    signed_in.post("/intake/submit", data={"csrf_token": csrf_token(review.text)})
    assert len(sms.sent) == 1  # a second click sends nothing more


def test_a_failed_receipt_sms_does_not_undo_the_submit(signed_in, app, sms):
    from app.sms.base import SmsError

    complete(signed_in)
    review = signed_in.get("/intake/review")
    sms.fail_with = SmsError("unavailable", "down")
    response = signed_in.post("/intake/submit", data={"csrf_token": csrf_token(review.text)})
    assert response.headers["Location"] == "/intake/done"
    assert stored(app).status == "submitted"


def test_after_submitting_the_newcomer_can_read_but_not_change_what_they_sent(signed_in):
    assert signed_in.get("/intake/sent").headers["Location"] == "/intake/about_you"  # nothing sent yet
    complete(signed_in)
    review = signed_in.get("/intake/review")
    signed_in.post("/intake/submit", data={"csrf_token": csrf_token(review.text)})
    done = signed_in.get("/intake/done")
    assert 'href="/intake/sent"' in done.text
    sent = signed_in.get("/intake/sent")
    assert sent.status_code == 200
    assert "<bdi>أمل 🌸</bdi>" in sent.text
    assert "?from=review" not in sent.text  # no change links
    assert "<form" not in sent.text.split("</header>", 1)[1]  # nothing to post
    rows = review_rows(sent.text)
    assert rows["Would you like a talk with us without your partner?"] == "Answered"
    for text in SENSITIVE_TEXTS:
        assert text not in sent.text


def test_the_receipt_time_reads_as_a_person_writes_it(client, app, make_newcomer):
    from datetime import UTC, datetime

    sign_in(client, make_newcomer(language="fa"))
    complete(client)
    review = client.get("/intake/review")
    client.post("/intake/submit", data={"csrf_token": csrf_token(review.text)})
    with app.app_context():
        intake = db.session.scalar(select(Filling))
        intake.submitted_at = datetime(2026, 1, 5, 8, 2, 0, tzinfo=UTC)
        db.session.commit()
    done = client.get("/intake/done").text
    main = done.split('<main id="main"', 1)[1]
    assert "۹:۰۲" in main  # 09:02 in Amsterdam, Persian digits
    assert "جنوری" in main  # the Dari month name
    assert ":00" not in main
    assert "+0" not in main
    assert "۹:۰۲:۰۰" not in main
    assert not re.search(r"[0-9]", re.sub(r"<[^>]+>", "", main)), "Latin digits on a Persian page"


def test_the_step_count_uses_the_languages_digits(client, make_newcomer):
    sign_in(client, make_newcomer(language="fa"))
    page = client.get("/intake/about_you").text
    with client.application.test_request_context(), force_locale("fa"):
        expected = gettext("Step %(number)s of %(total)s", number="۱", total="۱۱")
    assert expected in page
    assert 'aria-valuenow="1"' in page


def test_common_countries_and_languages_come_first(signed_in, app):
    page = signed_in.get("/intake/about_you").text
    select_html = page.split('name="country_of_birth"', 1)[1].split("</select>", 1)[0]
    values = re.findall(r'<option value="([^"]*)"', select_html)
    assert values[1 : 1 + len(app.config["COMMON_COUNTRIES"])] == list(app.config["COMMON_COUNTRIES"])
    assert "<optgroup" in select_html
