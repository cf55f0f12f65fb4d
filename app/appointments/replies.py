"""An SMS answer to "Reply 1 if you come, 2 if you cannot", matched to its appointment.

A message is an answer only when the whole message is one: ``1`` or ``2`` in any digit system
(``١``/``٢``, ``۱``/``۲``, ``፩``/``፪``), or a yes or no word of a shipped language (:data:`YES`,
:data:`NO`), normalised as keywords are (case, diacritics, punctuation: ``Ja!`` is ``JA``). It
belongs to the appointment of the latest SMS that asked for it (a confirmation, a reminder or a move
notice) sent to this person in the last ``APPOINTMENT_REPLY_DAYS`` days, if that appointment is still
ahead and the person still on it. A yes confirms; a no records "cannot come" and opens it in the
conversation; anything else (or an answer with nothing to match) goes to the conversation as any
message does. STOP, START and HELP are matched before this (app/sms/inbound.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import Newcomer
from ..models.appointment import CANNOT_COME, CONFIRMED, INVITED, PLANNED, Attendee
from ..models.message import OutboundMessage
from ..sms import texts
from ..sms.keywords import normalise
from . import services

YES_WORDS: dict[str, tuple[str, ...]] = {
    "nl": ("JA", "JAWEL", "IK KOM", "KOM"),
    "en": ("YES", "Y", "OK", "I COME", "I WILL COME"),
    "ar": ("نعم", "اي", "أيوه", "ايوه", "سأحضر"),
    "ti": ("እወ", "ሕራይ"),
    "fa": ("بله", "بلی", "آره", "میام", "میایم"),
    "tr": ("EVET", "GELIYORUM", "GELECEGIM"),
    "so": ("HAA", "HAYE", "WAAN IMANAYAA"),
}
NO_WORDS: dict[str, tuple[str, ...]] = {
    "nl": ("NEE", "IK KAN NIET", "KAN NIET"),
    "en": ("NO", "N", "I CANNOT", "I CANT", "CANNOT"),
    "ar": ("لا", "لن أحضر", "لا أستطيع"),
    "ti": ("ኣይፋል", "ኣይኮነን", "ኣይክእልን"),
    "fa": ("نه", "خیر", "نمیتوانم", "نمی توانم"),
    "tr": ("HAYIR", "GELEMIYORUM", "GELEMEM"),
    "so": ("MAYA", "KARI MAAYO"),
}
"""The words of each shipped language (every language's words are accepted from everybody)."""


def _index() -> dict[str, str]:
    table = {"1": CONFIRMED, "2": CANNOT_COME}
    for words, answer in ((YES_WORDS, CONFIRMED), (NO_WORDS, CANNOT_COME)):
        for language_words in words.values():
            for word in language_words:
                table[normalise(word)] = answer
    return table


_ANSWERS = _index()


def parse(body: str) -> str | None:
    """``confirmed``, ``cannot_come`` or ``None`` for anything that is not just an answer."""
    return _ANSWERS.get(normalise(body or ""))


@dataclass(frozen=True)
class Answer:
    """An SMS answer and the attendee row it is for."""

    attendee: Attendee
    response: str


def match(newcomer: Newcomer, body: str, now: datetime) -> Answer | None:
    """The appointment this SMS answers, or ``None`` when it is not an answer or answers nothing."""
    response = parse(body)
    if response is None:
        return None
    since = now - timedelta(days=current_app.config["APPOINTMENT_REPLY_DAYS"])
    latest = db.session.scalar(
        select(OutboundMessage)
        .where(
            OutboundMessage.newcomer_id == newcomer.id,
            OutboundMessage.kind.in_(services.ANSWERED_BY_REPLY),
            OutboundMessage.cause_type == services.ATTENDEE_CAUSE,
            OutboundMessage.status.in_(("sending", "sent", "delivered", "undelivered", "unknown")),
            OutboundMessage.sent_at >= since,
        )
        .order_by(OutboundMessage.sent_at.desc(), OutboundMessage.id.desc())
        .limit(1)
        .execution_options(all_municipalities=True)
    )
    if latest is None:
        return None
    attendee = db.session.get(Attendee, latest.cause_id)
    if (
        attendee is None
        or attendee.newcomer_id != newcomer.id
        or attendee.status != INVITED
        or attendee.appointment.status != PLANNED
        or attendee.appointment.starts_at <= now
    ):
        return None
    return Answer(attendee, response)


def apply(answer: Answer, sid: str, body: str, now: datetime):  # noqa: ANN201 - (kind, writer) of the thank-you
    """Record the answer (a "cannot come" in the conversation with the SMS as its text); the kind and
    text of the thank-you SMS, which the caller queues as an answer (app/sms/inbound.py)."""
    attendee = answer.attendee
    services.respond(attendee, answer.response, services.SMS, reason=body, sid=sid, now=now)
    newcomer, appointment = attendee.newcomer, attendee.appointment
    municipality = newcomer.municipality.name
    kind = services.TYPES[appointment.kind]

    def write(_secret: str) -> str:
        from flask_babel import gettext

        what, when = gettext(kind.short), services.sms_when(appointment.starts_at)
        if answer.response == CONFIRMED:
            return texts.appointment_confirmed_ack(municipality, what, when)
        return texts.appointment_cannot_come_ack(municipality, what, when)

    return ("appointment_confirmed_ack" if answer.response == CONFIRMED else "appointment_cannot_come_ack"), write
