"""The outbox worker under faults: the real worker code, the real Twilio sender and SDK, the fake Twilio over HTTP.

Every test here runs on SQLite and on PostgreSQL (``TEST_DATABASE_URL``). The ones with several
processes are in test_outbox_processes.py (PostgreSQL only).
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import create_engine, func, select, text, update

from app.extensions import db
from app.models import Newcomer
from app.models.message import (
    ALL,
    CODES,
    NOTICES,
    REMINDERS,
    OutboundEvent,
    OutboundMessage,
    SmsOptOut,
    WorkerHeartbeat,
)
from app.models.types import utcnow
from app.outbox import queue_sms, real_body
from app.outbox.rules import advance, cancel_when
from app.outbox.worker import Worker, drain
from app.sms import get_sender
from tests.conftest import Person, csrf_token
from tests.fake_twilio import FakeTwilio, start

SID = "AC" + "0" * 32  # made-up ids of the right shape
SERVICE = "MG" + "1" * 32
TOKEN = "token"  # noqa: S105 - the fake's auth token
CLIENT_TIMEOUT = 0.4
"""The Twilio client's read time-out in these tests; the fake holds a late answer longer."""


@pytest.fixture
def twilio():
    fake = start(FakeTwilio(auth_token=TOKEN, hold_seconds=CLIENT_TIMEOUT + 0.6))
    yield fake
    fake.stop()


@pytest.fixture
def outbox_app(make_app, twilio) -> Flask:
    """The app with the real Twilio sender and SDK, talking to the fake over HTTP."""
    return make_app(
        SMS_BACKEND="twilio",
        TWILIO_ACCOUNT_SID=SID,
        TWILIO_AUTH_TOKEN=TOKEN,
        TWILIO_MESSAGING_SERVICE_SID=SERVICE,
        TWILIO_HTTP_CLIENT=twilio.http_client(timeout=CLIENT_TIMEOUT),
        TWILIO_TIMEOUT_SECONDS=1,
        OUTBOX_LEASE_SECONDS=30,
        OUTBOX_LOOKUP_TRIES=3,
    )


_serial = iter(range(1, 10**6))


def queue(
    app: Flask,
    person: Person,
    words: str = "bericht",
    *,
    kind: str = "test_notice",
    category: str = NOTICES,
    key: str | None = None,
    secret: str = "",
    expires_in: timedelta = timedelta(hours=1),
    priority: int | None = None,
) -> int:
    """Queue one message to ``person`` (committed); its id. Every body is different."""
    number = next(_serial)
    with app.app_context():
        newcomer = db.session.get(Newcomer, person.id)
        message = queue_sms(
            to=newcomer.phone,
            kind=kind,
            category=category,
            locale="nl",
            write=lambda s: f"Gemeente Hoorn: {words} {number} {s}".strip(),
            secret=secret,
            newcomer_id=newcomer.id,
            municipality_id=newcomer.municipality_id,
            key=key or f"test:{number}",
            expires_at=utcnow() + expires_in,
            priority=priority,
        )
        db.session.commit()
        return message.id


def row(app: Flask, message_id: int) -> OutboundMessage:
    """The message as the database has it now (detached, events loaded)."""
    with app.app_context():
        message = db.session.get(OutboundMessage, message_id)
        _ = message.events
        db.session.expunge_all()
        return message


def body_of(app: Flask, message_id: int) -> str:
    with app.app_context():
        return real_body(db.session.get(OutboundMessage, message_id))


def make_due(app: Flask, *message_ids: int) -> None:
    """As if the backoff had passed."""
    with app.app_context():
        db.session.execute(
            update(OutboundMessage).where(OutboundMessage.id.in_(message_ids)).values(next_attempt_at=utcnow())
        )
        db.session.commit()


def details(message: OutboundMessage) -> list[str | None]:
    return [event.detail for event in message.events]


# -- queueing --------------------------------------------------------------------------------------


