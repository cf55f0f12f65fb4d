"""Municipal staff: klantmanagers, beleidsmedewerkers and beheerders, and the municipalities they serve."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .municipality import Municipality
from .types import UTCDateTime, utcnow

KLANTMANAGER = "klantmanager"
BELEIDSMEDEWERKER = "beleidsmedewerker"
BEHEERDER = "beheerder"
ROLES = (KLANTMANAGER, BELEIDSMEDEWERKER, BEHEERDER)

staff_municipalities = Table(
    "staff_municipalities",
    db.metadata,
    Column("staff_id", ForeignKey("staff_members.id", ondelete="CASCADE"), primary_key=True),
    Column("municipality_id", ForeignKey("municipalities.id", ondelete="CASCADE"), primary_key=True),
)


class Staff(db.Model):
    """A staff member: password (argon2) plus a TOTP second factor, one role, granted municipalities."""

    __tablename__ = "staff_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    """Lower-cased."""
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(8), default="nl")
    password_hash: Mapped[str] = mapped_column(String(200))
    must_change_password: Mapped[bool] = mapped_column(default=True)
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_last_step: Mapped[int | None]
    """The last accepted TOTP time step: a code is never accepted twice."""
    auth_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    """Bumped by a reset, a disable, a lockout and a completed sign-in: every half-finished sign-in
    of an older generation (:class:`StaffSignIn`) dies with it."""
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    municipalities: Mapped[list[Municipality]] = relationship(secondary=staff_municipalities, lazy="selectin")

    @property
    def municipality_ids(self) -> tuple[int, ...]:
        """The ids of the municipalities whose files this person may see."""
        return tuple(sorted(m.id for m in self.municipalities))


class StaffRecoveryCode(db.Model):
    """One single-use recovery code (its keyed hash); using it deletes the row in one statement."""

    __tablename__ = "staff_recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)


class StaffSignIn(db.Model):
    """A sign-in whose password was right, waiting for the second factor (or for enrolment).

    The browser holds only a random token (its hash is kept here). The row is valid for 10 minutes,
    once, and only while the account's ``auth_generation`` is the one it was made in; the TOTP
    secret offered during enrolment is kept here, sealed with the browser's token.
    """

    __tablename__ = "staff_sign_ins"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id", ondelete="CASCADE"), index=True)
    generation: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sealed_enrol_secret: Mapped[str | None] = mapped_column(Text)

    staff: Mapped[Staff] = relationship()


class OneTimeReveal(db.Model):
    """A secret to show once to one signed-in session: a one-time password, new recovery codes.

    Sealed with a random token that only that browser holds; showing it deletes the row in the
    same statement, so a replayed cookie finds nothing.
    """

    __tablename__ = "one_time_reveals"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    auth_session_id: Mapped[int] = mapped_column(ForeignKey("auth_sessions.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    subject_id: Mapped[int | None]
    """What the secret belongs to (the staff account whose password it is)."""
    sealed: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
