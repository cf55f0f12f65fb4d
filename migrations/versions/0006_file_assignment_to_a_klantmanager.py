"""file assignment to a klantmanager; today page

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 10:10:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("newcomers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("klantmanager_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_newcomers_klantmanager_id"), ["klantmanager_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_newcomers_klantmanager_id_staff_members"),
            "staff_members",
            ["klantmanager_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade():
    with op.batch_alter_table("newcomers", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_newcomers_klantmanager_id_staff_members"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_newcomers_klantmanager_id"))
        batch_op.drop_column("klantmanager_id")
