"""mentee choice: a program's setting, and the offers a waiting mentee chooses from

Revision ID: 0026
Revises: 0023
Create Date: 2026-11-29 19:00:00

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "0026"
down_revision = "0023"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade():
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("mentee_choice", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("mentee_choice_mentors", sa.Integer(), server_default="3", nullable=False)
        )
    op.create_table(
        "choice_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("nonce", sa.String(length=32), nullable=False),
        sa.Column("pair_id", sa.Integer(), nullable=False),
        sa.Column("mentee_id", sa.Integer(), nullable=False),
        sa.Column("options", JSON, nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=12), nullable=True),
        sa.Column("chosen_mentor_id", sa.Integer(), nullable=True),
        sa.Column("created_by_kind", sa.String(length=10), nullable=False),
        sa.Column("created_by_id", sa.String(length=64), nullable=True),
        sa.Column("created_by_label", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pair_id"], ["pairs.id"], name=op.f("fk_choice_offers_pair_id_pairs")
        ),
        sa.ForeignKeyConstraint(
            ["mentee_id"], ["participants.id"], name=op.f("fk_choice_offers_mentee_id_participants")
        ),
        sa.ForeignKeyConstraint(
            ["chosen_mentor_id"],
            ["participants.id"],
            name=op.f("fk_choice_offers_chosen_mentor_id_participants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_choice_offers")),
        sa.UniqueConstraint("nonce", name=op.f("uq_choice_offers_nonce")),
    )
    with op.batch_alter_table("choice_offers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_choice_offers_pair_id"), ["pair_id"], unique=False)


def downgrade():
    with op.batch_alter_table("choice_offers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_choice_offers_pair_id"))
    op.drop_table("choice_offers")
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.drop_column("mentee_choice_mentors")
        batch_op.drop_column("mentee_choice")
