"""The conversation on a file: the klantmanager writes, the newcomer reads signed in and answers.

Every verb owns its transaction (``outgoing`` and ``reply(commit=False)`` let a caller such as
``return_with_question`` or the inbound SMS webhook put a message into its own). What the SMS may say:

- **Free text never goes into an SMS.** It may hold anything, and a phone may be shared: the SMS
  only says that there is a message, and where to read it (``/m``, the same short link for
  everyone, no token: reading needs signing in).
- **A common question** (``common_questions``) is a fixed sentence, translated: the SMS may carry it
  in the newcomer's language, unless its topic is sensitive (health, money) or it does not fit two
  segments in that language; then the SMS says only that there is a message.

Every SMS names the municipality (``app/sms/texts.py``) and is queued in the same transaction as its
message, with the message as its cause: it is sent once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import func, select, update

from forms.conversation import MAX_BODY

from .. import audit
from ..extensions import db
from ..i18n import BY_CODE, DEFAULT, current_language
from ..models import Newcomer, Staff
from ..models.conversation import FROM_NEWCOMER, SMS, TO_NEWCOMER, WEB, ConversationMessage
from ..models.message import NOTICES, OutboundMessage
from ..models.types import utcnow
from ..params import clean_text
from ..sms import texts
from ..sms.segments import count as count_segments
from ..sms.services import queue_for
from . import common_questions

THREAD_LIMIT = 200
"""A thread shows its latest messages up to this many (older ones stay in the export)."""
MAX_SMS_SEGMENTS = 2
MESSAGES_PATH = "/m"
"""The short path in the SMS: it leads to the messages, through signing in when needed."""


class EmptyMessage(ValueError):
    """Neither a common question nor any text."""


class TooLong(ValueError):
    """More than :data:`MAX_BODY` characters."""


class UnknownQuestion(ValueError):
    """A common question key that is not offered."""


def clean_body(body: str | None) -> str:
    """A message's text as stored: no control characters (line breaks stay), no outer blanks, bounded."""
    text = clean_text(body or "").strip()
    if len(text) > MAX_BODY:
        raise TooLong(len(text))
    return text


def messages_link() -> str:
    """The link an SMS carries to the conversation: short and the same for everyone."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + MESSAGES_PATH


def text_of(message: ConversationMessage) -> str:
    """What a message says, in the current language when it is a common question (else as written)."""
    if message.common_question:
        return common_questions.text(message.common_question) or message.body
    return message.body


# -- writing -------------------------------------------------------------------------------------


def outgoing(
    newcomer: Newcomer,
    staff: Staff,
    *,
    body: str = "",
    language: str | None = None,
    common_question: str | None = None,
    at: datetime | None = None,
) -> ConversationMessage:
    """A message from the klantmanager to the newcomer, added and flushed (not announced, not committed).

    A common question (by key) or free text in ``language`` (a shipped language; Dutch by default).
    Raises :class:`EmptyMessage`, :class:`TooLong` or :class:`UnknownQuestion` (nothing is added).
    """
    question = None
    if common_question:
        question = common_questions.get(common_question)
        if question is None or question.retired:
            raise UnknownQuestion(common_question)
    text = clean_body(body)
    if question is None and not text:
        raise EmptyMessage()
    if language is not None and language not in BY_CODE:
        raise ValueError(f"not a shipped language: {language!r}")
    message = ConversationMessage(
        newcomer_id=newcomer.id,
        municipality_id=newcomer.municipality_id,
        direction=TO_NEWCOMER,
        channel=WEB,
        author_staff_id=staff.id,
        # A common question is its key: every reader sees it in their own language. Its text in the
        # writer's language is kept too, for what reads the body alone (the newcomer's export).
        body=str(question.text) if question else text,
        language=current_language().code if question else (language or DEFAULT),
        common_question=question.key if question else None,
        sensitive=question is None or question.sensitive,
        created_at=at or utcnow(),
    )
    db.session.add(message)
    db.session.flush()
    return message


DOUBLE_SUBMIT = timedelta(seconds=60)
"""The same text from the same writer within this time is one message sent twice (a double click,
a reload of the POST): the second adds nothing and sends no second SMS."""


def _repeat_of(
    newcomer: Newcomer, direction: str, body: str, common_question: str | None
) -> ConversationMessage | None:
    latest = db.session.scalar(
        select(ConversationMessage)
        .where(ConversationMessage.newcomer_id == newcomer.id, ConversationMessage.direction == direction)
        .order_by(ConversationMessage.created_at.desc(), ConversationMessage.id.desc())
        .limit(1)
    )
    if latest is None or utcnow() - latest.created_at > DOUBLE_SUBMIT:
        return None
    if common_question is not None:
        return latest if latest.common_question == common_question else None
    return latest if latest.common_question is None and latest.body == body else None


def write(
    newcomer: Newcomer,
    staff: Staff,
    *,
    body: str = "",
    language: str | None = None,
    common_question: str | None = None,
) -> ConversationMessage:
    """The klantmanager writes to the newcomer from the file: the message, its SMS and the audit entry, committed.

    Raises what :func:`outgoing` raises (nothing is written then).
    """
    repeat = _repeat_of(newcomer, TO_NEWCOMER, clean_body(body), common_question or None)
    if repeat is not None and repeat.author_staff_id == staff.id:
        return repeat
    message = outgoing(newcomer, staff, body=body, language=language, common_question=common_question)
    message.outbound_message_id = notify(newcomer, message).id
    audit.record("file.message_written", "newcomer", newcomer.id, municipality_id=newcomer.municipality_id)
    db.session.commit()
    return message


def sms_question(newcomer: Newcomer, message: ConversationMessage) -> str | None:
    """The SMS text that carries the message's common question, or ``None`` when it may not carry it."""
    if message.sensitive or not message.common_question:
        return None
    municipality, link = newcomer.municipality.name, messages_link()
    with force_locale(newcomer.language):
        body = texts.conversation_question(municipality, common_questions.text(message.common_question), link)
    return body if count_segments(body).count <= MAX_SMS_SEGMENTS else None


