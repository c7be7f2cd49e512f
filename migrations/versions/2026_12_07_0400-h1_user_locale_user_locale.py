"""user.locale: the language a person chose on their profile (None: follow the organisation)

Revision ID: h1_user_locale
Revises: h1_import_jobs
Create Date: 2026-12-07 04:00:00.000000

A user without a choice reads the product in the organisation's default (ORG_LOCALE), else
in their browser's Accept-Language (see web/i18n.py).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'h1_user_locale'
down_revision = "h1_import_jobs"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=16), nullable=True))


def downgrade():
    # A plain DROP COLUMN (SQLite 3.35+): batch mode would copy and drop the user table, which
    # the foreign keys of every other table refuse once people exist.
    op.drop_column('user', 'locale')
