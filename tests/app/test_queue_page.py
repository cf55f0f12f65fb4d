"""The beheerder's SMS queue page (retry and cancel, audited) and the outbox figures of /healthz."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Newcomer
from app.models.message import OutboundEvent, OutboundMessage, SmsOptOut, WorkerHeartbeat
from app.models.types import utcnow
from app.outbox import SECRET_MASK
from tests.conftest import csrf_token, sign_in, staff_sign_in

BODY = "Municipality of Hoorn: we received your intake. Thank you!"
SECRET_BODY = f"Municipality of Hoorn: your code is {SECRET_MASK}. Valid for 10 minutes. Do not share it."


def add_message(app, *, status="queued", kind="intake_received", newcomer_id=None, **fields) -> int:  # noqa: ANN001
    """An outbox row as the worker would have left it (times relative to now)."""
    now = utcnow()
    with app.app_context():
        newcomer = db.session.get(Newcomer, newcomer_id) if newcomer_id else None
        values = {
            "newcomer_id": newcomer_id,
            "municipality_id": newcomer.municipality_id if newcomer else None,
            "to_phone": newcomer.phone if newcomer else "+31612345699",
            "kind": kind,
            "category": "codes" if kind == "login_code" else "notices",
            "idempotency_key": f"{kind}:test:{secrets.token_hex(6)}",
            "locale": newcomer.language if newcomer else "en",
            "body": BODY,
            "status": status,
            "send_after": now - timedelta(minutes=1),
            "next_attempt_at": now - timedelta(minutes=1),
            "expires_at": now + timedelta(hours=72),
            "callback_token": secrets.token_urlsafe(24),
            "created_at": now - timedelta(minutes=2),
        }
        values.update(fields)
        message = OutboundMessage(**values)
        db.session.add(message)
        db.session.flush()
        db.session.add(OutboundEvent(message_id=message.id, at=values["created_at"], status="queued", source="app"))
        if status != "queued":
            db.session.add(
                OutboundEvent(
                    message_id=message.id, status=status, source="worker", error_code=values.get("error_code")
                )
            )
        db.session.commit()
        return message.id


def message(app, message_id: int) -> OutboundMessage:  # noqa: ANN001
    with app.app_context():
        row = db.session.get(OutboundMessage, message_id)
        db.session.expunge(row)
        return row


@pytest.fixture
def beheerder(client, make_staff):  # noqa: ANN001, ANN201
    """A client signed in as a beheerder (no municipalities: the queue is not per municipality)."""
    staff_sign_in(client, make_staff(role="beheerder", codes=()))
    return client


def confirm(client, path: str):  # noqa: ANN001, ANN201
    """Open the confirm page of ``path`` and press its button."""
    page = client.get(path)
    assert page.status_code == 200, page.text
    return client.post(path, data={"csrf_token": csrf_token(page.text)})


# -- the page ------------------------------------------------------------------------------------


def last_event(message_id: int) -> OutboundEvent:
    """The newest history entry of a message (in an app context)."""
    return db.session.scalars(
        select(OutboundEvent).where(OutboundEvent.message_id == message_id).order_by(OutboundEvent.id.desc()).limit(1)
    ).one()


def test_queue_page_shows_depth_oldest_due_sending_unknown_failures_and_workers(beheerder, app, newcomer):
    now = utcnow()
    add_message(app, newcomer_id=newcomer.id, next_attempt_at=now - timedelta(minutes=12))
    add_message(app, kind="invitation", newcomer_id=newcomer.id, next_attempt_at=now + timedelta(hours=1))
    add_message(
        app, kind="login_code", status="sending", newcomer_id=newcomer.id, claimed_by="web1:4242:abc123",
        lease_until=now + timedelta(minutes=2), attempts=1,
    )  # fmt: skip
    add_message(app, status="unknown", newcomer_id=newcomer.id, error_code="in_doubt", error_at=now, attempts=5)
    add_message(app, status="failed", newcomer_id=newcomer.id, error_code="21211", error_at=now, attempts=1)
    add_message(app, status="failed", newcomer_id=newcomer.id, error_code="21211", error_at=now, attempts=1)
    add_message(app, newcomer_id=newcomer.id, error_code="30003", error_at=now, attempts=1)
    add_message(
        app,
        status="failed",
        newcomer_id=newcomer.id,
        error_code="21614",
        error_at=now - timedelta(days=2),
    )  # fmt: skip  (older than a day: not counted)
    with app.app_context():
        db.session.add_all(
            [
                WorkerHeartbeat(worker_id="web1:4242:abc123", hostname="web1", pid=4242, seen_at=now, sent_count=17),
                WorkerHeartbeat(
                    worker_id="web2:99:def456",
                    hostname="web2",
                    pid=99,
                    seen_at=now - timedelta(hours=3),
                    stopped_at=now - timedelta(hours=3),
                    sent_count=3,
                ),  # fmt: skip
            ]
        )
        db.session.commit()

    page = beheerder.get("/admin/queue")
    assert page.status_code == 200
    html = page.text
    now_panel = html.split('id="queue-now"')[1].split("</section>")[0]
    assert re.search(r"Due now</dt>\s*<dd>2</dd>", now_panel)  # the late notice and the one retrying
    assert "12 minutes" in now_panel
    assert "too long: is a worker running?" in now_panel
    depth = html.split('id="queue-depth"')[1].split("</section>")[0]
    assert "receipt of the intake</th><td>2</td><td>0</td>" in depth
    assert "invitation</th><td>1</td><td>0</td>" in depth
    assert "sign-in code</th><td>0</td><td>1</td>" in depth
    sending = html.split('id="queue-sending"')[1].split("</section>")[0]
    assert "web1:4242:abc123" in sending
    assert "Being sent: cannot be cancelled" in sending
    unknown = html.split('id="queue-unknown"')[1].split("</section>")[0]
    assert "Send again" in unknown
    assert "did not answer in time" in unknown
    failures = html.split('id="queue-failures"')[1].split("</section>")[0]
    assert "<code>21211</code></th><td>The phone number is not valid." in failures
    assert "<td>2</td><td>0</td>" in failures
    assert "<code>30003</code>" in failures
    assert "21614" not in failures
    workers = html.split('id="queue-workers"')[1].split("</section>")[0]
    assert "web1" in workers
    assert "4242" in workers
    assert "17" in workers
    assert "running" in workers
    assert "stopped at" in workers
    # What a beheerder never sees: the text, the number, the newcomer.
    assert BODY not in html
    assert newcomer.phone not in html
    assert newcomer.name not in html
    assert 'href="/admin/queue" aria-current="page"' in html


def test_queue_page_empty_states(beheerder):
    html = beheerder.get("/admin/queue").text
    for text in (
        "nothing is waiting",
        "no worker is running",
        "Nothing is waiting to be sent.",
        "No message is being sent right now.",
        "There are no such messages.",
        "No errors in the last 24 hours.",
        "No worker has run yet.",
        "No messages with this status.",
    ):
        assert text in html, text


def test_the_list_filters_by_status_and_kind_and_pages(beheerder, app, newcomer):
    for _ in range(27):
        add_message(app, status="failed", newcomer_id=newcomer.id, error_code="30005", error_at=utcnow())
    add_message(app, status="expired", kind="invitation", newcomer_id=newcomer.id)
    first = beheerder.get("/admin/queue?status=failed").text
    listed = first.split('id="queue-list"')[1]
    assert listed.count("<code>30005</code>") == 25
    assert "Next page" in listed
    assert "Previous page" not in listed
    second = beheerder.get("/admin/queue?status=failed&page=2").text.split('id="queue-list"')[1]
    assert second.count("<code>30005</code>") == 2
    assert "Previous page" in second
    assert "status=failed" in second.split("Previous page")[0].rsplit("href=", 1)[1]
    expired = beheerder.get("/admin/queue?status=expired&kind=invitation").text.split('id="queue-list"')[1]
    assert "expired before it could be sent" in expired
    assert "30005" not in expired
    assert beheerder.get("/admin/queue?status=expired&kind=login_code").text.count("No messages with this status.") == 1
    assert "No more messages." in beheerder.get("/admin/queue?status=failed&page=9").text


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=everything", "filter-status-error"),
        ("status=%00%1Bexpired%27", "filter-status-error"),
        ("kind=%3Cscript%3E", "filter-kind-error"),
        ("kind=" + "a" * 300, "filter-kind-error"),
        ("page=99999999999999999999", None),
        ("page=-1", None),
        ("page=%D9%A3", None),
    ],
)
def test_hostile_query_parameters_get_a_message_not_a_500(beheerder, query, field):
    response = beheerder.get(f"/admin/queue?{query}")
    assert response.status_code == 422
    if field:
        assert f'id="{field}"' in response.text
        assert 'aria-invalid="true"' in response.text
    else:
        assert "That page does not exist; this is the first page." in response.text
    assert "<script>" not in response.text


def test_control_characters_are_stripped_before_the_filter_sees_them(beheerder):
    response = beheerder.get("/admin/queue?status=fai%00led&kind=invi%07tation")
    assert response.status_code == 200
    assert '<option value="failed" selected>' in response.text
    assert '<option value="invitation" selected>' in response.text


def test_ids_beyond_postgresql_integers_are_404(beheerder):
    for path in ("/admin/queue/2147483648/retry", "/admin/queue/99999999999/cancel", "/admin/queue/12345/retry"):
        assert beheerder.get(path).status_code == 404, path


# -- who may ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["klantmanager", "beleidsmedewerker"])
def test_only_beheerders_see_the_queue_or_act_on_it(client, app, make_staff, newcomer, role, audit_log):
    queued = add_message(app, newcomer_id=newcomer.id)
    failed = add_message(app, status="failed", newcomer_id=newcomer.id, error_code="30005")
    staff_sign_in(client, make_staff(role=role))
    for path in ("/admin/queue", f"/admin/queue/{queued}/cancel", f"/admin/queue/{failed}/retry"):
        assert client.get(path).status_code == 404, path
    token = csrf_token(client.get("/backoffice/", follow_redirects=True).text)
    assert client.post(f"/admin/queue/{queued}/cancel", data={"csrf_token": token}).status_code == 404
    assert client.post(f"/admin/queue/{failed}/retry", data={"csrf_token": token}).status_code == 404
    assert message(app, queued).status == "queued"
    with app.app_context():
        assert db.session.scalar(select(OutboundMessage.id).where(OutboundMessage.cause_id == failed)) is None
    assert len(audit_log(action="access.refused")) == 5


def test_newcomers_and_strangers_never_see_the_queue(client, newcomer):
    assert client.get("/admin/queue").status_code == 302  # to the sign-in page
    sign_in(client, newcomer)
    assert client.get("/admin/queue").status_code == 404


# -- cancel ----------------------------------------------------------------------------------------


def test_cancel_a_queued_message_after_a_confirm_step(beheerder, app, newcomer, audit_log, sms):
    queued = add_message(app, newcomer_id=newcomer.id)
    page = beheerder.get(f"/admin/queue/{queued}/cancel")
    assert "The message is not sent. This cannot be undone." in page.text
    assert BODY not in page.text
    assert message(app, queued).status == "queued"  # the confirm page changes nothing
    response = beheerder.post(f"/admin/queue/{queued}/cancel", data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 302
    assert f"Message {queued} is cancelled" in beheerder.get(response.headers["Location"]).text
    row = message(app, queued)
    assert (row.status, row.cancel_reason) == ("cancelled", "staff")
    with app.app_context():
        last = last_event(queued)
        assert (last.status, last.source, last.detail) == ("cancelled", "staff", "staff")
    [entry] = audit_log(action="outbox.cancelled")
    assert (entry.record_type, entry.record_id, entry.result) == ("outbound_message", queued, "ok")
    assert entry.municipality_id == row.municipality_id
    assert sms.sent == []  # the worker does not send it


def test_a_message_being_sent_cannot_be_cancelled(beheerder, app, newcomer, audit_log):
    sending = add_message(app, status="sending", newcomer_id=newcomer.id, claimed_by="w1", lease_until=utcnow())
    shown = beheerder.get(f"/admin/queue/{sending}/cancel", follow_redirects=True)
    assert "is being sent right now, so it can no longer be cancelled" in shown.text
    token = csrf_token(shown.text)
    response = beheerder.post(f"/admin/queue/{sending}/cancel", data={"csrf_token": token}, follow_redirects=True)
    assert "was not cancelled: This message is being sent right now" in response.text
    assert message(app, sending).status == "sending"
    [entry] = audit_log(action="outbox.cancelled")
    assert entry.result == "denied"


def test_cancel_loses_to_a_worker_that_claimed_the_row_after_the_confirm_page(beheerder, app, newcomer, audit_log):
    queued = add_message(app, newcomer_id=newcomer.id)
    page = beheerder.get(f"/admin/queue/{queued}/cancel")
    with app.app_context():  # a worker's claim, between the confirm page and the click
        db.session.get(OutboundMessage, queued).status = "sending"
        db.session.commit()
    response = beheerder.post(
        f"/admin/queue/{queued}/cancel", data={"csrf_token": csrf_token(page.text)}, follow_redirects=True
    )
    assert "can no longer be cancelled" in response.text
    assert message(app, queued).status == "sending"
    assert [e.result for e in audit_log(action="outbox.cancelled")] == ["denied"]


def test_cancel_needs_the_csrf_token(beheerder, app, newcomer):
    queued = add_message(app, newcomer_id=newcomer.id)
    assert beheerder.post(f"/admin/queue/{queued}/cancel").status_code == 400
    assert beheerder.post(f"/admin/queue/{queued}/cancel", data={"csrf_token": "forged"}).status_code == 400
    assert message(app, queued).status == "queued"


# -- retry -----------------------------------------------------------------------------------------


def test_retry_queues_a_copy_and_the_original_keeps_its_status(beheerder, app, newcomer, audit_log, sms):
    failed = add_message(
        app, status="failed", newcomer_id=newcomer.id, error_code="30005", error_at=utcnow(),
        expires_at=utcnow() - timedelta(hours=1),
    )  # fmt: skip
    with app.app_context():  # the klantmanager corrected the number since
        db.session.get(Newcomer, newcomer.id).phone = "+31612345677"
        db.session.commit()
    page = beheerder.get(f"/admin/queue/{failed}/retry")
    assert "This number does not exist (any more)." in page.text
    assert BODY not in page.text
    response = beheerder.post(f"/admin/queue/{failed}/retry", data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 302
    original = message(app, failed)
    assert original.status == "failed"
    with app.app_context():
        copy = db.session.scalar(select(OutboundMessage).where(OutboundMessage.cause_id == failed))
        assert copy.cause_type == "outbound_message"
        assert copy.idempotency_key == f"{original.idempotency_key}:retry:1"
        assert (copy.status, copy.kind, copy.body, copy.to_phone) == ("queued", original.kind, BODY, "+31612345677")
        assert copy.expires_at > utcnow()
        last = last_event(failed)
        assert (last.status, last.source, last.detail) == ("failed", "staff", "retried")
        copy_id = copy.id
    assert f"queued again as message {copy_id}" in beheerder.get(response.headers["Location"]).text
    [entry] = audit_log(action="outbox.retried")
    assert (entry.record_id, entry.result) == (failed, "ok")
    assert sms.sent == [("+31612345677", BODY)]
    # A second retry while a copy waits is refused; once the copy is done, a new one gets key :retry:2.
    again = add_message(app, status="unknown", newcomer_id=newcomer.id)
    confirm(beheerder, f"/admin/queue/{again}/retry")
    response = confirm(beheerder, f"/admin/queue/{again}/retry")
    assert "A copy of this message is already waiting to be sent." in beheerder.get(response.headers["Location"]).text
    drained = sms.sent
    assert len(drained) == 2
    confirm(beheerder, f"/admin/queue/{again}/retry")
    with app.app_context():
        keys = db.session.scalars(select(OutboundMessage.idempotency_key).where(OutboundMessage.cause_id == again))
        assert sorted(k.rsplit(":", 1)[1] for k in keys) == ["1", "2"]


def test_an_unknown_message_warns_that_it_may_arrive_twice(beheerder, app, newcomer):
    unknown = add_message(app, status="unknown", newcomer_id=newcomer.id, error_code="in_doubt")
    assert "the person may get it twice" in beheerder.get(f"/admin/queue/{unknown}/retry").text


@pytest.mark.parametrize("kind", ["login_code", "invitation"])
def test_a_message_with_a_secret_cannot_be_retried(beheerder, app, newcomer, audit_log, kind):
    failed = add_message(app, status="failed", kind=kind, newcomer_id=newcomer.id, body=SECRET_BODY, error_code="30005")
    listed = beheerder.get("/admin/queue?status=failed").text
    assert "Code or link: send a new invitation from the file" in listed
    assert f"/admin/queue/{failed}/retry" not in listed
    shown = beheerder.get(f"/admin/queue/{failed}/retry", follow_redirects=True)
    assert "the klantmanager can send a new invitation from the file" in shown.text
    response = beheerder.post(
        f"/admin/queue/{failed}/retry", data={"csrf_token": csrf_token(shown.text)}, follow_redirects=True
    )
    assert f"Message {failed} was not sent again" in response.text
    assert "send a new invitation from the file" in response.text
    with app.app_context():
        assert db.session.scalar(select(OutboundMessage.id).where(OutboundMessage.cause_id == failed)) is None
    assert [e.result for e in audit_log(action="outbox.retried")] == ["denied"]


@pytest.mark.parametrize("status", ["queued", "sending", "sent", "delivered", "cancelled"])
def test_only_messages_that_did_not_arrive_can_be_retried(beheerder, app, newcomer, status):
    row = add_message(app, status=status, newcomer_id=newcomer.id)
    shown = beheerder.get(f"/admin/queue/{row}/retry", follow_redirects=True)
    assert "cannot be sent again" in shown.text
    beheerder.post(f"/admin/queue/{row}/retry", data={"csrf_token": csrf_token(shown.text)})
    with app.app_context():
        assert db.session.scalar(select(OutboundMessage.id).where(OutboundMessage.cause_id == row)) is None
    assert message(app, row).status == status


def test_retry_is_refused_when_the_person_opted_out_or_the_file_was_erased(beheerder, app, make_newcomer):
    stopped = make_newcomer(phone="+31612345681")
    erased = make_newcomer(phone="+31612345682")
    first = add_message(app, status="failed", newcomer_id=stopped.id, error_code="30005")
    second = add_message(app, status="expired", newcomer_id=erased.id)
    with app.app_context():
        db.session.add(SmsOptOut(newcomer_id=stopped.id, category="all", source="sms"))
        db.session.get(Newcomer, erased.id).phone = f"erased-{erased.id}"
        db.session.commit()
    response = confirm(beheerder, f"/admin/queue/{first}/retry")
    assert "sent STOP for messages of this kind" in beheerder.get(response.headers["Location"]).text
    response = confirm(beheerder, f"/admin/queue/{second}/retry")
    assert "The file of this message was erased" in beheerder.get(response.headers["Location"]).text
    with app.app_context():
        assert db.session.scalars(select(OutboundMessage.id).where(OutboundMessage.cause_type.is_not(None))).all() == []


def test_retry_reaches_a_file_of_a_municipality_the_beheerder_does_not_serve(client, app, make_staff, newcomer, sms):
    """The queue is the whole country's: a beheerder without municipalities still retries any message."""
    staff_sign_in(client, make_staff(role="beheerder", codes=("0388",)))
    failed = add_message(app, status="failed", newcomer_id=newcomer.id, error_code="30003")
    confirm(client, f"/admin/queue/{failed}/retry")
    assert sms.sent == [(newcomer.phone, BODY)]


