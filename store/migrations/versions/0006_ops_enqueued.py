"""raw items remember their last broker message (id and time), so the reconciler keeps at most one outstanding

Revision ID: 0006_ops_enqueued
Revises: 0005_possible_emergency
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_ops_enqueued"
down_revision = "0005_possible_emergency"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("raw_items") as batch:
        batch.add_column(sa.Column("enqueued_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("enqueued_message", sa.String(36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("raw_items") as batch:
        batch.drop_column("enqueued_message")
        batch.drop_column("enqueued_at")
