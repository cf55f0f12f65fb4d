"""Municipal staff: klantmanagers, beleidsmedewerkers and beheerders, and the municipalities they serve."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .municipality import Municipality
from .types import JsonColumn, UTCDateTime, utcnow

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
    recovery_code_hashes: Mapped[list[str]] = mapped_column(JsonColumn, default=list)
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
