"""holdout: a randomised share of a challenge's audience kept out at launch

Revision ID: h1_holdout
Revises: live_board_news
Create Date: 2026-12-07 03:45:22.191967

A challenge's holdout share and the seed of its draw, and the draw itself: each audience
member's arm (kept in or kept out) and the stratum (team, sales role, tenure) drawn within.

"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "h1_holdout"
down_revision = "live_board_news"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "challenge_assignment",
        sa.Column("challenge_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("arm", sa.String(length=8), nullable=False),
        sa.Column("stratum", sa.String(length=160), nullable=False),
        sa.CheckConstraint(
            "arm IN ('treated', 'holdout')", name=op.f("ck_challenge_assignment_arm")
        ),
        sa.ForeignKeyConstraint(
            ["challenge_id"],
            ["challenge.id"],
            name=op.f("fk_challenge_assignment_challenge_id_challenge"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_challenge_assignment_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("challenge_id", "user_id", name=op.f("pk_challenge_assignment")),
    )
    with op.batch_alter_table("challenge_assignment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_challenge_assignment_user_id"), ["user_id"], unique=False
        )

    with op.batch_alter_table("challenge", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("holdout_share", sa.Numeric(precision=4, scale=3), nullable=True)
        )
        batch_op.add_column(sa.Column("holdout_seed", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("challenge", schema=None) as batch_op:
        batch_op.drop_column("holdout_seed")
        batch_op.drop_column("holdout_share")

    with op.batch_alter_table("challenge_assignment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_challenge_assignment_user_id"))

    op.drop_table("challenge_assignment")
