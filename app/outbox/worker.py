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
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import func, select, update
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..models.message import (
    EXPIRED,
    FAILED,
    QUEUED,
    SENDING,
    SENT,
    UNKNOWN,
    OutboundMessage,
    WorkerHeartbeat,
)
from ..models.types import utcnow
from ..sms import get_sender
from ..sms.base import IN_DOUBT, SmsError
from . import callback_url, real_body, validity_seconds
from .rules import FORGET_NUMBER_KINDS, advance, cancel_reason, mark_number

log = logging.getLogger("app.outbox")

LOOKUP_SKEW = timedelta(minutes=2)
"""Look this far before the first attempt when asking Twilio: clocks differ."""
HEARTBEAT_EVERY = 5.0

JobRunner = Callable[["Worker"], bool]
JOB_RUNNERS: list[JobRunner] = []
"""Other work the worker takes from job rows (the DUO import): each call does one unit, or
returns ``False`` when there is none. Registered with :func:`job_runner`."""


def job_runner(run: JobRunner) -> JobRunner:
    """Register ``run`` to be called by every worker loop."""
    if run not in JOB_RUNNERS:
        JOB_RUNNERS.append(run)
    return run


class Worker:
    """One worker process's loop. ``worker_id`` names it in claims and heartbeats."""

    def __init__(self, app: Flask, worker_id: str | None = None) -> None:
        self.app = app
        self.worker_id = worker_id or f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"
        self.stopping = False
        self.sent = 0
        self._last_beat = 0.0
        self._in_hand: list[int] = []

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
            listener = _Listener.open(self.app) if not once else None
            try:
                while not self.stopping:
                    self.heartbeat()
                    busy = self.step()
                    for run_job in JOB_RUNNERS:
                        if self.stopping:
                            break
                        busy = run_job(self) or busy
                    if max_seconds is not None and time.monotonic() - started >= max_seconds:
                        break
                    if busy:
                        continue
                    if once:
                        break
                    self.idle(listener)
            finally:
                self.release()
                self.heartbeat(stopped=True)
                if listener is not None:
                    listener.close()
                db.session.remove()
        return self.sent

    def idle(self, listener: _Listener | None) -> None:
        """Wait for work: a NOTIFY (PostgreSQL), or a short poll when priority rows may come."""
        config = self.app.config
        if listener is not None:
            listener.wait(config["OUTBOX_POLL_SECONDS"])
        else:
            time.sleep(config["OUTBOX_PRIORITY_POLL_SECONDS"])

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
        while self._in_hand and not self.stopping:
            message_id = self._in_hand[0]
            try:
                self.process(message_id)
            except SQLAlchemyError as error:
                # The database went away mid-message: the lease runs out and another worker (or
                # this one, later) takes the row over, asking Twilio first.
                db.session.rollback()
                log.warning("worker %s: message %s: %s", self.worker_id, message_id, type(error).__name__)
            self._in_hand.pop(0)
        return bool(claimed)

    def claim(self) -> list[int]:
        """Claim due rows (and rows whose worker's lease ran out) for this worker; committed."""
        config = self.app.config
        now = utcnow()
        lease = now + timedelta(seconds=config["OUTBOX_LEASE_SECONDS"])
        batch = config["OUTBOX_BATCH"]
        postgres = db.session.get_bind().dialect.name == "postgresql"

        stale = (
            select(OutboundMessage.id)
            .where(OutboundMessage.status == SENDING, OutboundMessage.lease_until < now)
            .order_by(OutboundMessage.lease_until)
            .limit(batch)
        )
        due = (
            select(OutboundMessage.id)
            .where(OutboundMessage.status == QUEUED, OutboundMessage.next_attempt_at <= now)
            .order_by(OutboundMessage.priority.desc(), OutboundMessage.next_attempt_at)
            .limit(batch)
        )
        if postgres:
            stale, due = stale.with_for_update(skip_locked=True), due.with_for_update(skip_locked=True)
        # A dead worker's rows: it may have sent them, so they are in doubt.
        taken_over = db.session.scalars(
            update(OutboundMessage)
            .where(OutboundMessage.id.in_(stale.scalar_subquery()), OutboundMessage.status == SENDING)
            .values(claimed_by=self.worker_id, lease_until=lease, in_doubt=True)
            .returning(OutboundMessage.id)
            .execution_options(synchronize_session=False)
        ).all()
        fresh = db.session.scalars(
            update(OutboundMessage)
            .where(OutboundMessage.id.in_(due.scalar_subquery()), OutboundMessage.status == QUEUED)
            .values(
                status=SENDING,
                claimed_by=self.worker_id,
                lease_until=lease,
                attempts=OutboundMessage.attempts + 1,
                attempted_at=func.coalesce(OutboundMessage.attempted_at, now),
            )
            .returning(OutboundMessage.id)
            .execution_options(synchronize_session=False)
        ).all()
        db.session.commit()
        if taken_over:
            log.info("worker %s: took over %d rows of a worker that stopped", self.worker_id, len(taken_over))
        return [*taken_over, *fresh]

    def release(self) -> None:
        """Give back rows claimed but not yet tried (on SIGTERM): another worker sends them."""
        if not self._in_hand:
            return
        try:
            db.session.execute(
                update(OutboundMessage)
                .where(
                    OutboundMessage.id.in_(self._in_hand),
                    OutboundMessage.claimed_by == self.worker_id,
                    OutboundMessage.status == SENDING,
                    OutboundMessage.in_doubt.is_(False),
                )
                .values(status=QUEUED, claimed_by=None, lease_until=None, attempts=OutboundMessage.attempts - 1)
                .execution_options(synchronize_session=False)
            )
            db.session.commit()
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
        now = utcnow()
        if message.expires_at <= now:
            self.finish(message, EXPIRED if not message.in_doubt else UNKNOWN, detail="expired")
            return
        reason = cancel_reason(message)
        if reason is not None:
            self.finish(message, "cancelled", detail=reason)
            return
        body = real_body(message)
        if body is None:
            self.finish(message, FAILED, error_code="secret", detail="secret_unreadable")
            return
        if message.in_doubt and not self.resolve_doubt(message, body, now):
            return
        self.send(message, body, now)

    def resolve_doubt(self, message: OutboundMessage, body: str, now: datetime) -> bool:
        """Ask the provider whether an earlier attempt got through; ``True`` when it is safe to send."""
        since = (message.attempted_at or message.created_at) - LOOKUP_SKEW
        try:
            found = get_sender().find_sent(message.to_phone, since, body)
        except SmsError as error:
            if message.attempts > self.app.config["OUTBOX_LOOKUP_TRIES"]:
                self.finish(message, UNKNOWN, error_code=error.code, detail="lookup_failed")
            else:
                self.retry(message, now, detail="lookup_failed")
            return False
        if found is not None:
            message.provider_id = message.provider_id or found.provider_id
            message.provider_status, message.provider_status_at = found.status, now
            self.finish(message, SENT, detail="found_at_provider")
            return False
        message.in_doubt = False
        return True

    def send(self, message: OutboundMessage, body: str, now: datetime) -> None:
        """Call the provider once; record the outcome (sent, retry later, or failed for good)."""
        try:
            result = get_sender().send(
                message.to_phone,
                body,
                validity_seconds=validity_seconds(message, now),
                status_callback=callback_url(message),
            )
        except SmsError as error:
            message.error_code, message.error_at = error.code or error.kind, utcnow()
            if error.kind == IN_DOUBT:
                message.in_doubt = True
                self.retry(message, now, detail="in_doubt", error_code=message.error_code)
            elif error.permanent:
                mark_number(message, error.code)
                self.finish(message, FAILED, error_code=message.error_code, detail="permanent")
            else:
                self.retry(message, now, retry_after=error.retry_after, error_code=message.error_code)
            log.info("outbox %s: %s (%s)", message.id, error.kind, error.code or "-")
            return
        message.provider_id = result.provider_id
        message.provider_status, message.provider_status_at = result.status, utcnow()
        message.sent_at = utcnow()
        self.sent += 1
        self.finish(message, SENT)

    def retry(
        self,
        message: OutboundMessage,
        now: datetime,
        *,
        retry_after: float | None = None,
        detail: str | None = None,
        error_code: str | None = None,
    ) -> None:
        """Back to the queue, due after a backoff with jitter; or expired when that is too late."""
        config = self.app.config
        backoff = min(
            config["OUTBOX_RETRY_MAX_SECONDS"], config["OUTBOX_RETRY_BASE_SECONDS"] * 2 ** (message.attempts - 1)
        )
        delay = max(random.uniform(backoff / 2, backoff), retry_after or 0)  # noqa: S311 - jitter, not a secret
        due = now + timedelta(seconds=delay)
        if due >= message.expires_at:
            self.finish(message, UNKNOWN if message.in_doubt else EXPIRED, error_code=error_code, detail="no_time_left")
            return
        message.next_attempt_at = due
        message.claimed_by = message.lease_until = None
        advance(message, QUEUED, "worker", error_code=error_code, detail=detail or f"retry_in_{int(delay)}s")
        db.session.commit()

    def finish(
        self, message: OutboundMessage, status: str, *, error_code: str | None = None, detail: str | None = None
    ) -> None:
        """Give a message its state after this attempt; the secret is wiped once it cannot be sent again."""
        message.claimed_by = message.lease_until = None
        if status != QUEUED:
            message.secret_sealed = None
            if message.kind in FORGET_NUMBER_KINDS:
                message.to_phone = ""  # an answer to a number nobody knows: keep nothing of it
        advance(message, status, "worker", error_code=error_code, detail=detail)
        db.session.commit()


class _Listener:
    """PostgreSQL LISTEN on the outbox channel, on a connection of its own (autocommit)."""

    def __init__(self, connection: object) -> None:
        self.connection = connection

    @classmethod
    def open(cls, app: Flask) -> _Listener | None:
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

    def wait(self, timeout: float) -> None:
        """Return at the first notification, or after ``timeout`` seconds."""
        try:
            for _notify in self.connection.notifies(timeout=timeout, stop_after=1):  # type: ignore[attr-defined]
                break
        except Exception as error:  # noqa: BLE001 - a broken listener only means polling
            log.warning("worker: LISTEN broke (%s)", type(error).__name__)
            time.sleep(timeout)

    def close(self) -> None:
        try:
            self.connection.close()  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001, S110 - closing on the way out
            pass


def drain(app: Flask, worker_id: str = "drain") -> int:
    """Send everything due now, in this process (``flask worker --once``; tests)."""
    return Worker(app, worker_id).run(once=True)
