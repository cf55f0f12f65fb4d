"""The verbs of the intake: start or resume, save a step or one answer, go back, submit.

Each owns its transaction. Every channel calls these with its own name (``web``, ``chat``,
``sms``) and a :class:`~workflows.i18n.Context` (the web's from the request, the SMS webhook's from
the newcomer's language), and they all read and write the same :class:`~app.models.Filling`.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext
from sqlalchemy import select

from workflows import engine, get_workflow, questions
from workflows.engine import WEB, Progress
from workflows.i18n import Context
from workflows.model import Workflow

from ..casefiles import set_status
from ..extensions import db
from ..i18n import current_language, formatting_locale
from ..locking import lock_row
from ..models import Filling, Newcomer
from ..models.casefile import INTAKE_IN_PROGRESS, INTAKE_SUBMITTED, INVITED, REGISTERED
from ..models.filling import SUBMITTED
from ..models.message import NOTICES
from ..models.types import utcnow
from ..sms import texts
from ..sms.services import queue_for

INTAKE = "brede_intake"
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def workflow(filling: Filling | None = None) -> Workflow:
    """The definition ``filling`` was started with (always read with its own version), or the
    latest intake definition for a new one."""
    if filling is None:
        return get_workflow(INTAKE)
    return get_workflow(filling.workflow_id, filling.workflow_version)


def context(locale: str | None = None) -> Context:
    """The engine's view of the current request: translations, locale, today in the Netherlands,
    and the countries and languages to offer first.

    With ``locale`` (an app language code) outside a request's language, e.g. for an SMS webhook:
    the caller must have forced that locale (``app.i18n.using_language``) for the translations."""
    return Context(
        translate=gettext,
        locale=formatting_locale(locale) if locale else formatting_locale(),
        today=datetime.now(AMSTERDAM).date(),
        common_countries=tuple(current_app.config["COMMON_COUNTRIES"]),
        common_languages=tuple(current_app.config["COMMON_LANGUAGES"]),
    )


def progress(filling: Filling) -> Progress:
    """The engine's view of a stored filling-in."""
    return Progress(
        dict(filling.answers),
        tuple(filling.completed_steps),
        tuple(filling.asked or ()),
        filling.reopened,
        dict(filling.answer_channels or {}),
    )


def store(filling: Filling, new: Progress, channel: str, locale: str) -> None:
    """Write ``new`` into the row (the caller commits)."""
    filling.answers = dict(new.answers)
    filling.completed_steps = list(new.completed)
    filling.asked = list(new.asked)
    filling.reopened = new.reopened
    filling.answer_channels = dict(new.channels)
    filling.channel = channel
    filling.locale = locale
    filling.updated_at = utcnow()


def get_intake(newcomer: Newcomer) -> Filling | None:
    """The newcomer's intake, if they started one."""
    return db.session.scalar(select(Filling).where(Filling.newcomer_id == newcomer.id, Filling.workflow_id == INTAKE))


def start_or_resume(newcomer: Newcomer, channel: str = "web") -> Filling:
    """The newcomer's intake, created on first use."""
    intake = get_intake(newcomer)
    if intake is None:
        definition = workflow()
        intake = Filling(
            newcomer_id=newcomer.id,
            municipality_id=newcomer.municipality_id,
            workflow_id=definition.id,
            workflow_version=definition.version,
            occasion="",
            answers={},
            completed_steps=[],
            asked=[],
            answer_channels={},
            channel=channel,
            locale=newcomer.language,
        )
        db.session.add(intake)
        if newcomer.status in (REGISTERED, INVITED):
            set_status(newcomer, INTAKE_IN_PROGRESS)
        db.session.commit()
    return intake


def locked(filling: Filling) -> Filling:
    """The row read again, locked until the caller commits (``SELECT ... FOR UPDATE`` on PostgreSQL).

    Every verb that writes answers computes on this, not on the row as the request first loaded it:
    an answer another channel committed meanwhile (an SMS while the chat page was open) is then
    part of what is written back, never overwritten. SQLite has no row locks: a no-op write takes
    the database's write lock first (as ``app.outbox.rules.lock`` does). Pending changes are
    flushed, so they survive the new read.
    """
    return lock_row(filling, Filling.updated_at)


def save_step(intake: Filling, step_id: str, values: dict, channel: str = WEB) -> Progress:
    """Store a validated step's answers; answers that no longer apply are dropped."""
    new = engine.apply_step(workflow(intake), progress(locked(intake)), step_id, values, channel=channel)
    store(intake, new, channel, current_language().code)
    db.session.commit()
    return new


def answer(
    filling: Filling,
    field_id: str,
    raw,
    *,
    channel: str,
    ctx: Context,
    locale: str,  # noqa: ANN001 - a Raw
) -> questions.Answered:
    """Apply one answer from a question-by-question channel; stored (and committed) when accepted.

    ``KeyError`` when ``field_id`` is not a question that applies now.
    """
    outcome = questions.answer(workflow(filling), progress(locked(filling)), field_id, raw, ctx, channel=channel)
    if outcome.ok:
        store(filling, outcome.progress, channel, locale)
        db.session.commit()
    return outcome


def go_back(filling: Filling, *, channel: str) -> Progress:
    """Ask the previous question again (committed)."""
    return _move(filling, questions.go_back(workflow(filling), progress(locked(filling)), channel=channel))


def reopen(filling: Filling, field_id: str) -> Progress:
    """Ask ``field_id`` again to change it (committed); KeyError when it cannot be."""
    return _move(filling, questions.reopen(workflow(filling), progress(locked(filling)), field_id))


def keep(filling: Filling) -> Progress:
    """Leave a reopened question as it was (committed)."""
    return _move(filling, questions.keep(progress(locked(filling))))


def _move(filling: Filling, new: Progress) -> Progress:
    filling.reopened = new.reopened
    filling.updated_at = utcnow()
    db.session.commit()
    return new


def submit(intake: Filling) -> bool:
    """Send the intake in (then read-only for the newcomer) and confirm it by SMS; ``False`` when
    it is not complete. The SMS is queued in the same transaction; the worker sends it."""
    if locked(intake).is_submitted:
        return True
    if not engine.is_complete(workflow(intake), progress(intake)):
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
        cause=("filling", intake.id),
        key=f"intake_received:{intake.id}:{intake.submitted_at.isoformat()}",
    )
    db.session.commit()
    return True
