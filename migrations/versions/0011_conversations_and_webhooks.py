"""a conversation on every file; Twilio webhook receipts; counts of SMS from unknown numbers

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 14:40:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "conversation_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("newcomer_id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("channel", sa.String(length=3), nullable=False),
        sa.Column("author_staff_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("common_question", sa.String(length=40), nullable=True),
        sa.Column("sensitive", sa.Boolean(), nullable=False),
        sa.Column("outbound_message_id", sa.Integer(), nullable=True),
        sa.Column("provider_sid", sa.String(length=64), nullable=True),
        sa.Column("in_reply_to_id", sa.Integer(), nullable=True),
        sa.Column("read_at", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["author_staff_id"], ["staff_members.id"],
            name=op.f("fk_conversation_messages_author_staff_id_staff_members"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["in_reply_to_id"], ["conversation_messages.id"],
            name=op.f("fk_conversation_messages_in_reply_to_id_conversation_messages"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"], ["municipalities.id"],
            name=op.f("fk_conversation_messages_municipality_id_municipalities"),
        ),
        sa.ForeignKeyConstraint(
            ["newcomer_id"], ["newcomers.id"],
            name=op.f("fk_conversation_messages_newcomer_id_newcomers"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["outbound_message_id"], ["outbound_messages.id"],
            name=op.f("fk_conversation_messages_outbound_message_id_outbound_messages"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_messages")),
        sa.UniqueConstraint("provider_sid", name=op.f("uq_conversation_messages_provider_sid")),
    )
    with op.batch_alter_table("conversation_messages", schema=None) as batch_op:
        batch_op.create_index("ix_conversation_newcomer_created", ["newcomer_id", "created_at"], unique=False)
        batch_op.create_index("ix_conversation_unread", ["municipality_id", "direction", "read_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_conversation_messages_municipality_id"), ["municipality_id"], unique=False)

    op.create_table(
        "webhook_receipts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sid", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_receipts")),
        sa.UniqueConstraint("sid", name=op.f("uq_webhook_receipts_sid")),
    )
    with op.batch_alter_table("webhook_receipts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_webhook_receipts_received_at"), ["received_at"], unique=False)

    op.create_table(
        "unknown_sender_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("answered", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unknown_sender_counts")),
        sa.UniqueConstraint("day", "key_hash", name=op.f("uq_unknown_sender_counts_day")),
    )


def downgrade():
    op.drop_table("unknown_sender_counts")
    op.drop_table("webhook_receipts")
    op.drop_table("conversation_messages")
