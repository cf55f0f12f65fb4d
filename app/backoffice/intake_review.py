"""The intake as the klantmanager reads it: which channel gave each answer, and the SMS conversation.

The engine's summary items carry the channel of each answer (``web`` is the form, ``chat``,
``sms``); :func:`channel_counts` turns them into the file's one-line count and
:data:`CHANNEL_LABELS` into the label next to each answer. :func:`sms_status` is the state of the
intake's SMS conversation as the file page shows it, and :func:`transcript` the conversation itself
for ``backoffice/intake_sms.html``: every question SMS the filling-in caused (outbox rows with cause
``("filling", id)``) and every reply (:class:`~app.models.FillingReply`), in time order.

The newcomer comes from the view, which found it through the tenancy filter (another municipality's
file is a 404 before any of this runs). Reply bodies are personal data: only the klantmanager's
pages show them (never the beheerder's queue page, never a log).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from babel.lists import format_list
from flask_babel import get_locale, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from workflows import engine
from workflows.engine import CHAT, SMS, WEB
from workflows.model import Workflow

from ..extensions import db
from ..i18n import BY_CODE, DEFAULT
from ..intake import services as intake_services
from ..models import Filling, FillingReply, Newcomer
from ..models.filling import (
    APPROVED,
    IN_PROGRESS,
    RETURNED,
    SMS_ACTIVE,
    SMS_DONE,
    SMS_SLEEPING,
    SMS_TO_WEB,
    SUBMITTED,
)
from ..models.message import PENDING, OutboundEvent, OutboundMessage
from ..models.types import utcnow
from ..sms.reasons import plain_reason
from . import bp

CHANNEL_LABELS = {WEB: _l("form"), CHAT: _l("chat"), SMS: _l("SMS")}
"""The short label next to an answer (its text says the channel: never colour alone)."""
CHANNEL_DESCRIPTIONS = {WEB: _l("Answered in the form"), CHAT: _l("Answered in the chat"), SMS: _l("Answered by SMS")}
"""The same, in full, for screen readers and the label's tooltip."""

SMS_STATE_LABELS = {
    SMS_ACTIVE: _l("asking"),
    SMS_SLEEPING: _l("asleep"),
    SMS_TO_WEB: _l("sent to the web"),
    SMS_DONE: _l("done"),
}
SMS_STATE_EXPLAINED = {
    SMS_ACTIVE: _l("The newcomer gets the questions one at a time and answers by reply."),
    SMS_SLEEPING: _l("No reply for a week, and one reminder sent. The next reply picks up the conversation."),
    SMS_TO_WEB: _l("The newcomer got a link to go on with the intake on the web."),
    SMS_DONE: _l("Every question that can be asked by SMS has an answer. The rest is for the web."),
}

OUTCOME_LABELS = {
    "accepted": _l("answer accepted"),
    "refused": _l("answer not accepted, question asked again"),
    "back": _l("asked for the previous question"),
    "help": _l("asked for help"),
    "resumed": _l("conversation picked up again"),
    "stale": _l("answer to a question that was answered already"),
}
"""What became of a reply (``FillingReply.outcome``)."""


@bp.app_template_global()
def sms_state_label(state: str | None) -> str:
    """The state of an SMS conversation in plain words ("asking", "asleep", ...)."""
    label = SMS_STATE_LABELS.get(state or "")
    return str(label) if label is not None else (state or "")


STARTABLE = (IN_PROGRESS, RETURNED)
"""Statuses of an intake whose questions a klantmanager may send by SMS (none started counts too)."""


@bp.app_template_global()
def channel_label(channel: str | None) -> str:
    """The short label of a channel ("form", "chat", "SMS"); empty when it is not known."""
    label = CHANNEL_LABELS.get(channel or "")
    return str(label) if label is not None else ""


@bp.app_template_global()
def channel_description(channel: str | None) -> str:
    """The full label of a channel ("Answered by SMS"); empty when it is not known."""
    label = CHANNEL_DESCRIPTIONS.get(channel or "")
    return str(label) if label is not None else ""


