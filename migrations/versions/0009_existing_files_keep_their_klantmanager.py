"""existing files get the klantmanager who registered them

Files made before 0006 have no responsible klantmanager, so "my files" (the caseload's default)
and the today page would show nothing after an upgrade. Each such file goes to the klantmanager
who registered or imported it (the actor of its first history line), if that account is still an
enabled klantmanager of the file's municipality; the rest stay unassigned (the team view shows them).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 11:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        sa.text(
            """
            UPDATE newcomers SET klantmanager_id = (
                SELECT sc.actor_staff_id
                FROM status_changes sc
                JOIN staff_members s ON s.id = sc.actor_staff_id
                JOIN staff_municipalities sm ON sm.staff_id = s.id AND sm.municipality_id = newcomers.municipality_id
                WHERE sc.newcomer_id = newcomers.id
                  AND sc.to_status = 'registered'
                  AND s.role = 'klantmanager'
                  AND s.disabled_at IS NULL
                ORDER BY sc.id
                LIMIT 1
            )
            WHERE klantmanager_id IS NULL
            """
        )
    )


def downgrade():
    pass  # which files were assigned by this step is not kept; the column itself goes with 0006
