"""What became of an SMS, in plain words for staff (the back office shows these in Dutch).

Twilio's error codes (https://www.twilio.com/docs/api/errors) and the outbox's own reason codes,
each explained as a klantmanager would say it, with what to do next.
"""

from __future__ import annotations

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
}

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
}


def status_label(status: str) -> str:
    """A message's status in plain words."""
    return str(STATUS_LABELS.get(status, status))


def plain_reason(code: str | None) -> str | None:
    """An error or cancel code in plain words, or ``None`` when there is nothing to explain."""
    if not code:
        return None
    label = ERROR_REASONS.get(code) or CANCEL_REASONS.get(code)
    if label is not None:
        return str(label)
    if code.startswith("5") or code.startswith("20"):
        return str(_l("The SMS provider had a problem. It will be tried again."))
    return str(_l("The SMS could not be sent (provider code %(code)s).", code=code))
