"""encrypt webhook and inbound signing secrets at rest

Revision ID: 0010
Revises: 0007
Create Date: 2026-12-01 10:00:00.000000

The columns become text (a Fernet token is longer than the secret it holds) and the values
written before are encrypted with the newest of PAIRWISE_ENCRYPTION_KEYS, read exactly as
the app reads them (this runs inside the app, through `pairwise db upgrade`).
"""

import sqlalchemy as sa
from alembic import op
from flask import current_app

from service import encryption

# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _keyring():
    return encryption.keyring(current_app.config["ENCRYPTION_KEYS"])


def upgrade():
    with op.batch_alter_table("webhook_endpoints", schema=None) as batch_op:
        batch_op.alter_column(
            "secret", existing_type=sa.String(length=100), type_=sa.Text(), existing_nullable=False
        )
        batch_op.alter_column(
            "previous_secret",
            existing_type=sa.String(length=100),
            type_=sa.Text(),
            existing_nullable=True,
        )
    with op.batch_alter_table("inbound_sources", schema=None) as batch_op:
        batch_op.alter_column(
            "secret", existing_type=sa.String(length=200), type_=sa.Text(), existing_nullable=False
        )
    encryption.encrypt_plaintext_rows(op.get_bind(), _keyring())


def downgrade():
    encryption.decrypt_all_rows(op.get_bind(), _keyring())
    with op.batch_alter_table("inbound_sources", schema=None) as batch_op:
        batch_op.alter_column(
            "secret", existing_type=sa.Text(), type_=sa.String(length=200), existing_nullable=False
        )
    with op.batch_alter_table("webhook_endpoints", schema=None) as batch_op:
        batch_op.alter_column(
            "previous_secret",
            existing_type=sa.Text(),
            type_=sa.String(length=100),
            existing_nullable=True,
        )
        batch_op.alter_column(
            "secret", existing_type=sa.Text(), type_=sa.String(length=100), existing_nullable=False
        )
