"""The verbs of a survey: find an invitation by its link, fill in, finish with one response.

An invitation's answers are a :class:`~app.models.Filling` of the survey's workflow (occasion: the
invitation's), made with the invitation; the web page and the SMS conversation read and write it
with the same engine as the intake. :func:`complete` turns a complete filling-in into exactly one
:class:`~app.models.survey.SurveyResponse` under a lock on the invitation: a second submit, from
another tab or from SMS at the same moment, finds the invitation answered.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext
from sqlalchemy import select, update

from workflows import engine, get_workflow
from workflows.engine import Progress
from workflows.i18n import Context
from workflows.model import Workflow
from workflows.surveys import CLOSED_FIELDS, CLOSED_SCORES, COMMENT, MARK, PARTNER

from ..extensions import db
from ..i18n import formatting_locale
from ..locking import lock_row
from ..models import Filling, Newcomer
from ..models.filling import SUBMITTED
from ..models.pip import Pip
from ..models.survey import EXPIRED, INVITED, RESPONDED, SurveyInvitation, SurveyResponse
from ..models.types import local_today, utcnow
from . import scrub

VALID_FOR = timedelta(days=30)
TOKEN_BYTES = 16
"""22 characters in the link: ``/s/`` and the token keep the SMS link under 60 characters."""
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


def new_token() -> str:
    """A random, unguessable token for a link."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """The token as it is stored (SHA-256, hex)."""
    return hashlib.sha256(token.encode()).hexdigest()


def link(token: str) -> str:
    """The survey's web address for ``token``."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + "/s/" + token


def partner_name(invitation: SurveyInvitation) -> str:
    """Whom the survey rates: the partner, or the municipality itself when no partner is linked."""
    if invitation.partner is not None:
        return invitation.partner.name
    return gettext("the municipality of %(name)s", name=invitation.newcomer.municipality.name)


def workflow(filling: Filling) -> Workflow:
    """The survey definition the filling-in was started with."""
    return get_workflow(filling.workflow_id, filling.workflow_version)


def context(locale: str, partner: str) -> Context:
    """The engine's view for one person: their language, today, and the partner named in the labels
    (the placeholder is filled in after translation, so every channel shows the same sentence)."""

    def translate(text: str) -> str:
        return gettext(text).replace(PARTNER, partner)

    return Context(translate=translate, locale=formatting_locale(locale), today=local_today())


def progress(filling: Filling) -> Progress:
    """The engine's view of a stored filling-in."""
    return Progress(
        dict(filling.answers or {}),
        tuple(filling.completed_steps or ()),
        tuple(filling.asked or ()),
        filling.reopened,
        dict(filling.answer_channels or {}),
    )


def store(filling: Filling, new: Progress, channel: str) -> None:
    """Write ``new`` into the row (the caller commits)."""
    filling.answers = dict(new.answers)
    filling.completed_steps = list(new.completed)
    filling.asked = list(new.asked)
    filling.reopened = new.reopened
    filling.answer_channels = dict(new.channels)
    filling.channel = channel
    filling.updated_at = utcnow()


def by_token(token: str, now: datetime | None = None) -> SurveyInvitation | None:
    """The open invitation of a link; ``None`` when the token is malformed, unknown, used or expired
    (an expired one is marked so, and its token cleared: committed)."""
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        return None
    invitation = db.session.scalar(select(SurveyInvitation).where(SurveyInvitation.token_hash == hash_token(token)))
    if invitation is None or invitation.status != INVITED:
        return None
    if invitation.newcomer.phone.startswith("erased-"):
        return None  # an erased file answers nothing (its invitations go with the erasure)
    if invitation.expires_at <= (now or utcnow()):
        expire(invitation)
        db.session.commit()
        return None
    return invitation


def expire(invitation: SurveyInvitation) -> None:
    """The invitation's 30 days are over: no link, no more answers (the caller commits)."""
    invitation.status = EXPIRED
    invitation.token_hash = None


def expire_due(now: datetime | None = None) -> int:
    """Mark every invitation past its 30 days as expired (committed); how many."""
    count = db.session.execute(
        update(SurveyInvitation)
        .where(SurveyInvitation.status == INVITED, SurveyInvitation.expires_at <= (now or utcnow()))
        .values(status=EXPIRED, token_hash=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return count or 0


def lock(invitation: SurveyInvitation) -> SurveyInvitation:
    """The invitation read again and locked until the caller commits (FOR UPDATE on PostgreSQL; on
    SQLite a no-op write takes the database's write lock)."""
    return lock_row(invitation, SurveyInvitation.status)


def invitation_of(filling: Filling) -> SurveyInvitation | None:
    """The invitation a survey filling-in answers."""
    return db.session.scalar(select(SurveyInvitation).where(SurveyInvitation.filling_id == filling.id))


def quarter_of(day) -> str:  # noqa: ANN001 - a date
    """``2026-Q4``."""
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def _leerroute(newcomer: Newcomer) -> str | None:
    return db.session.scalar(
        select(Pip.leerroute).where(Pip.newcomer_id == newcomer.id).order_by(Pip.version.desc(), Pip.id.desc()).limit(1)
    )


def scrubbed_comment(text: str | None, newcomer: Newcomer) -> str | None:
    """The comment without phone numbers, e-mail addresses, BSNs and the names of the person and their
    klantmanager; ``None`` when nothing is left."""
    if not text:
        return None
    names = [newcomer.name]
    if newcomer.klantmanager is not None:
        names.append(newcomer.klantmanager.name)
    cleaned = scrub.scrub(text, names).strip()
    return cleaned or None


def complete(invitation: SurveyInvitation, filling: Filling, channel: str) -> SurveyResponse | None:
    """Write the one response of a complete filling-in (the caller commits); ``None`` when the
    invitation was answered or expired meanwhile, or the filling-in is not complete."""
    lock(invitation)
    if invitation.status != INVITED or invitation.expires_at <= utcnow():
        return None
    if not engine.is_complete(workflow(filling), progress(filling)):
        return None
    newcomer = invitation.newcomer
    answers = dict(filling.answers)
    comment = scrubbed_comment(answers.get(COMMENT), newcomer)
    now = utcnow()
    today = local_today()
    response = SurveyResponse(
        invitation_id=invitation.id,
        municipality_id=invitation.municipality_id,
        survey_id=invitation.survey_id,
        partner_id=invitation.partner_id,
        partner_kind=invitation.partner_kind,
        trigger=invitation.trigger,
        mark=int(answers[MARK]),
        comment=comment,
        comment_language=filling.locale if comment else None,
        channel=channel,
        language=filling.locale,
        doelgroep=newcomer.doelgroep,
        leerroute=_leerroute(newcomer),
        answered_at=now,
        answered_on=today,
        quarter=quarter_of(today),
        **{field: CLOSED_SCORES.get(answers.get(field)) for field in CLOSED_FIELDS},
    )
    db.session.add(response)
    invitation.status = RESPONDED
    invitation.responded_at = now
    invitation.channel = channel
    invitation.token_hash = None
    # The filling-in keeps no unscrubbed comment: the response is the record.
    if COMMENT in answers:
        answers[COMMENT] = comment or ""
        filling.answers = answers
    filling.status = SUBMITTED
    filling.submitted_at = now
    filling.sms_field = None
    filling.sms_state = "done"
    return response
