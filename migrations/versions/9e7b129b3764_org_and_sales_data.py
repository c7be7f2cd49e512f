"""org and sales data

Revision ID: 9e7b129b3764
Revises: 
Create Date: 2026-11-22 22:57:12.305212

"""
from alembic import op
import sqlalchemy as sa

import kpi_engine.db


# revision identifiers, used by Alembic.
revision = '9e7b129b3764'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('product_alias',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alias', sa.String(length=200), nullable=False),
    sa.Column('product', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product_alias')),
    sa.UniqueConstraint('alias', name=op.f('uq_product_alias_alias'))
    )
    op.create_table('team',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('region', sa.String(length=120), nullable=True),
    sa.Column('manager_id', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_team')),
    sa.UniqueConstraint('name', name=op.f('uq_team_name'))
    )
    op.create_table('user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('password_hash', sa.String(length=256), nullable=True),
    sa.Column('app_role', sa.String(length=16), nullable=False),
    sa.Column('sales_role', sa.String(length=8), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('crm_user_id', sa.String(length=120), nullable=True),
    sa.Column('hire_date', sa.Date(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', kpi_engine.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("app_role IN ('rep', 'manager', 'admin')", name=op.f('ck_user_app_role')),
    sa.CheckConstraint("sales_role IS NULL OR sales_role IN ('SDR', 'AE', 'AM', 'CSM')", name=op.f('ck_user_sales_role')),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_user_team_id_team'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user')),
    sa.UniqueConstraint('crm_user_id', name=op.f('uq_user_crm_user_id')),
    sa.UniqueConstraint('email', name=op.f('uq_user_email'))
    )
    # team.manager_id and user.team_id point at each other: add the first once both exist.
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_team_manager_id_user'), 'user', ['manager_id'], ['id'], ondelete='SET NULL')

    op.create_table('activity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('crm_id', sa.String(length=120), nullable=False),
    sa.Column('rep_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('outcome', sa.String(length=24), nullable=False),
    sa.Column('deal_crm_id', sa.String(length=120), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('occurred_at', kpi_engine.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['rep_id'], ['user.id'], name=op.f('fk_activity_rep_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activity')),
    sa.UniqueConstraint('crm_id', name=op.f('uq_activity_crm_id'))
    )
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activity_deal_crm_id'), ['deal_crm_id'], unique=False)
        batch_op.create_index('ix_activity_rep_occurred', ['rep_id', 'occurred_at'], unique=False)

    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('created_at', kpi_engine.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', kpi_engine.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', kpi_engine.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_api_token_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('digest', name=op.f('uq_api_token_digest'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_user_id'), ['user_id'], unique=False)

    op.create_table('deal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('crm_id', sa.String(length=120), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('account', sa.String(length=200), nullable=True),
    sa.Column('product', sa.String(length=200), nullable=True),
    sa.Column('segment', sa.String(length=120), nullable=True),
    sa.Column('source', sa.String(length=120), nullable=True),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('stage', sa.String(length=60), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('created_at', kpi_engine.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('engaged_at', kpi_engine.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', kpi_engine.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', kpi_engine.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('open', 'won', 'lost')", name=op.f('ck_deal_status')),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], name=op.f('fk_deal_owner_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deal')),
    sa.UniqueConstraint('crm_id', name=op.f('uq_deal_crm_id'))
    )
    with op.batch_alter_table('deal', schema=None) as batch_op:
        batch_op.create_index('ix_deal_closed_at', ['closed_at'], unique=False)
        batch_op.create_index('ix_deal_owner_closed', ['owner_id', 'closed_at'], unique=False)

    op.create_table('raw_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('type', sa.String(length=40), nullable=False),
    sa.Column('rep_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=120), nullable=False),
    sa.Column('occurred_at', kpi_engine.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('received_at', kpi_engine.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['rep_id'], ['user.id'], name=op.f('fk_raw_event_rep_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_raw_event')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_raw_event_idempotency_key'))
    )
    with op.batch_alter_table('raw_event', schema=None) as batch_op:
        batch_op.create_index('ix_raw_event_subject', ['subject'], unique=False)

    op.create_table('deal_stage_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deal_id', sa.Integer(), nullable=False),
    sa.Column('from_stage', sa.String(length=60), nullable=True),
    sa.Column('to_stage', sa.String(length=60), nullable=False),
    sa.Column('changed_at', kpi_engine.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['deal_id'], ['deal.id'], name=op.f('fk_deal_stage_change_deal_id_deal'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deal_stage_change'))
    )
    with op.batch_alter_table('deal_stage_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deal_stage_change_deal_id'), ['deal_id'], unique=False)



def downgrade():
    with op.batch_alter_table('deal_stage_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deal_stage_change_deal_id'))

    op.drop_table('deal_stage_change')
    with op.batch_alter_table('raw_event', schema=None) as batch_op:
        batch_op.drop_index('ix_raw_event_subject')

    op.drop_table('raw_event')
    with op.batch_alter_table('deal', schema=None) as batch_op:
        batch_op.drop_index('ix_deal_owner_closed')
        batch_op.drop_index('ix_deal_closed_at')

    op.drop_table('deal')
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_user_id'))

    op.drop_table('api_token')
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.drop_index('ix_activity_rep_occurred')
        batch_op.drop_index(batch_op.f('ix_activity_deal_crm_id'))

    op.drop_table('activity')
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_team_manager_id_user'), type_='foreignkey')

    op.drop_table('user')
    op.drop_table('team')
    op.drop_table('product_alias')
