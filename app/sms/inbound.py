"""Incoming SMS: a keyword changes what the newcomer gets, anything else goes into the file's conversation.

:func:`receive` handles one message from Twilio's inbound webhook (``app/sms/webhooks.py``), once per
MessageSid: the :class:`~app.models.conversation.WebhookReceipt` is inserted first, atomically, and
a retried SID finds it and changes nothing. Then:

- from a newcomer's number, a keyword (:mod:`app.sms.keywords`) sets or lifts their opt-out
  (:class:`~app.models.message.SmsOptOut`) or asks for help, confirmed by one SMS in their language;
- a reply to the SMS conversation of their intake (:mod:`app.intake.sms`: an answer, BACK, or HELP
  while a question waits) goes into the intake and is answered with the next question; when their
  latest appointment SMS is more recent than the conversation's, a 1/2 (or yes/no) and HELP are the
  appointment's;
- an answer 1/2 (or yes/no) to the latest appointment SMS of the last 7 days confirms the
  appointment or records "cannot come" in the conversation (:mod:`app.appointments.replies`),
  answered with a thank-you;
- anything else from a newcomer is added to their conversation by :func:`record_sms` (the function
  the conversation pages rely on: one ``in``/``sms`` :class:`ConversationMessage` per SID, in the
  newcomer's municipality, labelled with their language), with at most one automatic
  acknowledgement a day (:func:`acknowledge`);
- a number nobody knows gets one polite answer in Dutch and English at most once a day
  (:func:`answer_unknown_number`), and nothing about it is kept but a counter per day.

Every answer is an outbox row of category ``replies``, which an opt-out never stops. Nothing here
logs a number, a body or a name. See docs/sms.md.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import delete, insert, select, update

from .. import audit
from ..appointments import replies
from ..extensions import db
from ..i18n import AMSTERDAM
from ..intake import sms as intake_sms
from ..models import Filling, Newcomer
from ..models.conversation import FROM_NEWCOMER, SMS, ConversationMessage, UnknownSenderCount, WebhookReceipt
from ..models.message import ALL, OPT_OUT_CATEGORIES, PRIORITY_REPLY, REPLIES, OutboundMessage, SmsOptOut
from ..models.types import utcnow
from ..outbox import queue_sms
from ..params import clean_text
from . import keywords, texts
from .keywords import HELP, START, STOP, Keyword
from .services import queue_for

log = logging.getLogger("app.sms.inbound")

MAX_BODY = 1600
"""Twilio's own limit for one message; a longer body is cut (it cannot come from Twilio)."""
REPLY_TTL = timedelta(hours=24)
"""An answer not sent within a day is not worth sending any more."""

KEYWORD = "keyword"
CONVERSATION = "conversation"
APPOINTMENT_REPLY = "appointment_reply"
INTAKE_REPLY = "intake_reply"
UNKNOWN_NUMBER = "unknown_number"
DUPLICATE = "duplicate"


def local_day(moment: datetime) -> date:
    """The day in the Netherlands: "once a day" means once per Dutch calendar day."""
    return moment.astimezone(AMSTERDAM).date()


def clean_body(body: str) -> str:
    """A message body as stored: no control characters (line breaks stay), at most :data:`MAX_BODY`."""
    return clean_text(body).strip()[:MAX_BODY]


def find_newcomer(number: str | None) -> Newcomer | None:
    """The newcomer whose (E.164) number this is; erased files have no number any more."""
    if not number:
        return None
    return db.session.scalar(
        select(Newcomer).where(Newcomer.phone == number).execution_options(all_municipalities=True)
    )


# -- one incoming message --------------------------------------------------------------------------