# -- /healthz --------------------------------------------------------------------------------------


def test_healthz_reports_the_queue_and_the_workers(client, app, newcomer):
    now = utcnow()
    add_message(app, newcomer_id=newcomer.id, next_attempt_at=now - timedelta(seconds=90))
    add_message(app, newcomer_id=newcomer.id, next_attempt_at=now - timedelta(seconds=30), priority=10)
    add_message(app, newcomer_id=newcomer.id, next_attempt_at=now + timedelta(hours=1))  # not due yet
    add_message(app, status="sending", newcomer_id=newcomer.id, next_attempt_at=now - timedelta(hours=2))
    with app.app_context():
        db.session.add_all(
            [
                WorkerHeartbeat(worker_id="a", hostname="h", pid=1, seen_at=now - timedelta(seconds=4)),
                WorkerHeartbeat(worker_id="b", hostname="h", pid=2, seen_at=now - timedelta(seconds=9)),
                WorkerHeartbeat(worker_id="c", hostname="h", pid=3, seen_at=now, stopped_at=now),
                WorkerHeartbeat(worker_id="d", hostname="h", pid=4, seen_at=now - timedelta(hours=1)),  # died
            ]
        )
        db.session.commit()
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["outbox"]["due"] == 2
    assert body["outbox"]["due_capped"] is False
    assert 89 <= body["outbox"]["oldest_due_age_seconds"] <= 95
    assert body["outbox"]["max_due_age_seconds"] == 300
    assert body["workers"]["live"] == 2
    assert 0 <= body["workers"]["last_heartbeat_seconds_ago"] <= 3
    assert newcomer.phone not in response.text
    assert "Municipality" not in response.text


def test_healthz_is_503_when_the_oldest_due_message_waited_too_long(client, app, newcomer, make_app):
    add_message(app, newcomer_id=newcomer.id, next_attempt_at=utcnow() - timedelta(seconds=301), priority=5)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["status"] == "stale"
    assert response.json["database"] == "ok"
    assert response.json["outbox"]["oldest_due_age_seconds"] >= 301
    assert response.json["workers"] == {"live": 0, "last_heartbeat_seconds_ago": None}
    # A load balancer asks for the web processes only: they serve, whatever the workers do.
    web = client.get("/healthz?scope=web")
    assert web.status_code == 200
    assert web.json["status"] == "stale"
    assert client.get("/healthz?scope=all").status_code == 503
    patient = make_app(HEALTH_MAX_DUE_AGE_SECONDS=3600)
    assert patient.test_client().get("/healthz").status_code == 200


def test_healthz_with_an_empty_queue(client):
    body = client.get("/healthz").json
    assert body["outbox"] == {"due": 0, "due_capped": False, "oldest_due_age_seconds": None, "max_due_age_seconds": 300}
