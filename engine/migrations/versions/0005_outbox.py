"""mail outbox

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("recipient", sa.String(length=120), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("outbox_message") as batch:
        batch.create_index("ix_outbox_pending", ["sent_at", "id"], unique=False)
        batch.create_index(batch.f("ix_outbox_message_instance_id"), ["instance_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox_message") as batch:
        batch.drop_index(batch.f("ix_outbox_message_instance_id"))
        batch.drop_index("ix_outbox_pending")
    op.drop_table("outbox_message")
