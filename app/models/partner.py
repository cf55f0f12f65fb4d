"""Regions, the partners that serve newcomers, and which partner serves whom.

A :class:`Region` groups municipalities that report together (Westfriesland's seven) and holds
their policy settings: the klantbeleving target, the smallest cell the dashboard shows, and the
cohort targets. A :class:`Partner` is an organisation of one kind (a language school, the social
guidance, the municipality itself, the work partner, a MAP/PVT provider) serving one or more
municipalities; :class:`RoutePartner` links a newcomer's route to the partner that serves them for
that kind, from a date (a survey rates the partner that served the person then).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, ForeignKey, Index, Numeric, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .municipality import Municipality
from .tenancy import TenantOwned
from .types import JsonColumn, UTCDateTime, utcnow

# Partner kinds: the survey definitions in workflows/surveys.py are per kind.
LANGUAGE_SCHOOL = "language_school"
SOCIAL_GUIDANCE = "social_guidance"
"""Maatschappelijke begeleiding."""
MUNICIPALITY = "municipality"
"""The municipality and its klantmanager."""
WORK_PARTNER = "work_partner"
"""Work and participation (WerkSaam in the seed)."""
MAP_PVT_PROVIDER = "map_pvt_provider"
PARTNER_KINDS = (LANGUAGE_SCHOOL, SOCIAL_GUIDANCE, MUNICIPALITY, WORK_PARTNER, MAP_PVT_PROVIDER)
PARTNER_KIND_LABELS = {
    LANGUAGE_SCHOOL: _l("Language school"),
    SOCIAL_GUIDANCE: _l("Maatschappelijke begeleiding"),
    MUNICIPALITY: _l("The municipality"),
    WORK_PARTNER: _l("Work and participation"),
    MAP_PVT_PROVIDER: _l("MAP and PVT provider"),
}
"""Each kind's name for staff pages, forms and reports (one definition for all of them)."""

DEFAULT_KLANTBELEVING_TARGET = Decimal("7.0")
DEFAULT_MIN_CELL = 10


class Region(db.Model):
    """Municipalities that report together, with their policy settings."""

    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    klantbeleving_target: Mapped[Decimal] = mapped_column(
        Numeric(3, 1), default=DEFAULT_KLANTBELEVING_TARGET, server_default="7.0"
    )
    """The mean mark the region aims for (the seed's policy: at least 7)."""
    min_cell: Mapped[int] = mapped_column(default=DEFAULT_MIN_CELL, server_default=str(DEFAULT_MIN_CELL))
    """A dashboard cell with fewer responses than this is hidden."""
    targets: Mapped[dict[str, Any]] = mapped_column(JsonColumn, default=dict)
    """Cohort targets in percent by KPI id (``app/reports/monitor/kpis.py``); missing ids take the defaults."""

    municipalities: Mapped[list[Municipality]] = relationship(
        primaryjoin="Region.id == foreign(Municipality.region_id)", order_by="Municipality.name", viewonly=True
    )


partner_municipalities = Table(
    "partner_municipalities",
    db.metadata,
    Column("partner_id", ForeignKey("partners.id", ondelete="CASCADE"), primary_key=True),
    Column("municipality_id", ForeignKey("municipalities.id", ondelete="CASCADE"), primary_key=True),
)


class Partner(db.Model):
    """An organisation that serves newcomers, of one kind, for one or more municipalities."""

    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))
    """One of :data:`PARTNER_KINDS`."""
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    municipalities: Mapped[list[Municipality]] = relationship(secondary=partner_municipalities, lazy="selectin")


class RoutePartner(TenantOwned, db.Model):
    """The partner that serves a newcomer for one kind, from ``started_on`` (until ``ended_on``)."""

    __tablename__ = "route_partners"
    __table_args__ = (Index("ix_route_partners_newcomer", "newcomer_id", "kind", "started_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    newcomer_id: Mapped[int] = mapped_column(ForeignKey("newcomers.id", ondelete="CASCADE"))
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    """The partner's kind, copied: one current partner per kind and person."""
    started_on: Mapped[date]
    ended_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    partner: Mapped[Partner] = relationship(lazy="joined")
