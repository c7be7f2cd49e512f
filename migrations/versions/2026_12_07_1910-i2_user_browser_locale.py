"""user.browser_locale: the language their browser asked for when they last logged in

Revision ID: i2_user_browser_locale
Revises: i1_import_job_locale
Create Date: 2026-12-07 19:10:00.000000

What is written to someone outside a request (a notification, a push) follows their choice,
then the organisation's default, then this, as their pages follow their browser (web/i18n.py).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'i2_user_browser_locale'
down_revision = "i1_import_job_locale"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('browser_locale', sa.String(length=16), nullable=True))


def downgrade():
    # A plain DROP COLUMN (SQLite 3.35+), as for user.locale: batch mode would copy the table.
    op.drop_column('user', 'browser_locale')
