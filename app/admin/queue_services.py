"""The beheerder's view of the SMS outbox, and the two things they may do to one message.

What a beheerder sees of a message is chosen for privacy (docs/deployment.md, "The queue page"):
its id, kind, category, municipality, status, attempts, times, the worker that holds it, and the
error with its plain reason. Never the body (it is the newcomer's message), the phone number, or
which file it belongs to.

- **Cancel** a queued row: one ``UPDATE ... WHERE status = 'queued'``; a worker claims rows with
  an ``UPDATE ... WHERE status = 'queued'`` as well, so exactly one of the two wins, and a row being
  sent cannot be cancelled.
- **Retry** a row that failed, expired, was not delivered or whose fate is unknown: a copy is
  queued through :func:`app.outbox.queue_sms`, caused by the original (``("outbound_message", id)``)
  with the key ``<original key>:retry:<n>``, so a double click queues one copy. The original keeps
  its status (statuses only move forward); its history gets a line that says it was sent again.
  Messages with a secret (a sign-in code, an invitation link) cannot be retried: the secret is wiped
  once a message is final, and an old code or link should not be sent again anyway.

Every attempt is audited, refusals too (``result=denied``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app, g
from sqlalchemy import func, select, update

from .. import audit
from ..extensions import db
from ..models import Municipality, Newcomer
from ..models.message import (
    CANCELLED,
    EXPIRED,
    FAILED,
    QUEUED,
    SENDING,
    UNDELIVERED,
    UNKNOWN,
    OutboundEvent,
    OutboundMessage,
    WorkerHeartbeat,
)
from ..models.tenancy import current_limit, limit_to
from ..models.types import utcnow
from ..outbox import SECRET_MASK, queue_sms
from ..outbox.monitor import DueSummary, WorkerSummary, due_summary, worker_summary
from ..outbox.rules import FORGET_NUMBER_KINDS, advance, cancel_reason, opted_out

PER_PAGE = 25
SECTION_ROWS = 10
"""Rows of the 'being sent' and 'unclear' sections at the top of the page (the list has the rest)."""
WORKERS_SHOWN = 30
FAILURE_WINDOW = timedelta(hours=24)
FAILURE_LOOKBACK = timedelta(days=60)
"""Failures are counted among messages created this long before: the bound keeps the query on the
``(status, created_at)`` index. A message queued longer ago that fails now still shows in the list."""

RETRYABLE = (FAILED, UNKNOWN, EXPIRED, UNDELIVERED)
LISTED = (QUEUED, SENDING, UNKNOWN, FAILED, UNDELIVERED, EXPIRED, CANCELLED)
"""The statuses the list can show; sent and delivered messages are not the beheerder's business."""
FAILED_FOR_GOOD = (FAILED, UNDELIVERED, UNKNOWN, EXPIRED)
KIND_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,29}")


# -- reading -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One message as the beheerder sees it (no body, no number, no file)."""

    id: int
    kind: str
    category: str
    municipality: str | None
    status: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    expires_at: datetime
    claimed_by: str | None
    lease_until: datetime | None
    error_code: str | None
    error_at: datetime | None
    retryable: bool
    retry_refusal: str | None


@dataclass(frozen=True)
class Failure:
    """Messages with one error code in the last 24 hours."""

    code: str
    final: int
    retrying: int


@dataclass
class Overview:
    """Everything at the top of the queue page."""

    due: DueSummary
    live: WorkerSummary
    depth: dict[str, dict[str, int]] = field(default_factory=dict)
    """kind -> status (queued, sending) -> count"""
    sending: list[Row] = field(default_factory=list)
    sending_count: int = 0
    unknown: list[Row] = field(default_factory=list)
    unknown_count: int = 0
    failures: list[Failure] = field(default_factory=list)
    workers: list[WorkerHeartbeat] = field(default_factory=list)


@dataclass(frozen=True)
class RowPage:
    """One page of the list, without a total (the list can be long): previous and next only."""

    items: list[Row]
    page: int
    has_next: bool

    @property
    def has_prev(self) -> bool:
        return self.page > 1


def _columns():  # noqa: ANN202 - a Select
    return select(OutboundMessage, Municipality.code).outerjoin(
        Municipality, Municipality.id == OutboundMessage.municipality_id
    )


def has_secret(message: OutboundMessage) -> bool:
    """Whether the message carried a secret (a code or a link), sealed now or wiped when it became final."""
    return message.secret_sealed is not None or SECRET_MASK in message.body


def _retry_refusal(message: OutboundMessage) -> str | None:
    """Why this message cannot be retried, as a code for :data:`REFUSALS`; ``None`` when it can."""
    if message.status not in RETRYABLE:
        return "status"
    if has_secret(message):
        return "secret"
    if message.kind in FORGET_NUMBER_KINDS or not message.to_phone:
        return "no_number"
    return None


