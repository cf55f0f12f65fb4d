"""The klantmanager's day: the queues of files that need them now, for the today page and the caseload.

Each queue is a set of SQL criteria on ``Newcomer`` (no joins, so the caseload's SELECT keeps its
shape) and an order for the today page. The today page costs one counting query and one short
list per queue, whatever the caseload's size. The tenancy filter adds the municipalities.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, ScalarSelect, and_, case, exists, func, select
from sqlalchemy.orm import aliased

from ..extensions import db
from ..intake.services import AMSTERDAM
from ..models import Filling, Invitation, Newcomer
from ..models import casefile as status
from ..models.conversation import FROM_NEWCOMER, ConversationMessage
from ..models.types import utcnow
from .labels import BEFORE_PIP

REVIEW = "review"
RETURNED_STALE = "returned_stale"
DEADLINE = "deadline"
NOT_OPENED = "not_opened"
REPLIES = "replies"
"""Files with answers from the newcomer nobody has read (the conversation, app/conversation)."""
QUEUES = (REVIEW, RETURNED_STALE, DEADLINE, NOT_OPENED, REPLIES)

STALE_AFTER = timedelta(days=7)
"""A returned intake without an answer, or an invitation never opened, asks for action after a week."""
DEADLINE_WITHIN = timedelta(weeks=2)
SHORT_LIST = 5

LABELS = {
    REVIEW: _l("Intakes waiting for your review"),
    RETURNED_STALE: _l("Returned intakes without an answer for 7 days"),
    DEADLINE: _l("PIP deadline within 2 weeks or overdue"),
    NOT_OPENED: _l("Invitations not opened after 7 days"),
    REPLIES: _l("Unread answers from newcomers"),
}
"""The queue names as the today page and the caseload's filter show them."""

EMPTY = {
    REVIEW: _l("No intakes are waiting for a review."),
    RETURNED_STALE: _l("Every returned intake was answered within a week."),
    DEADLINE: _l("No PIP deadline is due within two weeks."),
    NOT_OPENED: _l("Everyone invited more than a week ago has opened the invitation."),
    REPLIES: _l("Every answer from a newcomer has been read."),
}


def criteria(queue: str, *, now: datetime | None = None, today: date | None = None) -> list[ColumnElement[bool]]:
    """The WHERE criteria on ``Newcomer`` of one queue (an unknown queue is a ValueError)."""
    now = now or utcnow()
    today = today or now.astimezone(AMSTERDAM).date()
    cutoff = now - STALE_AFTER
    if queue == REVIEW:
        return [Newcomer.status == status.INTAKE_SUBMITTED]
    if queue == RETURNED_STALE:
        returned_long_ago = exists().where(
            Filling.newcomer_id == Newcomer.id,
            Filling.status == "returned",
            Filling.reviewed_at <= cutoff,
        )
        return [Newcomer.status == status.RETURNED, returned_long_ago]
    if queue == DEADLINE:
        return [Newcomer.status.in_(BEFORE_PIP), Newcomer.pip_deadline_on <= today + DEADLINE_WITHIN]
    if queue == REPLIES:
        return [exists().where(*_unread(), ConversationMessage.newcomer_id == Newcomer.id)]
    if queue == NOT_OPENED:
        invitation = aliased(Invitation)
        mine = invitation.newcomer_id == Newcomer.id
        return [
            Newcomer.status.in_((status.REGISTERED, status.INVITED)),
            exists().where(mine),
            ~exists().where(mine, invitation.used_at.is_not(None)),
            ~exists().where(mine, invitation.created_at > cutoff),
        ]
    raise ValueError(queue)


def _ordered(queue: str, query):  # noqa: ANN001, ANN202 - a Select
    """A review queue's order: the longest waiting first (since the intake came in, or went back)."""
    since = (
        select(Filling.submitted_at if queue == REVIEW else Filling.reviewed_at)
        .where(Filling.newcomer_id == Newcomer.id)
        .correlate(Newcomer)
        .scalar_subquery()
    )
    return query.order_by(since.asc().nulls_last(), Newcomer.id)


@dataclass(frozen=True)
class Queue:
    """One section of the today page: its code, how many files are in it, and the first few."""

    code: str
    count: int
    files: list[Newcomer]
    unread: dict[int, int] = field(default_factory=dict)
    """Unread answers per listed file (the replies queue)."""

    @property
    def label(self) -> str:
        """The queue's name in the reader's language."""
        return str(LABELS[self.code])

    @property
    def empty_message(self) -> str:
        """What the section says when nothing is in it."""
        return str(EMPTY[self.code])


