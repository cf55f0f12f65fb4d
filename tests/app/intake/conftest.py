"""A newcomer's phone for the intake's SMS tests: what the outbox sent to it (the worker runs when
asked) and replies through the signed Twilio webhook, at a fixed time."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.intake import sms as intake_sms
from app.models import Filling, Newcomer, OutboundMessage
from app.models.conversation import ConversationMessage
from app.models.filling import FillingReply
from tests.app.test_webhooks import INBOUND, new_sid, signed, sms_from
from tests.conftest import NOW, Person  # noqa: F401 - NOW is imported from here too

AMSTERDAM = ZoneInfo("Europe/Amsterdam")

AMAL_ON_THE_WEB = {
    "preferred_name": "Amal",
    "date_of_birth": "12-03-1984",
    "gender": "woman",
    "country_of_birth": "SY",
    "phone": "0612345678",
    "email": "",
    "contact_preference": "sms",
    "mother_tongue": "ar",
    "other_language": "en",
    "reads_mother_tongue": "good",
    "writes_mother_tongue": "good",
    "reads_latin_script": "little",
    "dutch_level": "none",
    "english_level": "little",
    "school_years": "9",
    "highest_education": "none",
    "wants_study": "yes",
    "has_worked": "no",
    "works_now": "no",
}
"""Amal's answers up to her work, as the web form takes them (a test adds the rest it needs)."""


@dataclass
class Phone:
    """A newcomer's phone: what reached it (the worker runs when asked), and signed replies."""

    app: Flask
    client: FlaskClient
    sms: object
    person: Person

    def start(self) -> None:
        with self.app.app_context():
            intake_sms.start(db.session.get(Newcomer, self.person.id), actor=("newcomer", self.person.id))

    def reply(self, body: str, sid: str | None = None, *, received: bool = True, **extra: str) -> str:
        """Send ``body`` (by default once the phone received what was due: people answer what they
        got); the SID used."""
        if received:
            self.sms.sent  # noqa: B018 - reading runs the worker
        sid = sid or new_sid()
        response = signed(self.client, INBOUND, sms_from(self.person.phone, body, sid=sid, **extra))
        assert response.status_code == 200, response.text
        return sid

    def rows(self) -> list[OutboundMessage]:
        """Every outbox row to this newcomer, in the order it was queued, without running the worker."""
        with self.app.app_context():
            found = db.session.scalars(
                select(OutboundMessage)
                .where(OutboundMessage.newcomer_id == self.person.id)
                .order_by(OutboundMessage.id)
                .execution_options(all_municipalities=True)
            ).all()
            db.session.expunge_all()
            return found

    def messages(self) -> list[OutboundMessage]:
        """Run the worker; every row to this newcomer, in the order it was queued."""
        self.sms.sent  # noqa: B018 - reading runs the worker
        return self.rows()

    deliver = messages

    def received(self) -> list[OutboundMessage]:
        """The messages that reached the phone (sent), in the order they were sent."""
        sent = [m for m in self.messages() if m.status in ("sent", "delivered")]
        return sorted(sent, key=lambda m: (m.sent_at, m.id))

    def last(self) -> OutboundMessage:
        return self.received()[-1]

    def filling(self) -> Filling:
        with self.app.app_context():
            row = db.session.scalar(select(Filling).where(Filling.newcomer_id == self.person.id))
            db.session.expunge(row)
            return row

    def replies(self) -> list[FillingReply]:
        with self.app.app_context():
            found = db.session.scalars(select(FillingReply).order_by(FillingReply.id)).all()
            db.session.expunge_all()
            return found

    def outcomes(self) -> list[str]:
        return [r.outcome for r in self.replies()]

    def inbox(self) -> list[ConversationMessage]:
        """What reached the klantmanager's conversation of the file."""
        with self.app.app_context():
            found = db.session.scalars(
                select(ConversationMessage).order_by(ConversationMessage.id).execution_options(all_municipalities=True)
            ).all()
            db.session.expunge_all()
            return found


@pytest.fixture
def phone(hooks: Flask, client: FlaskClient, sms, newcomer: Person, clock) -> Phone:  # noqa: ANN001
    """Amal's phone (English, so the tests read the source strings)."""
    return Phone(hooks, client, sms, newcomer)


@pytest.fixture
def make_phone(hooks: Flask, client: FlaskClient, sms, make_newcomer, clock):  # noqa: ANN001, ANN201
    def make(language: str = "en", **options: str) -> Phone:
        return Phone(hooks, client, sms, make_newcomer(language=language, **options))

    return make
