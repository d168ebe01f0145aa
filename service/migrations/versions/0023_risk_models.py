"""insights: the closure-risk model, its settings and its latest fit

Revision ID: 0023
Revises: 0021
Create Date: 2026-11-29 16:30:00

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "0023"
down_revision = "0021"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade():
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("risk_min_closed_matches", sa.Integer(), server_default="50", nullable=False)
        )
        batch_op.add_column(
            sa.Column("risk_threshold_percent", sa.Integer(), server_default="30", nullable=False)
        )
    op.create_table(
        "risk_models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("closed_matches", sa.Integer(), nullable=False),
        sa.Column("model", JSON, nullable=True),
        sa.Column("validation", JSON, nullable=False),
        sa.Column("fitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("flagged", JSON, nullable=False),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["program_id"], ["programs.id"], name=op.f("fk_risk_models_program_id_programs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_models")),
        sa.UniqueConstraint("program_id", name=op.f("uq_risk_models_program_id")),
    )


def downgrade():
    op.drop_table("risk_models")
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.drop_column("risk_min_closed_matches")
        batch_op.drop_column("risk_threshold_percent")