def receive(sid: str, number: str | None, body: str, *, opt_out_type: str | None = None) -> str:
    """Handle one incoming SMS once (commits); what it was: keyword, intake_reply, appointment_reply,
    conversation, unknown_number, duplicate.

    ``number`` is the sender in E.164 (``None`` when Twilio's ``From`` is not a phone number: an
    alphanumeric sender, which cannot be answered); ``opt_out_type`` is Twilio's ``OptOutType``.
    """
    now = utcnow()
    newcomer = find_newcomer(number)
    keyword = (keywords.parse(body) or keywords.from_twilio(opt_out_type)) if newcomer is not None else None
    answer = replies.match(newcomer, body, now) if newcomer is not None and keyword is None else None
    intake = _intake_conversation(newcomer, body, keyword, answer)
    if intake is not None:
        answer = None
    kind = (
        UNKNOWN_NUMBER
        if newcomer is None
        else INTAKE_REPLY
        if intake is not None
        else KEYWORD
        if keyword is not None
        else APPOINTMENT_REPLY
        if answer is not None
        else CONVERSATION
    )
    if not claim(sid, kind, now):
        db.session.rollback()
        log.info("inbound %s: already handled", sid)
        return DUPLICATE
    outcome = None
    if newcomer is None:
        # Someone we do not know who says STOP is not answered at all.
        said_stop = (keywords.parse(body) or keywords.from_twilio(opt_out_type) or Keyword(HELP)).action == STOP
        answer_unknown_number(None if said_stop else number, now)
    elif intake is not None:
        outcome = intake_sms.reply(intake, sid, body, keyword=keyword, now=now)
    elif keyword is not None:
        apply_keyword(newcomer, keyword, sid, now)
    elif answer is not None:
        ack_kind, write = replies.apply(answer, sid, body, now)
        _reply(newcomer, ack_kind, write, key=f"appointment_reply:{sid}", now=now)
    else:
        record_sms(newcomer, sid, body, now=now)
    db.session.commit()
    if outcome is not None:
        log.info("inbound %s: %s %s", sid, kind, outcome)
    else:
        log.info("inbound %s: %s", sid, kind if keyword is None else f"{kind} {keyword.action} {keyword.category}")
    return kind


def _intake_conversation(newcomer: Newcomer | None, body: str, keyword: Keyword | None, answer) -> Filling | None:  # noqa: ANN001 - a replies.Answer
    """The intake whose SMS conversation this message continues (app/intake/sms.py), or ``None``.

    STOP and START are never the conversation's; HELP is, while it asks a question. When the
    newcomer's latest appointment SMS is more recent than the conversation's latest SMS, an answer to
    that appointment (1/2, yes/no) and HELP are the appointment's, as before the conversation began.
    """
    if newcomer is None or (keyword is not None and keyword.action != HELP):
        return None
    intake = intake_sms.conversation_for(newcomer, body, keyword)
    if intake is None:
        return None
    if (keyword is not None or answer is not None) and not intake_sms.asked_after_appointments(newcomer, intake):
        return None
    return intake


def claim(sid: str, kind: str, now: datetime) -> bool:
    """Insert the receipt of ``sid`` (ON CONFLICT DO NOTHING); ``False`` when it was handled before."""
    values = {"sid": sid, "kind": kind, "received_at": now}
    return _inserted(_insert_ignoring(WebhookReceipt, values, ["sid"]), WebhookReceipt)


def _inserted(statement, model: type) -> bool:  # noqa: ANN001 - a dialect's Insert
    """Run an insert that may do nothing; whether it added the row (RETURNING: an ORM insert's
    ``rowcount`` is not reliable on PostgreSQL)."""
    return db.session.execute(statement.returning(model.id)).first() is not None


def _insert_ignoring(model: type, values: dict, unique: list[str]):  # noqa: ANN202 - a dialect's Insert
    """``INSERT ... ON CONFLICT (unique) DO NOTHING`` on PostgreSQL and SQLite: atomic, never read-then-write."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    else:  # pragma: no cover - the app runs on these two
        return insert(model).values(**values)
    return dialect_insert(model).values(**values).on_conflict_do_nothing(index_elements=unique)


# -- the conversation --------------------------------------------------------------------------------


def record_sms(newcomer: Newcomer, sid: str, body: str, *, now: datetime | None = None) -> ConversationMessage | None:
    """Add an SMS from ``newcomer`` to their conversation, once per ``sid`` (the caller commits).

    The message is ``in`` by ``sms``, in the newcomer's language and municipality, unread; its body
    loses control characters and is cut at :data:`MAX_BODY`. The newcomer gets at most one automatic
    acknowledgement a day. Returns the new message, or ``None`` when this SID is in the thread already.
    """
    now = now or utcnow()
    values = {
        "newcomer_id": newcomer.id,
        "municipality_id": newcomer.municipality_id,
        "direction": FROM_NEWCOMER,
        "channel": SMS,
        "body": clean_body(body),
        "language": newcomer.language,
        "sensitive": True,
        "provider_sid": sid,
        "created_at": now,
    }
    if not _inserted(_insert_ignoring(ConversationMessage, values, ["provider_sid"]), ConversationMessage):
        return None
    acknowledge(newcomer, now)
    return db.session.scalar(
        select(ConversationMessage)
        .where(ConversationMessage.provider_sid == sid)
        .execution_options(all_municipalities=True)
    )


def acknowledge(newcomer: Newcomer, now: datetime | None = None) -> OutboundMessage:
    """Queue the day's one automatic acknowledgement (its key makes a second one the same row)."""
    now = now or utcnow()
    municipality = newcomer.municipality.name
    return _reply(
        newcomer,
        "inbound_ack",
        lambda _secret: texts.inbound_ack(municipality),
        key=f"inbound_ack:{newcomer.id}:{local_day(now).isoformat()}",
        now=now,
    )


