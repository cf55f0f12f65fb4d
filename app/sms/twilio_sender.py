"""Sending SMS through Twilio's Programmable Messaging API (the twilio SDK)."""

from __future__ import annotations

from datetime import datetime

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from .base import IN_DOUBT, INVALID_NUMBER, OPTED_OUT, REJECTED, UNAVAILABLE, SendResult, SmsError

TWILIO_API = "https://api.twilio.com"

# Twilio error codes we tell apart; everything else is a rejection.
# https://www.twilio.com/docs/api/errors
_KINDS = {
    21211: INVALID_NUMBER,  # invalid 'To' phone number
    21614: INVALID_NUMBER,  # 'To' number is not a valid mobile number
    21408: INVALID_NUMBER,  # permission to send to this region not enabled
    21612: INVALID_NUMBER,  # the 'To' number cannot be reached from this sender
    21610: OPTED_OUT,  # attempt to send to an unsubscribed (STOP) recipient
    20429: UNAVAILABLE,  # too many requests
    20503: UNAVAILABLE,  # service unavailable
}
PERMANENT_CODES = frozenset({"21211", "21408", "21610", "21612", "21614", "30004", "30005", "30006"})
"""Sending again can never work: a wrong or unreachable number, an opt-out, a blocked or unknown
destination. The worker does not retry these and marks the number."""
TRANSIENT_CODES = frozenset({"30003", "30008", "20429", "20503"})
"""Worth another try later: the handset is off, an unknown carrier error, rate limits."""
OPT_OUT_CODES = frozenset({"21610"})


class _BaseUrlClient(TwilioHttpClient):
    """The SDK's HTTP client, sending to another base URL (``TWILIO_API_BASE_URL``: tests only)."""

    def __init__(self, base_url: str, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._base_url = base_url.rstrip("/")

    def request(self, method, url, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN201
        return super().request(method, url.replace(TWILIO_API, self._base_url, 1), *args, **kwargs)


def _retry_after(http_client: TwilioHttpClient) -> float | None:
    # twilio 9 keeps the last response as ``_test_only_last_response`` (older versions: ``last_response``).
    response = getattr(http_client, "_test_only_last_response", None) or getattr(http_client, "last_response", None)
    headers = getattr(response, "headers", None) or {}
    try:
        return float(headers.get("Retry-After") or headers.get("retry-after"))
    except (TypeError, ValueError):
        return None


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
        base_url: str | None = None,
    ) -> None:
        if not (messaging_service_sid or from_number):
            raise ValueError("Twilio needs TWILIO_MESSAGING_SERVICE_SID or TWILIO_FROM")
        if http_client is None:
            http_client = (
                _BaseUrlClient(base_url, timeout=timeout)
                if base_url and base_url.rstrip("/") != TWILIO_API
                else TwilioHttpClient(timeout=timeout)
            )
        self._http = http_client
        self._client = Client(account_sid, auth_token, http_client=http_client)
        self._sender = (
            {"messaging_service_sid": messaging_service_sid} if messaging_service_sid else {"from_": from_number}
        )

    def send(
        self, to: str, body: str, *, validity_seconds: int | None = None, status_callback: str | None = None
    ) -> SendResult:
        """Send one message; Twilio's errors and time-outs become :class:`SmsError`."""
        options: dict[str, object] = dict(self._sender)
        if validity_seconds is not None:
            options["validity_period"] = max(1, min(int(validity_seconds), 36000))  # Twilio's bounds
        if status_callback:
            options["status_callback"] = status_callback
        try:
            message = self._client.messages.create(to=to, body=body, **options)
        except TwilioRestException as error:
            code = str(error.code or error.status)
            kind = _KINDS.get(error.code or 0, UNAVAILABLE if error.status >= 500 or error.status == 429 else REJECTED)
            raise SmsError(
                kind,
                code,
                "twilio refused the message",
                permanent=code in PERMANENT_CODES,
                retry_after=_retry_after(self._http) if error.status == 429 else None,
            ) from None
        except requests.ConnectTimeout:
            raise SmsError(UNAVAILABLE, None, "ConnectTimeout") from None
        except requests.ConnectionError as error:
            # Refused before anything was sent, or cut off after: only the first is certain.
            refused = "NewConnectionError" in repr(error) or "Connection refused" in str(error)
            raise SmsError(UNAVAILABLE if refused else IN_DOUBT, None, type(error).__name__) from None
        except requests.RequestException as error:  # a read time-out: the request went out
            raise SmsError(IN_DOUBT, None, type(error).__name__) from None
        return SendResult(provider_id=message.sid, status=message.status or "queued")

    def find_sent(self, to: str, since: datetime, body: str) -> SendResult | None:
        """Ask Twilio (Messages list, filtered by To and DateSent) for this body since ``since``.

        Every page is read (newest first) until the body is found: a number that got many messages
        since then must not hide the one looked for.
        """
        try:
            for message in self._client.messages.stream(to=to, date_sent_after=since, page_size=100):
                if message.body == body:
                    return SendResult(provider_id=message.sid, status=message.status or "sent")
        except TwilioRestException as error:
            raise SmsError(UNAVAILABLE, str(error.code or error.status), "twilio list failed") from None
        except TwilioException:  # a page that is not 200 (the SDK's Page raises the base class)
            raise SmsError(UNAVAILABLE, None, "twilio list failed") from None
        except requests.RequestException as error:
            raise SmsError(UNAVAILABLE, None, type(error).__name__) from None
        return None
