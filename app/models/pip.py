"""Route and PIP (Plan Inburgering en Participatie): versioned, mapping onto DUO's PIP schema."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .staff import Staff
from .tenancy import TenantOwned
from .types import UTCDateTime, utcnow

# DUO's codes (duo-api PIP schema): leerroute B/O/Z, niveau A2/B1, alfabetisering A/AA/NVT.
LEERROUTES = ("B", "Z", "O")
LEVELS = ("A2", "B1")
LITERACY = ("A", "AA", "NVT")
LEARNABILITY = ("feasible", "not_feasible", "unknown")


class Pip(TenantOwned, db.Model):
    """One version of a newcomer's PIP; a change adds a version, earlier ones are kept."""

    __tablename__ = "pips"
    __table_args__ = (UniqueConstraint("newcomer_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    newcomer_id: Mapped[int] = mapped_column(ForeignKey("newcomers.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    learnability_result: Mapped[str] = mapped_column(String(20), default="unknown")
    learnability_score: Mapped[int | None]
    leerroute: Mapped[str] = mapped_column(String(1))
    level: Mapped[str] = mapped_column(String(2))
    literacy: Mapped[str] = mapped_column(String(3), default="NVT")
    pip_on: Mapped[date]
    knm: Mapped[bool] = mapped_column(default=True)
    pvt: Mapped[bool] = mapped_column(default=True)
    map: Mapped[bool] = mapped_column(default=True)
    z_participation: Mapped[bool] = mapped_column(default=False)
    social_guidance: Mapped[bool] = mapped_column(default=False)
    """Maatschappelijke begeleiding."""
    financial_relief_on: Mapped[date | None]
    """Start of financieel ontzorgen, if any."""
    financial_relief_extended: Mapped[bool | None]
    """Financieel ontzorgen extended after six months."""
    b1_hours_estimate: Mapped[int | None]
    """DUO's geschatteIntensiteitB1Route: estimated hours of language course and KNM (B1-route, statushouders)."""
    may_finish_education: Mapped[bool | None]
    """DUO's indicatorMagOpleidingAfmaken: may finish a current (non-exempting) education first."""
    comment: Mapped[str | None] = mapped_column(Text)
    created_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    created_by: Mapped[Staff | None] = relationship(lazy="joined")


class TermExtension(TenantOwned, db.Model):
    """An extension of the inburgeringstermijn decided by DUO (illness, birth, bereavement, ...)."""

    __tablename__ = "term_extensions"

    id: Mapped[int] = mapped_column(primary_key=True)
    newcomer_id: Mapped[int] = mapped_column(ForeignKey("newcomers.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(30))
    days: Mapped[int]
    decided_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