def _unread() -> list[ColumnElement[bool]]:
    return [ConversationMessage.direction == FROM_NEWCOMER, ConversationMessage.read_at.is_(None)]


def _unread_files(klantmanager_id: int | None) -> ScalarSelect:
    """How many files have unread answers: a scalar subquery for the counting statement."""
    newcomer = aliased(Newcomer)  # not the counting statement's own newcomers
    query = (
        select(func.count(func.distinct(ConversationMessage.newcomer_id)))
        .join(newcomer, newcomer.id == ConversationMessage.newcomer_id)
        .where(*_unread())
    )
    if klantmanager_id:
        query = query.where(newcomer.klantmanager_id == klantmanager_id)
    return query.scalar_subquery()


def _replies(klantmanager_id: int | None, count: int, limit: int) -> Queue:
    """The files with unread answers, the longest waiting first (one statement, when there are any)."""
    if not count:
        return Queue(REPLIES, 0, [])
    unread = (
        select(
            ConversationMessage.newcomer_id.label("newcomer_id"),
            func.count().label("unread"),
            func.min(ConversationMessage.created_at).label("since"),
        )
        .where(*_unread())
        .group_by(ConversationMessage.newcomer_id)
        .subquery()
    )
    query = (
        select(Newcomer, unread.c.unread)
        .join(unread, unread.c.newcomer_id == Newcomer.id)
        .order_by(unread.c.since, Newcomer.id)
        .limit(limit)
    )
    rows = db.session.execute(_scoped(query, klantmanager_id)).all()
    return Queue(REPLIES, count, [row[0] for row in rows], {row[0].id: int(row[1]) for row in rows})


def _scoped(query, klantmanager_id: int | None):  # noqa: ANN001, ANN202 - a Select
    return query.where(Newcomer.klantmanager_id == klantmanager_id) if klantmanager_id else query


def day(klantmanager_id: int | None, *, limit: int = SHORT_LIST, now: datetime | None = None) -> list[Queue]:
    """Every queue with its count and first ``limit`` files, in a constant number of statements.

    ``klantmanager_id`` limits it to that klantmanager's files; ``None`` shows the whole team's.
    The review queues (ordered by when the intake came in or went back) are counted together in one
    statement and listed with one each; the deadline and invitation queues are the caseload's own
    first page for that queue (by deadline, by registration), two statements each, read per
    municipality along the caseload's indexes, so their lists are exactly the top of the linked page.
    Files with unread answers are counted in that statement too, and listed with one more.
    """
    from .caseload import CaseloadFilter, caseload

    now = now or utcnow()
    reviews = (REVIEW, RETURNED_STALE)
    where = {queue: criteria(queue, now=now) for queue in reviews}
    counting = (
        select(
            *(func.coalesce(func.sum(case((and_(*where[q]), 1), else_=0)), 0) for q in reviews),
            _unread_files(klantmanager_id),
        )
        .select_from(Newcomer)
        .where(Newcomer.status.in_((status.INTAKE_SUBMITTED, status.RETURNED)))
    )
    row = db.session.execute(_scoped(counting, klantmanager_id)).one()
    counts = dict(zip((*reviews, REPLIES), row, strict=True))
    queues = []
    for queue in QUEUES:
        if queue == REPLIES:
            queues.append(_replies(klantmanager_id, int(counts[REPLIES] or 0), limit))
        elif queue in reviews:
            files: list[Newcomer] = []
            if counts[queue]:
                query = _ordered(queue, _scoped(select(Newcomer).where(*where[queue]), klantmanager_id))
                files = list(db.session.scalars(query.limit(limit)))
            queues.append(Queue(queue, int(counts[queue]), files))
        else:
            sort = "deadline" if queue == DEADLINE else "registered"
            page = caseload(CaseloadFilter(queue=queue, klantmanager_id=klantmanager_id, sort=sort, per_page=limit))
            queues.append(Queue(queue, page.total, list(page.items)))
    return queues


def unassigned_count(limit: int = 1000) -> int:
    """How many of the team's files nobody is responsible for (counted up to ``limit`` + 1), to hand out."""
    ids = select(Newcomer.id).where(Newcomer.klantmanager_id.is_(None)).limit(limit + 1).subquery()
    return int(db.session.scalar(select(func.count()).select_from(ids)) or 0)
