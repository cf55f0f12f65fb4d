"""Sending SMS through Twilio's Programmable Messaging API (the twilio SDK)."""

from __future__ import annotations

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from .base import INVALID_NUMBER, OPTED_OUT, REJECTED, UNAVAILABLE, SendResult, SmsError

# Twilio error codes we tell apart; everything else is a rejection.
# https://www.twilio.com/docs/api/errors
_KINDS = {
    21211: INVALID_NUMBER,  # invalid 'To' phone number
    21614: INVALID_NUMBER,  # 'To' number is not a valid mobile number
    21408: INVALID_NUMBER,  # permission to send to this region not enabled
    21610: OPTED_OUT,  # attempt to send to an unsubscribed (STOP) recipient
    20429: UNAVAILABLE,  # too many requests
    20503: UNAVAILABLE,  # service unavailable
}


class TwilioSmsSender:
    """An :class:`~app.sms.base.SmsSender` backed by a Twilio account."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        messaging_service_sid: str | None = None,
        from_number: str | None = None,
        timeout: float = 10,
        http_client: TwilioHttpClient | None = None,
    ) -> None:
        if not (messaging_service_sid or from_number):
            raise ValueError("Twilio needs TWILIO_MESSAGING_SERVICE_SID or TWILIO_FROM")
        self._client = Client(account_sid, auth_token, http_client=http_client or TwilioHttpClient(timeout=timeout))
        self._sender = (
            {"messaging_service_sid": messaging_service_sid} if messaging_service_sid else {"from_": from_number}
        )

    def send(self, to: str, body: str) -> SendResult:
        """Send one message; Twilio's errors and time-outs become :class:`SmsError`."""
        try:
            message = self._client.messages.create(to=to, body=body, **self._sender)
        except TwilioRestException as error:
            kind = _KINDS.get(error.code or 0, UNAVAILABLE if error.status >= 500 else REJECTED)
            raise SmsError(kind, str(error.code or error.status), "twilio refused the message") from None
        except requests.RequestException as error:
            raise SmsError(UNAVAILABLE, None, type(error).__name__) from None
        return SendResult(provider_id=message.sid, status=message.status or "queued")
