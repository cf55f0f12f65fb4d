"""What became of an SMS, in plain words for staff (the back office shows these in Dutch).

Twilio's error codes (https://www.twilio.com/docs/api/errors) and the outbox's own reason codes,
each explained as a klantmanager would say it, with what to do next.
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

STATUS_LABELS = {
    "queued": _l("waiting to be sent"),
    "sending": _l("being sent"),
    "sent": _l("sent"),
    "delivered": _l("delivered"),
    "undelivered": _l("not delivered"),
    "failed": _l("could not be sent"),
    "cancelled": _l("cancelled"),
    "expired": _l("expired before it could be sent"),
    "unknown": _l("unclear whether it was sent"),
}

ERROR_REASONS = {
    "21211": _l("The phone number is not valid. Check the number on the file."),
    "21408": _l("SMS to this country are not allowed. Check the number on the file."),
    "21610": _l("The person sent STOP: they receive no SMS from us until they send START."),
    "21612": _l("This number cannot be reached by SMS from our number. Check the number, or call."),
    "21614": _l("This number is not a mobile number. Ask for a mobile number."),
    "30003": _l("The phone was off or out of reach. It will be tried again."),
    "30004": _l("The person has blocked our SMS messages, or their provider did."),
    "30005": _l("This number does not exist (any more). Ask for the current number."),
    "30006": _l("This number cannot receive SMS (a landline, for example). Ask for a mobile number."),
    "30008": _l("The provider gave an unknown error. It will be tried again."),
    "20429": _l("Too many messages at once at the SMS provider. It will be tried again."),
    "in_doubt": _l("The SMS provider did not answer in time. It is checked before it is sent again."),
    # The kind of error, when the provider gave no code (app/sms/base.py).
    "unavailable": _l("The SMS provider could not be reached. It will be tried again."),
    "invalid_number": _l("The phone number is not valid. Check the number on the file."),
    "rejected": _l("The SMS provider refused the message."),
    "secret": _l("The message could not be put together again. Send a new one from the file."),
}

DETAILS = {
    "found_at_provider": _l("The SMS provider had it already, so it was not sent twice."),
    "permanent": _l("The SMS provider refused it for good: it is not tried again."),
    "secret_unreadable": _l("The message could not be put together again. Send a new one from the file."),
    "retried": _l("A beheerder had it sent again, as a new message."),
    "lease_expired": _l("The sending service that had it stopped; another one took it over and checks first."),
    "released": _l("A sending service that was stopping gave it back, to be sent by another."),
    "postponed": _l("Postponed: the person answered, so the reminder waits a week from the latest question."),
}
"""Codes the outbox writes in a message's history (``OutboundEvent.detail``) besides the errors."""

CANCEL_REASONS = {
    "file_erased": _l("The file was erased."),
    "number_changed": _l("The phone number changed before it was sent."),
    "opted_out": _l("The person does not want SMS of this kind (they sent STOP)."),
    "invitation_not_usable": _l("A newer invitation replaced it before it was sent."),
    "code_not_usable": _l("The sign-in code was used or no longer valid."),
    "expired": _l("It was no longer useful by the time it could be sent."),
    "no_time_left": _l("It could not be sent before it stopped being useful."),
    "lookup_failed": _l("The SMS provider could not tell whether it had the message."),
    "staff": _l("Cancelled by a beheerder."),
    "appointment_changed": _l("The appointment was moved, or the person taken off it, before it was sent."),
    "appointment_cancelled": _l("The appointment was cancelled before it was sent."),
    "appointment_past": _l("The appointment had already begun."),
    "intake_moved_on": _l("The SMS conversation of the intake had moved on (an answer, or a newer question)."),
    "intake_submitted": _l("The intake was sent in before it was sent."),
    "file_closed": _l("The file was closed before it was sent."),
}

