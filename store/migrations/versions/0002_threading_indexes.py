"""indexes for threading: a sender's recent messages, recipients (PostgreSQL GIN), recent tickets per channel

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_tickets_channel_activity", "tickets", ["channel", "last_activity_at"])
    op.create_index("ix_ticket_messages_author", "ticket_messages", ["author", "created_at"])
    if op.get_bind().dialect.name == "postgresql":
        op.create_index("ix_ticket_messages_recipients", "ticket_messages", ["recipients"], postgresql_using="gin")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_ticket_messages_recipients", table_name="ticket_messages")
    op.drop_index("ix_ticket_messages_author", table_name="ticket_messages")
    op.drop_index("ix_tickets_channel_activity", table_name="tickets")
