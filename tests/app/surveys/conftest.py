"""Fixtures of the survey tests: a file with an approved intake, partners, a frozen clock, the phone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import Filling, Newcomer, OutboundMessage, RouteProgress
from app.models.filling import APPROVED, FillingReply
from app.models.partner import Partner, RoutePartner
from app.models.survey import SurveyInvitation, SurveyResponse
from app.models.types import utcnow
from app.surveys import scan
from tests.app.intake.conftest import NOW
from tests.app.test_webhooks import INBOUND, new_sid, signed, sms_from
from tests.conftest import Person

LINK = re.compile(r"https://\S+/s/([A-Za-z0-9_-]+)")


def approve_intake(app: Flask, person: Person, at: datetime | None = None) -> None:
    """The person's intake, approved by the klantmanager at ``at`` (now)."""
    with app.app_context():
        db.session.add(
            Filling(
                newcomer_id=person.id,
                municipality_id=db.session.get(Newcomer, person.id).municipality_id,
                workflow_id="brede_intake",
                workflow_version=1,
                occasion="",
                answers={},
                completed_steps=[],
                asked=[],
                answer_channels={},
                locale=person.language,
                status=APPROVED,
                submitted_at=(at or utcnow()) - timedelta(days=2),
                reviewed_at=at or utcnow(),
            )
        )
        db.session.commit()


def add_partner(app: Flask, person: Person, kind: str, name: str, started_days_ago: int = 100) -> int:
    """A partner of ``kind`` serving the person since ``started_days_ago``; its id."""
    with app.app_context():
        newcomer = db.session.get(Newcomer, person.id)
        partner = Partner(name=name, kind=kind)
        db.session.add(partner)
        db.session.flush()
        db.session.add(
            RoutePartner(
                newcomer_id=person.id,
                municipality_id=newcomer.municipality_id,
                partner_id=partner.id,
                kind=kind,
                started_on=NOW.date() - timedelta(days=started_days_ago),
            )
        )
        db.session.commit()
        return partner.id


def set_route(app: Flask, person: Person, **dates) -> None:  # noqa: ANN003
    """The person's route progress with these dates."""
    with app.app_context():
        newcomer = db.session.get(Newcomer, person.id)
        row = db.session.scalar(select(RouteProgress).where(RouteProgress.newcomer_id == person.id))
        if row is None:
            row = RouteProgress(newcomer_id=person.id, municipality_id=newcomer.municipality_id)
            db.session.add(row)
        for name, value in dates.items():
            setattr(row, name, value)
        db.session.commit()


@dataclass
class Phone:
    """A newcomer's phone: what the outbox sent to it, and replies through the signed webhook."""

    app: Flask
    client: FlaskClient
    sms: object
    person: Person

    def reply(self, body: str, sid: str | None = None) -> str:
        self.sms.sent  # noqa: B018 - reading runs the worker
        sid = sid or new_sid()
        response = signed(self.client, INBOUND, sms_from(self.person.phone, body, sid=sid))
        assert response.status_code == 200
        return sid

    def bodies(self) -> list[str]:
        """The texts this phone received, in order."""
        return [body for to, body in self.sms.sent if to == self.person.phone]

    def last(self) -> str:
        return self.bodies()[-1]

    def token(self) -> str:
        """The survey token of the link in the latest SMS that carried one."""
        for body in reversed(self.bodies()):
            if found := LINK.search(body):
                return found.group(1)
        raise AssertionError("no survey link was sent")

    def messages(self) -> list[OutboundMessage]:
        self.sms.sent  # noqa: B018
        with self.app.app_context():
            found = db.session.scalars(
                select(OutboundMessage)
                .where(OutboundMessage.newcomer_id == self.person.id)
                .order_by(OutboundMessage.id)
            ).all()
            db.session.expunge_all()
            return found

    def outcomes(self) -> list[str]:
        with self.app.app_context():
            return list(db.session.scalars(select(FillingReply.outcome).order_by(FillingReply.id)))


@pytest.fixture
def phone(hooks: Flask, client: FlaskClient, sms, newcomer: Person, clock) -> Phone:  # noqa: ANN001
    """Amal's phone (English); her intake was approved an hour ago."""
    approve_intake(hooks, newcomer, utcnow() - timedelta(hours=1))
    return Phone(hooks, client, sms, newcomer)


def run_scan(app: Flask) -> int:
    with app.app_context():
        return scan.scan()


def invitations(app: Flask) -> list[SurveyInvitation]:
    with app.app_context():
        found = db.session.scalars(select(SurveyInvitation).order_by(SurveyInvitation.id)).all()
        db.session.expunge_all()
        return found


def responses(app: Flask) -> list[SurveyResponse]:
    with app.app_context():
        found = db.session.scalars(select(SurveyResponse).order_by(SurveyResponse.id)).all()
        db.session.expunge_all()
        return found