def _row(message: OutboundMessage, code: str | None) -> Row:
    refusal = _retry_refusal(message)
    return Row(
        id=message.id,
        kind=message.kind,
        category=message.category,
        municipality=code,
        status=message.status,
        attempts=message.attempts,
        created_at=message.created_at,
        next_attempt_at=message.next_attempt_at,
        expires_at=message.expires_at,
        claimed_by=message.claimed_by,
        lease_until=message.lease_until,
        error_code=message.error_code,
        error_at=message.error_at,
        retryable=refusal is None,
        retry_refusal=refusal if message.status in RETRYABLE else None,
    )


def _rows(query) -> list[Row]:  # noqa: ANN001 - a Select
    return [_row(message, code) for message, code in db.session.execute(query).all()]


def _count(status: str) -> int:
    return db.session.scalar(select(func.count(OutboundMessage.id)).where(OutboundMessage.status == status)) or 0


def overview(now: datetime) -> Overview:
    """The numbers and short lists at the top of the queue page."""
    result = Overview(due=due_summary(now), live=worker_summary(now))
    depth = db.session.execute(
        select(OutboundMessage.kind, OutboundMessage.status, func.count(OutboundMessage.id))
        .where(OutboundMessage.status.in_((QUEUED, SENDING)))
        .group_by(OutboundMessage.kind, OutboundMessage.status)
        .order_by(OutboundMessage.kind)
    ).all()
    for kind, status, count in depth:
        result.depth.setdefault(kind, {QUEUED: 0, SENDING: 0})[status] = count
    result.sending = _rows(
        _columns()
        .where(OutboundMessage.status == SENDING)
        .order_by(OutboundMessage.lease_until, OutboundMessage.id)
        .limit(SECTION_ROWS)
    )
    result.sending_count = sum(counts[SENDING] for counts in result.depth.values())
    result.unknown = _rows(
        _columns()
        .where(OutboundMessage.status == UNKNOWN)
        .order_by(OutboundMessage.created_at.desc(), OutboundMessage.id.desc())
        .limit(SECTION_ROWS)
    )
    result.unknown_count = _count(UNKNOWN) if len(result.unknown) == SECTION_ROWS else len(result.unknown)
    result.failures = failures(now)
    result.workers = list(
        db.session.scalars(
            select(WorkerHeartbeat)
            .order_by(WorkerHeartbeat.seen_at.desc(), WorkerHeartbeat.id.desc())
            .limit(WORKERS_SHOWN)
        )
    )
    return result


def failures(now: datetime) -> list[Failure]:
    """Messages with an error in the last 24 hours, by error code: failed for good, or still being retried."""
    since = now - FAILURE_WINDOW
    rows = db.session.execute(
        select(OutboundMessage.error_code, OutboundMessage.status, func.count(OutboundMessage.id))
        .where(
            OutboundMessage.status.in_((*FAILED_FOR_GOOD, QUEUED, SENDING)),
            OutboundMessage.created_at >= since - FAILURE_LOOKBACK,
            OutboundMessage.error_code.is_not(None),
            OutboundMessage.error_at >= since,
        )
        .group_by(OutboundMessage.error_code, OutboundMessage.status)
    ).all()
    by_code: dict[str, list[int]] = {}
    for code, status, count in rows:
        counts = by_code.setdefault(code, [0, 0])
        counts[0 if status in FAILED_FOR_GOOD else 1] += count
    return sorted(
        (Failure(code, final, retrying) for code, (final, retrying) in by_code.items()),
        key=lambda f: (-(f.final + f.retrying), f.code),
    )


def row_page(status: str, kind: str | None, page: int) -> RowPage:
    """One page of messages with ``status`` (and ``kind``): queued ones by due time, others newest first."""
    query = _columns().where(OutboundMessage.status == status)
    if kind:
        query = query.where(OutboundMessage.kind == kind)
    if status == QUEUED:
        query = query.order_by(OutboundMessage.next_attempt_at, OutboundMessage.id)
    elif status == SENDING:
        query = query.order_by(OutboundMessage.lease_until, OutboundMessage.id)
    else:
        query = query.order_by(OutboundMessage.created_at.desc(), OutboundMessage.id.desc())
    items = _rows(query.offset((page - 1) * PER_PAGE).limit(PER_PAGE + 1))
    return RowPage(items[:PER_PAGE], page, len(items) > PER_PAGE)


def get_row(message_id: int) -> Row | None:
    """One message as the beheerder sees it, or ``None``."""
    found = db.session.execute(_columns().where(OutboundMessage.id == message_id)).first()
    return None if found is None else _row(*found)


