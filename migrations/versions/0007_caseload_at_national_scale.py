"""caseload at national scale: indexes, trigram search

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 10:10:00

One ordered index per caseload sort, each led by the municipality and ending in the id, so a
page is an index scan per municipality and a keyset cursor seeks into it; a trigram (GIN) index
for the name search on PostgreSQL (pg_trgm, a trusted extension since PostgreSQL 13), a plain index
on SQLite. See app/backoffice/caseload.py and docs/architecture.md.
"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

CASELOAD_INDEXES = {
    "ix_newcomers_caseload_status": ["municipality_id", "status", "pip_deadline_on", "id"],
    "ix_newcomers_caseload_klantmanager": ["municipality_id", "klantmanager_id", "pip_deadline_on", "id"],
    "ix_newcomers_caseload_name": ["municipality_id", "name", "id"],
    "ix_newcomers_caseload_registered": ["municipality_id", "created_at", "id"],
}


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.drop_index("ix_newcomers_caseload", table_name="newcomers")  # superseded by ..._status
    # The default sort's index carries the filters' columns on PostgreSQL (INCLUDE): a filtered page
    # and a filtered count are then index-only scans; elsewhere it is a plain index.
    op.create_index(
        "ix_newcomers_caseload_deadline",
        "newcomers",
        ["municipality_id", "pip_deadline_on", "id"],
        postgresql_include=["status", "doelgroep", "leerroute", "language", "klantmanager_id", "name"],
    )
    for name, columns in CASELOAD_INDEXES.items():
        op.create_index(name, "newcomers", columns)
    # GIN with gin_trgm_ops on PostgreSQL; the postgresql_* options are ignored elsewhere (a plain index).
    op.create_index(
        "ix_newcomers_name_trgm",
        "newcomers",
        ["name"],
        postgresql_using="gin",
        postgresql_ops={"name": "gin_trgm_ops"},
    )


def downgrade():
    op.drop_index("ix_newcomers_name_trgm", table_name="newcomers")
    for name in ["ix_newcomers_caseload_deadline", *CASELOAD_INDEXES]:
        op.drop_index(name, table_name="newcomers")
    op.create_index("ix_newcomers_caseload", "newcomers", ["municipality_id", "status", "pip_deadline_on"])
    # pg_trgm stays: other objects may use it, and dropping an extension needs more rights than creating it.
