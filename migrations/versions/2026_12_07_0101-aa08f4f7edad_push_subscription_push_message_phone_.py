"""push_subscription, push_message: phone notifications and their outbox

Revision ID: aa08f4f7edad
Revises: g1_calendar_days
Create Date: 2026-12-07 01:01:21.682611

A rep's devices subscribed to Web Push (endpoint and keys), and the outbox of messages written
in the transaction that made the news, one per device, for the push sender.
"""
from alembic import op
import sqlalchemy as sa

from kpi_engine.db import UTCDateTime


# revision identifiers, used by Alembic.
revision = 'aa08f4f7edad'
down_revision = 'g1_calendar_days'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'push_subscription',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('endpoint', sa.String(length=1000), nullable=False),
        sa.Column('p256dh', sa.String(length=100), nullable=False),
        sa.Column('auth', sa.String(length=40), nullable=False),
        sa.Column('label', sa.String(length=120), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_push_subscription_user_id_user'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_push_subscription')),
        sa.UniqueConstraint('endpoint', name=op.f('uq_push_subscription_endpoint')),
    )
    with op.batch_alter_table('push_subscription', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_push_subscription_user_id'), ['user_id'], unique=False)
    op.create_table(
        'push_message',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('subscription_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=24), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=8), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', UTCDateTime(), nullable=False),
        sa.Column('last_error', sa.String(length=300), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('sent_at', UTCDateTime(), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'sent', 'failed')", name=op.f('ck_push_message_status')),
        sa.ForeignKeyConstraint(['subscription_id'], ['push_subscription.id'], name=op.f('fk_push_message_subscription_id_push_subscription'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_push_message')),
    )
    with op.batch_alter_table('push_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_push_message_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_push_message_subscription_id'), ['subscription_id'], unique=False)


def downgrade():
    with op.batch_alter_table('push_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_push_message_subscription_id'))
        batch_op.drop_index(batch_op.f('ix_push_message_status'))
    op.drop_table('push_message')
    with op.batch_alter_table('push_subscription', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_push_subscription_user_id'))
    op.drop_table('push_subscription')