# -- acting --------------------------------------------------------------------------------------


class QueueRefusal(ValueError):  # noqa: N818 - named for what happened
    """The action cannot be done to this message; ``code`` says why (see the routes' messages)."""

    def __init__(self, code: str, status: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.status = status


def cancel(message_id: int) -> OutboundMessage:
    """Cancel a queued message, atomically; :class:`QueueRefusal` when it is not queued (any more)."""
    now = utcnow()
    won = db.session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.id == message_id, OutboundMessage.status == QUEUED)
        .values(status=CANCELLED, cancel_reason="staff", secret_sealed=None, claimed_by=None, lease_until=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    message = db.session.get(OutboundMessage, message_id, populate_existing=True)
    if message is None:
        db.session.rollback()
        raise QueueRefusal("missing")
    if won != 1:
        audit.record(
            "outbox.cancelled", "outbound_message", message.id, result=audit.DENIED,
            municipality_id=message.municipality_id,
        )  # fmt: skip
        db.session.commit()
        raise QueueRefusal("sending" if message.status == SENDING else "not_queued", message.status)
    if message.kind in FORGET_NUMBER_KINDS:
        message.to_phone = ""
    db.session.add(OutboundEvent(message_id=message.id, at=now, status=CANCELLED, source="staff", detail="staff"))
    audit.record("outbox.cancelled", "outbound_message", message.id, municipality_id=message.municipality_id)
    db.session.commit()
    return message


@contextmanager
def _whole_service() -> Iterator[None]:
    """Lift the request's tenancy limit for a check: the queue is the whole service's, and a
    beheerder (who may serve no municipality) only ever learns a refusal code from it."""
    saved = current_limit()
    g.pop("tenant_municipality_ids", None)  # the attribute limit_to() sets (app/models/tenancy.py)
    try:
        yield
    finally:
        if saved is not None:
            limit_to(saved)


def retry(message_id: int) -> OutboundMessage:
    """Queue a copy of a message that did not arrive; the copy. :class:`QueueRefusal` says why not."""
    original = db.session.get(OutboundMessage, message_id)
    if original is None:
        raise QueueRefusal("missing")

    def refuse(code: str) -> QueueRefusal:
        audit.record(
            "outbox.retried", "outbound_message", original.id, result=audit.DENIED,
            municipality_id=original.municipality_id,
        )  # fmt: skip
        db.session.commit()
        return QueueRefusal(code, original.status)

    refusal = _retry_refusal(original)
    if refusal is not None:
        raise refuse(refusal)
    with _whole_service():
        newcomer = db.session.get(Newcomer, original.newcomer_id) if original.newcomer_id is not None else None
        to = newcomer.phone if newcomer is not None else original.to_phone
        reason = None
        if original.newcomer_id is not None:
            if newcomer is None or newcomer.phone.startswith("erased-"):
                reason = "file_erased"
            elif opted_out(newcomer.id, original.category):
                reason = "opted_out"
            # The cause of the message went away (a kind's own check); a changed number is no
            # reason not to: the copy goes to the number on the file now.
            elif cancel_reason(original) not in (None, "number_changed"):
                reason = "cause_gone"
        elif cancel_reason(original) is not None:
            reason = "cause_gone"
    if reason is not None:
        raise refuse(reason)
    pending = db.session.scalar(
        select(OutboundMessage.id)
        .where(
            OutboundMessage.cause_type == "outbound_message",
            OutboundMessage.cause_id == original.id,
            OutboundMessage.status.in_((QUEUED, SENDING)),
        )
        .limit(1)
    )
    if pending is not None:
        raise refuse("copy_pending")
    copies = db.session.scalar(
        select(func.count(OutboundMessage.id)).where(
            OutboundMessage.cause_type == "outbound_message", OutboundMessage.cause_id == original.id
        )
    )
    key = f"{original.idempotency_key}:retry:{(copies or 0) + 1}"
    if len(key) > 120:
        key = f"outbound_message:{original.id}:retry:{(copies or 0) + 1}"
    now = utcnow()
    body = original.body
    copy = queue_sms(
        to=to,
        kind=original.kind,
        category=original.category,
        locale=original.locale,
        write=lambda _secret: body,
        newcomer_id=original.newcomer_id,
        municipality_id=original.municipality_id,
        cause=("outbound_message", original.id),
        key=key,
        priority=original.priority,
        expires_at=original.expires_at if original.expires_at > now else now + current_app.config["OUTBOX_DEFAULT_TTL"],
    )
    advance(original, original.status, "staff", detail="retried")
    audit.record("outbox.retried", "outbound_message", original.id, municipality_id=original.municipality_id)
    db.session.commit()
    return copy