def _answered(value: object) -> bool:
    return value not in (None, "", [])


def answered_channels(sections: Iterable[engine.SummarySection], answers: dict) -> list[str | None]:
    """The channel of every answered question in ``sections`` (``None`` where none was recorded)."""
    return [item.channel for section in sections for item in section.items if _answered(answers.get(item.field.id))]


def channel_counts(sections: Iterable[engine.SummarySection], answers: dict) -> str:
    """The count line, "30 answers in the form, 3 answers in the chat and 12 answers by SMS" in the
    current language (empty without answers)."""
    channels = answered_channels(sections, answers)
    counts = Counter(channels)
    phrases = []
    if counts[WEB]:
        phrases.append(ngettext("%(num)d answer in the form", "%(num)d answers in the form", counts[WEB]))
    if counts[CHAT]:
        phrases.append(ngettext("%(num)d answer in the chat", "%(num)d answers in the chat", counts[CHAT]))
    if counts[SMS]:
        phrases.append(ngettext("%(num)d answer by SMS", "%(num)d answers by SMS", counts[SMS]))
    unknown = len(channels) - counts[WEB] - counts[CHAT] - counts[SMS]
    if unknown:
        phrases.append(
            ngettext("%(num)d answer from an unknown channel", "%(num)d answers from an unknown channel", unknown)
        )
    return format_list(phrases, locale=str(get_locale() or DEFAULT)) if phrases else ""


@dataclass(frozen=True)
class IntakeChannels:
    """What the file page shows of the intake's channels: the summary, the count line, the SMS state."""

    sections: list[engine.SummarySection] = field(default_factory=list)
    """The answers, by step; only once the newcomer sent the intake in (before, they are still writing)."""
    counts: str = ""
    sms: SmsStatus | None = None
    can_start_sms: bool = False


@dataclass(frozen=True)
class SmsStatus:
    """Where the intake's SMS conversation stands."""

    state: str | None
    label: str
    explained: str
    question: str | None
    """The question the latest SMS asked, as staff read it."""
    asked_at: datetime | None


def _question_label(workflow: Workflow, field_id: str | None) -> str | None:
    """A question of the definition as staff read it (its id when the definition has no such question)."""
    if not field_id:
        return None
    for _step, f in workflow.fields():
        if f.id == field_id:
            return intake_services.context()._(f.label)
    return field_id


def sms_status(filling: Filling | None) -> SmsStatus | None:
    """The state of the intake's SMS conversation, or ``None`` when it never had one."""
    from ..intake import sms as intake_sms

    if filling is None or filling.sms_state is None:
        return None
    state = intake_sms.state(filling)  # asleep after a week of silence, before the worker writes it down
    return SmsStatus(
        state=state,
        label=sms_state_label(state),
        explained=str(SMS_STATE_EXPLAINED.get(state, "")),
        question=_question_label(intake_services.workflow(filling), filling.sms_field),
        asked_at=filling.sms_asked_at,
    )


def can_start_sms(newcomer: Newcomer, filling: Filling | None) -> bool:
    """Whether the file page offers "Send the intake questions by SMS" (intake not sent in yet)."""
    from .privacy_services import is_erased
    from .services import INVITABLE

    if is_erased(newcomer) or newcomer.status not in INVITABLE:
        return False
    return filling is None or filling.status in STARTABLE


def intake_channels(newcomer: Newcomer, filling: Filling | None) -> IntakeChannels:
    """The intake part of the file page: answers with their channels (once sent in), counts, SMS state."""
    if filling is None:
        return IntakeChannels(can_start_sms=can_start_sms(newcomer, None))
    progress = intake_services.progress(filling)
    summary = engine.summary(intake_services.workflow(filling), progress, intake_services.context())
    shown = filling.status in (SUBMITTED, RETURNED, APPROVED)
    return IntakeChannels(
        sections=summary if shown else [],
        counts=channel_counts(summary, dict(progress.answers)),
        sms=sms_status(filling),
        can_start_sms=can_start_sms(newcomer, filling),
    )