KIND_LABELS = {
    "login_code": _l("sign-in code"),
    "invitation": _l("invitation"),
    "intake_returned": _l("intake returned with a question"),
    "intake_received": _l("receipt of the intake"),
    "conversation_message": _l("notice of a message from the klantmanager"),
    "conversation_question": _l("question from the klantmanager"),
    "keyword_help": _l("answer to HELP"),
    "keyword_stopped": _l("confirmation of STOP"),
    "keyword_stopped_category": _l("confirmation of STOP for one kind of message"),
    "keyword_started": _l("confirmation of START"),
    "keyword_started_category": _l("confirmation of START for one kind of message"),
    "inbound_ack": _l("acknowledgement of an SMS from the newcomer"),
    "unknown_number_reply": _l("answer to an unknown number"),
    "appointment_booked": _l("confirmation of a new appointment"),
    "appointment_reminder": _l("appointment reminder"),
    "appointment_moved": _l("notice of a moved appointment"),
    "appointment_cancelled": _l("notice of a cancelled appointment"),
    "appointment_confirmed_ack": _l("answer to “I will come” by SMS"),
    "appointment_cannot_come_ack": _l("answer to “I cannot come” by SMS"),
    "intake_question": _l("question of the intake by SMS"),
    "intake_help": _l("answer to HELP during the intake by SMS"),
    "intake_to_web": _l("intake by SMS: the link to the web after three answers that did not fit"),
    "intake_web_left": _l("intake by SMS: the link to the web for the questions left"),
    "intake_sms_done": _l("intake by SMS: every question answered, check and send on the web"),
    "intake_reminder": _l("reminder of the intake by SMS after a week without an answer"),
}
"""What each kind of SMS is, for staff; a kind not listed here shows as "other SMS" with its code."""

CATEGORY_LABELS = {
    "codes": _l("sign-in codes"),
    "notices": _l("notices (invitations, messages about the intake)"),
    "reminders": _l("reminders"),
    "surveys": _l("surveys"),
    "replies": _l("answers to what the person sent"),
    "all": _l("all SMS except sign-in codes and answers to what the person sent"),
}
"""What a person can opt out of (``SmsOptOut.category``), and the categories of messages."""

SOURCE_LABELS = {
    "app": _l("the application"),
    "worker": _l("the sending service"),
    "twilio": _l("the SMS provider"),
    "staff": _l("a beheerder"),
}
"""Who wrote a line of a message's history (``OutboundEvent.source``)."""

OPT_OUT_SOURCES = {
    "sms": _l("sent STOP by SMS"),
    "twilio": _l("on the SMS provider's STOP list"),
    "staff": _l("recorded by staff"),
}

_RETRY_IN = re.compile(r"retry_in_(\d+)s")


def kind_label(kind: str) -> str:
    """A message's kind in plain words."""
    label = KIND_LABELS.get(kind)
    return str(label) if label is not None else str(_l("other SMS (%(kind)s)", kind=kind))


def category_label(category: str) -> str:
    """A category of messages (or ``all``) in plain words."""
    return str(CATEGORY_LABELS.get(category, category))


def source_label(source: str) -> str:
    """Who wrote a line of a message's history, in plain words."""
    return str(SOURCE_LABELS.get(source, source))


def opt_out_source(source: str) -> str:
    """How an opt-out came about, in plain words."""
    return str(OPT_OUT_SOURCES.get(source, source))


def status_label(status: str) -> str:
    """A message's status in plain words."""
    return str(STATUS_LABELS.get(status, status))


def plain_reason(code: str | None) -> str | None:
    """An error or cancel code in plain words, or ``None`` when there is nothing to explain."""
    if not code:
        return None
    label = ERROR_REASONS.get(code) or CANCEL_REASONS.get(code) or DETAILS.get(code)
    if label is not None:
        return str(label)
    retry = _RETRY_IN.fullmatch(code)
    if retry is not None:
        minutes = max(1, round(int(retry.group(1)) / 60))
        return str(_l("It will be tried again in about %(minutes)s min.", minutes=minutes))
    if code.startswith("5") or code.startswith("20"):
        return str(_l("The SMS provider had a problem. It will be tried again."))
    return str(_l("The SMS could not be sent (provider code %(code)s).", code=code))


TEMPLATE_GLOBALS = {
    "message_kind_label": kind_label,
    "message_status_label": status_label,
    "message_reason": plain_reason,
    "message_source_label": source_label,
    "message_category_label": category_label,
    "opt_out_source_label": opt_out_source,
}
"""The labels as template globals (registered by the pages that show messages)."""
