"""The survey triggers of ``workflows/surveys.py``, read from the files: one invitation per person
and occasion.

:func:`scan` (the worker's job runner, at most every :data:`SCAN_EVERY_SECONDS`; or ``flask
survey-scan``) looks for each trigger's date in the last :data:`WINDOW` days, in bounded batches,
and makes an invitation with one ``INSERT ... ON CONFLICT DO NOTHING`` on the unique
``(newcomer_id, occasion)``: a second scan, or a second worker at the same moment, makes none. An
invitation comes with its filling-in, its SMS (a question answered by reply, and the link) and one
reminder three days later, all in the same transaction; a person who said STOP to surveys (or to
everything), has no number, or whose file closed meanwhile gets a *skipped* invitation with the
reason and no SMS. Closed files are not scanned at all.
"""

from __future__ import annotations

import logging
import time
from datetime import date, datetime, timedelta
from weakref import WeakKeyDictionary

from dateutil.relativedelta import relativedelta
from sqlalchemy import and_, exists, func, insert, or_, select

from workflows import surveys as definitions
from workflows.reminders import is_quiet, quiet_ends
from workflows.surveys import Trigger

from .. import audit
from ..extensions import db
from ..i18n import AMSTERDAM
from ..models import Filling, Newcomer, RouteProgress
from ..models import casefile as file_status
from ..models.filling import APPROVED, SMS_ACTIVE
from ..models.message import SURVEYS
from ..models.partner import MUNICIPALITY, Partner, RoutePartner
from ..models.survey import INVITED, SKIPPED, SurveyInvitation
from ..models.types import local_today, utcnow
from ..outbox.rules import opted_out
from ..outbox.worker import job_runner
from . import services
from . import sms as survey_sms

log = logging.getLogger("app.surveys.scan")

WINDOW = timedelta(days=30)
"""A trigger's date is looked for this far back: older events are not asked about (and a region
that starts mid-way does not invite everyone for its history)."""
BATCH = 200
"""Invitations made per trigger and scan, at most."""
MAX_PERIODS = 10
"""Six-monthly occasions looked for: five years of route."""
SCAN_EVERY_SECONDS = 300.0
CLOSED_STATUSES = (file_status.MOVED_AWAY, file_status.ENDED, file_status.EXEMPTED, file_status.DISPENSATION)

# Why an invitation was not sent (``SurveyInvitation.skip_reason``).
SKIP_OPTED_OUT = "opted_out"
SKIP_NO_PHONE = "no_phone"
SKIP_FILE_CLOSED = "file_closed"


def _open_file():  # noqa: ANN202 - a SQL criterion
    return and_(Newcomer.ended_on.is_(None), Newcomer.status.notin_(CLOSED_STATUSES))


def _not_invited(occasion: str):  # noqa: ANN202
    return ~exists().where(SurveyInvitation.newcomer_id == Newcomer.id, SurveyInvitation.occasion == occasion)


def _has_partner(trigger: Trigger, on):  # noqa: ANN001, ANN202
    return exists().where(
        RoutePartner.newcomer_id == Newcomer.id,
        RoutePartner.kind.in_(trigger.kinds),
        RoutePartner.started_on <= on,
        or_(RoutePartner.ended_on.is_(None), RoutePartner.ended_on >= on),
    )


def _route_end():  # noqa: ANN202
    return func.coalesce(RouteProgress.route_completed_on, RouteProgress.z_completed_on, Newcomer.obligation_met_on)


