"""The intake as an SMS conversation: each question an outbox message, each reply through the
inbound webhook into the same engine and the same row.

- :func:`start` (the newcomer's "Continue by SMS" button, the klantmanager's button on the file):
  the next question the SMS conversation asks (``workflows.questions.next_question(channel=SMS)``)
  goes out as an outbox row of kind ``intake_question``, keyed ``intake_q:<filling>:<sequence>``.
- :func:`conversation_for` and :func:`reply` (called by ``app/sms/inbound.py`` once per MessageSid,
  after STOP and START): a reply is read by the field's own type in the newcomer's language
  (numbers, names, yes and no in every shipped language, loosely typed countries and languages),
  stored with channel ``sms``, and answered with the next question. BACK asks the previous question
  again, HELP says how to answer this one. Each reply is kept as a :class:`FillingReply`.
- A refused answer gets what was wrong and the question again, twice; the third refusal gets the
  link to continue on the web (state ``to_web``).
- Questions SMS does not ask (long text, sensitive ones, the privacy step) are left for the web; when
  SMS has nothing left, one SMS with the web link (``to_web``), or "check and send" (``done``).
- After a week without an answer the conversation sleeps (:func:`state`; the worker writes it down,
  :func:`doze`) and one reminder goes out (a row planned with every question, postponed by each next
  one, cancelled at send time when the conversation moved on); the next reply wakes it.

Every SMS of the conversation is category ``notices``: STOP (everything, or notices) stops it, and
while the newcomer is opted out their replies go to the klantmanager as any message does. The
answers never appear in a log; the replies are stored in ``filling_replies`` only. See
docs/sms-conversation.md.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from weakref import WeakKeyDictionary

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import func, select, update

from workflows import questions
from workflows import sms as sms_form
from workflows.engine import SMS
from workflows.fields import Field, Invalid

from .. import audit
from ..extensions import db
from ..i18n import AMSTERDAM
from ..models import Filling, Newcomer
from ..models import casefile as file_status
from ..models.filling import SMS_ACTIVE, SMS_DONE, SMS_SLEEPING, SMS_TO_WEB, FillingReply
from ..models.message import NOTICES, PRIORITY_NORMAL, PRIORITY_REPLY, QUEUED, REPLIES, OutboundEvent, OutboundMessage
from ..models.types import utcnow
from ..outbox.rules import advance, cancel_when, lock, opted_out
from ..outbox.worker import job_runner
from ..params import clean_text
from ..sms import keywords, texts
from ..sms.segments import count as count_segments
from ..sms.services import queue_for
from . import services

log = logging.getLogger("app.intake.sms")

CAUSE = "filling"
CATEGORY = NOTICES
"""The category of the conversation's SMS: STOP to everything (or to notices) stops it."""
QUESTION = "intake_question"
HELP = "intake_help"
TO_WEB = "intake_to_web"
WEB_LEFT = "intake_web_left"
DONE = "intake_sms_done"
REMINDER = "intake_reminder"
KINDS = (QUESTION, HELP, TO_WEB, WEB_LEFT, DONE, REMINDER)
"""Every kind of SMS the conversation sends (all caused by the filling-in)."""

MAX_SEGMENTS = 2
MAX_REFUSALS = 2
"""Refused answers that get the question again; the next one gets the link to the web."""
SLEEP_AFTER = timedelta(days=7)
"""Silence after a question that puts the conversation to sleep, with its one reminder."""
REPLY_TTL = timedelta(hours=24)
MAX_BODY = 1600
DOZE_EVERY_SECONDS = 60.0
"""How often a worker writes down which conversations fell asleep."""

# What became of a reply (``FillingReply.outcome``).
ACCEPTED = "accepted"
REFUSED = "refused"
BACK = "back"
HELPED = "help"
RESUMED = "resumed"
STALE = "stale"

# Why a conversation cannot start (``CannotStart.reason``).
SUBMITTED = "submitted"
NO_PHONE = "no_phone"
OPTED_OUT = "opted_out"
NOT_BY_SMS = "not_by_sms"
NOTHING_TO_ASK = "nothing_to_ask"
FILE_CLOSED = "file_closed"

