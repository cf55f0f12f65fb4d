"""The outbox worker: claims due rows, sends them through the ``SmsSender``, records what happened.

Run as ``flask --app wsgi worker`` (or ``--once`` from cron). Several workers may run on several
machines against one PostgreSQL database: rows are claimed with ``FOR UPDATE SKIP LOCKED`` and a
lease, and the claim is committed before the provider is called. On SQLite one worker runs; the
claim is still a single atomic ``UPDATE``.

A message whose fate is in doubt (a time-out after the request went out, or a ``sending`` row
whose worker died) is never simply sent again: the worker first asks the provider for messages to
that number since the first attempt and compares bodies. See docs/outbox.md.
"""

from __future__ import annotations

import logging
import os
import random
import secrets
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import Select, false, func, insert, literal_column, select, text, update
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..models.message import (
    CANCELLED,
    EXPIRED,
    FAILED,
    PENDING,
    PRIORITIES,
    QUEUED,
    SENDING,
    SENT,
    UNKNOWN,
    OutboundEvent,
    OutboundMessage,
    WorkerHeartbeat,
)
from ..models.types import utcnow
from ..sms import get_sender
from ..sms.base import IN_DOUBT, SmsError
from . import callback_url, real_body, validity_seconds
from .rules import FORGET_NUMBER_KINDS, advance, cancel_reason, lock, mark_number, may_move

log = logging.getLogger("app.outbox")

LOOKUP_SKEW = timedelta(minutes=2)
"""Look this far before the first attempt when asking Twilio: clocks differ."""
HEARTBEAT_EVERY = 5.0
IDLE_SLICE = 0.25
"""An idle worker looks at its stop flag this often (SIGTERM during a wait ends the wait)."""
LOOKUP_FAILED = "lookup_failed"

JobRunner = Callable[["Worker"], bool]
JOB_RUNNERS: list[JobRunner] = []
"""Other work the worker takes from job rows (the DUO import): each call does one unit, or
returns ``False`` when there is none. Registered with :func:`job_runner`."""


def job_runner(run: JobRunner) -> JobRunner:
    """Register ``run`` to be called by every worker loop."""
    if run not in JOB_RUNNERS:
        JOB_RUNNERS.append(run)
    return run


def due_rows(now: datetime, limit: int, *, above: int | None = None, lock: bool = False) -> Select:
    """The due query: the ids of queued rows due by ``now``, most urgent first, then longest waiting.

    It reads the partial index ``ix_outbound_due`` (queued rows only; priority descending, then
    due time) in its own order, one range per priority of :data:`PRIORITIES` (``priority IN``
    with ``next_attempt_at <= now`` both index conditions): it reads the due entries of each
    priority and stops, so it touches the same few pages however long the queue of rows for later
    (reminders for next month) or the table's history. A bare ``priority DESC`` scan with the due
    time only as a condition would read every later entry of a priority before the next one.
    ``lock``: ``FOR UPDATE SKIP LOCKED`` (PostgreSQL), so workers claiming at the same moment take
    different rows.
    """
    # The levels as literals (IN (10, 5, 0)): a plain statement that EXPLAIN can be run on as compiled.
    levels = [literal_column(str(int(level))) for level in PRIORITIES if above is None or level > above]
    query = select(OutboundMessage.id).where(
        OutboundMessage.status == QUEUED,
        OutboundMessage.priority.in_(levels) if levels else false(),  # nothing above the highest level
        OutboundMessage.next_attempt_at <= now,
    )
    query = query.order_by(OutboundMessage.priority.desc(), OutboundMessage.next_attempt_at).limit(limit)
    return query.with_for_update(skip_locked=True) if lock else query


@dataclass
class _Claim:
    """A row this worker claimed and has not started on yet."""

    id: int
    priority: int
    due: datetime
    lease_until: datetime