def _reply(newcomer: Newcomer, kind: str, write, *, key: str, now: datetime) -> OutboundMessage:  # noqa: ANN001
    """An answer to what the newcomer sent: category ``replies`` (sent despite an opt-out), soon, in their language."""
    return queue_for(newcomer, kind, REPLIES, write, key=key, priority=PRIORITY_REPLY, expires_at=now + REPLY_TTL)


# -- keywords ----------------------------------------------------------------------------------------


def apply_keyword(newcomer: Newcomer, keyword: Keyword, sid: str, now: datetime) -> OutboundMessage:
    """Set or lift the opt-out (audited when it changed), or not for HELP; confirm with one SMS."""
    if keyword.action == STOP and stop(newcomer, keyword.category):
        audit.record(
            "file.sms_opted_out",
            "newcomer",
            newcomer.id,
            municipality_id=newcomer.municipality_id,
            actor=("newcomer", newcomer.id),
        )
    elif keyword.action == START and start(newcomer, keyword.category):
        audit.record(
            "file.sms_opted_in",
            "newcomer",
            newcomer.id,
            municipality_id=newcomer.municipality_id,
            actor=("newcomer", newcomer.id),
        )
    kind, write = confirmation(newcomer, keyword)
    return _reply(newcomer, kind, write, key=f"keyword_reply:{sid}", now=now)


def confirmation(newcomer: Newcomer, keyword: Keyword):  # noqa: ANN201 - (kind, writer)
    """The kind and text of the SMS that answers ``keyword``, in the newcomer's language when written."""
    municipality, language = newcomer.municipality.name, newcomer.language
    stop_word, start_word = keywords.word(language, STOP), keywords.word(language, START)
    category = keyword.category
    if keyword.action == HELP:
        return "keyword_help", lambda _s: texts.keyword_help(municipality, stop_word, start_word)
    if keyword.action == STOP and category == ALL:
        return "keyword_stopped", lambda _s: texts.keyword_stopped(municipality, start_word)
    if keyword.action == STOP:
        return "keyword_stopped_category", lambda _s: texts.keyword_stopped_category(
            municipality, keywords.label(category), start_word, keywords.number(category)
        )
    if category == ALL:
        return "keyword_started", lambda _s: texts.keyword_started(municipality, stop_word)
    return "keyword_started_category", lambda _s: texts.keyword_started_category(
        municipality, keywords.label(category), stop_word, keywords.number(category)
    )


def stop(newcomer: Newcomer, category: str, source: str = "sms") -> bool:
    """Opt ``newcomer`` out of ``category`` (or ``all``); ``True`` when that changed anything.

    One row per category, inserted with ON CONFLICT DO NOTHING: saying STOP twice, or twice at
    once, leaves one row. A category is not added next to ``all``, which covers it.
    """
    if category != ALL and _opted_out_of(newcomer.id, (ALL,)):
        return False
    values = {"newcomer_id": newcomer.id, "category": category, "source": source, "created_at": utcnow()}
    return _inserted(_insert_ignoring(SmsOptOut, values, ["newcomer_id", "category"]), SmsOptOut)


def start(newcomer: Newcomer, category: str) -> bool:
    """Lift the opt-out of ``category`` (or of everything); ``True`` when that changed anything.

    Lifting one category after a STOP to everything keeps the other categories stopped.
    """
    if category == ALL:
        return db.session.execute(delete(SmsOptOut).where(SmsOptOut.newcomer_id == newcomer.id)).rowcount > 0
    changed = False
    if db.session.execute(
        delete(SmsOptOut).where(SmsOptOut.newcomer_id == newcomer.id, SmsOptOut.category == ALL)
    ).rowcount:
        changed = True
        for other in OPT_OUT_CATEGORIES:
            if other != category:
                stop(newcomer, other)
    removed = db.session.execute(
        delete(SmsOptOut).where(SmsOptOut.newcomer_id == newcomer.id, SmsOptOut.category == category)
    ).rowcount
    return changed or removed > 0


