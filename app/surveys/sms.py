"""A survey by SMS: the invitation asks the mark, each reply goes through the inbound webhook into
the same engine, and the next question follows until the survey is done.

The inbound webhook hands a newcomer's message to :func:`app.intake.sms.conversation_for`, which
asks the intake first (its behaviour is unchanged) and then :func:`conversation_for` here; a
survey's reply comes back to :func:`reply` (``app.intake.sms.reply`` passes it on by workflow id).

- A survey takes a message while it waits for an answer (the invitation is open and its question
  was sent): an answer its question takes, HELP, or a short reply (an attempt: ``11``, ``1e9``);
  anything longer that is no answer is for the klantmanager, as any message is.
- A refused answer gets one short help with the question again; a second one ends the SMS
  questions (the link of the first message still works).
- The comment is optional: ``0``, ``-``, ``no`` in any shipped language skips it.
- Every SMS is category ``surveys`` (STOP to surveys or to everything stops them; at send time
  they are cancelled when the survey was answered, expired, or the file closed); the replies are
  not kept as text (``FillingReply.body`` is empty): a comment is stored only scrubbed, in the
  response.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask_babel import force_locale
from sqlalchemy import select

from workflows import questions
from workflows import sms as sms_form
from workflows.engine import SMS
from workflows.fields import Field, Invalid, fold, yes_or_no
from workflows.surveys import CLOSED_FIELDS, COMMENT

from ..extensions import db
from ..models import Filling, Newcomer
from ..models.filling import SMS_ACTIVE, SMS_TO_WEB, FillingReply
from ..models.message import PRIORITY_NORMAL, PRIORITY_REPLY, QUEUED, REPLIES, SURVEYS, OutboundMessage
from ..models.survey import INVITED, SurveyInvitation
from ..models.types import utcnow
from ..outbox.rules import cancel_when, opted_out
from ..params import clean_text
from ..sms import keywords, texts
from ..sms.segments import count as count_segments
from ..sms.services import queue_for
from . import services

log = logging.getLogger("app.surveys.sms")

CAUSE = "filling"
INVITATION = "survey_invitation"
REMINDER = "survey_reminder"
QUESTION = "survey_question"
HELP = "survey_help"
STOPPED = "survey_stopped"
THANKS = "survey_thanks"
KINDS = (INVITATION, REMINDER, QUESTION, HELP, STOPPED, THANKS)
"""Every kind of SMS a survey sends (all caused by its filling-in)."""

REMIND_AFTER = timedelta(days=3)
MAX_REFUSALS = 1
"""Refused answers that get the question again with a short help; the next ends the SMS questions."""
SHORT_REPLY = 12
"""A reply this short that is no answer is an attempt (it gets the help); a longer one is a message."""
MAX_BODY = 1600
PARTNER_IN_SMS = 40
"""A partner's name is cut to this many characters in an SMS."""
SKIP_WORDS = frozenset({"", "0", "-", "geen", "nothing", "none"})
"""Replies (folded) that leave the optional comment empty; and "no" in every shipped language."""

# What became of a reply (``FillingReply.outcome``).
ACCEPTED = "accepted"
REFUSED = "refused"
HELPED = "help"
STALE = "stale"
DONE = "done"


def _fits(text: str) -> bool:
    return count_segments(text).count <= 2


def short_partner(name: str) -> str:
    """The partner's name as an SMS carries it."""
    return name if len(name) <= PARTNER_IN_SMS else name[: PARTNER_IN_SMS - 3].rstrip() + "..."  # GSM-7 dots


def _queue(filling: Filling, kind: str, write, *, key: str, category: str = SURVEYS, **extra) -> OutboundMessage:  # noqa: ANN001, ANN003
    return queue_for(filling.newcomer, kind, category, write, cause=(CAUSE, filling.id), key=key, **extra)


def send_invitation(invitation: SurveyInvitation, filling: Filling, token: str, *, send_at: datetime) -> None:
    """Queue the invitation (the mark's question and the link) and its one reminder three days later;
    the token travels sealed in the rows until sent (the caller commits)."""
    newcomer = filling.newcomer
    municipality = newcomer.municipality.name
    base = services.link("")

    def partner() -> str:  # in the message's (forced) locale: "the municipality of ..." is translated
        return short_partner(services.partner_name(invitation))

    # The text is fitted around a stand-in of the token's length in plain letters, then the token (or
    # the outbox's mask, which is not GSM-7) put in: the stored and the sent text are the same form.
    stand_in = base + "X" * len(token)

    def write_invitation(secret: str) -> str:
        return texts.survey_invitation(municipality, partner(), stand_in).replace(stand_in, base + secret)

    def write_reminder(secret: str) -> str:
        return texts.survey_reminder(municipality, partner(), stand_in).replace(stand_in, base + secret)

    _queue(
        filling,
        INVITATION,
        write_invitation,
        secret=token,
        key=f"survey_invitation:{invitation.id}",
        send_after=send_at,
        expires_at=invitation.expires_at,
        priority=PRIORITY_NORMAL,
    )
    from .scan import _outside_quiet  # the scan imports this module

    _queue(
        filling,
        REMINDER,
        write_reminder,
        secret=token,
        key=f"survey_reminder:{invitation.id}",
        send_after=_outside_quiet(newcomer, send_at + REMIND_AFTER),
        expires_at=invitation.expires_at,
        priority=PRIORITY_NORMAL,
    )


