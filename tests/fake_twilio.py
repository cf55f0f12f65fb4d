"""A local stand-in for Twilio's REST API, reached by the real twilio SDK over real HTTP.

The network here is closed, so this is the one part that is faked, at the HTTP layer: the app's
Twilio sender, the SDK and its HTTP client all run unchanged; only the host is swapped (the
``http_client()`` of a fake, or ``TWILIO_API_BASE_URL=<fake.base_url>`` for a worker process).

What it does, as Twilio does:

- ``POST /2010-04-01/Accounts/<sid>/Messages.json`` accepts a message (201, a Message resource)
  or refuses it with a Twilio error body (``reply`` = an error code, or ``reply_for[to]``);
- ``GET  /2010-04-01/Accounts/<sid>/Messages.json?To=...&DateSent>=...&PageSize=...`` lists the
  accepted messages to that number sent at or after that moment, newest first, in pages with
  ``next_page_uri`` (the page shape the SDK's ``Page.load_page`` reads: the records under
  ``messages`` beside the paging keys);
- status callbacks: with ``callbacks=True`` every accepted message's ``StatusCallback`` URL gets a
  form POST per status in ``callback_statuses``, signed with ``X-Twilio-Signature`` computed by the
  SDK's ``RequestValidator`` with this fake's auth token (a forged token can be set for tests).

And the faults the outbox must survive, each switchable and seeded (``seed``) so runs repeat:

- ``transient_rate``: that share of sends is refused with a temporary error (HTTP 500/503 with
  Twilio code 20500/20503) and not accepted;
- ``rate_limited``: the next N sends get HTTP 429 (code 20429) with ``Retry-After: retry_after``;
- ``accept_timeout_rate`` (and ``accept_timeout_next``): the message is accepted and recorded, but
  the answer comes only after ``hold_seconds`` (longer than the client's time-out): the client sees
  a read time-out for a message Twilio has;
- ``answer_after_callbacks``: a send is answered only after its status callbacks were delivered;
- ``delay``: every answer waits this long (a slow Twilio), ``list_reply``: the list endpoint
  answers with that error code instead (a lookup that fails).

``count(body)`` says how many times a body was accepted: exactly-once tests read it.
"""

from __future__ import annotations

import base64
import json
import random
import socket
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator

TWILIO_ERRORS = {
    20003: (401, "Authenticate"),
    20404: (404, "The requested resource was not found"),
    20429: (429, "Too Many Requests"),
    20500: (500, "Internal Server Error"),
    20503: (503, "Service Unavailable"),
    21211: (400, "The 'To' number is not a valid phone number."),
    21408: (400, "Permission to send an SMS has not been enabled for the region indicated by the 'To' number"),
    21610: (400, "Attempt to send to unsubscribed recipient"),
    21612: (400, "The 'To' phone number is not currently reachable via SMS"),
    21614: (400, "'To' number is not a valid mobile number"),
    30003: (400, "Unreachable destination handset"),
    30004: (400, "Message blocked"),
    30005: (400, "Unknown destination handset"),
    30006: (400, "Landline or unreachable carrier"),
    30008: (400, "Unknown error"),
}
"""Codes the fake can answer with: HTTP status and Twilio's message. Other codes get HTTP 400."""

MESSAGES_PATH = "/2010-04-01/Accounts/{sid}/Messages.json"
Callback = Callable[[str, dict[str, str], dict[str, str]], int]
"""Delivers one status callback (url, form, headers) and returns the HTTP status it got."""


def _rfc2822(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def _parse_moment(value: str) -> datetime | None:
    """Twilio's ``DateSent>`` filter: ``YYYY-MM-DD`` or the SDK's ``YYYY-MM-DDTHH:MM:SSZ`` (UTC)."""
    for layout in ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, layout).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


