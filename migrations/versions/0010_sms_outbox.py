"""the SMS outbox: every message a row with its cause, key, priority, expiry, lease and provider
status; its history; opt-outs; worker heartbeats; short invitation links; unreachable numbers

Existing messages keep their record: each gets an idempotency key and a callback token of its own
(``legacy-<id>``), the category its kind implies, and expires at its creation time, so that a
message that was never sent (``queued``) becomes ``expired`` instead of being sent now (its secret
was never stored). Invitations from before keep working through their signed link.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 14:30:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade():
    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        batch_op.alter_column("kind", existing_type=sa.String(length=20), type_=sa.String(length=30))
        batch_op.add_column(sa.Column("municipality_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("category", sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column("priority", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("cause_type", sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column("cause_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("idempotency_key", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("secret_sealed", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("segments", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("encoding", sa.String(length=5), nullable=True))
        batch_op.add_column(sa.Column("send_after", TS, nullable=True))
        batch_op.add_column(sa.Column("expires_at", TS, nullable=True))
        batch_op.add_column(sa.Column("next_attempt_at", TS, nullable=True))
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("lease_until", TS, nullable=True))
        batch_op.add_column(sa.Column("attempted_at", TS, nullable=True))
        batch_op.add_column(sa.Column("in_doubt", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("provider_status", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("provider_status_at", TS, nullable=True))
        batch_op.add_column(sa.Column("error_at", TS, nullable=True))
        batch_op.add_column(sa.Column("callback_token", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("cancel_reason", sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column("delivered_at", TS, nullable=True))

    op.execute(
        sa.text(
            """
            UPDATE outbound_messages SET
                category = CASE WHEN kind = 'login_code' THEN 'codes' ELSE 'notices' END,
                priority = CASE WHEN kind = 'login_code' THEN 10 ELSE 0 END,
                idempotency_key = 'legacy-' || id,
                callback_token = 'legacy-' || id,
                segments = 1,
                encoding = 'GSM-7',
                send_after = created_at,
                expires_at = created_at,
                next_attempt_at = created_at,
                in_doubt = false,
                attempted_at = sent_at,
                status = CASE WHEN status = 'queued' THEN 'expired' ELSE status END,
                municipality_id = (SELECT n.municipality_id FROM newcomers n WHERE n.id = outbound_messages.newcomer_id)
            """
        )
    )

    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        for name, type_ in (
            ("category", sa.String(length=12)),
            ("priority", sa.Integer()),
            ("idempotency_key", sa.String(length=120)),
            ("segments", sa.Integer()),
            ("encoding", sa.String(length=5)),
            ("send_after", TS),
            ("expires_at", TS),
            ("next_attempt_at", TS),
            ("in_doubt", sa.Boolean()),
            ("callback_token", sa.String(length=32)),
        ):
            batch_op.alter_column(name, existing_type=type_, nullable=False)
        batch_op.drop_index("ix_outbound_messages_newcomer_id")
        batch_op.create_foreign_key(
            batch_op.f("fk_outbound_messages_municipality_id_municipalities"),
            "municipalities",
            ["municipality_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_unique_constraint(batch_op.f("uq_outbound_messages_idempotency_key"), ["idempotency_key"])
        batch_op.create_unique_constraint(batch_op.f("uq_outbound_messages_callback_token"), ["callback_token"])
        batch_op.create_unique_constraint(batch_op.f("uq_outbound_messages_provider_id"), ["provider_id"])
        batch_op.create_index(
            "ix_outbound_leases",
            ["lease_until"],
            unique=False,
            postgresql_where=sa.text("status = 'sending'"),
            sqlite_where=sa.text("status = 'sending'"),
        )
        batch_op.create_index("ix_outbound_status_created", ["status", "created_at"], unique=False)
        batch_op.create_index("ix_outbound_newcomer_created", ["newcomer_id", "created_at"], unique=False)
    # The due query reads this in its order (priority DESC, then due time); created outside the
    # batch, whose table copy on SQLite would drop the DESC.
    op.create_index(
        "ix_outbound_due",
        "outbound_messages",
        [sa.text("priority DESC"), "next_attempt_at"],
        unique=False,
        postgresql_where=sa.text("status = 'queued'"),
        sqlite_where=sa.text("status = 'queued'"),
    )

    op.create_table(
        "outbound_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("source", sa.String(length=12), nullable=False),
        sa.Column("error_code", sa.String(length=20), nullable=True),
        sa.Column("detail", sa.String(length=60), nullable=True),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["outbound_messages.id"],
            name=op.f("fk_outbound_events_message_id_outbound_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbound_events")),
    )
    with op.batch_alter_table("outbound_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbound_events_message_id"), ["message_id"], unique=False)

    op.create_table(
        "sms_opt_outs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("newcomer_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=12), nullable=False),
        sa.Column("source", sa.String(length=12), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["newcomer_id"], ["newcomers.id"], name=op.f("fk_sms_opt_outs_newcomer_id_newcomers"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_opt_outs")),
        sa.UniqueConstraint("newcomer_id", "category", name=op.f("uq_sms_opt_outs_newcomer_id")),
    )
    with op.batch_alter_table("sms_opt_outs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sms_opt_outs_newcomer_id"), ["newcomer_id"], unique=False)

    op.create_table(
        "worker_heartbeats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.String(length=80), nullable=False),
        sa.Column("hostname", sa.String(length=64), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("seen_at", TS, nullable=False),
        sa.Column("sent_count", sa.Integer(), nullable=False),
        sa.Column("stopped_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_worker_heartbeats")),
        sa.UniqueConstraint("worker_id", name=op.f("uq_worker_heartbeats_worker_id")),
    )
    with op.batch_alter_table("worker_heartbeats", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_worker_heartbeats_seen_at"), ["seen_at"], unique=False)

    with op.batch_alter_table("dev_sms", schema=None) as batch_op:
        batch_op.add_column(sa.Column("provider_id", sa.String(length=64), nullable=True))

    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("token_hash", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_invitations_token_hash"), ["token_hash"])

    with op.batch_alter_table("newcomers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sms_unreachable_code", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("sms_unreachable_at", TS, nullable=True))


def downgrade():
    with op.batch_alter_table("newcomers", schema=None) as batch_op:
        batch_op.drop_column("sms_unreachable_at")
        batch_op.drop_column("sms_unreachable_code")
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_invitations_token_hash"), type_="unique")
        batch_op.drop_column("token_hash")
    with op.batch_alter_table("dev_sms", schema=None) as batch_op:
        batch_op.drop_column("provider_id")
    op.drop_table("worker_heartbeats")
    op.drop_table("sms_opt_outs")
    op.drop_table("outbound_events")
    op.drop_index("ix_outbound_due", table_name="outbound_messages")
    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        for index in ("ix_outbound_newcomer_created", "ix_outbound_status_created", "ix_outbound_leases"):
            batch_op.drop_index(index)
        for constraint in ("provider_id", "callback_token", "idempotency_key"):
            batch_op.drop_constraint(batch_op.f(f"uq_outbound_messages_{constraint}"), type_="unique")
        batch_op.drop_constraint(batch_op.f("fk_outbound_messages_municipality_id_municipalities"), type_="foreignkey")
        for column in (
            "delivered_at", "cancel_reason", "callback_token", "error_at", "provider_status_at", "provider_status",
            "in_doubt", "attempted_at", "lease_until", "claimed_by", "next_attempt_at", "expires_at", "send_after",
            "encoding", "segments", "secret_sealed", "idempotency_key", "cause_id", "cause_type", "priority",
            "category", "municipality_id",
        ):
            batch_op.drop_column(column)
        batch_op.alter_column("kind", existing_type=sa.String(length=30), type_=sa.String(length=20))
        batch_op.create_index("ix_outbound_messages_newcomer_id", ["newcomer_id"], unique=False)