def test_the_same_cause_queued_twice_is_one_row(outbox_app, newcomer, twilio):
    first = queue(outbox_app, newcomer, key="invitation:invitation:17")
    second = queue(outbox_app, newcomer, "another text", key="invitation:invitation:17")
    assert first == second
    assert drain(outbox_app) == 1
    assert drain(outbox_app) == 0
    assert len(twilio.received) == 1
    with outbox_app.app_context():
        assert db.session.scalar(select(func.count(OutboundMessage.id))) == 1


def test_the_same_cause_queued_in_parallel_is_one_row(outbox_app, newcomer):
    """Eight transactions queue the same cause at once (each holds its insert open a moment): one row."""
    threads, ids, errors = 8, [], []
    barrier = threading.Barrier(threads)

    def queue_in_a_transaction() -> None:
        try:
            with outbox_app.app_context():
                newcomer_row = db.session.get(Newcomer, newcomer.id)
                barrier.wait(timeout=10)
                message = queue_sms(
                    to=newcomer_row.phone,
                    kind="invitation",
                    category=NOTICES,
                    locale="nl",
                    write=lambda s: f"Gemeente Hoorn: welkom {s}",
                    secret="https://x.example/i/abc",
                    newcomer_id=newcomer_row.id,
                    cause=("invitation", 99),
                )
                time.sleep(0.2)  # the others' inserts now wait for this transaction
                db.session.commit()
                ids.append(message.id)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(repr(error))

    workers = [threading.Thread(target=queue_in_a_transaction) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    assert errors == []
    assert len(ids) == threads
    assert len(set(ids)) == 1
    with outbox_app.app_context():
        assert db.session.scalar(select(func.count(OutboundMessage.id))) == 1
        assert db.session.scalar(select(func.count(OutboundEvent.id))) == 1  # one 'queued' line


# -- the claim -------------------------------------------------------------------------------------


def test_the_claim_is_committed_before_twilio_is_called(outbox_app, newcomer, twilio, database_url):
    """While the fake holds the request, another connection already reads the row as 'sending'."""
    message_id = queue(outbox_app, newcomer)
    seen = []
    other = create_engine(database_url)
    COLUMNS = "status, claimed_by, lease_until IS NOT NULL, attempts"  # noqa: N806

    def look(_form: dict) -> None:
        with other.connect() as connection:
            seen.append(
                connection.execute(
                    text(f"SELECT {COLUMNS} FROM outbound_messages WHERE id = :id"),  # noqa: S608
                    {"id": message_id},
                ).one()
            )

    twilio.on_send = look
    try:
        assert drain(outbox_app, "worker-a") == 1
    finally:
        other.dispose()
    assert [tuple(r) for r in seen] == [("sending", "worker-a", True, 1)]
    message = row(outbox_app, message_id)
    assert (message.status, message.claimed_by, message.lease_until) == ("sent", None, None)


def test_rows_another_worker_holds_are_left_alone(outbox_app, newcomer, twilio):
    message_id = queue(outbox_app, newcomer)
    with outbox_app.app_context():
        assert [c.id for c in Worker(outbox_app, "busy-worker").claim()] == [message_id]
    assert drain(outbox_app, "other") == 0  # its lease still runs: nobody else touches it
    assert twilio.received == []
    assert row(outbox_app, message_id).claimed_by == "busy-worker"


# -- temporary errors ------------------------------------------------------------------------------


def test_temporary_errors_retry_with_backoff_and_jitter(outbox_app, make_newcomer, twilio):
    people = [make_newcomer(phone=f"+3161100000{n}") for n in range(6)]
    ids = [queue(outbox_app, person) for person in people]
    twilio.reply = 20503
    base = outbox_app.config["OUTBOX_RETRY_BASE_SECONDS"]
    before = utcnow()
    drain(outbox_app)
    first = [row(outbox_app, i) for i in ids]
    assert {m.status for m in first} == {"queued"}
    assert {m.error_code for m in first} == {"20503"}
    delays = [(m.next_attempt_at - before).total_seconds() for m in first]
    assert all(base / 2 - 1 <= d <= base + 1 for d in delays)
    assert len({round(d, 3) for d in delays}) > 1  # jitter: not all at the same moment
    make_due(outbox_app, *ids)
    before = utcnow()
    drain(outbox_app)
    second = [row(outbox_app, i) for i in ids]
    assert {m.attempts for m in second} == {2}
    assert all(base - 1 <= (m.next_attempt_at - before).total_seconds() <= 2 * base + 1 for m in second)  # doubled
    twilio.reply = 30003  # the handset is off: temporary too
    make_due(outbox_app, *ids)
    drain(outbox_app)
    assert {row(outbox_app, i).status for i in ids} == {"queued"}
    twilio.reply = "ok"
    make_due(outbox_app, *ids)
    drain(outbox_app)
    assert {row(outbox_app, i).status for i in ids} == {"sent"}
    assert sum(twilio.counts().values()) == len(ids)  # each accepted once, after 3 refusals each
    assert len(twilio.received) == 4 * len(ids)


def test_429_waits_at_least_its_retry_after(outbox_app, newcomer, twilio):
    message_id = queue(outbox_app, newcomer)
    twilio.rate_limited, twilio.retry_after = 1, 500
    before = utcnow()
    drain(outbox_app)
    message = row(outbox_app, message_id)
    assert (message.status, message.error_code) == ("queued", "20429")
    assert (message.next_attempt_at - before).total_seconds() >= 500


def test_retrying_stops_at_the_expiry(outbox_app, newcomer, twilio):
    message_id = queue(outbox_app, newcomer, expires_in=timedelta(seconds=10))
    twilio.reply = 20500
    drain(outbox_app)  # the next try (15-30 s) would come after the expiry
    message = row(outbox_app, message_id)
    assert message.status == "expired"
    assert details(message)[-1] == "no_time_left"
    assert twilio.count(body_of(outbox_app, message_id) or "") == 0
    assert message.secret_sealed is None


# -- permanent errors ------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["21211", "21408", "21610", "21612", "21614", "30004", "30005", "30006"])
def test_permanent_errors_never_retry_and_mark_the_number(outbox_app, newcomer, twilio, code):
    message_id = queue(outbox_app, newcomer)
    twilio.reply_for[newcomer.phone] = int(code)
    drain(outbox_app)
    make_due(outbox_app, message_id)
    drain(outbox_app)
    message = row(outbox_app, message_id)
    assert (message.status, message.error_code) == ("failed", code)
    assert len(twilio.received) == 1  # never again
    with outbox_app.app_context():
        person = db.session.get(Newcomer, newcomer.id)
        opt_outs = db.session.scalars(select(SmsOptOut).where(SmsOptOut.newcomer_id == newcomer.id)).all()
        if code == "21610":  # Twilio's STOP list: an opt-out of everything
            assert [(o.category, o.source) for o in opt_outs] == [(ALL, "twilio")]
            assert person.sms_unreachable_code is None
        else:
            assert opt_outs == []
            assert person.sms_unreachable_code == code
            assert person.sms_unreachable_at is not None


def test_an_opted_out_number_gets_its_codes_but_no_notices(outbox_app, newcomer, twilio):
    twilio.reply_for[newcomer.phone] = 21610
    queue(outbox_app, newcomer)
    drain(outbox_app)
    twilio.reply_for.clear()
    notice = queue(outbox_app, newcomer)
    code = queue(outbox_app, newcomer, "code", kind="test_code", category=CODES, secret="123456")
    drain(outbox_app)
    assert (row(outbox_app, notice).status, row(outbox_app, notice).cancel_reason) == ("cancelled", "opted_out")
    assert row(outbox_app, code).status == "sent"


# -- in doubt --------------------------------------------------------------------------------------


def test_a_time_out_after_twilio_accepted_is_looked_up_not_sent_again(outbox_app, newcomer, twilio):
    message_id = queue(outbox_app, newcomer, "code", kind="test_code", category=CODES, secret="654321")
    body = body_of(outbox_app, message_id)
    twilio.accept_timeout_next = 1
    drain(outbox_app)
    message = row(outbox_app, message_id)
    assert (message.status, message.in_doubt) == ("queued", True)
    assert details(message)[-1] == "in_doubt"
    assert message.secret_sealed is not None  # still needed: to compare bodies
    make_due(outbox_app, message_id)
    drain(outbox_app)
    message = row(outbox_app, message_id)
    assert message.status == "sent"
    assert details(message)[-1] == "found_at_provider"
    assert message.provider_id == twilio.accepted[0]["sid"]
    assert len(twilio.received) == 1  # no second send
    assert twilio.count(body) == 1
    assert [q["To"] for q in twilio.lists] == [newcomer.phone]
    assert "DateSent>" in twilio.lists[0]
    assert message.secret_sealed is None


def test_a_time_out_twilio_did_not_accept_is_sent_once_after_the_lookup(outbox_app, newcomer, twilio):
    message_id = queue(outbox_app, newcomer)
    body = body_of(outbox_app, message_id)
    twilio.reply, twilio.delay = 20500, CLIENT_TIMEOUT + 0.5  # refused, but too late to hear it
    drain(outbox_app)
    assert row(outbox_app, message_id).in_doubt is True
    twilio.reply, twilio.delay = "ok", 0
    make_due(outbox_app, message_id)
    drain(outbox_app)
    message = row(outbox_app, message_id)
    assert (message.status, message.in_doubt) == ("sent", False)
    assert len(twilio.lists) == 1  # asked first
    assert twilio.count(body) == 1


def test_a_lookup_that_keeps_failing_ends_unknown(outbox_app, newcomer, twilio):
    message_id = queue(outbox_app, newcomer)
    twilio.accept_timeout_next = 1
    drain(outbox_app)
    twilio.list_reply = 20500
    tries = outbox_app.config["OUTBOX_LOOKUP_TRIES"]
    for _ in range(tries):
        make_due(outbox_app, message_id)
        drain(outbox_app)
    message = row(outbox_app, message_id)
    assert message.status == "unknown"
    assert details(message).count("lookup_failed") == tries
    assert len(twilio.lists) == tries
    assert len(twilio.received) == 1  # never sent again blindly
    make_due(outbox_app, message_id)
    assert drain(outbox_app) == 0  # final for the worker: shown on the queue page


def _claimed_by_a_worker_that_died(app: Flask, message_id: int, *, it_sent: bool) -> None:
    with app.app_context():
        assert [c.id for c in Worker(app, "dead-worker").claim()] == [message_id]
        if it_sent:  # its request got through before it died
            message = db.session.get(OutboundMessage, message_id)
            get_sender().send(message.to_phone, real_body(message))
        db.session.execute(
            update(OutboundMessage)
            .where(OutboundMessage.id == message_id)
            .values(lease_until=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()


@pytest.mark.parametrize("it_sent", [True, False])
def test_a_dead_workers_row_is_taken_over_and_looked_up_first(outbox_app, newcomer, twilio, it_sent):
    message_id = queue(outbox_app, newcomer)
    body = body_of(outbox_app, message_id)
    _claimed_by_a_worker_that_died(outbox_app, message_id, it_sent=it_sent)
    drain(outbox_app, "survivor")
    message = row(outbox_app, message_id)
    assert message.status == "sent"
    assert "lease_expired" in details(message)
    assert len(twilio.lists) == 1  # asked before anything else
    assert twilio.count(body) == 1  # once, whether the dead worker's request got through or not
    assert details(message)[-1] == ("found_at_provider" if it_sent else None)


def test_an_expired_row_in_doubt_is_still_looked_up(outbox_app, newcomer, twilio):
    message_id = queue(outbox_app, newcomer, expires_in=timedelta(seconds=30))
    twilio.accept_timeout_next = 1
    drain(outbox_app)
    with outbox_app.app_context():
        db.session.execute(
            update(OutboundMessage)
            .where(OutboundMessage.id == message_id)
            .values(expires_at=utcnow() - timedelta(seconds=1), next_attempt_at=utcnow())
        )
        db.session.commit()
    drain(outbox_app)
    assert row(outbox_app, message_id).status == "sent"  # it was sent in time, not expired
    assert len(twilio.received) == 1


# -- expiry and cancellation -----------------------------------------------------------------------


def test_expired_rows_are_expired_without_sending(outbox_app, newcomer, twilio):
    message_id = queue(outbox_app, newcomer, secret="geheim")
    with outbox_app.app_context():
        db.session.execute(
            update(OutboundMessage)
            .where(OutboundMessage.id == message_id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
    assert drain(outbox_app) == 0
    message = row(outbox_app, message_id)
    assert (message.status, message.secret_sealed) == ("expired", None)
    assert twilio.received == []


_GONE: set[int] = set()


@cancel_when("test_reminder")
def _appointment_gone(message: OutboundMessage) -> str | None:
    return "appointment_moved" if message.cause_id in _GONE else None


def test_a_message_whose_cause_went_away_is_cancelled_at_send_time(outbox_app, newcomer, twilio):
    with outbox_app.app_context():
        person = db.session.get(Newcomer, newcomer.id)
        ids = []
        for appointment in (501, 502):
            ids.append(
                queue_sms(
                    to=person.phone,
                    kind="test_reminder",
                    category=REMINDERS,
                    locale="nl",
                    write=lambda s, a=appointment: f"Gemeente Hoorn: afspraak {a}",
                    newcomer_id=person.id,
                    cause=("appointment", appointment),
                ).id
            )
        db.session.commit()
    _GONE.add(501)  # moved after the reminder was queued
    try:
        drain(outbox_app)
    finally:
        _GONE.clear()
    moved, kept = row(outbox_app, ids[0]), row(outbox_app, ids[1])
    assert (moved.status, moved.cancel_reason) == ("cancelled", "appointment_moved")
    assert kept.status == "sent"
    assert [r["Body"] for r in twilio.received] == ["Gemeente Hoorn: afspraak 502"]


@pytest.mark.parametrize("change", ["opted_out_of_category", "opted_out_of_all", "number_changed", "file_erased"])
def test_opt_outs_and_changed_files_cancel_at_send_time(outbox_app, newcomer, twilio, change):
    message_id = queue(outbox_app, newcomer, category=REMINDERS)
    with outbox_app.app_context():
        person = db.session.get(Newcomer, newcomer.id)
        if change == "opted_out_of_category":
            db.session.add(SmsOptOut(newcomer_id=person.id, category=REMINDERS, source="sms"))
        elif change == "opted_out_of_all":
            db.session.add(SmsOptOut(newcomer_id=person.id, category=ALL, source="sms"))
        elif change == "number_changed":
            person.phone = "+31699999999"
        else:
            person.phone = f"erased-{person.id}"
        db.session.commit()
    drain(outbox_app)
    expected = {"number_changed": "number_changed", "file_erased": "file_erased"}.get(change, "opted_out")
    message = row(outbox_app, message_id)
    assert (message.status, message.cancel_reason) == ("cancelled", expected)
    assert twilio.received == []


# -- forward only ----------------------------------------------------------------------------------


def test_status_only_moves_forward(outbox_app, newcomer):
    message_id = queue(outbox_app, newcomer)
    drain(outbox_app)
    with outbox_app.app_context():
        message = db.session.get(OutboundMessage, message_id)
        assert advance(message, "delivered", "twilio") is True
        db.session.commit()
        assert advance(message, "sent", "twilio") is False  # a late 'sent' callback
        assert advance(message, "queued", "staff") is False
        db.session.commit()
        assert db.session.get(OutboundMessage, message_id).status == "delivered"
        other = db.session.get(OutboundMessage, queue(outbox_app, newcomer))
        other.status = "sent"
        db.session.commit()
        assert advance(other, "unknown", "worker") is False  # 'sent' is known better than 'unknown'
        db.session.commit()
        assert db.session.get(OutboundMessage, other.id).status == "sent"


def test_advance_reads_the_status_as_it_is_now_not_as_it_was_read(outbox_app, newcomer, database_url):
    """A session holding an old copy of the row cannot move it back over a newer status."""
    message_id = queue(outbox_app, newcomer)
    drain(outbox_app)
    with outbox_app.app_context():
        stale = db.session.get(OutboundMessage, message_id)
        assert stale.status == "sent"
        db.session.commit()
        db.session.refresh(stale)
        other = create_engine(database_url)
        with other.begin() as connection:  # meanwhile, in another process: delivered
            connection.execute(
                text("UPDATE outbound_messages SET status = 'delivered' WHERE id = :id"), {"id": message_id}
            )
        other.dispose()
        assert advance(stale, "sent", "worker") is False
        db.session.commit()
    assert row(outbox_app, message_id).status == "delivered"


def test_a_callback_that_comes_before_twilios_answer_is_not_undone(make_app, newcomer, twilio):
    """Twilio may post 'delivered' before its answer to the send reaches the worker."""
    outbox_app = make_app(  # a read time-out that leaves room for the callback's work on a busy machine
        SMS_BACKEND="twilio",
        TWILIO_ACCOUNT_SID=SID,
        TWILIO_AUTH_TOKEN=TOKEN,
        TWILIO_MESSAGING_SERVICE_SID=SERVICE,
        TWILIO_HTTP_CLIENT=twilio.http_client(timeout=15),
        TWILIO_TIMEOUT_SECONDS=15,
        OUTBOX_LEASE_SECONDS=30,
    )
    message_id = queue(outbox_app, newcomer)

    def deliver(url: str, form: dict, _headers: dict) -> int:
        token = url.split("m=", 1)[1]
        with outbox_app.app_context():
            message = db.session.scalar(select(OutboundMessage).where(OutboundMessage.callback_token == token))
            advance(message, "delivered" if form["MessageStatus"] == "delivered" else "sent", "twilio")
            db.session.commit()
        return 200

    twilio.callbacks, twilio.callback_statuses, twilio.deliver_callback = True, ("delivered",), deliver
    twilio.answer_after_callbacks = True  # the answer comes after the callback, certainly
    drain(outbox_app)
    twilio.wait_for_callbacks()
    message = row(outbox_app, message_id)
    assert message.status == "delivered"
    assert message.provider_id == twilio.accepted[0]["sid"]  # what the worker learnt is kept
    assert message.claimed_by is None


def test_the_fakes_signed_callbacks_reach_the_status_webhook_over_http(make_app, twilio, newcomer):
    """The whole loop over HTTP: the worker sends, the fake posts signed callbacks to the app's webhook."""
    from werkzeug.serving import make_server

    app = make_app(
        SMS_BACKEND="twilio",
        TWILIO_ACCOUNT_SID=SID,
        TWILIO_AUTH_TOKEN=TOKEN,
        TWILIO_MESSAGING_SERVICE_SID=SERVICE,
        TWILIO_HTTP_CLIENT=twilio.http_client(timeout=2),
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    app.config["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{server.port}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    twilio.callbacks = True  # 'sent', then 'delivered', signed with the fake's auth token
    try:
        message_id = queue(app, newcomer)
        assert drain(app) == 1
        twilio.wait_for_callbacks()
        twilio.callback_signing_token = "not-the-token"  # a forged callback changes nothing
        twilio.callback_statuses = ("undelivered",)
        forged = queue(app, newcomer)
        drain(app)
        twilio.wait_for_callbacks()
    finally:
        server.shutdown()
    assert [(status, answered) for _, status, answered in twilio.callback_results] == [
        ("sent", 200),
        ("delivered", 200),
        ("undelivered", 403),
    ]
    assert row(app, message_id).status == "delivered"
    assert row(app, forged).status == "sent"


# -- what Twilio is told ---------------------------------------------------------------------------


def test_validity_period_and_status_callback_are_sent(outbox_app, newcomer, twilio):
    message_id = queue(outbox_app, newcomer, expires_in=timedelta(minutes=10))
    drain(outbox_app)
    request = twilio.received[0]
    message = row(outbox_app, message_id)
    assert 590 <= int(request["ValidityPeriod"]) <= 600
    assert request["StatusCallback"] == f"http://127.0.0.1:5000/sms/twilio/status?m={message.callback_token}"
    assert len(message.callback_token) >= 32  # unguessable
    assert request["MessagingServiceSid"] == SERVICE
    long_lived = queue(outbox_app, newcomer, expires_in=timedelta(days=3))
    drain(outbox_app)
    assert twilio.received[-1]["ValidityPeriod"] == "36000"  # Twilio's maximum
    assert row(outbox_app, long_lived).status == "sent"


# -- priority and latency --------------------------------------------------------------------------


def test_login_codes_go_before_a_hundred_queued_notices(outbox_app, make_newcomer, twilio):
    person = make_newcomer(language="en")
    for _ in range(100):
        queue(outbox_app, person)
    client = outbox_app.test_client()
    page = client.get("/login")
    assert client.post("/login", data={"csrf_token": csrf_token(page.text), "phone": person.phone}).status_code == 302
    assert drain(outbox_app) == 101
    assert "code" in twilio.received[0]["Body"]
    assert all("bericht" in r["Body"] for r in twilio.received[1:])


def test_a_code_queued_during_a_batch_goes_before_the_rest_of_it(make_app, twilio, make_newcomer):
    app = make_app(
        SMS_BACKEND="twilio",
        TWILIO_ACCOUNT_SID=SID,
        TWILIO_AUTH_TOKEN=TOKEN,
        TWILIO_MESSAGING_SERVICE_SID=SERVICE,
        TWILIO_HTTP_CLIENT=twilio.http_client(timeout=2),
        OUTBOX_BATCH=20,
        OUTBOX_PRIORITY_POLL_SECONDS=0,
    )
    person = make_newcomer(language="en")
    for _ in range(20):
        queue(app, person)
    queued_code = []

    def while_sending_the_first(_form: dict) -> None:
        if not queued_code:
            queued_code.append(queue(app, person, "code", kind="test_code", category=CODES, secret="112233"))

    twilio.on_send = while_sending_the_first
    assert drain(app) == 21
    assert "code" in twilio.received[1]["Body"]  # right after the message in hand, not after 19 more


def test_a_running_worker_sends_a_login_code_within_two_seconds(make_app, twilio, make_newcomer):
    """A worker process idling (LISTEN on PostgreSQL, a short poll on SQLite) gets a code to Twilio fast.

    The small version of bench/outbox.py's login measurement: one `flask worker` process, codes
    asked for with POST /login at odd moments of its wait.
    """
    from bench.outbox import login_latencies

    app = make_app(LOGIN_LIMIT_PER_IP="1000 per minute", LOGIN_LIMIT_PER_NUMBER="1000 per minute")
    people = [make_newcomer(language="en") for _ in range(2)]
    latencies = login_latencies(app, twilio, [p.phone for p in people], rounds=6)
    assert len(latencies) == 6
    assert max(latencies) < 2.0, latencies


# -- heartbeats, --once, SIGTERM -------------------------------------------------------------------


def test_a_worker_leaves_a_heartbeat(outbox_app, newcomer):
    queue(outbox_app, newcomer)
    queue(outbox_app, newcomer)
    assert drain(outbox_app, "beating-worker") == 2
    with outbox_app.app_context():
        beat = db.session.scalar(select(WorkerHeartbeat).where(WorkerHeartbeat.worker_id == "beating-worker"))
        assert (beat.pid, beat.sent_count) == (os.getpid(), 2)
        assert beat.stopped_at is not None
        assert beat.seen_at >= beat.started_at


def test_flask_worker_once_sends_what_is_due_and_exits(outbox_app, newcomer, twilio):
    for _ in range(3):
        queue(outbox_app, newcomer)
    later = queue(outbox_app, newcomer)
    with outbox_app.app_context():
        db.session.execute(
            update(OutboundMessage)
            .where(OutboundMessage.id == later)
            .values(next_attempt_at=utcnow() + timedelta(hours=1))
        )
        db.session.commit()
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        result = outbox_app.test_cli_runner().invoke(args=["worker", "--once"])
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    assert result.exit_code == 0, result.output
    assert "stopped; 3 sent" in result.output
    assert len(twilio.received) == 3
    assert row(outbox_app, later).status == "queued"  # not due yet: left for a later run


def start_worker(database_url: str, twilio: FakeTwilio, *args: str, **settings: str) -> subprocess.Popen:
    """A `flask --app wsgi worker` process: production settings, the real Twilio sender, the fake's URL."""
    from bench.outbox import start_worker as start_process

    return start_process(database_url, twilio.base_url, *args, **settings)


def test_sigterm_finishes_the_message_in_hand_and_releases_the_rest(outbox_app, newcomer, twilio, database_url):
    ids = [queue(outbox_app, newcomer) for _ in range(5)]
    twilio.delay = 1.5  # a slow Twilio: the worker is inside the first send when the signal comes
    worker = start_worker(database_url, twilio, TWILIO_TIMEOUT_SECONDS="5", OUTBOX_LEASE_SECONDS="60")
    try:
        deadline = time.monotonic() + 30
        while not twilio.received and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.02)
        assert twilio.received, worker.stderr.read() if worker.poll() is not None else "no request within 30 s"
        worker.send_signal(signal.SIGTERM)
        _, errors = worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert worker.returncode == 0, errors
    assert "stopped; 1 sent" in errors
    statuses = [row(outbox_app, i) for i in ids]
    assert [m.status for m in statuses].count("sent") == 1
    released = [m for m in statuses if m.status == "queued"]
    assert len(released) == 4
    assert all((m.claimed_by, m.lease_until, m.attempts) == (None, None, 0) for m in released)
    assert all(details(m)[-1] == "released" for m in released)
    assert len(twilio.received) == 1
    with outbox_app.app_context():
        beat = db.session.scalar(select(WorkerHeartbeat).where(WorkerHeartbeat.pid == worker.pid))
        assert beat.stopped_at is not None
    twilio.delay = 0
    assert drain(outbox_app) == 4  # another worker sends the rest


# -- the benchmarks, small ---------------------------------------------------------------------------


def test_the_outbox_bench_in_small(outbox_app, database_url, twilio):
    """bench/outbox.py's throughput run with 200 messages and 2 worker threads: none lost, none doubled."""
    from bench.outbox import run_batch

    if not database_url.startswith("postgresql"):
        pytest.skip("several workers share a queue on PostgreSQL only (one worker on SQLite)")
    result = run_batch(outbox_app, twilio, messages=200, workers=2)
    assert (result.lost, result.duplicates) == (0, 0)
    assert result.per_second > 0


def test_the_due_query_reads_the_due_index(outbox_app, database_url):
    """EXPLAIN of the worker's own due query: the partial index in its order, no sort, with history around it."""
    from bench.outbox import add_due, add_history, due_plan, prepare

    if not database_url.startswith("postgresql"):
        pytest.skip("EXPLAIN's plan is PostgreSQL's")
    with outbox_app.app_context():
        prepare()
        add_history(5000)
        add_due(2000, "plan")
        db.session.commit()
        db.session.execute(text("ANALYZE outbound_messages"))
        db.session.commit()
        plan = due_plan()
    assert plan["indexes"] == ["ix_outbound_due"], plan["summary"]
    assert plan["sorts"] == [], plan["summary"]  # read in the index's order: no sort of the due rows
    assert "next_attempt_at <=" in plan["index_cond"]


def test_login_timing_in_small():
    from bench.login_timing import measure

    known, unknown = measure(rounds=60)
    assert 0.5 < known / unknown < 2  # the real figure (1,000 rounds) is in docs/benchmarks.md
