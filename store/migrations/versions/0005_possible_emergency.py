"""tickets keep the safety net's possible-emergency flag: its state, reasons and who settled it, when and why

Revision ID: 0005_possible_emergency
Revises: 0004_outbound_attempts
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0005_possible_emergency"
down_revision = "0004_outbound_attempts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    json = sa.JSON().with_variant(JSONB(), "postgresql")
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("emergency_state", sa.String(12), nullable=True))
        batch.add_column(sa.Column("emergency_reasons", json, nullable=False, server_default="[]"))
        batch.add_column(sa.Column("emergency_settled_by", sa.String(200), nullable=True))
        batch.add_column(sa.Column("emergency_settled_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("emergency_settled_why", sa.Text(), nullable=True))
        batch.create_index("ix_tickets_emergency_state", ["emergency_state"])


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_index("ix_tickets_emergency_state")
        for column in (
            "emergency_settled_why",
            "emergency_settled_at",
            "emergency_settled_by",
            "emergency_reasons",
            "emergency_state",
        ):
            batch.drop_column(column)
