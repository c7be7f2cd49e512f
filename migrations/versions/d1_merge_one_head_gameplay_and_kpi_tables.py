"""one head: gameplay and KPI tables

Revision ID: d1_merge
Revises: b1_gameplay, c1_kpis
Create Date: 2026-11-23 01:17:42.931073


The game and the KPI tables were added side by side from the same parent; this revision joins
the two branches so `flask db upgrade` has one head to reach. It changes no table.
"""


# revision identifiers, used by Alembic.
revision = 'd1_merge'
down_revision = ('b1_gameplay', 'c1_kpis')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
