"""import_job, import_job_file: big imports run in the background with their progress

Revision ID: h1_import_jobs
Revises: h1_holdout
Create Date: 2026-12-07 04:00:00.000000

An upload imported as a job keeps its files and options (import_job_file, import_job.options),
its state and progress (rows read, accepted, rejected; the accepted rows are the cursor a
resumed job goes on from) and its outcome (error, report).
"""
from alembic import op
import sqlalchemy as sa

from kpi_engine.db import UTCDateTime


# revision identifiers, used by Alembic.
revision = 'h1_import_jobs'
down_revision = 'h1_holdout'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'import_job',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('file_name', sa.String(length=500), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('options', sa.JSON(), nullable=False),
        sa.Column('rows_total', sa.Integer(), nullable=False),
        sa.Column('rows_accepted', sa.Integer(), nullable=False),
        sa.Column('rows_rejected', sa.Integer(), nullable=False),
        sa.Column('events_stored', sa.Integer(), nullable=False),
        sa.Column('events_known', sa.Integer(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('report', sa.JSON(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('started_at', UTCDateTime(), nullable=True),
        sa.Column('heartbeat_at', UTCDateTime(), nullable=True),
        sa.Column('finished_at', UTCDateTime(), nullable=True),
        sa.CheckConstraint("state IN ('queued', 'running', 'done', 'failed')", name=op.f('ck_import_job_state')),
        sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_import_job_actor_id_user'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_import_job')),
    )
    with op.batch_alter_table('import_job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_job_actor_id'), ['actor_id'], unique=False)

    op.create_table(
        'import_job_file',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('job_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['job_id'], ['import_job.id'], name=op.f('fk_import_job_file_job_id_import_job'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_import_job_file')),
    )
    with op.batch_alter_table('import_job_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_job_file_job_id'), ['job_id'], unique=False)


def downgrade():
    with op.batch_alter_table('import_job_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_job_file_job_id'))
    op.drop_table('import_job_file')
    with op.batch_alter_table('import_job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_job_actor_id'))
    op.drop_table('import_job')