OPEN_STATUSES = (
    file_status.REGISTERED,
    file_status.INVITED,
    file_status.INTAKE_IN_PROGRESS,
    file_status.RETURNED,
)
"""The file statuses in which the intake is still being answered (the klantmanager's button shows
for the same ones): once the file is closed, or the intake is with the klantmanager, SMS asks nothing."""


def file_open(newcomer: Newcomer) -> bool:
    """Whether the newcomer's file still takes intake answers by SMS."""
    return newcomer.status in OPEN_STATUSES


class CannotStart(ValueError):  # noqa: N818 - reads as "raise CannotStart(...)"
    """The conversation cannot start: ``reason`` is one of the codes above."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def intake_link() -> str:
    """The link the SMS carry to the intake on the web: short, the same for everyone (no token)."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + "/intake"


def state(filling: Filling, now: datetime | None = None) -> str | None:
    """Where the conversation stands now: ``None`` (never started), ``active``, ``sleeping`` (a week
    without an answer, also before the worker wrote it down), ``to_web`` or ``done``."""
    asked = filling.sms_asked_at
    if filling.sms_state == SMS_ACTIVE and asked is not None and asked <= (now or utcnow()) - SLEEP_AFTER:
        return SMS_SLEEPING
    return filling.sms_state


def _fits(text: str) -> bool:
    return count_segments(text).count <= MAX_SEGMENTS


def _has_phone(newcomer: Newcomer) -> bool:
    return bool(newcomer.phone) and not newcomer.phone.startswith("erased-")


def why_not(newcomer: Newcomer) -> str | None:
    """The reason the conversation cannot start now (a :class:`CannotStart` code), or ``None``."""
    filling = services.get_intake(newcomer)
    if filling is not None and filling.is_submitted:
        return SUBMITTED
    if not _has_phone(newcomer):
        return NO_PHONE
    if not file_open(newcomer):
        return FILE_CLOSED
    if opted_out(newcomer.id, CATEGORY):
        return OPTED_OUT
    definition = services.workflow(filling)
    if not definition.sms:
        return NOT_BY_SMS
    if filling is not None:
        if questions.next_question(definition, services.progress(filling), channel=SMS) is None:
            return NOTHING_TO_ASK
    return None


def start(newcomer: Newcomer, *, actor: tuple[str, int | None]) -> Filling:
    """Start (or resume) the newcomer's intake by SMS: the next question is queued (committed).

    ``actor`` is ``("newcomer", id)`` or ``("staff", id)``; audited as ``intake.sms_started``.
    :class:`CannotStart` when the intake was sent in, the newcomer has no phone number or said STOP,
    the intake is not answered by SMS, or SMS has no question left to ask.
    """
    reason = why_not(newcomer)
    if reason is not None:
        raise CannotStart(reason)
    filling = services.start_or_resume(newcomer)
    if questions.next_question(services.workflow(filling), services.progress(filling), channel=SMS) is None:
        raise CannotStart(NOTHING_TO_ASK)
    _ask(filling)
    audit.record("intake.sms_started", "newcomer", newcomer.id, municipality_id=newcomer.municipality_id, actor=actor)
    db.session.commit()
    log.info("intake %s: SMS conversation started by %s", filling.id, actor[0])
    return filling


# -- asking ------------------------------------------------------------------------------------------


def _queue(filling: Filling, kind: str, write, *, key: str, category: str = CATEGORY, **extra) -> OutboundMessage:  # noqa: ANN001, ANN003
    return queue_for(filling.newcomer, kind, category, write, cause=(CAUSE, filling.id), key=key, **extra)


def question_text(filling: Filling, question: questions.Question, *, preface: str | None = None) -> str:
    """The SMS that asks ``question``, in the current (forced) locale: it fits two segments."""
    municipality = filling.newcomer.municipality.name
    ctx = services.context(filling.newcomer.language)
    return sms_form.compose(
        question.field,
        ctx,
        wrap=lambda text, short: texts.intake_question(municipality, text, short=short),
        fits=_fits,
        number=question.number,
        total=question.total,
        preface=preface,
    )