def candidates(trigger: Trigger, today: date, now: datetime, n: int | None = None) -> list[tuple[int, date]]:
    """``(newcomer id, the trigger's date)`` of people the trigger fired for and who have no
    invitation for it yet (at most :data:`BATCH`)."""
    occasion = trigger.occasion(n)
    since = today - WINDOW
    if trigger.on == "intake_approved_at":
        on = Filling.reviewed_at
        query = (
            select(Newcomer.id, Filling.reviewed_at)
            .join(Filling, Filling.newcomer_id == Newcomer.id)
            .where(
                Filling.workflow_id == "brede_intake",
                Filling.status == APPROVED,
                Filling.reviewed_at >= now - WINDOW,
                Filling.reviewed_at <= now,
            )
        )
    elif trigger.on == "route_ended_on":
        on = _route_end()
        query = (
            select(Newcomer.id, on)
            .outerjoin(RouteProgress, RouteProgress.newcomer_id == Newcomer.id)
            .where(on >= since, on <= today)
        )
    elif trigger.every_months:
        months = relativedelta(months=trigger.every_months * (n or 1))
        on = RouteProgress.route_started_on
        query = (
            select(Newcomer.id, on)
            .join(RouteProgress, RouteProgress.newcomer_id == Newcomer.id)
            .where(
                on >= since - months,
                on <= today - months,
                RouteProgress.route_completed_on.is_(None),
                RouteProgress.z_completed_on.is_(None),
                Newcomer.obligation_met_on.is_(None),
            )
        )
    else:
        on = getattr(RouteProgress, trigger.on)
        query = (
            select(Newcomer.id, on)
            .join(RouteProgress, RouteProgress.newcomer_id == Newcomer.id)
            .where(on >= since, on <= today)
        )
    query = query.where(_open_file(), _not_invited(occasion))
    if trigger.partner_required:
        query = query.where(_has_partner(trigger, today if trigger.every_months else on))
    rows = db.session.execute(query.order_by(Newcomer.id).limit(BATCH).execution_options(all_municipalities=True))
    found = []
    for newcomer_id, moment in rows:
        if isinstance(moment, datetime):
            moment = moment.astimezone(AMSTERDAM).date()
        if trigger.every_months:
            moment = moment + relativedelta(months=trigger.every_months * (n or 1))
            if not since <= moment <= today:
                continue
        found.append((newcomer_id, moment))
    return found


def current_partner(newcomer_id: int, kinds: tuple[str, ...], on: date) -> tuple[str, Partner | None] | None:
    """The partner kind and partner the person is served by on ``on``, the first of ``kinds`` they
    have (newest start first); ``None`` when they have none."""
    rows = db.session.scalars(
        select(RoutePartner)
        .where(
            RoutePartner.newcomer_id == newcomer_id,
            RoutePartner.kind.in_(kinds),
            RoutePartner.started_on <= on,
            or_(RoutePartner.ended_on.is_(None), RoutePartner.ended_on >= on),
        )
        .order_by(RoutePartner.started_on.desc(), RoutePartner.id.desc())
        .execution_options(all_municipalities=True)
    ).all()
    for kind in kinds:
        for row in rows:
            if row.kind == kind:
                return kind, row.partner
    return None


def _insert_ignoring(values: dict):  # noqa: ANN202 - a dialect's Insert
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    else:  # pragma: no cover - the product runs on PostgreSQL, tests also on SQLite
        return insert(SurveyInvitation).values(**values)
    return (
        dialect_insert(SurveyInvitation)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["newcomer_id", "occasion"])
        .returning(SurveyInvitation.id)
    )


def _skip_reason(newcomer: Newcomer) -> str | None:
    if not newcomer.phone or newcomer.phone.startswith("erased-") or newcomer.sms_unreachable_code:
        return SKIP_NO_PHONE
    if newcomer.ended_on is not None or newcomer.status in CLOSED_STATUSES:
        return SKIP_FILE_CLOSED
    if opted_out(newcomer.id, SURVEYS):
        return SKIP_OPTED_OUT
    return None