# -- the transcript --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One line of the SMS conversation: a question SMS sent (``message``) or a reply (``reply``)."""

    at: datetime
    message: OutboundMessage | None = None
    reply: FillingReply | None = None
    question: str | None = None
    """A reply: the question it answered, as staff read it."""
    reason: str | None = None
    """A message: why it failed, was cancelled or waits, in plain words."""
    direction: str = "auto"
    """A message: the text direction of its language (``rtl`` for Arabic and Persian)."""
    planned: bool = False
    """A message: not sent yet, and not due before a later moment (the reminder a week on)."""

    @property
    def outcome(self) -> str:
        """A reply's outcome in plain words."""
        if self.reply is None:
            return ""
        label = OUTCOME_LABELS.get(self.reply.outcome)
        return str(label) if label is not None else self.reply.outcome


def _moment(message: OutboundMessage) -> datetime:
    """When a question SMS went (or is to go) out: sent, else planned (a reminder a week later), else queued."""
    if message.sent_at is not None:
        return message.sent_at
    return max(message.created_at, message.send_after) if message.send_after else message.created_at


def _reason(message: OutboundMessage, events: list[OutboundEvent]) -> str | None:
    """Why a message did not (yet) arrive, as ``_file_messages.html`` explains it."""
    if message.status == "cancelled":
        return plain_reason(message.cancel_reason) or (plain_reason(events[-1].detail) if events else None)
    if message.status == "expired":
        return plain_reason(message.error_code) or plain_reason("expired")
    if message.status in ("failed", "undelivered", "unknown") or (message.status == "queued" and message.error_code):
        return plain_reason(message.error_code)
    return None


def _direction(locale: str) -> str:
    language = BY_CODE.get(locale.split("_")[0])
    return language.direction if language is not None else "auto"


def messages_of(filling: Filling) -> list[OutboundMessage]:
    """The SMS the filling-in caused (its questions, reminder, receipt), oldest first."""
    return list(
        db.session.scalars(
            select(OutboundMessage)
            .where(
                OutboundMessage.cause_type == "filling",
                OutboundMessage.cause_id == filling.id,
                OutboundMessage.newcomer_id == filling.newcomer_id,
            )
            .order_by(OutboundMessage.created_at, OutboundMessage.id)
        )
    )


def replies_of(filling: Filling) -> list[FillingReply]:
    """The SMS replies of the filling-in's conversation, oldest first."""
    return list(
        db.session.scalars(
            select(FillingReply)
            .where(FillingReply.filling_id == filling.id)
            .order_by(FillingReply.created_at, FillingReply.id)
        )
    )


def reply_lines(filling: Filling, replies: Iterable[FillingReply]) -> list[Line]:
    """The replies as lines, each with the question it answered in the current language."""
    workflow = intake_services.workflow(filling)
    return [Line(r.created_at, reply=r, question=_question_label(workflow, r.field_id)) for r in replies]


def transcript(filling: Filling | None) -> list[Line]:
    """The intake's SMS conversation in time order (three statements, whatever its length)."""
    if filling is None:
        return []
    messages = messages_of(filling)
    events: dict[int, list[OutboundEvent]] = {m.id: [] for m in messages}
    if messages:
        for event in db.session.scalars(
            select(OutboundEvent).where(OutboundEvent.message_id.in_(list(events))).order_by(OutboundEvent.id)
        ):
            events[event.message_id].append(event)
    now = utcnow()
    lines = [
        Line(
            _moment(m),
            message=m,
            reason=_reason(m, events[m.id]),
            direction=_direction(m.locale),
            planned=m.status in PENDING and m.send_after is not None and m.send_after > now,
        )
        for m in messages
    ]
    lines += reply_lines(filling, replies_of(filling))
    # A question goes out before the reply to it when both carry the same second.
    return sorted(lines, key=lambda line: (line.at, line.reply is not None))