class Worker:
    """One worker process's loop. ``worker_id`` names it in claims and heartbeats."""

    def __init__(self, app: Flask, worker_id: str | None = None) -> None:
        self.app = app
        self.worker_id = worker_id or f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"
        self.stopping = False
        self.sent = 0
        self._last_beat = 0.0
        self._last_urgent_look = 0.0
        self._in_hand: list[_Claim] = []
        self._lease_until: datetime | None = None
        """The lease of the message being processed (it is no longer in ``_in_hand``)."""
        self._row: _Row = _Row(0, "", 0, utcnow(), in_doubt=False)
        """The message being processed, as read before the provider was called."""

    # -- the loop ------------------------------------------------------------------------------

    def install_signal_handlers(self) -> None:
        """SIGTERM and SIGINT: finish the message in hand, release the other claims, exit."""

        def stop(signum: int, _frame: object) -> None:
            log.info("worker %s: signal %s, stopping after the message in hand", self.worker_id, signum)
            self.stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)

    def run(self, *, once: bool = False, max_seconds: float | None = None) -> int:
        """Send until stopped (or, with ``once``, until nothing is due); return how many were sent."""
        started = time.monotonic()
        with self.app.app_context():
            listener = _Listener.open() if not once else None
            try:
                while not self.stopping:
                    self.heartbeat()
                    busy = self.step()
                    for run_job in JOB_RUNNERS:
                        if self.stopping:
                            break
                        busy = self.run_job(run_job) or busy
                    if max_seconds is not None and time.monotonic() - started >= max_seconds:
                        break
                    if busy:
                        continue
                    if once:
                        break
                    self.idle(listener, started, max_seconds)
            finally:
                self.release()
                self.heartbeat(stopped=True)
                if listener is not None:
                    listener.close()
                db.session.remove()
        return self.sent

    def run_job(self, run_job: JobRunner) -> bool:
        """One unit of other work; a job that breaks is logged and does not stop the SMS."""
        try:
            return run_job(self)
        except Exception as error:  # noqa: BLE001 - the runner's own rows say what went wrong
            db.session.rollback()
            log.error("worker %s: job runner %s: %s", self.worker_id, run_job.__name__, type(error).__name__)  # noqa: TRY400 - no traceback: it may quote personal data
            return False

    def idle(self, listener: _Listener | None, started: float = 0.0, max_seconds: float | None = None) -> None:
        """Wait for work: a NOTIFY wakes a PostgreSQL worker at once; on SQLite a short poll.

        The wait is cut in slices so that SIGTERM (and ``--max-seconds``) end it promptly.
        """
        config = self.app.config
        timeout = config["OUTBOX_POLL_SECONDS"] if listener is not None else config["OUTBOX_PRIORITY_POLL_SECONDS"]
        deadline = time.monotonic() + timeout
        if max_seconds is not None:
            deadline = min(deadline, started + max_seconds)
        while not self.stopping and (left := deadline - time.monotonic()) > 0:
            if listener is None:
                time.sleep(min(left, IDLE_SLICE))
            elif listener.wait(min(left, IDLE_SLICE)):
                return

    def heartbeat(self, *, stopped: bool = False) -> None:
        """Say this worker lives (at most every few seconds), or that it stopped."""
        now_mono = time.monotonic()
        if not stopped and now_mono - self._last_beat < HEARTBEAT_EVERY:
            return
        self._last_beat = now_mono
        now = utcnow()
        try:
            beat = db.session.scalar(select(WorkerHeartbeat).where(WorkerHeartbeat.worker_id == self.worker_id))
            if beat is None:
                beat = WorkerHeartbeat(
                    worker_id=self.worker_id, hostname=socket.gethostname()[:64], pid=os.getpid(), started_at=now
                )
                db.session.add(beat)
            beat.seen_at, beat.sent_count = now, self.sent
            beat.stopped_at = now if stopped else None
            db.session.commit()
        except SQLAlchemyError as error:
            db.session.rollback()
            log.warning("worker %s: heartbeat failed: %s", self.worker_id, type(error).__name__)

    # -- claiming ------------------------------------------------------------------------------

    def step(self) -> bool:
        """Claim one batch and process it; ``False`` when nothing was due."""
        try:
            claimed = self.claim()
        except SQLAlchemyError as error:
            db.session.rollback()
            log.warning("worker %s: claim failed: %s", self.worker_id, type(error).__name__)
            time.sleep(1)
            return False
        self._in_hand = list(claimed)
        self._last_urgent_look = time.monotonic()
        while self._in_hand and not self.stopping:
            self.take_urgent()
            claim = self._in_hand.pop(0)
            self._lease_until = claim.lease_until
            try:
                self.process(claim.id)
            except SQLAlchemyError as error:
                # The database went away mid-message: the lease runs out and another worker (or
                # this one, later) takes the row over, asking Twilio first.
                db.session.rollback()
                log.warning("worker %s: message %s: %s", self.worker_id, claim.id, type(error).__name__)
            except Exception as error:  # noqa: BLE001 - one broken message must not stop the others
                db.session.rollback()
                log.error("worker %s: message %s: %s", self.worker_id, claim.id, type(error).__name__)  # noqa: TRY400 - no traceback: it may quote a body
            finally:
                self._lease_until = None
        return bool(claimed)

    def claim(self, *, above: int | None = None) -> list[_Claim]:
        """Claim due rows (and rows whose worker's lease ran out) for this worker; committed.

        ``above``: only rows of a higher priority than that (login codes while a batch of notices
        is in hand), and no taken-over rows. The claims come back in the order they are sent:
        priority first, then the longest waiting.
        """
        config = self.app.config
        now = utcnow()
        lease = now + timedelta(seconds=config["OUTBOX_LEASE_SECONDS"])
        batch = config["OUTBOX_BATCH"]
        postgres = db.session.get_bind().dialect.name == "postgresql"
        returning = (OutboundMessage.id, OutboundMessage.priority, OutboundMessage.next_attempt_at)

        taken_over: list = []
        if above is None:
            stale = (
                select(OutboundMessage.id)
                .where(OutboundMessage.status == SENDING, OutboundMessage.lease_until < now)
                .order_by(OutboundMessage.lease_until)
                .limit(batch)
            )
            if postgres:
                stale = stale.with_for_update(skip_locked=True)
            # A dead (or stuck) worker's rows: it may have sent them, so they are in doubt.
            taken_over = db.session.execute(
                update(OutboundMessage)
                .where(
                    OutboundMessage.id.in_(stale.scalar_subquery()),
                    OutboundMessage.status == SENDING,
                    OutboundMessage.lease_until < now,
                )
                .values(
                    claimed_by=self.worker_id, lease_until=lease, in_doubt=True, attempts=OutboundMessage.attempts + 1
                )
                .returning(*returning)
                .execution_options(synchronize_session=False)
            ).all()
            if taken_over:
                event = {"at": now, "status": SENDING, "source": "worker", "detail": "lease_expired"}
                db.session.execute(insert(OutboundEvent), [{"message_id": r.id, **event} for r in taken_over])
        fresh: list = []
        if len(taken_over) < batch:
            due = due_rows(now, batch - len(taken_over), above=above, lock=postgres)
            fresh = db.session.execute(
                update(OutboundMessage)
                .where(OutboundMessage.id.in_(due.scalar_subquery()), OutboundMessage.status == QUEUED)
                .values(
                    status=SENDING,
                    claimed_by=self.worker_id,
                    lease_until=lease,
                    attempts=OutboundMessage.attempts + 1,
                    attempted_at=func.coalesce(OutboundMessage.attempted_at, now),
                )
                .returning(*returning)
                .execution_options(synchronize_session=False)
            ).all()
        db.session.commit()
        if taken_over:
            log.info("worker %s: took over %d rows of a worker that stopped", self.worker_id, len(taken_over))
        claims = [_Claim(row.id, row.priority, row.next_attempt_at, lease) for row in (*taken_over, *fresh)]
        return sorted(claims, key=lambda c: (-c.priority, c.due, c.id))

    def take_urgent(self) -> None:
        """While a batch is in hand, claim due rows of a higher priority every so often and send them first.

        A login code queued while this worker works through 20 notices waits for one message,
        not for the batch.
        """
        every = self.app.config["OUTBOX_PRIORITY_POLL_SECONDS"]
        if not self._in_hand or time.monotonic() - self._last_urgent_look < every:
            return
        self._last_urgent_look = time.monotonic()
        lowest = min(claim.priority for claim in self._in_hand)
        try:
            urgent = self.claim(above=lowest)
        except SQLAlchemyError as error:
            db.session.rollback()
            log.warning("worker %s: claim failed: %s", self.worker_id, type(error).__name__)
            return
        if urgent:
            self._in_hand = sorted([*urgent, *self._in_hand], key=lambda c: (-c.priority, c.due, c.id))

    def hold(self, message_id: int) -> bool:
        """Make sure the lease on ``message_id`` outlasts one provider call; ``False`` if it is no longer ours.

        The lease is renewed (for every row in hand at once) only when what is left of it is
        shorter than the provider's time-out plus a margin, so a worker slower than its lease
        never has a row taken over while it is sending it.
        """
        config = self.app.config
        lease_seconds, timeout = config["OUTBOX_LEASE_SECONDS"], config["TWILIO_TIMEOUT_SECONDS"]
        margin = timedelta(seconds=timeout + max(1.0, (lease_seconds - timeout) / 2))
        now = utcnow()
        if self._lease_until is not None and self._lease_until - now > margin:
            return True
        lease = now + timedelta(seconds=lease_seconds)
        ids = [message_id, *(claim.id for claim in self._in_hand)]
        renewed = set(
            db.session.scalars(
                update(OutboundMessage)
                .where(
                    OutboundMessage.id.in_(ids),
                    OutboundMessage.claimed_by == self.worker_id,
                    OutboundMessage.status == SENDING,
                )
                .values(lease_until=lease)
                .returning(OutboundMessage.id)
                .execution_options(synchronize_session=False)
            ).all()
        )
        db.session.commit()
        self._in_hand = [claim for claim in self._in_hand if claim.id in renewed]
        for claim in self._in_hand:
            claim.lease_until = lease
        self._lease_until = lease if message_id in renewed else None
        return message_id in renewed

    def release(self) -> None:
        """Give back rows claimed but not yet started (on SIGTERM): another worker sends them."""
        if not self._in_hand:
            return
        ids = [claim.id for claim in self._in_hand]
        try:
            released = db.session.scalars(
                update(OutboundMessage)
                .where(
                    OutboundMessage.id.in_(ids),
                    OutboundMessage.claimed_by == self.worker_id,
                    OutboundMessage.status == SENDING,
                )
                .values(status=QUEUED, claimed_by=None, lease_until=None, attempts=OutboundMessage.attempts - 1)
                .returning(OutboundMessage.id)
                .execution_options(synchronize_session=False)
            ).all()
            if released:
                now = utcnow()
                db.session.execute(
                    insert(OutboundEvent),
                    [
                        {"message_id": i, "at": now, "status": QUEUED, "source": "worker", "detail": "released"}
                        for i in released
                    ],
                )
            db.session.commit()
            if released:
                log.info("worker %s: released %d claimed rows", self.worker_id, len(released))
        except SQLAlchemyError:
            db.session.rollback()
        self._in_hand = []

    # -- one message ---------------------------------------------------------------------------

    def process(self, message_id: int) -> None:
        """Send one claimed message, or find it at the provider, or give it its final state."""
        message = db.session.get(OutboundMessage, message_id, populate_existing=True)
        if message is None or message.claimed_by != self.worker_id or message.status != SENDING:
            db.session.rollback()
            return
        self._row = _Row(message.id, message.kind, message.attempts, message.expires_at, message.in_doubt)
        now = utcnow()
        body = real_body(message)
        resolved: dict[str, object] = {}
        if message.in_doubt:
            # First find out whether an earlier attempt got through: before cancelling (a used
            # login code was delivered) and before expiring (it may have been sent in time).
            if body is None:
                self.finish(message, UNKNOWN, error_code="secret", detail="secret_unreadable")
                return
            if not self.look_up(message, body, now):
                return
            resolved["in_doubt"] = False  # the provider does not have it
        if message.expires_at <= now:
            self.finish(message, EXPIRED, detail="expired", **resolved)
            return
        reason = cancel_reason(message)
        if reason is not None:
            self.finish(message, CANCELLED, detail=reason, cancel_reason=reason, **resolved)
            return
        if body is None:
            self.finish(message, FAILED, error_code="secret", detail="secret_unreadable", **resolved)
            return
        self.send(message, body, now)

    def look_up(self, message: OutboundMessage, body: str, now: datetime) -> bool:
        """Ask the provider whether an earlier attempt got through; ``True`` when it did not (send it)."""
        message_id, to, expires_at = message.id, message.to_phone, message.expires_at
        since = (message.attempted_at or message.created_at) - LOOKUP_SKEW
        db.session.commit()  # nothing of the database is held while the provider is asked
        if not self.hold(message_id):
            return False
        try:
            found = get_sender().find_sent(to, since, body)
        except SmsError as error:
            code = error.code or error.kind
            failures = 1 + (
                db.session.scalar(
                    select(func.count(OutboundEvent.id)).where(
                        OutboundEvent.message_id == message_id, OutboundEvent.detail == LOOKUP_FAILED
                    )
                )
                or 0
            )
            log.info("outbox %s: lookup failed (%s), %d time(s)", message_id, code, failures)
            if failures >= self.app.config["OUTBOX_LOOKUP_TRIES"] or expires_at <= now:
                self.finish(message, UNKNOWN, error_code=code, detail=LOOKUP_FAILED)
            else:
                self.retry(message, now, detail=LOOKUP_FAILED, error_code=code)
            return False
        if found is not None:
            other = db.session.scalar(
                select(OutboundMessage.id).where(
                    OutboundMessage.provider_id == found.provider_id, OutboundMessage.id != message_id
                )
            )
            if other is not None:
                # The same text to the same number, but another row's message: not this one.
                log.info("outbox %s: the message found is outbox %s's", message_id, other)
                found = None
        if found is None:
            return True
        self.finish(
            message,
            SENT,
            detail="found_at_provider",
            in_doubt=False,
            provider_id=found.provider_id,
            provider_status=found.status,
            provider_status_at=now,
            sent_at=now,
        )
        return False

    def send(self, message: OutboundMessage, body: str, now: datetime) -> None:
        """Call the provider once; record the outcome (sent, retry later, or failed for good)."""
        message_id, to = message.id, message.to_phone
        validity, status_callback = validity_seconds(message, now), callback_url(message)
        db.session.commit()  # nothing of the database is held while the provider is called
        if not self.hold(message_id):
            return
        try:
            result = get_sender().send(to, body, validity_seconds=validity, status_callback=status_callback)
        except SmsError as error:
            code = error.code or error.kind
            log.info("outbox %s: %s (%s)", message_id, error.kind, error.code or "-")
            failed = {"error_code": code, "error_at": utcnow()}
            if error.kind == IN_DOUBT:  # the request went out: the next attempt asks first
                self.retry(message, now, detail="in_doubt", in_doubt=True, **failed)
            elif error.permanent:
                self.finish(message, FAILED, detail="permanent", mark=error.code, in_doubt=False, **failed)
            else:  # refused: this attempt is certainly not at the provider
                self.retry(message, now, retry_after=error.retry_after, in_doubt=False, **failed)
            return
        self.sent += 1
        self.finish(
            message,
            SENT,
            in_doubt=False,
            provider_id=result.provider_id,
            provider_status=result.status,
            provider_status_at=utcnow(),
            sent_at=utcnow(),
        )

    def retry(
        self,
        message: OutboundMessage,
        now: datetime,
        *,
        retry_after: float | None = None,
        detail: str | None = None,
        **learnt: object,
    ) -> None:
        """Back to the queue, due after a backoff with jitter; or expired when that is too late.

        ``learnt``: columns to set (the error code, whether the attempt is in doubt).
        """
        row, error_code = self._row, learnt.get("error_code")
        config = self.app.config
        backoff = min(
            config["OUTBOX_RETRY_MAX_SECONDS"], config["OUTBOX_RETRY_BASE_SECONDS"] * 2 ** max(0, row.attempts - 1)
        )
        delay = max(random.uniform(backoff / 2, backoff), retry_after or 0)  # noqa: S311 - jitter, not a secret
        due = now + timedelta(seconds=delay)
        if due >= row.expires_at:
            in_doubt = bool(learnt.get("in_doubt", row.in_doubt))
            self.finish(message, UNKNOWN if in_doubt else EXPIRED, detail="no_time_left", **learnt)  # type: ignore[arg-type]
            return
        detail = detail or f"retry_in_{int(delay)}s"
        if self._settle(QUEUED, detail=detail, learnt={**learnt, "next_attempt_at": due}):
            return
        _without_waiting_for_the_disk()
        lock(message)
        _learn(message, learnt)
        if message.status not in PENDING or message.claimed_by != self.worker_id:
            db.session.commit()  # moved on meanwhile (a status callback, a staff action): keep what was learnt
            return
        message.next_attempt_at = due
        message.claimed_by = message.lease_until = None
        advance(
            message,
            QUEUED,
            "worker",
            error_code=error_code,  # type: ignore[arg-type]
            detail=detail,
            locked=True,
        )
        db.session.commit()

    def _settle(self, status: str, *, detail: str | None, learnt: dict[str, object]) -> bool:
        """The usual case in one statement: the row is still this worker's and ``sending``.

        A conditional ``UPDATE ... WHERE claimed_by = me AND status = 'sending'`` moves it (and a
        line goes into its history); ``False`` when the condition no longer holds (a status callback
        or a staff action came first, or another worker took it over), and the caller takes the
        careful path: lock the row, read it, move it only forward.
        """
        row = self._row
        values: dict[str, object] = {"claimed_by": None, "lease_until": None, "status": status}
        for name, value in learnt.items():
            keep = name in ("provider_id", "sent_at")  # a SID or a time already recorded stays
            values[name] = func.coalesce(getattr(OutboundMessage, name), value) if keep else value
        if status not in PENDING:
            values["secret_sealed"] = None
            if row.kind in FORGET_NUMBER_KINDS:
                values["to_phone"] = ""  # an answer to a number nobody knows: keep nothing of it
        _without_waiting_for_the_disk()
        moved = db.session.execute(
            update(OutboundMessage)
            .where(
                OutboundMessage.id == row.id,
                OutboundMessage.claimed_by == self.worker_id,
                OutboundMessage.status == SENDING,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        ).rowcount
        if moved != 1:
            db.session.rollback()
            return False
        db.session.execute(
            insert(OutboundEvent).values(
                message_id=row.id,
                at=utcnow(),
                status=status,
                source="worker",
                error_code=learnt.get("error_code"),
                detail=detail,
            )
        )
        db.session.commit()
        return True

    def finish(
        self,
        message: OutboundMessage,
        status: str,
        *,
        error_code: str | None = None,
        detail: str | None = None,
        mark: str | None = None,
        locked: bool = False,
        **learnt: object,
    ) -> None:
        """Give a message its state after this attempt; the secret is wiped once it cannot be sent again.

        The row is locked and read again first: if a status callback moved it on meanwhile (Twilio
        can call back before its answer to the send arrives), what was learnt (``learnt``: the SID,
        the error) is kept and the status is not moved back. ``mark``: a permanent error code the
        newcomer's number is marked with (:func:`~app.outbox.rules.mark_number`).
        """
        if error_code is not None:  # the row keeps the code of the error it ended with
            learnt.setdefault("error_code", error_code)
            learnt.setdefault("error_at", utcnow())
        if not locked and mark is None and self._settle(status, detail=detail, learnt=learnt):
            return
        if not locked:
            _without_waiting_for_the_disk()
            lock(message)
        _learn(message, learnt)
        if mark is not None:
            mark_number(message, mark)
        if message.claimed_by == self.worker_id:
            message.claimed_by = message.lease_until = None
        if message.status in PENDING or (status == SENT and may_move(message.status, status)):
            advance(
                message, status, "worker", error_code=error_code or learnt.get("error_code"), detail=detail, locked=True
            )  # type: ignore[arg-type]
        if message.status not in PENDING:
            message.secret_sealed = None
            if message.kind in FORGET_NUMBER_KINDS:
                message.to_phone = ""  # an answer to a number nobody knows: keep nothing of it
        db.session.commit()


@dataclass(frozen=True)
class _Row:
    """What the worker read of the message in hand before calling the provider."""

    id: int
    kind: str
    attempts: int
    expires_at: datetime
    in_doubt: bool


def _without_waiting_for_the_disk() -> None:
    """On PostgreSQL, commit this transaction (an attempt's outcome) without waiting for the WAL flush.

    Safe because of the lease: if the database crashes before the outcome reaches the disk, the
    row is found again as ``sending`` under this worker's claim; when the lease runs out another
    worker takes it over as in doubt and asks Twilio before sending. The claim itself (committed
    before Twilio is called) is always a normal, durable commit. This takes the disk flush out of
    every message's path (docs/outbox.md, "Commits").
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL synchronous_commit = off"))


def _learn(message: OutboundMessage, learnt: dict[str, object]) -> None:
    """Set what an attempt taught; a SID or a sent time already recorded (by a callback) stays."""
    for name, value in learnt.items():
        if name in ("provider_id", "sent_at") and getattr(message, name) is not None:
            continue
        setattr(message, name, value)


class _Listener:
    """PostgreSQL LISTEN on the outbox channel, on a connection of its own (autocommit)."""

    def __init__(self, connection: object) -> None:
        self.connection = connection

    @classmethod
    def open(cls) -> _Listener | None:
        engine = db.engine
        if engine.dialect.name != "postgresql":
            return None
        import psycopg

        from . import NOTIFY_CHANNEL

        url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        try:
            connection = psycopg.connect(url, autocommit=True)
            connection.execute(f"LISTEN {NOTIFY_CHANNEL}")
        except psycopg.Error as error:
            log.warning("worker: LISTEN failed (%s); polling instead", type(error).__name__)
            return None
        return cls(connection)

    def wait(self, timeout: float) -> bool:
        """``True`` at the first notification, ``False`` after ``timeout`` seconds without one."""
        try:
            for _notify in self.connection.notifies(timeout=timeout, stop_after=1):  # type: ignore[attr-defined]
                return True
        except Exception as error:  # noqa: BLE001 - a broken listener only means polling
            log.warning("worker: LISTEN broke (%s)", type(error).__name__)
            time.sleep(timeout)
        return False

    def close(self) -> None:
        try:
            self.connection.close()  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001, S110 - closing on the way out
            pass


def drain(app: Flask, worker_id: str = "drain") -> int:
    """Send everything due now, in this process (``flask worker --once``; tests)."""
    return Worker(app, worker_id).run(once=True)