def invite(newcomer: Newcomer, trigger: Trigger, on: date, n: int | None = None) -> SurveyInvitation | None:
    """Make the invitation of ``trigger`` for the person, with its SMS (the caller commits); ``None``
    when it exists already (made by another scan) or the person has no partner to rate."""
    found = current_partner(newcomer.id, trigger.kinds, on)
    if found is None:
        if trigger.partner_required:
            return None
        kind, partner = trigger.kinds[0], None
    else:
        kind, partner = found
    now = utcnow()
    token = services.new_token()
    reason = _skip_reason(newcomer)
    survey = definitions.SURVEYS[kind]
    values = {
        "municipality_id": newcomer.municipality_id,
        "newcomer_id": newcomer.id,
        "trigger": trigger.id,
        "occasion": trigger.occasion(n),
        "survey_id": survey.id,
        "partner_id": partner.id if partner is not None else None,
        "partner_kind": kind,
        "status": SKIPPED if reason else INVITED,
        "skip_reason": reason,
        "token_hash": None if reason else services.hash_token(token),
        "expires_at": now + services.VALID_FOR,
        "created_at": now,
    }
    invitation_id = db.session.scalar(_insert_ignoring(values))
    if invitation_id is None:
        return None
    invitation = db.session.get(SurveyInvitation, invitation_id)
    if reason:
        return invitation
    filling = Filling(
        newcomer_id=newcomer.id,
        municipality_id=newcomer.municipality_id,
        workflow_id=survey.id,
        workflow_version=survey.version,
        occasion=invitation.occasion,
        answers={},
        completed_steps=[],
        asked=[],
        answer_channels={},
        channel="sms",
        locale=newcomer.language,
        sms_state=SMS_ACTIVE,
        sms_field=definitions.MARK,
        sms_sequence=1,
        sms_asked_at=now,
    )
    db.session.add(filling)
    db.session.flush()
    invitation.filling_id = filling.id
    survey_sms.send_invitation(invitation, filling, token, send_at=_outside_quiet(newcomer, now))
    audit.record(
        "survey.invited", "survey_invitation", invitation.id, municipality_id=newcomer.municipality_id,
        actor=("system", None),
    )  # fmt: skip
    return invitation


def _outside_quiet(newcomer: Newcomer, moment: datetime) -> datetime:
    """``moment``, or the end of the person's quiet hours when it falls in them (no SMS at night)."""
    from ..appointments.services import quiet_hours

    quiet = quiet_hours(newcomer)
    return quiet_ends(moment, quiet, AMSTERDAM) if is_quiet(moment, quiet, AMSTERDAM) else moment


def scan(today: date | None = None) -> int:
    """One pass over every trigger: invitations made (each committed on its own); expired ones marked."""
    today = today or local_today()
    now = utcnow()
    services.expire_due(now)
    made = 0
    for trigger in definitions.TRIGGERS:
        periods = range(1, MAX_PERIODS + 1) if trigger.every_months else (None,)
        for n in periods:
            for newcomer_id, on in candidates(trigger, today, now, n):
                newcomer = db.session.get(Newcomer, newcomer_id)
                if newcomer is None:
                    continue
                # A six-monthly survey rates the partner of now (SQL cannot add months to find its date).
                invitation = invite(newcomer, trigger, today if trigger.every_months else on, n)
                db.session.commit()
                if invitation is not None and invitation.status == INVITED:
                    made += 1
    if made:
        log.info("surveys: %d invitation(s) made", made)
    return made


_scanned: WeakKeyDictionary = WeakKeyDictionary()
"""When each worker in this process last scanned (pacing only)."""


@job_runner
def scan_job(worker) -> bool:  # noqa: ANN001 - an outbox Worker
    """Scan the triggers at most every :data:`SCAN_EVERY_SECONDS` per worker; ``False``: never more
    work to wait for (the next scan is minutes away)."""
    last = _scanned.get(worker)
    if last is not None and time.monotonic() - last < SCAN_EVERY_SECONDS:
        return False
    _scanned[worker] = time.monotonic()
    scan()
    return False


# The municipality kind is always there to rate (without a partner row, the municipality's name).
assert definitions.MUNICIPALITY == MUNICIPALITY  # noqa: S101 - a definition check at import
