"""appointments, their attendees, calendar feeds, route progress and hours; quiet hours per newcomer

Appointments (single or group sessions) with an attendee row per newcomer (invited, waiting,
removed; their answer and attendance); a revocable calendar subscription per newcomer; what the
klantmanager records of the route (one row per newcomer) and hours followed per month (by hand or
imported in DUO's GevolgdeUren shape: ``import_jobs.kind``). The outbox gets an index on its
cause, so a moved appointment withdraws its queued reminders with one indexed update.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 17:10:42

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade():
    op.create_table('appointments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('starts_at', TS, nullable=False),
    sa.Column('ends_at', TS, nullable=False),
    sa.Column('mode', sa.String(length=10), nullable=False),
    sa.Column('location', sa.String(length=80), nullable=True),
    sa.Column('address', sa.String(length=200), nullable=True),
    sa.Column('room', sa.String(length=40), nullable=True),
    sa.Column('video_link', sa.String(length=300), nullable=True),
    sa.Column('bring', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('group_language', sa.String(length=8), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('cancel_reason', sa.String(length=30), nullable=True),
    sa.Column('cancelled_at', TS, nullable=True),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('created_by_staff_id', sa.Integer(), nullable=True),
    sa.Column('created_at', TS, nullable=False),
    sa.Column('updated_at', TS, nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_staff_id'], ['staff_members.id'], name=op.f('fk_appointments_created_by_staff_id_staff_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_appointments_municipality_id_municipalities')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_members.id'], name=op.f('fk_appointments_staff_id_staff_members'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointments'))
    )
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appointments_municipality_id'), ['municipality_id'], unique=False)
        batch_op.create_index('ix_appointments_municipality_starts', ['municipality_id', 'starts_at'], unique=False)
        batch_op.create_index('ix_appointments_staff_starts', ['staff_id', 'starts_at'], unique=False)

    op.create_table('appointment_attendees',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('newcomer_id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('waiting_since', TS, nullable=True),
    sa.Column('interpreter_language', sa.String(length=8), nullable=True),
    sa.Column('interpreter_arranged', sa.Boolean(), nullable=False),
    sa.Column('response', sa.String(length=12), nullable=True),
    sa.Column('response_channel', sa.String(length=3), nullable=True),
    sa.Column('response_at', TS, nullable=True),
    sa.Column('response_sequence', sa.Integer(), nullable=True),
    sa.Column('attendance', sa.String(length=20), nullable=True),
    sa.Column('absence_reason', sa.String(length=300), nullable=True),
    sa.Column('attendance_recorded_at', TS, nullable=True),
    sa.Column('created_at', TS, nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['appointment_id'], ['appointments.id'], name=op.f('fk_appointment_attendees_appointment_id_appointments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_appointment_attendees_municipality_id_municipalities')),
    sa.ForeignKeyConstraint(['newcomer_id'], ['newcomers.id'], name=op.f('fk_appointment_attendees_newcomer_id_newcomers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointment_attendees')),
    sa.UniqueConstraint('appointment_id', 'newcomer_id', name=op.f('uq_appointment_attendees_appointment_id')),
    sa.UniqueConstraint('uid', name=op.f('uq_appointment_attendees_uid'))
    )
    with op.batch_alter_table('appointment_attendees', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appointment_attendees_municipality_id'), ['municipality_id'], unique=False)
        batch_op.create_index('ix_attendees_newcomer', ['newcomer_id', 'status'], unique=False)

    op.create_table('calendar_feeds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('newcomer_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', TS, nullable=False),
    sa.Column('revoked_at', TS, nullable=True),
    sa.Column('last_fetched_at', TS, nullable=True),
    sa.ForeignKeyConstraint(['newcomer_id'], ['newcomers.id'], name=op.f('fk_calendar_feeds_newcomer_id_newcomers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_feeds')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_calendar_feeds_token_hash'))
    )
    with op.batch_alter_table('calendar_feeds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_feeds_newcomer_id'), ['newcomer_id'], unique=False)

    op.create_table('hours_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('newcomer_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('hours', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('import_job_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', TS, nullable=False),
    sa.Column('updated_by_staff_id', sa.Integer(), nullable=True),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['import_job_id'], ['import_jobs.id'], name=op.f('fk_hours_entries_import_job_id_import_jobs'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_hours_entries_municipality_id_municipalities')),
    sa.ForeignKeyConstraint(['newcomer_id'], ['newcomers.id'], name=op.f('fk_hours_entries_newcomer_id_newcomers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_staff_id'], ['staff_members.id'], name=op.f('fk_hours_entries_updated_by_staff_id_staff_members'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hours_entries')),
    sa.UniqueConstraint('newcomer_id', 'month', 'kind', 'source', name=op.f('uq_hours_entries_newcomer_id'))
    )
    with op.batch_alter_table('hours_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hours_entries_municipality_id'), ['municipality_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hours_entries_newcomer_id'), ['newcomer_id'], unique=False)

    op.create_table('route_progress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('newcomer_id', sa.Integer(), nullable=False),
    sa.Column('route_started_on', sa.Date(), nullable=True),
    sa.Column('route_completed_on', sa.Date(), nullable=True),
    sa.Column('knm_themes', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('pvt_signed_on', sa.Date(), nullable=True),
    sa.Column('pvt_verwijtbaar', sa.Boolean(), nullable=True),
    sa.Column('map_themes', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('map_final_interview_on', sa.Date(), nullable=True),
    sa.Column('map_verwijtbaar', sa.Boolean(), nullable=True),
    sa.Column('map_exempt', sa.Boolean(), nullable=False),
    sa.Column('map_exemption_reason', sa.String(length=200), nullable=True),
    sa.Column('z_completed_on', sa.Date(), nullable=True),
    sa.Column('updated_at', TS, nullable=False),
    sa.Column('updated_by_staff_id', sa.Integer(), nullable=True),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_route_progress_municipality_id_municipalities')),
    sa.ForeignKeyConstraint(['newcomer_id'], ['newcomers.id'], name=op.f('fk_route_progress_newcomer_id_newcomers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_staff_id'], ['staff_members.id'], name=op.f('fk_route_progress_updated_by_staff_id_staff_members'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_route_progress')),
    sa.UniqueConstraint('newcomer_id', name=op.f('uq_route_progress_newcomer_id'))
    )
    with op.batch_alter_table('route_progress', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_route_progress_municipality_id'), ['municipality_id'], unique=False)

    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=20), server_default='notifications', nullable=False))

    with op.batch_alter_table('newcomers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quiet_start', sa.Time(), nullable=True))
        batch_op.add_column(sa.Column('quiet_end', sa.Time(), nullable=True))

    with op.batch_alter_table('conversation_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attendee_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_conversation_messages_attendee_id_appointment_attendees'),
            'appointment_attendees', ['attendee_id'], ['id'], ondelete='SET NULL'
        )

    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.create_index('ix_outbound_cause', ['cause_type', 'cause_id'], unique=False)



def downgrade():
    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_outbound_cause')

    with op.batch_alter_table('conversation_messages', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_conversation_messages_attendee_id_appointment_attendees'), type_='foreignkey'
        )
        batch_op.drop_column('attendee_id')

    with op.batch_alter_table('newcomers', schema=None) as batch_op:
        batch_op.drop_column('quiet_end')
        batch_op.drop_column('quiet_start')

    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.drop_column('kind')

    with op.batch_alter_table('route_progress', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_route_progress_municipality_id'))

    op.drop_table('route_progress')
    with op.batch_alter_table('hours_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hours_entries_newcomer_id'))
        batch_op.drop_index(batch_op.f('ix_hours_entries_municipality_id'))

    op.drop_table('hours_entries')
    with op.batch_alter_table('calendar_feeds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_feeds_newcomer_id'))

    op.drop_table('calendar_feeds')
    with op.batch_alter_table('appointment_attendees', schema=None) as batch_op:
        batch_op.drop_index('ix_attendees_newcomer')
        batch_op.drop_index(batch_op.f('ix_appointment_attendees_municipality_id'))

    op.drop_table('appointment_attendees')
    with op.batch_alter_table('appointments', schema=None) as batch_op:
        batch_op.drop_index('ix_appointments_staff_starts')
        batch_op.drop_index('ix_appointments_municipality_starts')
        batch_op.drop_index(batch_op.f('ix_appointments_municipality_id'))

    op.drop_table('appointments')