def notify(newcomer: Newcomer, message: ConversationMessage) -> OutboundMessage:
    """Queue the SMS that tells the newcomer about ``message`` (once: the message is its cause)."""
    municipality, link = newcomer.municipality.name, messages_link()
    cause = ("conversation_message", message.id)
    if sms_question(newcomer, message) is not None:
        question = message.common_question
        return queue_for(
            newcomer,
            "conversation_question",
            NOTICES,
            lambda _secret: texts.conversation_question(municipality, common_questions.text(question), link),
            cause=cause,
        )
    return queue_for(
        newcomer,
        "conversation_message",
        NOTICES,
        lambda _secret: texts.conversation_message(municipality, link),
        cause=cause,
    )


def reply(
    newcomer: Newcomer,
    body: str,
    *,
    channel: str = WEB,
    language: str | None = None,
    in_reply_to: ConversationMessage | None = None,
    provider_sid: str | None = None,
    commit: bool = True,
) -> ConversationMessage:
    """The newcomer answers (on the web, or by SMS through the inbound webhook).

    ``in_reply_to`` defaults to the latest message to them. Raises :class:`EmptyMessage` or
    :class:`TooLong`.
    """
    text = clean_body(body)
    if not text:
        raise EmptyMessage()
    if channel == WEB and (repeat := _repeat_of(newcomer, FROM_NEWCOMER, text, None)) is not None:
        return repeat
    if in_reply_to is None:
        in_reply_to = db.session.scalar(
            select(ConversationMessage)
            .where(ConversationMessage.newcomer_id == newcomer.id, ConversationMessage.direction == TO_NEWCOMER)
            .order_by(ConversationMessage.created_at.desc(), ConversationMessage.id.desc())
            .limit(1)
        )
    message = ConversationMessage(
        newcomer_id=newcomer.id,
        municipality_id=newcomer.municipality_id,
        direction=FROM_NEWCOMER,
        channel=channel if channel in (WEB, SMS) else WEB,
        body=text,
        language=language or newcomer.language,
        sensitive=True,
        provider_sid=provider_sid,
        in_reply_to_id=in_reply_to.id if in_reply_to is not None else None,
        created_at=utcnow(),
    )
    db.session.add(message)
    if commit:
        db.session.commit()
    return message


# -- reading -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One message of a thread as a page shows it (plain values: nothing loads while rendering)."""

    id: int
    outgoing: bool
    channel: str
    text: str
    language: str | None
    """The language of the text as written; ``None`` for a common question (it is in the reader's)."""
    common_question: str | None
    author: str | None
    created_at: datetime
    read_at: datetime | None
    new: bool
    """An incoming message nobody had read until this page opened it."""
    replied: bool
    in_reply_to: int | None
    sms_kind: str | None = None
    sms_status: str | None = None
    sms_reason: str | None = None
    """The error or cancel code of the SMS (``app.sms.reasons.plain_reason`` explains it)."""


def _latest(newcomer_id: int, limit: int) -> list[ConversationMessage]:
    rows = db.session.scalars(
        select(ConversationMessage)
        .where(ConversationMessage.newcomer_id == newcomer_id)
        .order_by(ConversationMessage.created_at.desc(), ConversationMessage.id.desc())
        .limit(limit)
    ).all()
    return list(reversed(rows))


def _replied(messages: list[ConversationMessage]) -> set[int]:
    """The outgoing messages that have an answer: one that names it, or the next incoming one that names none."""
    answered = {m.in_reply_to_id for m in messages if m.direction == FROM_NEWCOMER and m.in_reply_to_id}
    last_out = None
    for m in messages:
        if m.direction == TO_NEWCOMER:
            last_out = m.id
        elif m.in_reply_to_id is None and last_out is not None:
            answered.add(last_out)
    return answered


