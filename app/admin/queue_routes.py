"""The SMS queue for the beheerder: how the outbox and its workers are doing, and retry or cancel
one message (each after a confirm step, audited). Beheerders only: the admin blueprint's
``before_request`` refuses everyone else (404, audited), as on every admin page.

A beheerder sees no message bodies, phone numbers or files (see ``queue_services``).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from forms.auth import ConfirmForm

from ..models.message import QUEUED
from ..models.types import utcnow
from ..outbox.monitor import is_live
from ..params import MAX_PAGE, bounded_int, link_args
from ..sms.reasons import KIND_LABELS, TEMPLATE_GLOBALS, kind_label, plain_reason
from . import bp
from . import queue_services as queue

QUEUE_ARGS = ("status", "kind")
"""The list's filters: the only query parameters its links carry (with ``page``)."""

CANCEL_REFUSALS = {
    "sending": _l("This message is being sent right now, so it can no longer be cancelled."),
    "not_queued": _l("This message is no longer waiting to be sent, so there is nothing to cancel."),
}
RETRY_REFUSALS = {
    "status": _l(
        "Only a message that could not be sent, was not delivered, expired, or may not have been sent "
        "can be sent again."
    ),
    "secret": _l(
        "This message held a sign-in code or an invitation link. Those are not kept and are not sent again: "
        "the klantmanager can send a new invitation from the file, and a newcomer can ask for a new code."
    ),
    "no_number": _l("The phone number of this message was not kept, so it cannot be sent again."),
    "file_erased": _l("The file of this message was erased, so it is not sent again."),
    "opted_out": _l("The person sent STOP for messages of this kind, so it is not sent again."),
    "cause_gone": _l("What this message was about no longer applies, so it is not sent again."),
    "copy_pending": _l("A copy of this message is already waiting to be sent."),
}


def _age(seconds: int | None) -> str:
    """A waiting time in words ('3 minutes')."""
    if seconds is None:
        return "–"
    return format_timedelta(seconds, threshold=1.1, granularity="second")


def _filters() -> tuple[str, str, dict[str, str]]:
    """The list's status and kind from the query string, and an error per field that is not valid."""
    errors: dict[str, str] = {}
    status = request.args.get("status") or QUEUED
    if status not in queue.LISTED:
        errors["status"] = _("Choose a status from the list.")
        status = QUEUED
    kind = request.args.get("kind") or ""
    if kind and not queue.KIND_PATTERN.fullmatch(kind):
        errors["kind"] = _("Choose a kind of message from the list.")
        kind = ""
    return status, kind, errors


@bp.get("/queue")
def queue_page() -> ResponseReturnValue:
    """The outbox: what waits, what is being sent, what failed and why, and the workers."""
    now = utcnow()
    status, kind, errors = _filters()
    raw_page = request.args.get("page")
    page = bounded_int(raw_page, high=MAX_PAGE) or 1
    if raw_page and bounded_int(raw_page, high=MAX_PAGE) is None:
        errors["page"] = _("That page does not exist; this is the first page.")
    summary = queue.overview(now)
    rows = queue.row_page(status, kind or None, page)
    kinds = sorted({*KIND_LABELS, *summary.depth, *([kind] if kind else [])}, key=kind_label)
    return render_template(
        "admin/queue.html",
        now=now,
        summary=summary,
        rows=rows,
        status=status,
        kind=kind,
        kinds=kinds,
        statuses=queue.LISTED,
        errors=errors,
        args=link_args({"status": status, "kind": kind}, QUEUE_ARGS),
        form=ConfirmForm(),
        is_live=is_live,
        age=_age,
    ), 422 if errors else 200


def _row_or_404(message_id: int) -> queue.Row:
    row = queue.get_row(message_id)
    if row is None:
        abort(404)
    return row


def _back(row: queue.Row) -> ResponseReturnValue:
    return redirect(url_for("admin.queue_page", status=row.status))


@bp.route("/queue/<int:message_id>/cancel", methods=["GET", "POST"])
def queue_cancel(message_id: int) -> ResponseReturnValue:
    """Cancel one waiting message (after a confirm step); a message being sent cannot be."""
    row = _row_or_404(message_id)
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        try:
            queue.cancel(row.id)
        except queue.QueueRefusal as refusal:
            if refusal.code == "missing":
                abort(404)
            flash(
                _("Message %(id)s was not cancelled: %(why)s", id=row.id, why=CANCEL_REFUSALS[refusal.code]),
                "warning",
            )
            return redirect(url_for("admin.queue_page", status=refusal.status or QUEUED))
        flash(_("Message %(id)s is cancelled: it will not be sent.", id=row.id), "info")
        return redirect(url_for("admin.queue_page", status=QUEUED))
    if row.status != QUEUED:
        why = CANCEL_REFUSALS["sending" if row.status == "sending" else "not_queued"]
        flash(_("Message %(id)s cannot be cancelled: %(why)s", id=row.id, why=why), "warning")
        return _back(row)
    return _confirm(
        row,
        "admin.queue_cancel",
        _("Cancel message %(id)s", id=row.id),
        [
            _("The message is not sent. This cannot be undone."),
            _("If a worker takes the message first, it is sent anyway and you are told so."),
        ],
        _("Cancel the message"),
    )


@bp.route("/queue/<int:message_id>/retry", methods=["GET", "POST"])
def queue_retry(message_id: int) -> ResponseReturnValue:
    """Send a message again as a new copy (after a confirm step); not for codes and invitation links."""
    row = _row_or_404(message_id)
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        try:
            copy = queue.retry(row.id)
        except queue.QueueRefusal as refusal:
            if refusal.code == "missing":
                abort(404)
            flash(
                _("Message %(id)s was not sent again: %(why)s", id=row.id, why=RETRY_REFUSALS[refusal.code]),
                "warning",
            )
            return _back(row)
        flash(_("Message %(id)s is queued again as message %(copy)s.", id=row.id, copy=copy.id), "info")
        return _back(row)
    if not row.retryable:
        why = RETRY_REFUSALS[row.retry_refusal or "status"]
        flash(_("Message %(id)s cannot be sent again: %(why)s", id=row.id, why=why), "warning")
        return _back(row)
    consequences = [
        _("A copy of the message is queued and sent to the number on the file now."),
        _("This message keeps its status; the copy gets a number of its own."),
    ]
    if row.status == "unknown":
        consequences.append(_("The first message may have arrived after all: the person may get it twice."))
    reason = plain_reason(row.error_code)
    if reason:
        consequences.append(_("Why it did not arrive: %(reason)s", reason=reason))
    return _confirm(row, "admin.queue_retry", _("Send message %(id)s again", id=row.id), consequences, _("Send again"))


def _confirm(row: queue.Row, action: str, title: str, consequences: list[str], button: str) -> ResponseReturnValue:
    return render_template(
        "admin/queue_confirm.html",
        row=row,
        form=ConfirmForm(),
        action=url_for(action, message_id=row.id),
        title=title,
        consequences=consequences,
        button=button,
    )


bp.record_once(lambda state: state.app.jinja_env.globals.update(TEMPLATE_GLOBALS))