# -- replies -----------------------------------------------------------------------------------------


def _open_survey(newcomer: Newcomer) -> Filling | None:
    """The survey filling-in whose SMS question waits for this person's answer (the newest)."""
    return db.session.scalar(
        select(Filling)
        .join(SurveyInvitation, SurveyInvitation.filling_id == Filling.id)
        .where(
            SurveyInvitation.newcomer_id == newcomer.id,
            SurveyInvitation.status == INVITED,
            SurveyInvitation.expires_at > utcnow(),
            Filling.sms_state == SMS_ACTIVE,
            Filling.sms_field.is_not(None),
        )
        .order_by(SurveyInvitation.created_at.desc(), SurveyInvitation.id.desc())
        .limit(1)
    )


def _question_key(filling: Filling) -> str:
    """The outbox key of the SMS that asked the current question (the invitation asks the first)."""
    if filling.sms_sequence <= 1:
        invitation = services.invitation_of(filling)
        return f"survey_invitation:{invitation.id if invitation else 0}"
    return f"survey_q:{filling.id}:{filling.sms_sequence}"


def _received(filling: Filling) -> bool:
    """Whether the SMS that asked the current question went out (a reply cannot answer a question the
    phone has not received: an invitation held back by quiet hours)."""
    status = db.session.scalar(
        select(OutboundMessage.status).where(OutboundMessage.idempotency_key == _question_key(filling))
    )
    return status is not None and status not in (QUEUED, "sending", "cancelled", "expired")


def _field(filling: Filling) -> Field | None:
    if filling.sms_field is None:
        return None
    for _step, field in services.workflow(filling).fields():
        if field.id == filling.sms_field:
            return field
    return None


def _body(body: str) -> str:
    return clean_text(body).strip()[:MAX_BODY]


def _raw(field: Field, text: str, ctx) -> str:  # noqa: ANN001 - a Context
    """A reply as the field takes it: the comment's skip words as a blank, the rest read as SMS are."""
    if field.id == COMMENT and (fold(text) in SKIP_WORDS or yes_or_no(text) == "no"):
        return ""
    if field.id in CLOSED_FIELDS and (word := yes_or_no(text)) is not None:
        return word  # yes and no in every shipped language, as the intake's yes/no questions take them
    return sms_form.read(field, text, ctx)


def _answer(filling: Filling, field: Field, text: str, ctx) -> questions.Answered:  # noqa: ANN001
    definition, progress = services.workflow(filling), services.progress(filling)
    try:
        raw = _raw(field, text, ctx)
    except Invalid as problem:
        return questions.Answered(progress, problem)
    return questions.answer(definition, progress, field.id, raw, ctx, channel=SMS)


def _context(filling: Filling, invitation: SurveyInvitation):  # noqa: ANN202 - a Context
    return services.context(filling.newcomer.language, services.partner_name(invitation))


def conversation_for(newcomer: Newcomer, body: str, keyword: keywords.Keyword | None) -> Filling | None:
    """The survey filling-in this message answers, or ``None`` (the message is for someone else).

    ``keyword`` is ``None`` or HELP. Not while the person is opted out of surveys, nor before the
    question was received."""
    filling = _open_survey(newcomer)
    if filling is None:
        return None
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.refresh(filling, with_for_update=True)  # two replies at once: one after the other
    if filling.sms_state != SMS_ACTIVE or opted_out(newcomer.id, SURVEYS) or not _received(filling):
        return None
    invitation = services.invitation_of(filling)
    if invitation is None or invitation.status != INVITED:
        return None
    if keyword is not None:
        return filling
    text = _body(body)
    if not text:
        return None
    field = _field(filling)
    if field is None:
        return None
    with force_locale(newcomer.language):
        if _answer(filling, field, text, _context(filling, invitation)).ok:
            return filling
    folded = fold(text) or text
    attempt = len(folded) <= SHORT_REPLY or folded.replace(" ", "").isdigit()  # "11", "1e9", a long number
    return filling if attempt else None


def _ask(
    filling: Filling, invitation: SurveyInvitation, question: questions.Question, *, preface: str | None = None
) -> None:
    filling.sms_sequence += 1
    filling.sms_field = question.field.id
    filling.sms_asked_at = utcnow()
    municipality = filling.newcomer.municipality.name
    ctx = _context(filling, invitation)
    body = sms_form.compose(
        question.field,
        ctx,
        wrap=lambda text, short: texts.survey_question(municipality, text, short=short),
        fits=_fits,
        number=question.number,
        total=question.total,
        preface=preface,
    )
    _queue(
        filling,
        QUESTION,
        lambda _secret: body,
        key=f"survey_q:{filling.id}:{filling.sms_sequence}",
        priority=PRIORITY_REPLY,
        expires_at=invitation.expires_at,
    )


