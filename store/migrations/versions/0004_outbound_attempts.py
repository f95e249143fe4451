"""outbound messages count their send attempts, so an SMTP message that keeps failing ends `failed`

Revision ID: 0004_outbound_attempts
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_outbound_attempts"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ticket_messages") as batch:
        batch.add_column(sa.Column("delivery_attempts", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("ticket_messages") as batch:
        batch.drop_column("delivery_attempts")
