"""Municipalities (gemeenten): every record of a newcomer belongs to one."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class Municipality(db.Model):
    """A municipality, known by its 4-digit CBS gemeentecode."""

    __tablename__ = "municipalities"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(4), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id", ondelete="SET NULL"), index=True)
    """The region it reports with (its targets and settings); none: the defaults, reported alone."""
