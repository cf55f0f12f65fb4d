"""The file page starts with what matters: status, deadline, klantmanager, signals, actions; then the answers."""

from __future__ import annotations

from datetime import timedelta

from app.extensions import db
from app.models import Filling, Newcomer
from app.models.types import local_today, utcnow
from tests.app.backoffice.test_casefiles import make_file
from workflows.intake import BREDE_INTAKE


def submitted_intake(app, file_id: int, answers: dict) -> None:  # noqa: ANN001
    with app.app_context():
        db.session.add(
            Filling(
                newcomer_id=file_id,
                municipality_id=db.session.get(Newcomer, file_id).municipality_id,
                workflow_id="brede_intake",
                workflow_version=1,
                locale="en",
                status="submitted",
                answers=answers,
                completed_steps=["family", "income", "consent"],
                submitted_at=utcnow(),
            )
        )
        db.session.commit()


ANSWERS = {
    "partner": "in_nl",
    "talk_without_partner": True,
    "has_children": True,
    "children_count": 2,
    "children_under_4": True,
    "needs_childcare": True,
    "income_sources": ["benefit"],
    "has_debts": "yes",
    "debt_help_wanted": True,
    "share_with_school": True,
    "answers_true": False,
}


def test_signals_and_actions_come_before_the_answers(klantmanager, app):
    file_id = make_file(app, status="intake_submitted", deadline=local_today() + timedelta(days=3))
    submitted_intake(app, file_id, ANSWERS)
    page = klantmanager.get(f"/backoffice/newcomers/{file_id}").text
    now = page.split('id="now"')[1].split("</section>")[0]
    for text in (
        "Intake submitted",
        "within 2 weeks",
        "Wants a talk without their partner",
        "Has debts (or is not sure) and would like help",
        "Needs childcare during lessons",
        "Answered &#34;no&#34; to &#34;Did you answer the questions as well as you could?&#34;",
        "Approve the intake",
        "Return with a question",
        "Record the PIP",
    ):
        assert text in now, text
    assert "Shared health worries" not in now
    assert page.index('id="now"') < page.index('id="intake"')
    answers = page.split('id="intake"')[1]
    steps = len(BREDE_INTAKE.steps)
    assert answers.count('<details class="intake-step"') == steps  # one per step, collapsible without JavaScript
    assert "<summary><h3>Family and children</h3></summary>" in answers


def test_a_file_without_an_intake_shows_no_signals(klantmanager, app):
    file_id = make_file(app)
    page = klantmanager.get(f"/backoffice/newcomers/{file_id}").text
    assert "Signals from the intake" not in page
    assert "The newcomer has not submitted the intake yet." in page