def thread(newcomer: Newcomer, *, new: Iterable[int] = (), limit: int = THREAD_LIMIT) -> list[Entry]:
    """The latest messages of a file's conversation, oldest first, each with its fate.

    Three statements, whatever the length: the messages, their SMS, their authors. ``new`` are the
    ids of incoming messages that were unread until now (see :func:`mark_replies_read`).
    """
    messages = _latest(newcomer.id, limit)
    sms_ids = [m.outbound_message_id for m in messages if m.outbound_message_id]
    sms = {}
    if sms_ids:
        sms = {o.id: o for o in db.session.scalars(select(OutboundMessage).where(OutboundMessage.id.in_(sms_ids)))}
    author_ids = {m.author_staff_id for m in messages if m.author_staff_id}
    authors = {}
    if author_ids:
        authors = dict(db.session.execute(select(Staff.id, Staff.name).where(Staff.id.in_(author_ids))).all())
    replied, new = _replied(messages), set(new)
    entries = []
    for m in messages:
        outbound = sms.get(m.outbound_message_id) if m.outbound_message_id else None
        entries.append(
            Entry(
                id=m.id,
                outgoing=m.direction == TO_NEWCOMER,
                channel=m.channel,
                text=text_of(m),
                language=None if m.common_question else m.language,
                common_question=m.common_question,
                author=authors.get(m.author_staff_id),
                created_at=m.created_at,
                read_at=m.read_at,
                new=m.id in new,
                replied=m.id in replied,
                in_reply_to=m.in_reply_to_id,
                sms_kind=outbound.kind if outbound else None,
                sms_status=outbound.status if outbound else None,
                sms_reason=(outbound.error_code or outbound.cancel_reason) if outbound else None,
            )
        )
    return entries


def mark_replies_read(newcomer_id: int) -> set[int]:
    """A klantmanager opens the conversation: its unread incoming messages are read now (commits).

    Returns the ids it marked, so the page can point them out once. One conditional UPDATE: two
    colleagues opening the file at once both see the messages, and neither overwrites the other's time.
    """
    unread = set(
        db.session.scalars(
            select(ConversationMessage.id).where(
                ConversationMessage.newcomer_id == newcomer_id,
                ConversationMessage.direction == FROM_NEWCOMER,
                ConversationMessage.read_at.is_(None),
            )
        )
    )
    if unread:
        db.session.execute(
            update(ConversationMessage)
            .where(ConversationMessage.id.in_(unread), ConversationMessage.read_at.is_(None))
            .values(read_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
    return unread


def mark_read_by_newcomer(newcomer: Newcomer, ids: Iterable[int]) -> None:
    """The newcomer saw these messages to them: read now, unless read before (commits)."""
    ids = list(ids)
    if not ids:
        return
    db.session.execute(
        update(ConversationMessage)
        .where(
            ConversationMessage.newcomer_id == newcomer.id,
            ConversationMessage.direction == TO_NEWCOMER,
            ConversationMessage.id.in_(ids),
            ConversationMessage.read_at.is_(None),
        )
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def unread_counts(newcomer_ids: Iterable[int]) -> dict[int, int]:
    """Unread replies per file, for these files (one grouped statement; files without any are left out)."""
    ids = list(newcomer_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(ConversationMessage.newcomer_id, func.count())
        .where(
            ConversationMessage.newcomer_id.in_(ids),
            ConversationMessage.direction == FROM_NEWCOMER,
            ConversationMessage.read_at.is_(None),
        )
        .group_by(ConversationMessage.newcomer_id)
    ).all()
    return {newcomer_id: int(n) for newcomer_id, n in rows}


# -- the question of a returned intake -------------------------------------------------------------


def question_of(newcomer: Newcomer, returned_at: datetime | None) -> ConversationMessage | None:
    """The message that returned the intake: the one to the newcomer written at the moment it was returned.

    ``return_with_question`` writes it with the intake's ``reviewed_at`` as its time (microseconds,
    kept exactly by both databases), so a message written later, or an intake returned before
    returns were messages, never matches.
    """
    if returned_at is None:
        return None
    return db.session.scalar(
        select(ConversationMessage)
        .where(
            ConversationMessage.newcomer_id == newcomer.id,
            ConversationMessage.direction == TO_NEWCOMER,
            ConversationMessage.created_at == returned_at,
        )
        .order_by(ConversationMessage.id)
        .limit(1)
    )


def answers_to(message: ConversationMessage) -> list[ConversationMessage]:
    """The newcomer's answers to one message, oldest first."""
    return list(
        db.session.scalars(
            select(ConversationMessage)
            .where(
                ConversationMessage.in_reply_to_id == message.id,
                ConversationMessage.direction == FROM_NEWCOMER,
            )
            .order_by(ConversationMessage.created_at, ConversationMessage.id)
        )
    )


def unread_by_newcomer(newcomer: Newcomer) -> int:
    """Messages to the newcomer they have not opened yet (the badge on the Messages link)."""
    return db.session.scalar(
        select(func.count())
        .select_from(ConversationMessage)
        .where(
            ConversationMessage.newcomer_id == newcomer.id,
            ConversationMessage.direction == TO_NEWCOMER,
            ConversationMessage.read_at.is_(None),
        )
    )
