"""past_membership, org_change, participant entered_at/left_at: people and teams managed in the product

Revision ID: g1_people
Revises: 91b7fec0caf2
Create Date: 2026-12-07 01:00:00.000000

A user's past teams (a team's figures read each deal with the team its owner was in then), the
audit trail of changes to people and teams, and when a participant came into a launched
challenge's audience by a move or left it (moved team, changed role, deactivated). Existing users have no past: each is in their current
team for all time, as before this revision.
"""
from alembic import op
import sqlalchemy as sa

from kpi_engine.db import UTCDateTime


# revision identifiers, used by Alembic.
revision = 'g1_people'
down_revision = '91b7fec0caf2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'past_membership',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=True),
        sa.Column('started_at', UTCDateTime(), nullable=True),
        sa.Column('ended_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_past_membership_team_id_team'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_past_membership_user_id_user'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_past_membership')),
    )
    with op.batch_alter_table('past_membership', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_past_membership_user_id'), ['user_id'], unique=False)

    op.create_table(
        'org_change',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', UTCDateTime(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('actor_name', sa.String(length=254), nullable=False),
        sa.Column('action', sa.String(length=16), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('team_id', sa.Integer(), nullable=True),
        sa.Column('before', sa.JSON(), nullable=False),
        sa.Column('after', sa.JSON(), nullable=False),
        sa.CheckConstraint("action IN ('team.created', 'team.changed', 'user.created', 'user.changed')", name=op.f('ck_org_change_action')),
        sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_org_change_actor_id_user'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_org_change_team_id_team'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_org_change_user_id_user'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_org_change')),
    )
    with op.batch_alter_table('org_change', schema=None) as batch_op:
        batch_op.create_index('ix_org_change_at', ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_org_change_team_id'), ['team_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_org_change_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('entered_at', UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('left_at', UTCDateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('participant', schema=None) as batch_op:
        batch_op.drop_column('left_at')
        batch_op.drop_column('entered_at')
    with op.batch_alter_table('org_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_org_change_user_id'))
        batch_op.drop_index(batch_op.f('ix_org_change_team_id'))
        batch_op.drop_index('ix_org_change_at')
    op.drop_table('org_change')
    with op.batch_alter_table('past_membership', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_past_membership_user_id'))
    op.drop_table('past_membership')
