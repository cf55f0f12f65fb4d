"""staff sign-in state on the server; single-use recovery codes

A half-finished staff sign-in (password right, second factor to come) and the secrets shown once
(one-time passwords, recovery codes) move out of the signed session cookie into tables; recovery
codes become one row each, so using one is a single DELETE ... RETURNING.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 10:10:00

"""

import json

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "staff_recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff_members.id"], name=op.f("fk_staff_recovery_codes_staff_id_staff_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_recovery_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_staff_recovery_codes_code_hash")),
    )
    op.create_index(op.f("ix_staff_recovery_codes_staff_id"), "staff_recovery_codes", ["staff_id"], unique=False)
    op.create_table(
        "staff_sign_ins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sealed_enrol_secret", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff_members.id"], name=op.f("fk_staff_sign_ins_staff_id_staff_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_sign_ins")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_staff_sign_ins_token_hash")),
    )
    op.create_index(op.f("ix_staff_sign_ins_staff_id"), "staff_sign_ins", ["staff_id"], unique=False)
    op.create_table(
        "one_time_reveals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("auth_session_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("sealed", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["auth_session_id"], ["auth_sessions.id"], name=op.f("fk_one_time_reveals_auth_session_id_auth_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_one_time_reveals")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_one_time_reveals_token_hash")),
    )
    op.create_index(op.f("ix_one_time_reveals_auth_session_id"), "one_time_reveals", ["auth_session_id"], unique=False)

    with op.batch_alter_table("staff_members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("auth_generation", sa.Integer(), server_default="0", nullable=False))

    # Existing recovery codes move to one row each; nothing is lost.
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, recovery_code_hashes FROM staff_members")).all()
    codes = sa.table("staff_recovery_codes", sa.column("staff_id", sa.Integer), sa.column("code_hash", sa.String))
    for staff_id, hashes in rows:
        if isinstance(hashes, str):
            hashes = json.loads(hashes)
        if hashes:
            op.bulk_insert(codes, [{"staff_id": staff_id, "code_hash": h} for h in hashes])

    with op.batch_alter_table("staff_members", schema=None) as batch_op:
        batch_op.drop_column("recovery_code_hashes")


def downgrade():
    with op.batch_alter_table("staff_members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recovery_code_hashes", sa.JSON(), nullable=True))
    connection = op.get_bind()
    by_staff: dict[int, list[str]] = {}
    for staff_id, code_hash in connection.execute(sa.text("SELECT staff_id, code_hash FROM staff_recovery_codes")):
        by_staff.setdefault(staff_id, []).append(code_hash)
    for staff_id, hashes in by_staff.items():
        connection.execute(
            sa.text("UPDATE staff_members SET recovery_code_hashes = :h WHERE id = :id"),
            {"h": json.dumps(hashes), "id": staff_id},
        )
    with op.batch_alter_table("staff_members", schema=None) as batch_op:
        batch_op.drop_column("auth_generation")
    op.drop_index(op.f("ix_one_time_reveals_auth_session_id"), table_name="one_time_reveals")
    op.drop_table("one_time_reveals")
    op.drop_index(op.f("ix_staff_sign_ins_staff_id"), table_name="staff_sign_ins")
    op.drop_table("staff_sign_ins")
    op.drop_index(op.f("ix_staff_recovery_codes_staff_id"), table_name="staff_recovery_codes")
    op.drop_table("staff_recovery_codes")