def _opted_out_of(newcomer_id: int, categories: tuple[str, ...]) -> bool:
    found = select(SmsOptOut.id).where(SmsOptOut.newcomer_id == newcomer_id, SmsOptOut.category.in_(categories))
    return db.session.scalar(found.limit(1)) is not None


# -- numbers nobody knows ------------------------------------------------------------------------------


def sender_key(day: date, sender: str) -> str:
    """HMAC-SHA256 (``SECRET_KEY``) of the day and the number: it changes every day, and tells nothing."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"unknown-sender|{day.isoformat()}|{sender}".encode(), hashlib.sha256).hexdigest()


def answer_unknown_number(number: str | None, now: datetime) -> OutboundMessage | None:
    """Count a message from a number nobody knows; answer it the first time today.

    Nothing about the number is stored but the day's count under a keyed hash. The answer's row
    forgets the number once it is sent (``FORGET_NUMBER_KINDS``). A sender that is not a phone
    number, or one that said STOP (``None``), is counted under one key and never answered.
    """
    day = local_day(now)
    key_hash = sender_key(day, number or "not-a-number")
    _count(day, key_hash)
    if number is None:
        return None
    first = db.session.execute(
        update(UnknownSenderCount)
        .where(
            UnknownSenderCount.day == day,
            UnknownSenderCount.key_hash == key_hash,
            UnknownSenderCount.answered.is_(False),
        )
        .values(answered=True)
        .execution_options(synchronize_session=False)
    )
    if first.rowcount != 1:
        return None
    counter_id = db.session.scalar(
        select(UnknownSenderCount.id).where(UnknownSenderCount.day == day, UnknownSenderCount.key_hash == key_hash)
    )
    return queue_sms(
        to=number,
        kind="unknown_number_reply",
        category=REPLIES,
        locale="nl",
        write=lambda _secret: texts.unknown_number_reply(texts.UNKNOWN_NUMBER_SENDER),
        cause=("unknown_sender_count", counter_id),
        priority=PRIORITY_REPLY,
        expires_at=now + REPLY_TTL,
    )


def _count(day: date, key_hash: str) -> None:
    """One more message today under ``key_hash``: one atomic upsert."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    statement = dialect_insert(UnknownSenderCount).values(day=day, key_hash=key_hash, count=1, answered=False)
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=["day", "key_hash"], set_={"count": UnknownSenderCount.count + 1}
        )
    )


# -- what is kept, and for how long ---------------------------------------------------------------

RECEIPT_DAYS = 30
"""Twilio retries a webhook for hours at most: a MessageSid older than this needs no receipt."""
TOTAL = "total"
"""The key of a day's rolled-up count of messages from unknown numbers."""


def forget_old_traces(now: datetime | None = None) -> tuple[int, int]:
    """Housekeeping (``flask purge-expired``): delete webhook receipts after :data:`RECEIPT_DAYS`, and
    fold each past day's counts of unknown senders into one total, dropping the keyed hashes.

    A keyed hash of a phone number can be tested against every possible number by whoever holds
    the secret key, so it lives no longer than the day it serves (answering a number once a day).
    Returns (receipts deleted, hashes dropped).
    """
    now = now or utcnow()
    receipts = db.session.execute(
        delete(WebhookReceipt)
        .where(WebhookReceipt.received_at < now - timedelta(days=RECEIPT_DAYS))
        .execution_options(synchronize_session=False)
    ).rowcount
    today = local_day(now)
    dropped = 0
    days = db.session.scalars(
        select(UnknownSenderCount.day)
        .where(UnknownSenderCount.day < today, UnknownSenderCount.key_hash != TOTAL)
        .distinct()
    ).all()
    for day in days:
        rows = db.session.execute(
            select(UnknownSenderCount.id, UnknownSenderCount.count).where(
                UnknownSenderCount.day == day, UnknownSenderCount.key_hash != TOTAL
            )
        ).all()
        total = sum(count for _id, count in rows)
        db.session.execute(
            delete(UnknownSenderCount)
            .where(UnknownSenderCount.id.in_([row_id for row_id, _count in rows]))
            .execution_options(synchronize_session=False)
        )
        existing = db.session.scalar(
            select(UnknownSenderCount).where(UnknownSenderCount.day == day, UnknownSenderCount.key_hash == TOTAL)
        )
        if existing is None:
            db.session.add(UnknownSenderCount(day=day, key_hash=TOTAL, count=total, answered=True))
        else:
            existing.count += total
        dropped += len(rows)
    db.session.commit()
    return receipts, dropped
