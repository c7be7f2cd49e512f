"""wall_screen: a wall's playlist

Revision ID: 91b7fec0caf2
Revises: aa08f4f7edad
Create Date: 2026-12-07 01:13:57.359202

What a challenge's wall screen rotates through (boards, a team battle, a KPI tile, recent
wins), how long each slide stays, and how big a won deal interrupts it.
"""
from alembic import op
import sqlalchemy as sa

from kpi_engine.db import UTCDateTime


# revision identifiers, used by Alembic.
revision = '91b7fec0caf2'
down_revision = 'aa08f4f7edad'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'wall_screen',
        sa.Column('challenge_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('seconds_per_slide', sa.Integer(), nullable=False),
        sa.Column('big_deal_amount', sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column('slides', sa.JSON(), nullable=False),
        sa.Column('changed_by_id', sa.Integer(), nullable=True),
        sa.Column('changed_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['challenge_id'], ['challenge.id'], name=op.f('fk_wall_screen_challenge_id_challenge'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['changed_by_id'], ['user.id'], name=op.f('fk_wall_screen_changed_by_id_user'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('challenge_id', name=op.f('pk_wall_screen')),
    )


def downgrade():
    op.drop_table('wall_screen')