@dataclass
class FakeTwilio:
    """The fake's behaviour and everything it received. Change attributes at any time; thread-safe."""

    reply: int | str = "ok"
    """``"ok"``, or a Twilio error code every send gets."""
    reply_for: dict[str, int | str] = field(default_factory=dict)
    """Per ``To`` number: an error code (or ``"ok"``) that overrides ``reply``."""
    delay: float = 0.0
    """Seconds every answer waits (before it is written)."""
    account_sid: str | None = None
    """When set, requests must name this account in the path and authenticate as it (else 20003)."""
    auth_token: str = "token"  # noqa: S105 - the fake's own, made-up token
    """Signs the status callbacks (and, with ``account_sid``, is checked on requests)."""
    callbacks: bool = False
    callback_statuses: tuple[str, ...] = ("sent", "delivered")
    callback_error_code: str | None = None
    """Sent as ``ErrorCode`` with an ``undelivered``/``failed`` status."""
    callback_delay: float = 0.0
    answer_after_callbacks: bool = False
    """The answer to a send waits until that message's callbacks were delivered (a callback that
    certainly comes before the answer; the client's time-out must allow for the callback's work)."""
    callback_signing_token: str | None = None
    """Sign with another token (a forged callback); default: ``auth_token``."""
    deliver_callback: Callback | None = None
    """How callbacks reach the app; default an HTTP POST to the StatusCallback URL."""
    transient_rate: float = 0.0
    accept_timeout_rate: float = 0.0
    accept_timeout_next: int = 0
    """The next N sends are accepted and then answered too late, whatever the rates."""
    hold_seconds: float = 3.0
    """How long an accepted-then-timed-out answer is held (more than the client's time-out)."""
    rate_limited: int = 0
    """The next N sends get 429 with Retry-After."""
    retry_after: float = 1
    list_reply: int | str = "ok"
    seed: int = 7
    on_send: Callable[[dict[str, str]], None] | None = None
    """Called with each send's form as it arrives, before it is answered (tests look at the database then)."""

    received: list[dict[str, str]] = field(default_factory=list)
    """Every send request's form (and ``path``), in order of arrival, accepted or not."""
    accepted: list[dict[str, str]] = field(default_factory=list)
    """Every message accepted: ``sid``, ``to``, ``body``, ``date_sent``, ``status_callback``, ..."""
    lists: list[dict[str, str]] = field(default_factory=list)
    """Every list request's query."""
    callback_results: list[tuple[str, str, int]] = field(default_factory=list)
    """(sid, status, HTTP status the app answered) per callback posted."""
    server: ThreadingHTTPServer | None = None

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._random = random.Random(self.seed)  # noqa: S311 - fault injection, not a secret
        self._bodies: Counter[str] = Counter()
        self._sequence = 0
        self._threads: list[threading.Thread] = []

    # -- reading what happened --------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]  # type: ignore[union-attr]
        return f"http://{host}:{port}"

    def count(self, body: str) -> int:
        """How many times this body was accepted."""
        with self._lock:
            return self._bodies[body]

    def counts(self) -> Counter[str]:
        """Accepted messages per body."""
        with self._lock:
            return Counter(self._bodies)

    def http_client(self, timeout: float = 2) -> TwilioHttpClient:
        """A TwilioHttpClient that sends the SDK's requests here instead of to api.twilio.com."""
        base = self.base_url

        class LocalClient(TwilioHttpClient):
            def request(self, method, url, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
                return super().request(method, url.replace("https://api.twilio.com", base), *args, **kwargs)

        return LocalClient(timeout=timeout)

    def wait_for_callbacks(self, timeout: float = 10) -> None:
        """Wait until every status callback started so far has been delivered."""
        deadline = time.monotonic() + timeout
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def stop(self) -> None:
        """Stop serving (and wait for callbacks in flight)."""
        self.wait_for_callbacks()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    # -- deciding an answer -----------------------------------------------------------------------

    def _decide(self, form: dict[str, str]) -> tuple[str, int | None]:
        """``("ok" | "late" | "error", code)`` for one send, under the lock."""
        chosen = self.reply_for.get(form.get("To", ""), self.reply)
        if chosen != "ok":
            return "error", int(chosen)
        if self.rate_limited > 0:
            self.rate_limited -= 1
            return "error", 20429
        if self.accept_timeout_next > 0:
            self.accept_timeout_next -= 1
            return "late", None
        draw = self._random.random()
        if draw < self.transient_rate:
            return "error", self._random.choice((20500, 20503))
        if draw < self.transient_rate + self.accept_timeout_rate:
            return "late", None
        return "ok", None

    def _accept(self, form: dict[str, str]) -> dict[str, object]:
        """Record a message as Twilio has it (under the lock); its resource as JSON."""
        self._sequence += 1
        now = datetime.now(UTC)
        message = {
            "sid": f"SM{self._sequence:032x}",
            "to": form.get("To", ""),
            "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "body": form.get("Body", ""),
            "status": "accepted" if form.get("MessagingServiceSid") else "queued",
            "validity_period": form.get("ValidityPeriod"),
            "status_callback": form.get("StatusCallback"),
            "date_sent": now,
        }
        self.accepted.append(message)  # type: ignore[arg-type]
        self._bodies[message["body"]] += 1  # type: ignore[index]
        return message

    def _resource(self, message: dict[str, object], sid: str) -> dict[str, object]:
        moment = _rfc2822(message["date_sent"])  # type: ignore[arg-type]
        return {
            "sid": message["sid"],
            "account_sid": sid,
            "to": message["to"],
            "from": message["from"],
            "messaging_service_sid": message["messaging_service_sid"],
            "body": message["body"],
            "status": message["status"],
            "direction": "outbound-api",
            "num_segments": "1",
            "date_created": moment,
            "date_updated": moment,
            "date_sent": moment,
            "error_code": None,
            "error_message": None,
            "api_version": "2010-04-01",
            "uri": f"{MESSAGES_PATH.format(sid=sid)[:-5]}/{message['sid']}.json",
        }

    def _list(self, sid: str, query: dict[str, str], path: str) -> dict[str, object]:
        to = query.get("To")
        since = _parse_moment(query["DateSent>"]) if "DateSent>" in query else None
        size = max(1, min(int(query.get("PageSize", 50)), 1000))
        page = max(0, int(query.get("Page", 0)))
        with self._lock:
            self.lists.append(dict(query))
            found = [
                m
                for m in reversed(self.accepted)
                if (to is None or m["to"] == to) and (since is None or m["date_sent"] >= since)  # type: ignore[operator]
            ]
        records = found[page * size : (page + 1) * size]
        base = {k: v for k, v in query.items() if k not in ("Page", "PageToken")}
        more = (page + 1) * size < len(found)
        return {
            "messages": [self._resource(m, sid) for m in records],
            "page": page,
            "page_size": size,
            "start": page * size,
            "end": page * size + len(records) - 1,
            "uri": f"{path}?{urlencode(query)}",
            "first_page_uri": f"{path}?{urlencode({**base, 'Page': 0})}",
            "previous_page_uri": f"{path}?{urlencode({**base, 'Page': page - 1})}" if page else None,
            "next_page_uri": f"{path}?{urlencode({**base, 'Page': page + 1, 'PageToken': f'PA{page + 1}'})}"
            if more
            else None,
        }

    # -- status callbacks -------------------------------------------------------------------------

    def _post_callbacks(self, message: dict[str, object], sid: str) -> threading.Thread | None:
        url = message["status_callback"]
        if not (self.callbacks and url):
            return None

        def run() -> None:
            for status in self.callback_statuses:
                if self.callback_delay:
                    time.sleep(self.callback_delay)
                form = {
                    "AccountSid": sid,
                    "ApiVersion": "2010-04-01",
                    "MessageSid": message["sid"],
                    "SmsSid": message["sid"],
                    "MessageStatus": status,
                    "SmsStatus": status,
                    "To": message["to"],
                }
                if message["messaging_service_sid"]:
                    form["MessagingServiceSid"] = message["messaging_service_sid"]
                if message["from"]:
                    form["From"] = message["from"]
                if status in ("undelivered", "failed") and self.callback_error_code:
                    form["ErrorCode"] = self.callback_error_code
                answered = self.post_callback(str(url), form)  # type: ignore[arg-type]
                with self._lock:
                    self.callback_results.append((str(message["sid"]), status, answered))

        thread = threading.Thread(target=run, name=f"fake-twilio-callback-{message['sid']}", daemon=True)
        with self._lock:
            self._threads.append(thread)
        thread.start()
        return thread

    def sign(self, url: str, form: dict[str, str]) -> str:
        """``X-Twilio-Signature`` for a POST of ``form`` to ``url``, as Twilio computes it."""
        return RequestValidator(self.callback_signing_token or self.auth_token).compute_signature(url, form)

    def post_callback(self, url: str, form: dict[str, str]) -> int:
        """Post one signed callback to ``url``; the HTTP status the app answered (0: unreachable)."""
        headers = {
            "X-Twilio-Signature": self.sign(url, form),
            "Content-Type": "application/x-www-form-urlencoded",
            "User-Agent": "TwilioProxy/1.1",
        }
        if self.deliver_callback is not None:
            return self.deliver_callback(url, form, headers)
        request = urllib.request.Request(url, data=urlencode(form).encode(), headers=headers, method="POST")  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - the app under test
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            return 0


def _error_body(code: int) -> tuple[int, dict[str, object]]:
    status, message = TWILIO_ERRORS.get(code, (400, "Error"))
    return status, {
        "code": code,
        "message": message,
        "status": status,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
    }


def start(fake: FakeTwilio) -> FakeTwilio:
    """Serve ``fake`` on a free port of 127.0.0.1 in a background thread."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the SDK's pooled session expects

        def setup(self) -> None:
            super().setup()
            # Headers and body are two writes: without this, Nagle and delayed ACKs add 40 ms each.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def _account(self) -> str | None:
            """The account the path names, or ``None`` when the path or the credentials are wrong."""
            parts = urlsplit(self.path).path.split("/")
            if len(parts) != 5 or parts[1] != "2010-04-01" or parts[2] != "Accounts" or parts[4] != "Messages.json":
                return None
            sid = parts[3]
            if fake.account_sid is not None:
                expected = "Basic " + base64.b64encode(f"{fake.account_sid}:{fake.auth_token}".encode()).decode()
                if sid != fake.account_sid or self.headers.get("Authorization") != expected:
                    return None
            return sid

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            length = int(self.headers.get("Content-Length", 0))
            raw = self.rfile.read(length)
            if len(raw) < length:  # the client died mid-request: Twilio has nothing, and answers no one
                self.close_connection = True
                return
            form = {k: v[0] for k, v in parse_qs(raw.decode(), keep_blank_values=True).items()}
            form["path"] = self.path
            sid = self._account()
            with fake._lock:  # noqa: SLF001
                fake.received.append(form)
                decision, code = ("error", 20003) if sid is None else fake._decide(form)  # noqa: SLF001
                message = fake._accept(form) if decision in ("ok", "late") else None  # noqa: SLF001
            if fake.on_send is not None:
                fake.on_send(form)
            if message is not None:
                callbacks = fake._post_callbacks(message, sid)  # noqa: SLF001
                if callbacks is not None and fake.answer_after_callbacks:
                    callbacks.join(10)
            if decision == "late":
                time.sleep(fake.hold_seconds)
            elif fake.delay:
                time.sleep(fake.delay)
            headers = {}
            if message is not None:
                status, body = 201, fake._resource(message, sid)  # noqa: SLF001
            else:
                status, body = _error_body(code)  # type: ignore[arg-type]
                if code == 20429:
                    headers["Retry-After"] = f"{fake.retry_after:g}"
            self._answer(status, body, headers)

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            split = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
            sid = self._account()
            if fake.delay:
                time.sleep(fake.delay)
            if sid is None:
                self._answer(*_error_body(20003 if fake.account_sid else 20404))
            elif fake.list_reply != "ok":
                with fake._lock:  # noqa: SLF001
                    fake.lists.append(dict(query))
                self._answer(*_error_body(int(fake.list_reply)))
            else:
                self._answer(200, fake._list(sid, query, split.path))  # noqa: SLF001

        def _answer(self, status: int, body: dict[str, object], headers: dict[str, str] | None = None) -> None:
            payload = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (a time-out test)
                self.close_connection = True

        def log_message(self, *args: object) -> None:
            """Quiet."""

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 128

        def handle_error(self, request, client_address) -> None:  # noqa: ANN001
            """A client that hung up mid-request (a killed worker) is no error of the fake's."""

    fake.server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=fake.server.serve_forever, name="fake-twilio", daemon=True).start()
    return fake