def _ask(filling: Filling, *, preface: str | None = None, tries: int = 0) -> OutboundMessage:
    """Queue the question SMS asks now (``preface``: what was wrong with the last answer), or hand
    over to the web when it has none left; plan the reminder. The caller commits."""
    definition, progress = services.workflow(filling), services.progress(filling)
    question = questions.next_question(definition, progress, channel=SMS)
    if question is None:
        return _hand_over(filling)
    now = utcnow()
    filling.sms_sequence += 1
    filling.sms_field = question.field.id
    filling.sms_tries = tries
    filling.sms_asked_at = now
    filling.sms_state = SMS_ACTIVE
    message = _queue(
        filling,
        QUESTION,
        lambda _secret: question_text(filling, question, preface=preface),
        key=f"intake_q:{filling.id}:{filling.sms_sequence}",
        priority=PRIORITY_REPLY,
    )
    _plan_reminder(filling, now)
    return message


def _hand_over(filling: Filling) -> OutboundMessage:
    """SMS has nothing left to ask: the web link for the rest, or "check and send" when all is answered."""
    left = questions.remaining(services.workflow(filling), services.progress(filling))
    filling.sms_sequence += 1
    filling.sms_field = None
    filling.sms_tries = 0
    filling.sms_state = SMS_TO_WEB if left else SMS_DONE
    kind, write = (WEB_LEFT, texts.intake_web_left) if left else (DONE, texts.intake_sms_done)
    return _send_link(filling, kind, write)


def _send_link(filling: Filling, kind: str, write) -> OutboundMessage:  # noqa: ANN001
    municipality, link = filling.newcomer.municipality.name, intake_link()
    _withdraw(filling, REMINDER)
    return _queue(
        filling,
        kind,
        lambda _secret: write(municipality, link),
        key=f"{kind}:{filling.id}:{filling.sms_sequence}",
        priority=PRIORITY_REPLY,
    )


def _reminder_at(newcomer: Newcomer, asked_at: datetime) -> tuple[datetime, datetime]:
    """When the reminder goes (a week after the question, when the newcomer's quiet hours are over)
    and until when (the next quiet hours: it is never sent at night)."""
    from workflows.reminders import is_quiet, next_quiet, quiet_ends

    from ..appointments.services import quiet_hours  # the appointments import the back office, which imports this

    quiet = quiet_hours(newcomer)
    due = asked_at + SLEEP_AFTER
    if is_quiet(due, quiet, AMSTERDAM):
        due = quiet_ends(due, quiet, AMSTERDAM)
    closes = next_quiet(due, quiet, AMSTERDAM)
    return due, closes if closes is not None else due + timedelta(days=1)


def _plan_reminder(filling: Filling, asked_at: datetime) -> OutboundMessage:
    """The one reminder, a week after this question: the conversation's queued reminder postponed
    (so a conversation has one reminder row, not one per question), or a new one."""
    due, expires = _reminder_at(filling.newcomer, asked_at)
    key = f"intake_reminder:{filling.id}:{filling.sms_sequence}"
    for message in _pending(filling, REMINDER):
        lock(message)
        if message.status != QUEUED:  # a worker has it: its check at send time cancels it
            continue
        message.idempotency_key = key
        message.send_after = message.next_attempt_at = due
        message.expires_at = expires
        db.session.add(
            OutboundEvent(message_id=message.id, at=utcnow(), status=QUEUED, source="app", detail="postponed")
        )
        return message
    municipality, link = filling.newcomer.municipality.name, intake_link()
    return _queue(
        filling,
        REMINDER,
        lambda _secret: texts.intake_reminder(municipality, link),
        key=key,
        priority=PRIORITY_NORMAL,
        send_after=due,
        expires_at=expires,
    )


def _pending(filling: Filling, kind: str) -> list[OutboundMessage]:
    return list(
        db.session.scalars(
            select(OutboundMessage)
            .where(
                OutboundMessage.cause_type == CAUSE,
                OutboundMessage.cause_id == filling.id,
                OutboundMessage.kind == kind,
                OutboundMessage.status == QUEUED,
            )
            .order_by(OutboundMessage.id)
        )
    )


