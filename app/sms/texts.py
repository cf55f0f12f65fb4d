"""Every SMS the product sends, in one place: each a function of its values, in the current locale.

Each text names the municipality (an SMS that says who sends it does not read like phishing),
holds no personal data, and fits in at most two segments in every shipped language; a test
(tests/app/test_sms_texts.py) composes every registered text in every language with the longest
sample values and counts its segments with the real GSM-7/UCS-2 counter (app/sms/segments.py).

Register a new text with :func:`sms_text`, giving sample values that are as long as real ones get.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask_babel import gettext

LONGEST_MUNICIPALITY = "Súdwest-Fryslân"
"""Among the longest Dutch municipality names, and with letters outside GSM-7."""
LONGEST_LINK = "https://intake.example-gemeente.nl/i/" + "x" * 16
"""A 30-character base URL and the longest path a text may carry (links stay under 60)."""


@dataclass(frozen=True)
class SmsText:
    """A registered text: its writer and sample values for the segment test."""

    kind: str
    write: Callable[..., str]
    sample: dict[str, str] = field(default_factory=dict)


TEXTS: dict[str, SmsText] = {}


def sms_text(kind: str, **sample: str) -> Callable[[Callable[..., str]], Callable[..., str]]:
    """Register ``write`` as the text of ``kind`` (sample values for the test)."""

    def register(write: Callable[..., str]) -> Callable[..., str]:
        TEXTS[kind] = SmsText(kind, write, {"municipality": LONGEST_MUNICIPALITY, **sample})
        return write

    return register


@sms_text("login_code", code="123456")
def login_code(municipality: str, code: str) -> str:
    """The login code (short: Arabic SMS hold 70 characters a segment)."""
    return gettext(
        "Municipality of %(municipality)s: your code is %(code)s. Valid for 10 minutes. Do not share it.",
        municipality=municipality,
        code=code,
    )


@sms_text("invitation", link=LONGEST_LINK)
def invitation(municipality: str, link: str) -> str:
    """The invitation to start the intake."""
    return gettext(
        "Municipality of %(municipality)s: welcome! Start your intake here: %(link)s",
        municipality=municipality,
        link=link,
    )


@sms_text("intake_returned", link="https://intake.example-gemeente.nl/login")
def intake_returned(municipality: str, link: str) -> str:
    """The intake came back with a question (the question itself is read signed in)."""
    return gettext(
        "Municipality of %(municipality)s: your klantmanager has a question about your intake: %(link)s",
        municipality=municipality,
        link=link,
    )


@sms_text("intake_received")
def intake_received(municipality: str) -> str:
    """The receipt of a sent intake: no link, nothing personal."""
    return gettext("Municipality of %(municipality)s: we received your intake. Thank you!", municipality=municipality)
