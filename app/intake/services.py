"""The verbs of the intake: start or resume, save a step, submit. Each owns its transaction."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext
from sqlalchemy import select

from workflows import engine, get_workflow
from workflows.engine import Progress
from workflows.i18n import Context
from workflows.model import Workflow

from ..casefiles import set_status
from ..extensions import db
from ..i18n import current_language, formatting_locale
from ..models import IntakeSession, Newcomer
from ..models.casefile import INTAKE_IN_PROGRESS, INTAKE_SUBMITTED, INVITED, REGISTERED
from ..models.intake import SUBMITTED
from ..models.message import NOTICES
from ..models.types import utcnow
from ..sms import texts
from ..sms.services import queue_for

INTAKE = "brede_intake"
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def workflow() -> Workflow:
    """The intake definition."""
    return get_workflow(INTAKE)


def context() -> Context:
    """The engine's view of the current request: translations, locale, today in the Netherlands,
    and the countries and languages to offer first."""
    return Context(
        translate=gettext,
        locale=formatting_locale(),
        today=datetime.now(AMSTERDAM).date(),
        common_countries=tuple(current_app.config["COMMON_COUNTRIES"]),
        common_languages=tuple(current_app.config["COMMON_LANGUAGES"]),
    )


def progress(intake: IntakeSession) -> Progress:
    """The engine's view of a stored intake."""
    return Progress(dict(intake.answers), tuple(intake.completed_steps))


def get_intake(newcomer: Newcomer) -> IntakeSession | None:
    """The newcomer's intake, if they started one."""
    return db.session.scalar(
        select(IntakeSession).where(IntakeSession.newcomer_id == newcomer.id, IntakeSession.workflow_id == INTAKE)
    )


def start_or_resume(newcomer: Newcomer, channel: str = "web") -> IntakeSession:
    """The newcomer's intake, created on first use."""
    intake = get_intake(newcomer)
    if intake is None:
        definition = workflow()
        intake = IntakeSession(
            newcomer_id=newcomer.id,
            municipality_id=newcomer.municipality_id,
            workflow_id=definition.id,
            workflow_version=definition.version,
            answers={},
            completed_steps=[],
            channel=channel,
            locale=newcomer.language,
        )
        db.session.add(intake)
        if newcomer.status in (REGISTERED, INVITED):
            set_status(newcomer, INTAKE_IN_PROGRESS)
        db.session.commit()
    return intake


def save_step(intake: IntakeSession, step_id: str, values: dict, channel: str = "web") -> Progress:
    """Store a validated step's answers; answers that no longer apply are dropped."""
    new = engine.apply_step(workflow(), progress(intake), step_id, values)
    intake.answers = dict(new.answers)
    intake.completed_steps = list(new.completed)
    intake.channel = channel
    intake.locale = current_language().code
    intake.updated_at = utcnow()
    db.session.commit()
    return new


def submit(intake: IntakeSession) -> bool:
    """Send the intake in (then read-only for the newcomer) and confirm it by SMS; ``False`` when
    it is not complete. The SMS is queued in the same transaction; the worker sends it."""
    if intake.is_submitted:
        return True
    if not engine.is_complete(workflow(), progress(intake)):
        return False
    intake.status = SUBMITTED
    intake.submitted_at = utcnow()
    newcomer = intake.newcomer
    set_status(newcomer, INTAKE_SUBMITTED)
    municipality = newcomer.municipality.name
    queue_for(
        newcomer,
        "intake_received",
        NOTICES,
        lambda _secret: texts.intake_received(municipality),
        cause=("intake_session", intake.id),
        key=f"intake_received:{intake.id}:{intake.submitted_at.isoformat()}",
    )
    db.session.commit()
    return True