def _withdraw(filling: Filling, kind: str) -> None:
    """Cancel the conversation's still-queued SMS of ``kind`` (each with a line in its history)."""
    for message in _pending(filling, kind):
        lock(message)
        if message.status != QUEUED:
            continue
        message.cancel_reason = "intake_moved_on"
        advance(message, "cancelled", "app", detail="intake_moved_on", locked=True)


# -- replies -----------------------------------------------------------------------------------------


def conversation_for(newcomer: Newcomer, body: str, keyword: keywords.Keyword | None) -> Filling | None:
    """The filling-in whose SMS conversation this message continues, or ``None`` for everything else.

    ``keyword`` is ``None`` or HELP (STOP and START are never the conversation's). A conversation
    takes a message while it asks (or sleeps); after its link to the web, only BACK, HELP, or an
    answer its question takes (anything else is for the klantmanager). Not while the newcomer is
    opted out of the conversation's SMS, nor once the intake is sent in.
    """
    filling = _intake_conversation_for(newcomer, body, keyword)
    if filling is not None:
        return filling
    from ..surveys import sms as survey_sms  # a survey's questions wait only when the intake's do not

    return survey_sms.conversation_for(newcomer, body, keyword)


def _intake_conversation_for(newcomer: Newcomer, body: str, keyword: keywords.Keyword | None) -> Filling | None:
    """The intake whose SMS conversation this message continues (see :func:`conversation_for`)."""
    filling = services.get_intake(newcomer)
    if filling is None or filling.sms_state is None:
        return None
    if db.session.get_bind().dialect.name == "postgresql":
        # Two replies at once are handled one after the other, each on the row as the other left it.
        db.session.refresh(filling, with_for_update=True)
    if (
        filling.is_submitted
        or not file_open(newcomer)
        or not services.workflow(filling).sms
        or opted_out(newcomer.id, CATEGORY)
    ):
        return None
    current = state(filling)
    asking = current in (SMS_ACTIVE, SMS_SLEEPING) or (current == SMS_TO_WEB and filling.sms_field is not None)
    if keyword is not None:
        return filling if asking else None
    if keywords.conversation_word(body) == keywords.BACK:
        return filling
    if not clean_text(body).strip():
        return None  # a picture alone: for the klantmanager
    if current in (SMS_ACTIVE, SMS_SLEEPING):
        return filling
    if asking and _takes(filling, body):
        return filling
    return None


def _takes(filling: Filling, body: str) -> bool:
    """Whether ``body`` answers the question the conversation asked last (and still asks)."""
    with force_locale(filling.newcomer.language):
        ctx = services.context(filling.newcomer.language)
        field = _asked(filling)
        return field is not None and _answer(filling, field, _body(body), ctx).ok


def _asked(filling: Filling) -> Field | None:
    """The question the conversation asked last, while it still waits for an answer: it applies and
    is not done (a question reopened in the chat meanwhile does not make it stale); ``None`` once it
    was answered elsewhere or no longer applies."""
    if filling.sms_field is None:
        return None
    progress = services.progress(filling)
    for step, field in questions.questions(services.workflow(filling), progress.answers):
        if field.id == filling.sms_field:
            asked_again = progress.reopened == field.id  # BACK (or a change) asks a done question again
            return field if asked_again or not questions.is_done(step, field, progress) else None
    return None


def _on_its_way(filling: Filling) -> bool:
    """Whether the question SMS of the conversation's current sequence has not gone out yet (queued,
    or being sent): a reply cannot answer a question the phone has not received (a reply sent
    twice, quickly)."""
    status = db.session.scalar(
        select(OutboundMessage.status).where(
            OutboundMessage.idempotency_key == f"intake_q:{filling.id}:{filling.sms_sequence}"
        )
    )
    return status in (QUEUED, "sending")


