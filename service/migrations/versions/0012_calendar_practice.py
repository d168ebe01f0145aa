"""the calendar keeps to the practice: a minimum spacing between a participant's check-ins,
and pauses

Revision ID: 0012
Revises: 0016
Create Date: 2026-11-29 12:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("programs") as batch_op:
        batch_op.add_column(
            sa.Column("checkin_spacing_days", sa.Integer(), server_default="7", nullable=False)
        )
    with op.batch_alter_table("pairs") as batch_op:
        batch_op.add_column(sa.Column("paused_from", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("paused_until", sa.Date(), nullable=True))
    op.create_table(
        "pauses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pair_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("recorded_by_kind", sa.String(length=10), nullable=False),
        sa.Column("recorded_by_id", sa.String(length=64), nullable=True),
        sa.Column("recorded_by_label", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["pair_id"], ["pairs.id"], name=op.f("fk_pauses_pair_id_pairs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pauses")),
    )
    with op.batch_alter_table("pauses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pauses_pair_id"), ["pair_id"], unique=False)


def downgrade():
    with op.batch_alter_table("pauses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pauses_pair_id"))
    op.drop_table("pauses")
    with op.batch_alter_table("pairs") as batch_op:
        batch_op.drop_column("paused_until")
        batch_op.drop_column("paused_from")
    with op.batch_alter_table("programs") as batch_op:
        batch_op.drop_column("checkin_spacing_days")
