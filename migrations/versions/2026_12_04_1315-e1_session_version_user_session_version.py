"""user.session_version: a login session lives only while its version is the user's

Revision ID: e1_session_version
Revises: d1_merge
Create Date: 2026-12-04 13:15:00.000000

Logout, a password change and deactivation raise the number, which ends every session that
carries an older one (see web/auth.py). Sessions made before this revision carry none, so
everyone logs in once more after the upgrade.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e1_session_version'
down_revision = 'd1_merge'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('session_version', sa.Integer(), server_default='0', nullable=False)
        )


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('session_version')
