"""import_job.locale: the language its uploader read the product in when they uploaded

Revision ID: i1_import_job_locale
Revises: h1_user_locale
Create Date: 2026-12-07 19:00:00.000000

A job's report and error are stored as text, written when the job runs, outside the upload's
request: in this language (None for a job queued before it was kept: its uploader's language
now, web/import_jobs.py).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'i1_import_job_locale'
down_revision = "h1_user_locale"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('import_job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=16), nullable=True))


def downgrade():
    op.drop_column('import_job', 'locale')