def asked_after_appointments(newcomer: Newcomer, filling: Filling) -> bool:
    """Whether the conversation's latest SMS is more recent than the newcomer's latest appointment SMS
    (then a "1" answers the question, not the appointment). A survey's filling-in counts its own SMS."""
    from ..appointments.services import ANSWERED_BY_REPLY, ATTENDEE_CAUSE
    from ..surveys.sms import KINDS as SURVEY_KINDS

    moment = func.coalesce(OutboundMessage.sent_at, OutboundMessage.send_after)
    ours = db.session.scalar(
        select(moment)
        .where(
            OutboundMessage.cause_type == CAUSE,
            OutboundMessage.cause_id == filling.id,
            OutboundMessage.kind.in_(KINDS + SURVEY_KINDS),
            OutboundMessage.status.notin_(("cancelled", "expired")),
            OutboundMessage.send_after <= utcnow(),  # not the reminder planned for next week
        )
        .order_by(moment.desc())
        .limit(1)
    )
    theirs = db.session.scalar(
        select(OutboundMessage.sent_at)
        .where(
            OutboundMessage.newcomer_id == newcomer.id,
            OutboundMessage.kind.in_(ANSWERED_BY_REPLY),
            OutboundMessage.cause_type == ATTENDEE_CAUSE,
            OutboundMessage.sent_at.is_not(None),
        )
        .order_by(OutboundMessage.sent_at.desc())
        .limit(1)
        .execution_options(all_municipalities=True)
    )
    return theirs is None or (ours is not None and ours >= theirs)


def _body(body: str) -> str:
    return clean_text(body).strip()[:MAX_BODY]


def reply(
    filling: Filling, sid: str, body: str, *, keyword: keywords.Keyword | None = None, now: datetime | None = None
) -> str:
    """Handle one reply of the conversation (the caller commits); what became of it (the outcome).

    The reply is read in the newcomer's language by the current question's own field type and
    stored with channel ``sms``; the answer SMS is queued in the same transaction.
    """
    from workflows.surveys import is_survey

    if is_survey(filling.workflow_id):
        from ..surveys import sms as survey_sms

        return survey_sms.reply(filling, sid, body, keyword=keyword, now=now)
    now = now or utcnow()
    filling = services.locked(filling)  # computed on the row as it is now, whatever another channel wrote
    newcomer = filling.newcomer
    text = _body(body)
    replied_to = filling.sms_field
    with force_locale(newcomer.language):
        ctx = services.context(newcomer.language)
        definition, progress = services.workflow(filling), services.progress(filling)
        asleep = state(filling, now) == SMS_SLEEPING
        if keyword is not None:
            outcome = _help(filling, sid, ctx)
        elif keywords.conversation_word(text) == keywords.BACK:
            services.store(
                filling, questions.go_back(definition, progress, channel=SMS), filling.channel, filling.locale
            )
            _ask(filling)
            outcome = BACK
        elif _on_its_way(filling):
            outcome = STALE  # the question it would answer is on its way: nothing more to send
        else:
            field = _asked(filling)
            if field is None:
                _ask(filling)  # answered meanwhile (on the web, in the chat): the question of now
                outcome = STALE
            else:
                answered = _answer(filling, field, text, ctx)
                if answered.ok:
                    services.store(filling, answered.progress, SMS, newcomer.language)
                    _ask(filling)
                    outcome = ACCEPTED
                elif asleep:
                    _ask(filling)  # woken up: the question again, as if new
                    outcome = RESUMED
                else:
                    outcome = REFUSED
                    tries = filling.sms_tries + 1
                    if tries > MAX_REFUSALS:
                        _to_web(filling, tries)
                    else:
                        _ask(filling, preface=answered.error.text(ctx), tries=tries)
    db.session.add(
        FillingReply(
            filling_id=filling.id,
            municipality_id=filling.municipality_id,
            provider_sid=sid,
            body=text,
            field_id=replied_to,
            outcome=outcome,
            created_at=now,
        )
    )
    return outcome


def _answer(filling: Filling, field: Field, text: str, ctx) -> questions.Answered:  # noqa: ANN001 - a Context
    """``text`` applied to ``field`` (not stored): read as SMS replies are, then by the field's own type."""
    definition, progress = services.workflow(filling), services.progress(filling)
    try:
        raw = sms_form.read(field, text, ctx)
    except Invalid as problem:
        return questions.Answered(progress, problem)
    return questions.answer(definition, progress, field.id, raw, ctx, channel=SMS)


def _to_web(filling: Filling, tries: int) -> None:
    """The third refused answer: the link to the web, where the question shows its choices."""
    filling.sms_sequence += 1
    filling.sms_tries = tries
    filling.sms_state = SMS_TO_WEB
    _send_link(filling, TO_WEB, texts.intake_to_web)


