"""Newcomers (inburgeraars) and their invitations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .municipality import Municipality
from .types import UTCDateTime, utcnow


class Newcomer(db.Model):
    """A person who must complete civic integration; signs in with their phone."""

    __tablename__ = "newcomers"

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    """E.164, e.g. +31612345678."""
    language: Mapped[str] = mapped_column(String(8), default="nl")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    municipality: Mapped[Municipality] = relationship(lazy="joined")


class Invitation(db.Model):
    """A single-use sign-in link sent to a newcomer; the link carries a signed id."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    newcomer_id: Mapped[int] = mapped_column(ForeignKey("newcomers.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    newcomer: Mapped[Newcomer] = relationship()
