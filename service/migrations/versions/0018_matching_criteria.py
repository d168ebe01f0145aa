"""matching criteria: a program's criteria, and what participants say that matching reads

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-29 15:10:00

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade():
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("matching", _JSON, server_default="{}", nullable=False))
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("languages", _JSON, server_default="[]", nullable=False))
        batch_op.add_column(
            sa.Column("location", sa.String(length=100), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("timezone", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("gender", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("gender_preference", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("household", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("conflicts", _JSON, server_default="[]", nullable=False))


def downgrade():
    with op.batch_alter_table("participants", schema=None) as batch_op:
        for column in (
            "conflicts",
            "household",
            "gender_preference",
            "gender",
            "timezone",
            "location",
            "languages",
        ):
            batch_op.drop_column(column)
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.drop_column("matching")
