"""A local stand-in for Twilio's REST API, reached by the real twilio SDK over real HTTP.

The network here is closed, so this is the one part that is faked, at the HTTP layer: the app's
Twilio sender, the SDK and its HTTP client all run unchanged; only the host is swapped.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from twilio.http.http_client import TwilioHttpClient

TWILIO_ERRORS = {
    21211: (400, "The 'To' number is not a valid phone number."),
    21610: (400, "Attempt to send to unsubscribed recipient"),
    20003: (401, "Authenticate"),
    20500: (500, "Internal Server Error"),
}


@dataclass
class FakeTwilio:
    """The fake's behaviour (``reply``: ok, an error code, or a delay) and what it received."""

    reply: int | str = "ok"
    delay: float = 0.0
    received: list[dict[str, str]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]  # type: ignore[union-attr]
        return f"http://{host}:{port}"

    def http_client(self, timeout: float = 2) -> TwilioHttpClient:
        """A TwilioHttpClient that sends the SDK's requests here instead of to api.twilio.com."""
        base = self.base_url

        class LocalClient(TwilioHttpClient):
            def request(self, method, url, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
                return super().request(method, url.replace("https://api.twilio.com", base), *args, **kwargs)

        return LocalClient(timeout=timeout)


def start(fake: FakeTwilio) -> FakeTwilio:
    """Serve ``fake`` on a free port of 127.0.0.1 in a background thread."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            length = int(self.headers.get("Content-Length", 0))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            form["path"] = self.path
            fake.received.append(form)
            if fake.delay:
                time.sleep(fake.delay)
            if fake.reply == "ok":
                status, body = 201, {"sid": f"SM{len(fake.received):032d}", "status": "queued", "to": form.get("To")}
            else:
                status, message = TWILIO_ERRORS[int(fake.reply)]
                body = {
                    "code": fake.reply,
                    "message": message,
                    "status": status,
                    "more_info": f"https://www.twilio.com/docs/errors/{fake.reply}",
                }
            payload = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (a time-out test)
                pass

        def log_message(self, *args: object) -> None:
            """Quiet."""

    fake.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.server.daemon_threads = True
    threading.Thread(target=fake.server.serve_forever, daemon=True).start()
    return fake
