"""board_news: the boards' transactional outbox (issue 17 item 4)

Revision ID: live_board_news
Revises: g1_people
Create Date: 2026-12-07 03:50:00.000000

One row per transaction that changed a board, written in that transaction: the board, the
version it left and the one before, the reps who moved, and when its frame was relayed.
"""
from alembic import op
import sqlalchemy as sa

from kpi_engine.db import UTCDateTime


# revision identifiers, used by Alembic.
revision = 'live_board_news'
down_revision = 'g1_people'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'board_news',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('challenge_id', sa.Integer(), nullable=False),
        sa.Column('since', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('user_ids', sa.JSON(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('relayed_at', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['challenge_id'], ['challenge.id'], name=op.f('fk_board_news_challenge_id_challenge'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_board_news')),
    )
    with op.batch_alter_table('board_news', schema=None) as batch_op:
        batch_op.create_index('ix_board_news_challenge_id_version', ['challenge_id', 'version'], unique=False)
        batch_op.create_index('ix_board_news_relayed_at', ['relayed_at'], unique=False)


def downgrade():
    with op.batch_alter_table('board_news', schema=None) as batch_op:
        batch_op.drop_index('ix_board_news_relayed_at')
        batch_op.drop_index('ix_board_news_challenge_id_version')
    op.drop_table('board_news')
