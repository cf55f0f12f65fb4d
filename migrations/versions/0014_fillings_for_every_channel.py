"""one generic filling-in row for every workflow and channel; SMS conversation replies

``intake_sessions`` becomes ``fillings``: the same columns (same ids, so outbox causes and audit
records still point at the right row), plus an ``occasion`` for workflows filled in more than once
(the unique key is now newcomer, workflow and occasion), the questions asked one at a time in
unfinished steps, the reopened question, the channel of each answer (existing answers get the
channel their row recorded), and where the SMS conversation stands. Outbox rows caused by an
intake (cause type ``intake_session``) are renamed to cause type ``filling``. ``filling_replies`` holds each
SMS reply of a conversation, for the transcript on the file.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 21:20:00

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')

COMMON = ('id', 'municipality_id', 'newcomer_id', 'workflow_id', 'workflow_version', 'answers',
          'completed_steps', 'channel', 'locale', 'status', 'started_at', 'updated_at', 'submitted_at',
          'question', 'reviewed_at')


def _table(name, *extra):
    return sa.table(
        name,
        sa.column('id', sa.Integer), sa.column('municipality_id', sa.Integer), sa.column('newcomer_id', sa.Integer),
        sa.column('workflow_id', sa.String), sa.column('workflow_version', sa.Integer),
        sa.column('answers', JSON), sa.column('completed_steps', JSON), sa.column('channel', sa.String),
        sa.column('locale', sa.String), sa.column('status', sa.String), sa.column('started_at', TS),
        sa.column('updated_at', TS), sa.column('submitted_at', TS), sa.column('question', sa.Text),
        sa.column('reviewed_at', TS), *extra,
    )


def upgrade():
    op.create_table('fillings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('newcomer_id', sa.Integer(), nullable=False),
    sa.Column('workflow_id', sa.String(length=50), nullable=False),
    sa.Column('workflow_version', sa.Integer(), nullable=False),
    sa.Column('occasion', sa.String(length=80), nullable=False),
    sa.Column('answers', JSON, nullable=False),
    sa.Column('completed_steps', JSON, nullable=False),
    sa.Column('asked', JSON, nullable=False),
    sa.Column('reopened', sa.String(length=50), nullable=True),
    sa.Column('answer_channels', JSON, nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('started_at', TS, nullable=False),
    sa.Column('updated_at', TS, nullable=False),
    sa.Column('submitted_at', TS, nullable=True),
    sa.Column('question', sa.Text(), nullable=True),
    sa.Column('reviewed_at', TS, nullable=True),
    sa.Column('sms_state', sa.String(length=10), nullable=True),
    sa.Column('sms_field', sa.String(length=50), nullable=True),
    sa.Column('sms_sequence', sa.Integer(), nullable=False),
    sa.Column('sms_tries', sa.Integer(), nullable=False),
    sa.Column('sms_asked_at', TS, nullable=True),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_fillings_municipality_id_municipalities')),
    sa.ForeignKeyConstraint(['newcomer_id'], ['newcomers.id'], name=op.f('fk_fillings_newcomer_id_newcomers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fillings')),
    sa.UniqueConstraint('newcomer_id', 'workflow_id', 'occasion', name=op.f('uq_fillings_newcomer_id'))
    )
    with op.batch_alter_table('fillings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fillings_municipality_id'), ['municipality_id'], unique=False)

    op.create_table('filling_replies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('filling_id', sa.Integer(), nullable=False),
    sa.Column('provider_sid', sa.String(length=64), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('field_id', sa.String(length=50), nullable=True),
    sa.Column('outcome', sa.String(length=12), nullable=False),
    sa.Column('created_at', TS, nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['filling_id'], ['fillings.id'], name=op.f('fk_filling_replies_filling_id_fillings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_filling_replies_municipality_id_municipalities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_filling_replies')),
    sa.UniqueConstraint('provider_sid', name=op.f('uq_filling_replies_provider_sid'))
    )
    with op.batch_alter_table('filling_replies', schema=None) as batch_op:
        batch_op.create_index('ix_filling_replies_filling', ['filling_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_filling_replies_municipality_id'), ['municipality_id'], unique=False)

    connection = op.get_bind()
    old = _table('intake_sessions')
    new = _table('fillings', sa.column('occasion', sa.String), sa.column('asked', JSON),
                 sa.column('answer_channels', JSON), sa.column('sms_sequence', sa.Integer),
                 sa.column('sms_tries', sa.Integer))
    rows = [dict(row._mapping) for row in connection.execute(sa.select(*(old.c[c] for c in COMMON)).order_by(old.c.id))]
    for row in rows:
        row.update(occasion='', asked=[], sms_sequence=0, sms_tries=0,
                   answer_channels={key: row['channel'] for key in (row['answers'] or {})})
    if rows:
        op.bulk_insert(new, rows)
    if connection.dialect.name == 'postgresql':
        connection.execute(sa.text("SELECT setval(pg_get_serial_sequence('fillings', 'id'), "
                                   "COALESCE((SELECT MAX(id) FROM fillings), 0) + 1, false)"))
    # What an intake caused (its receipt SMS) now names the filling-in: same id, new cause type.
    connection.execute(sa.text("UPDATE outbound_messages SET cause_type = 'filling' WHERE cause_type = 'intake_session'"))
    op.drop_table('intake_sessions')


def downgrade():
    op.create_table('intake_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('newcomer_id', sa.Integer(), nullable=False),
    sa.Column('workflow_id', sa.String(length=50), nullable=False),
    sa.Column('workflow_version', sa.Integer(), nullable=False),
    sa.Column('answers', JSON, nullable=False),
    sa.Column('completed_steps', JSON, nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('locale', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('started_at', TS, nullable=False),
    sa.Column('updated_at', TS, nullable=False),
    sa.Column('submitted_at', TS, nullable=True),
    sa.Column('question', sa.Text(), nullable=True),
    sa.Column('reviewed_at', TS, nullable=True),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_intake_sessions_municipality_id_municipalities')),
    sa.ForeignKeyConstraint(['newcomer_id'], ['newcomers.id'], name=op.f('fk_intake_sessions_newcomer_id_newcomers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intake_sessions')),
    sa.UniqueConstraint('newcomer_id', 'workflow_id', name=op.f('uq_intake_sessions_newcomer_id'))
    )
    with op.batch_alter_table('intake_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_intake_sessions_municipality_id'), ['municipality_id'], unique=False)
    connection = op.get_bind()
    new = _table('fillings', sa.column('occasion', sa.String))
    rows = [dict(row._mapping) for row in connection.execute(
        sa.select(*(new.c[c] for c in COMMON)).where(new.c.workflow_id == 'brede_intake', new.c.occasion == '').order_by(new.c.id))]
    if rows:
        op.bulk_insert(_table('intake_sessions'), rows)
    connection.execute(sa.text(
        "UPDATE outbound_messages SET cause_type = 'intake_session' WHERE cause_type = 'filling' AND cause_id IN "
        "(SELECT id FROM intake_sessions)"))
    op.drop_table('filling_replies')
    op.drop_table('fillings')