def _help(filling: Filling, sid: str, ctx) -> str:  # noqa: ANN001 - a Context
    """HELP while a question waits: how to answer it, how to go back and how to stop."""
    newcomer = filling.newcomer
    question = questions.next_question(services.workflow(filling), services.progress(filling), channel=SMS)
    how = sms_form.how_to_answer(question.field, ctx) if question is not None else ""
    municipality, link = newcomer.municipality.name, intake_link()
    back = keywords.conversation_keyword(newcomer.language, keywords.BACK)
    stop = keywords.word(newcomer.language, keywords.STOP)
    _queue(
        filling,
        HELP,
        lambda _secret: texts.intake_help(municipality, how, back, stop, link),
        key=f"intake_help:{sid}",
        category=REPLIES,
        priority=PRIORITY_REPLY,
        expires_at=utcnow() + REPLY_TTL,
    )
    return HELPED


# -- at send time ------------------------------------------------------------------------------------


def _sequence_of(message: OutboundMessage) -> int | None:
    """The conversation's sequence a message was queued (or last postponed) for, from its key."""
    tail = message.idempotency_key.rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else None


def _filling_of(message: OutboundMessage) -> tuple[OutboundMessage, Filling | None]:
    from ..sms.webhooks import original_of

    original = original_of(message)
    if original.cause_type != CAUSE or original.cause_id is None:
        return original, None
    return original, db.session.get(Filling, original.cause_id, populate_existing=True)


@cancel_when(QUESTION)
def _question_moved_on(message: OutboundMessage) -> str | None:
    """A question is pointless once a newer SMS of the conversation was queued, or the intake sent in."""
    original, filling = _filling_of(message)
    if filling is None:
        return "intake_moved_on"
    if filling.is_submitted:
        return "intake_submitted"
    if not file_open(filling.newcomer):
        return "file_closed"
    if _sequence_of(original) != filling.sms_sequence:
        return "intake_moved_on"
    return None


@cancel_when(REMINDER)
def _reminder_pointless(message: OutboundMessage) -> str | None:
    """The reminder goes only if nothing happened since its question: no newer question, no answer on
    the web or in the chat, no link to the web; and never after the intake was sent in."""
    original, filling = _filling_of(message)
    if filling is None:
        return "intake_moved_on"
    if filling.is_submitted:
        return "intake_submitted"
    if not file_open(filling.newcomer):
        return "file_closed"
    if _sequence_of(original) != filling.sms_sequence or filling.sms_state not in (SMS_ACTIVE, SMS_SLEEPING):
        return "intake_moved_on"
    if filling.sms_asked_at is not None and filling.updated_at > filling.sms_asked_at:
        return "intake_moved_on"  # answered meanwhile on the web or in the chat
    return None


@cancel_when(WEB_LEFT)
@cancel_when(DONE)
@cancel_when(TO_WEB)
def _link_pointless(message: OutboundMessage) -> str | None:
    """A link to the web is pointless once the intake was sent in."""
    _original, filling = _filling_of(message)
    if filling is not None and filling.is_submitted:
        return "intake_submitted"
    return None


# -- falling asleep ------------------------------------------------------------------------------------

_dozed: WeakKeyDictionary = WeakKeyDictionary()
"""When each worker in this process last wrote down sleeping conversations (pacing only)."""


@job_runner
def doze(worker) -> bool:  # noqa: ANN001 - an outbox Worker
    """Write down the conversations that fell asleep (a week without an answer), at most once a
    minute per worker; ``False``: this is never more work to wait for."""
    last = _dozed.get(worker)
    if last is not None and time.monotonic() - last < DOZE_EVERY_SECONDS:
        return False
    _dozed[worker] = time.monotonic()
    asleep = db.session.execute(
        update(Filling)
        .where(Filling.sms_state == SMS_ACTIVE, Filling.sms_asked_at <= utcnow() - SLEEP_AFTER)
        .values(sms_state=SMS_SLEEPING)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if asleep:
        log.info("intake SMS: %d conversation(s) asleep", asleep)
    return False
