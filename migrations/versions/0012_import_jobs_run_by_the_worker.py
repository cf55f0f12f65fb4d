"""import jobs run by the outbox worker: claimed with a lease, taken over when a worker dies

An import job now holds the file's rows (``payload``, wiped when the job ends) and a claim
(``claimed_by``, ``lease_until``, ``attempts``). Invitations are queued in the transaction that
writes the file, so ``invite_failed_count`` goes. Reports keep line numbers, reason codes and
notification ids, no names: the names in existing reports are removed, and their ids are wiped
``REPORT_ID_DAYS`` (30) after this migration (``report_ids_until``).

Jobs that were still running in a web process's thread cannot be resumed (their rows were only in
that thread's memory): they end as failed. One that was sending invitations had written its
newcomers (``sending``: "send the missing invitations from their files"); the others had written
nothing (``error``).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 14:45:00

"""

import json
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade():
    with op.batch_alter_table("import_jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payload", JSON, nullable=True))
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("lease_until", TS, nullable=True))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("report_ids_until", TS, nullable=True))
        batch_op.drop_column("invite_failed_count")
        batch_op.create_index("ix_import_jobs_status_lease_until", ["status", "lease_until"], unique=False)
        batch_op.create_index(batch_op.f("ix_import_jobs_report_ids_until"), ["report_ids_until"], unique=False)
    with op.batch_alter_table("import_jobs", schema=None) as batch_op:
        batch_op.alter_column("attempts", existing_type=sa.Integer(), server_default=None)

    connection = op.get_bind()
    now = datetime.now(UTC)
    jobs = sa.table(
        "import_jobs",
        sa.column("id", sa.Integer()),
        sa.column("status", sa.String()),
        sa.column("failure", sa.String()),
        sa.column("finished_at", TS),
        sa.column("report", JSON),
        sa.column("report_ids_until", TS),
    )
    connection.execute(
        jobs.update().where(jobs.c.status == "sending").values(status="failed", failure="sending", finished_at=now)
    )
    connection.execute(
        jobs.update()
        .where(jobs.c.status.in_(("queued", "checking", "importing")))
        .values(status="failed", failure="error", finished_at=now)
    )
    wipe_at = now + timedelta(days=30)
    for job_id, report in connection.execute(sa.select(jobs.c.id, jobs.c.report)).all():
        if isinstance(report, str):  # a JSON column read without its type on some drivers
            report = json.loads(report)
        cleaned = {
            key: [_without_name(entry) for entry in entries] if isinstance(entries, list) else entries
            for key, entries in (report or {}).items()
        }
        connection.execute(jobs.update().where(jobs.c.id == job_id).values(report=cleaned, report_ids_until=wipe_at))


def _without_name(entry):
    if isinstance(entry, dict):
        return {key: value for key, value in entry.items() if key != "name"}
    return entry


def downgrade():
    with op.batch_alter_table("import_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_jobs_report_ids_until"))
        batch_op.drop_index("ix_import_jobs_status_lease_until")
        batch_op.add_column(sa.Column("invite_failed_count", sa.Integer(), nullable=False, server_default="0"))
        batch_op.drop_column("report_ids_until")
        batch_op.drop_column("attempts")
        batch_op.drop_column("lease_until")
        batch_op.drop_column("claimed_by")
        batch_op.drop_column("payload")
    with op.batch_alter_table("import_jobs", schema=None) as batch_op:
        batch_op.alter_column("invite_failed_count", existing_type=sa.Integer(), server_default=None)
