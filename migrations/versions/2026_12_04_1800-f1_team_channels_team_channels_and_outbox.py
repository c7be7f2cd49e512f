"""team_channel, channel_post, challenge_headline: Slack and Teams channels and their outbox

Revision ID: f1_team_channels
Revises: e1_session_version
Create Date: 2026-12-04 18:00:00.000000

A team's incoming-webhook channels (the URL sealed, shown back by a hint), the outbox of posts
written in the transaction that made the news, and what each challenge's news already told.
"""
from alembic import op
import sqlalchemy as sa

from kpi_engine.db import UTCDateTime


# revision identifiers, used by Alembic.
revision = 'f1_team_channels'
down_revision = 'e1_session_version'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'team_channel',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('webhook_sealed', sa.Text(), nullable=False),
        sa.Column('webhook_hint', sa.String(length=300), nullable=False),
        sa.Column('wins', sa.Boolean(), nullable=False),
        sa.Column('challenges', sa.Boolean(), nullable=False),
        sa.Column('lead_changes', sa.Boolean(), nullable=False),
        sa.Column('missions', sa.Boolean(), nullable=False),
        sa.Column('connected_by_id', sa.Integer(), nullable=True),
        sa.Column('connected_at', UTCDateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('slack', 'teams')", name=op.f('ck_team_channel_kind')),
        sa.ForeignKeyConstraint(['connected_by_id'], ['user.id'], name=op.f('fk_team_channel_connected_by_id_user'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_team_channel_team_id_team'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_team_channel')),
        sa.UniqueConstraint('team_id', 'kind', name='uq_team_channel_team_kind'),
    )
    op.create_table(
        'channel_post',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('channel_id', sa.Integer(), nullable=False),
        sa.Column('news', sa.String(length=20), nullable=False),
        sa.Column('body', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=8), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', UTCDateTime(), nullable=False),
        sa.Column('last_error', sa.String(length=300), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('sent_at', UTCDateTime(), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'sent', 'failed')", name=op.f('ck_channel_post_status')),
        sa.ForeignKeyConstraint(['channel_id'], ['team_channel.id'], name=op.f('fk_channel_post_channel_id_team_channel'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_post')),
    )
    with op.batch_alter_table('channel_post', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_channel_post_channel_id'), ['channel_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_channel_post_status'), ['status'], unique=False)
    op.create_table(
        'challenge_headline',
        sa.Column('challenge_id', sa.Integer(), nullable=False),
        sa.Column('news', sa.String(length=20), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['challenge_id'], ['challenge.id'], name=op.f('fk_challenge_headline_challenge_id_challenge'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_challenge_headline_user_id_user'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('challenge_id', 'news', name=op.f('pk_challenge_headline')),
    )


def downgrade():
    op.drop_table('challenge_headline')
    with op.batch_alter_table('channel_post', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_channel_post_status'))
        batch_op.drop_index(batch_op.f('ix_channel_post_channel_id'))
    op.drop_table('channel_post')
    op.drop_table('team_channel')
