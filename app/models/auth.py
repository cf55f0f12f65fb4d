"""Sign-in state kept on the server: SMS code challenges and sessions."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .newcomer import Newcomer
from .staff import Staff
from .types import UTCDateTime, utcnow


class LoginChallenge(db.Model):
    """One request for an SMS code.

    A row is written for unknown numbers too (without newcomer and with a code nobody gets), so
    known and unknown numbers cost the same and leave the same traces to an outsider.
    """

    __tablename__ = "login_challenges"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(43), unique=True)
    """A random handle kept in the browser's session; never the phone number."""
    newcomer_id: Mapped[int | None] = mapped_column(ForeignKey("newcomers.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    newcomer: Mapped[Newcomer | None] = relationship()


class AuthSession(db.Model, UserMixin):
    """A signed-in session; the browser holds a random token, we keep only its hash.

    It is Flask-Login's user object: ``current_user.newcomer`` or ``current_user.staff`` is the
    person signed in (one of the two); ending the row signs the browser out on the server.
    """

    __tablename__ = "auth_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    newcomer_id: Mapped[int | None] = mapped_column(ForeignKey("newcomers.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    caseload_search: Mapped[str | None] = mapped_column(String(100))
    """The name a klantmanager last searched for: kept here, so it dies with the session, and never
    in the (signed, not encrypted) cookie, a URL or a log."""

    newcomer: Mapped[Newcomer | None] = relationship(lazy="joined")
    staff: Mapped[Staff | None] = relationship(lazy="joined")

    token = None
    """The raw token (not stored): set on the object by sign-in and by loading from the cookie."""

    def get_id(self) -> str | None:
        """Flask-Login stores this in the cookie session: the raw token, set at sign-in."""
        return self.token
