"""why matches end: ending reasons per point of view

Revision ID: 0016
Revises: 0011
Create Date: 2026-11-29 09:05:00

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "0016"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "ending_reasons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pair_id", sa.Integer(), nullable=False),
        sa.Column("viewpoint", sa.String(length=12), nullable=False),
        sa.Column("primary_reason", sa.String(length=30), nullable=False),
        sa.Column(
            "other_reasons",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=False,
        ),
        sa.Column("recorded_by_kind", sa.String(length=10), nullable=False),
        sa.Column("recorded_by_id", sa.String(length=64), nullable=True),
        sa.Column("recorded_by_label", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pair_id"], ["pairs.id"], name=op.f("fk_ending_reasons_pair_id_pairs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ending_reasons")),
        sa.UniqueConstraint(
            "pair_id", "viewpoint", name=op.f("uq_ending_reasons_pair_id_viewpoint")
        ),
    )


def downgrade():
    op.drop_table("ending_reasons")
