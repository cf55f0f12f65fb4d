"""Correcting a registered newcomer's details: name, phone, language, BSN, DUO's and the settling date.

A changed phone number is a different person's phone as far as signing in goes: the newcomer's
sessions end and their unused invitation links and SMS codes stop working.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..extensions import db
from ..models import AuthSession, Invitation, LoginChallenge, Newcomer, Staff
from ..models.types import utcnow
from .services import AlreadyRegistered

FIELDS = ("name", "phone", "language", "bsn", "duo_notified_on", "settled_on")
"""What can be corrected, in the order the audit log names them."""


def change_details(
    newcomer: Newcomer,
    staff: Staff,
    *,
    name: str,
    phone: str,
    language: str,
    bsn: str | None,
    duo_notified_on: date | None,
    settled_on: date | None,
) -> list[str]:
    """Correct the details; commits. The names of the fields that changed (empty: nothing changed).

    ``bsn`` None keeps the BSN on file. Each changed field is an audit entry
    ``file.details_changed.<field>`` (the field's name, never its value). Raises
    :class:`AlreadyRegistered` when the phone number belongs to another newcomer.
    """
    values = {
        "name": " ".join(name.split()),
        "phone": phone,
        "language": language,
        "bsn": newcomer.bsn if bsn is None else bsn,
        "duo_notified_on": duo_notified_on,
        "settled_on": settled_on,
    }
    changed = [field for field in FIELDS if getattr(newcomer, field) != values[field]]
    if not changed:
        return []
    if "phone" in changed:
        taken = select(Newcomer.id).where(Newcomer.phone == phone, Newcomer.id != newcomer.id)
        if db.session.scalar(taken.execution_options(all_municipalities=True)):
            raise AlreadyRegistered(phone)
    for field in changed:
        setattr(newcomer, field, values[field])
    if {"duo_notified_on", "settled_on"} & set(changed):
        newcomer.update_deadline()
    newcomer.updated_at = utcnow()
    if "phone" in changed:
        _sign_out_everywhere(newcomer)
    for field in changed:
        audit.record(f"file.details_changed.{field}", "newcomer", newcomer.id, municipality_id=newcomer.municipality_id)
    try:
        db.session.commit()
    except IntegrityError:  # the same number, registered by someone else a moment ago
        db.session.rollback()
        raise AlreadyRegistered(phone) from None
    return changed


def _sign_out_everywhere(newcomer: Newcomer) -> None:
    """End the newcomer's sessions; their unused invitation links and SMS codes stop working."""
    now = utcnow()
    db.session.execute(
        update(AuthSession)
        .where(AuthSession.newcomer_id == newcomer.id, AuthSession.ended_at.is_(None))
        .values(ended_at=now)
    )
    db.session.execute(
        update(Invitation)
        .where(Invitation.newcomer_id == newcomer.id, Invitation.used_at.is_(None), Invitation.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    db.session.execute(
        update(LoginChallenge)
        .where(LoginChallenge.newcomer_id == newcomer.id, LoginChallenge.used_at.is_(None))
        .where(LoginChallenge.expires_at > now)
        .values(expires_at=now)
    )
