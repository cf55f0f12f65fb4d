"""CSV imports of DUO notifications: one row per upload, the work the outbox worker runs, and its report."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import JsonColumn, UTCDateTime, utcnow

QUEUED = "queued"
CHECKING = "checking"
IMPORTING = "importing"
SENDING = "sending"
"""Only on jobs from before migration 0012 (invitations were sent one by one after the import)."""
DONE = "done"
FAILED = "failed"
RUNNING = (QUEUED, CHECKING, IMPORTING)
CLAIMED = (CHECKING, IMPORTING)
"""The stages a worker holds the job in (with a lease); when the lease runs out, another takes it over."""


class ImportJob(db.Model):
    """One upload of a CSV file: what the worker needs to run it, its claim, its counts and its report.

    ``payload`` holds the file's rows (personal data) only while the job waits or runs; it is
    wiped in the transaction that ends the job, done or failed. The report keeps line numbers,
    reason codes and DUO's notification ids (no names, no phone numbers); the ids are wiped
    ``REPORT_ID_DAYS`` after the job ended (``report_ids_until``). It is not ``TenantOwned``: a
    file may hold rows of several of the uploader's municipalities. Only the staff member who
    uploaded it can see it (``import_services.get_job``); a job of the ``import-notifications``
    command has no uploader and is seen by nobody on the web.
    """

    __tablename__ = "import_jobs"
    __table_args__ = (Index("ix_import_jobs_status_lease_until", "status", "lease_until"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_members.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20), default="notifications", server_default="notifications")
    """``notifications`` (DUO's notices of new newcomers), ``hours`` (hours followed, GevolgdeUren) or
    ``history`` (a region's existing files and their history, docs/history-import.md)."""
    status: Mapped[str] = mapped_column(String(12), default=QUEUED)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JsonColumn, deferred=True)
    """``rows``: [{line, values, extra_cells}] as read from the file; ``municipality_id`` for an
    import of the command line (only rows of that municipality). ``None`` once the job ended.
    Deferred: the pages that list and show jobs never load it."""
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(default=0)
    """How many times a worker claimed the job (a job that keeps killing its worker fails)."""
    rows_total: Mapped[int] = mapped_column(default=0)
    rows_checked: Mapped[int] = mapped_column(default=0)
    imported_count: Mapped[int] = mapped_column(default=0)
    already_count: Mapped[int] = mapped_column(default=0)
    invalid_count: Mapped[int] = mapped_column(default=0)
    invited_count: Mapped[int] = mapped_column(default=0)
    """Invitations queued in the outbox (one per new newcomer); each file's messages show its fate."""
    report: Mapped[dict[str, Any]] = mapped_column(JsonColumn, default=dict)
    """``errors``: [{line, code, lines?, external_id?}], ``already``: [line], ``warnings``: [{line, code,
    external_id?}]."""
    report_ids_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    """When the notification ids in the report are wiped (``None``: wiped, or the job still runs)."""
    failure: Mapped[str | None] = mapped_column(String(30))
    """Why the job failed, as a code (``refused``, ``error``; ``sending`` before migration 0012)."""
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
        if self.status == IMPORTING:
            return None
        return 1, 1
