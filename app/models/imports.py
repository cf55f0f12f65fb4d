"""CSV imports of DUO notifications: one row per upload, with its progress and its report."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import JsonColumn, UTCDateTime, utcnow

QUEUED = "queued"
CHECKING = "checking"
IMPORTING = "importing"
SENDING = "sending"
DONE = "done"
FAILED = "failed"
RUNNING = (QUEUED, CHECKING, IMPORTING, SENDING)


class ImportJob(db.Model):
    """One upload of a CSV file: status, counts, and a report of line numbers and reason codes.

    It holds no personal data (not the file, not names, not DUO's ids), so it is not
    ``TenantOwned``: a file may hold rows of several of the uploader's municipalities. Only the
    staff member who uploaded it can see it (``import_services.get_job``).
    """

    __tablename__ = "import_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(12), default=QUEUED)
    rows_total: Mapped[int] = mapped_column(default=0)
    rows_checked: Mapped[int] = mapped_column(default=0)
    imported_count: Mapped[int] = mapped_column(default=0)
    already_count: Mapped[int] = mapped_column(default=0)
    invalid_count: Mapped[int] = mapped_column(default=0)
    invited_count: Mapped[int] = mapped_column(default=0)
    invite_failed_count: Mapped[int] = mapped_column(default=0)
    report: Mapped[dict[str, Any]] = mapped_column(JsonColumn, default=dict)
    """``errors``: [{line, code, lines?}], ``already``: [line], ``invite_failed``: [newcomer id]."""
    failure: Mapped[str | None] = mapped_column(String(30))
    """Why the job failed, as a code (``refused``, ``error``, ``sending``)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def running(self) -> bool:
        """Whether the work is still going on (the progress page refreshes itself meanwhile)."""
        return self.status in RUNNING

    @property
    def progress(self) -> tuple[int, int] | None:
        """(done, total) of the current stage, or ``None`` while it cannot be counted (writing)."""
        if self.status in (QUEUED, CHECKING):
            return self.rows_checked, max(self.rows_total, 1)
        if self.status == SENDING:
            return self.invited_count + self.invite_failed_count, max(self.imported_count, 1)
        if self.status == IMPORTING:
            return None
        return 1, 1
