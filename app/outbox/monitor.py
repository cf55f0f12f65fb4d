"""How the outbox is doing, in numbers without personal data: for /healthz and the queue page.

Every query here is cheap at any size of the table. The due rows are read from the partial index
``ix_outbound_due`` (``(priority, next_attempt_at) WHERE status = 'queued'``): the count is
bounded, and the oldest due row is found by a skip scan over the few priorities, one index seek
for each priority and one for its oldest row. The status is written into the SQL as a literal, so
that PostgreSQL matches the partial index's condition in every plan, also a cached generic one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, literal, select

from ..extensions import db
from ..models.message import QUEUED, OutboundMessage, WorkerHeartbeat

DUE_COUNT_CAP = 10_000
"""The due count stops here (``capped``): beyond it the exact number does not matter."""

_outbox = OutboundMessage.__table__


def _queued():  # noqa: ANN202 - a SQL condition
    return _outbox.c.status == literal(QUEUED, literal_execute=True)


@dataclass(frozen=True)
class DueSummary:
    """Queued rows whose time has come: how many, and since when the oldest has waited."""

    count: int
    capped: bool
    oldest_due_at: datetime | None
    oldest_age_seconds: int | None


@dataclass(frozen=True)
class WorkerSummary:
    """The workers' heartbeats: how many are alive, and when any was last heard of."""

    live: int
    last_seen_at: datetime | None
    last_seen_seconds: int | None


def _seconds(now: datetime, then: datetime | None) -> int | None:
    return None if then is None else max(0, int((now - then).total_seconds()))


def due_count(now: datetime) -> tuple[int, bool]:
    """How many queued rows are due at ``now``, counted up to :data:`DUE_COUNT_CAP`; and whether capped."""
    due = (
        select(_outbox.c.next_attempt_at)
        .where(_queued(), _outbox.c.next_attempt_at <= now)
        .limit(DUE_COUNT_CAP + 1)
        .subquery()
    )
    count = db.session.scalar(select(func.count()).select_from(due)) or 0
    return min(count, DUE_COUNT_CAP), count > DUE_COUNT_CAP


def oldest_due(now: datetime) -> datetime | None:
    """When the oldest queued row that is due at ``now`` became due (one statement, a few index seeks)."""
    first = select(func.min(_outbox.c.priority)).where(_queued()).scalar_subquery()
    priorities = select(first.label("p")).cte("priorities", recursive=True)
    following = (
        select(func.min(_outbox.c.priority)).where(_queued(), _outbox.c.priority > priorities.c.p).scalar_subquery()
    )
    priorities = priorities.union_all(select(following).where(priorities.c.p.is_not(None)))
    oldest_of_priority = (
        select(func.min(_outbox.c.next_attempt_at))
        .where(_queued(), _outbox.c.priority == priorities.c.p, _outbox.c.next_attempt_at <= now)
        .scalar_subquery()
    )
    per_priority = select(oldest_of_priority.label("due_at")).where(priorities.c.p.is_not(None)).subquery()
    return db.session.scalar(select(func.min(per_priority.c.due_at)))


def due_summary(now: datetime) -> DueSummary:
    """The due rows at ``now``: how many, and the age of the oldest (two statements)."""
    count, capped = due_count(now)
    oldest = oldest_due(now) if count else None
    return DueSummary(count, capped, oldest, _seconds(now, oldest))


def live_within() -> timedelta:
    """A worker not heard of for longer than its lease is taken for dead (others take its rows over)."""
    return timedelta(seconds=current_app.config["OUTBOX_LEASE_SECONDS"])


def is_live(beat: WorkerHeartbeat, now: datetime) -> bool:
    """Whether this worker runs: not stopped, and heard of within its lease."""
    return beat.stopped_at is None and beat.seen_at >= now - live_within()


def worker_summary(now: datetime) -> WorkerSummary:
    """Live workers and the latest heartbeat of any (one statement)."""
    live = WorkerHeartbeat.stopped_at.is_(None) & (WorkerHeartbeat.seen_at >= now - live_within())
    count, last = db.session.execute(
        select(func.count(WorkerHeartbeat.id).filter(live), func.max(WorkerHeartbeat.seen_at))
    ).one()
    return WorkerSummary(count or 0, last, _seconds(now, last))