def reply(
    filling: Filling, sid: str, body: str, *, keyword: keywords.Keyword | None = None, now: datetime | None = None
) -> str:
    """Handle one reply to a survey question (the caller commits); what became of it."""
    from ..intake.services import locked

    now = now or utcnow()
    filling = locked(filling)
    invitation = services.invitation_of(filling)
    newcomer = filling.newcomer
    replied_to = filling.sms_field
    municipality = newcomer.municipality.name
    with force_locale(newcomer.language):
        field = _field(filling)
        if invitation is None or invitation.status != INVITED or field is None or filling.sms_state != SMS_ACTIVE:
            outcome = STALE
        elif keyword is not None:
            ctx = _context(filling, invitation)
            how = sms_form.how_to_answer(field, ctx)
            stop = keywords.word(newcomer.language, keywords.STOP)
            _queue(
                filling,
                HELP,
                lambda _secret: texts.survey_help(municipality, how, stop),
                key=f"survey_help:{sid}",
                category=REPLIES,
                priority=PRIORITY_REPLY,
                expires_at=now + timedelta(hours=24),
            )
            outcome = HELPED
        else:
            ctx = _context(filling, invitation)
            answered = _answer(filling, field, _body(body), ctx)
            if answered.ok:
                services.store(filling, answered.progress, SMS)
                filling.sms_tries = 0
                following = questions.next_question(services.workflow(filling), answered.progress, channel=SMS)
                if following is not None:
                    _ask(filling, invitation, following)
                    outcome = ACCEPTED
                else:
                    services.complete(invitation, filling, SMS)
                    _queue(
                        filling,
                        THANKS,
                        lambda _secret: texts.survey_thanks(municipality),
                        key=f"survey_thanks:{invitation.id}",
                        priority=PRIORITY_REPLY,
                    )
                    outcome = DONE
            else:
                filling.sms_tries += 1
                outcome = REFUSED
                if filling.sms_tries > MAX_REFUSALS:
                    filling.sms_state = SMS_TO_WEB
                    filling.sms_field = None
                    _queue(
                        filling,
                        STOPPED,
                        lambda _secret: texts.survey_stopped(municipality),
                        key=f"survey_stopped:{invitation.id}",
                        priority=PRIORITY_REPLY,
                    )
                else:
                    question = questions.next_question(
                        services.workflow(filling), services.progress(filling), channel=SMS
                    )
                    if question is not None:
                        _ask(filling, invitation, question, preface=answered.error.text(ctx))
    db.session.add(
        FillingReply(
            filling_id=filling.id,
            municipality_id=filling.municipality_id,
            provider_sid=sid,
            body="",  # a survey answer is not kept with the person (the comment only scrubbed, in the response)
            field_id=replied_to,
            outcome=outcome,
            created_at=now,
        )
    )
    return outcome


# -- at send time ------------------------------------------------------------------------------------


def _original(message: OutboundMessage) -> OutboundMessage:
    from ..sms.webhooks import original_of

    return original_of(message)


def _invitation_of(message: OutboundMessage) -> tuple[Filling | None, SurveyInvitation | None]:
    original = _original(message)
    if original.cause_type != CAUSE or original.cause_id is None:
        return None, None
    filling = db.session.get(Filling, original.cause_id, populate_existing=True)
    if filling is None:
        return None, None
    invitation = db.session.scalar(
        select(SurveyInvitation)
        .where(SurveyInvitation.filling_id == filling.id)
        .execution_options(populate_existing=True, all_municipalities=True)
    )
    return filling, invitation


def _closed(invitation: SurveyInvitation) -> str | None:
    from .scan import CLOSED_STATUSES

    if invitation.status != INVITED:
        return f"survey_{invitation.status}"
    if invitation.expires_at <= utcnow():
        return "survey_expired"
    newcomer = invitation.newcomer
    if newcomer.ended_on is not None or newcomer.status in CLOSED_STATUSES:
        return "file_closed"
    return None


@cancel_when(INVITATION)
def _invitation_pointless(message: OutboundMessage) -> str | None:
    """The invitation is pointless once the survey was answered (on the web first), expired, or the file closed."""
    _filling, invitation = _invitation_of(message)
    return "survey_gone" if invitation is None else _closed(invitation)


@cancel_when(REMINDER)
def _reminder_pointless(message: OutboundMessage) -> str | None:
    """The reminder goes only while nothing was answered, by SMS or on the web."""
    filling, invitation = _invitation_of(message)
    if invitation is None or filling is None:
        return "survey_gone"
    if (reason := _closed(invitation)) is not None:
        return reason
    if filling.answers or filling.sms_state != SMS_ACTIVE:
        return "survey_started"
    return None


@cancel_when(QUESTION)
def _question_moved_on(message: OutboundMessage) -> str | None:
    """A question is pointless once a newer one was asked, or the survey was answered on the web."""
    filling, invitation = _invitation_of(message)
    if invitation is None or filling is None:
        return "survey_gone"
    if (reason := _closed(invitation)) is not None:
        return reason
    original_key = _original(message).idempotency_key
    if not original_key.endswith(f":{filling.sms_sequence}"):
        return "survey_moved_on"
    return None
