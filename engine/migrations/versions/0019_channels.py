"""notifications that arrive: channel preferences, group chat robots, out-of-office deputies, and the outbox
carrying webhook posts with retries

Revision ID: 0019
Revises: 0018
"""
from alembic import op
import sqlalchemy as sa

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notice_preference",
        sa.Column("username", sa.String(80), primary_key=True),
        sa.Column("mail", sa.Boolean, nullable=False),
        sa.Column("events", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "group_webhook",
        sa.Column("group_id", sa.String(80), sa.ForeignKey("app_group.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("url", sa.String(1000), nullable=False),
        sa.Column("secret", sa.String(200), nullable=True),
        sa.Column("set_by", sa.String(80), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "out_of_office",
        sa.Column("username", sa.String(80), primary_key=True),
        sa.Column("deputy", sa.String(80), nullable=False),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("ends_on", sa.Date, nullable=False),
        sa.Column("set_by", sa.String(80), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_out_of_office_dates", "out_of_office", ["starts_on", "ends_on"])
    with op.batch_alter_table("outbox_message") as batch:
        batch.add_column(sa.Column("channel", sa.String(10), nullable=False, server_default="mail"))
        batch.add_column(sa.Column("kind", sa.String(20), nullable=True))
        batch.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_outbox_webhook_due", "outbox_message", ["channel", "sent_at", "failed_at", "next_attempt_at"])
    with op.batch_alter_table("human_task") as batch:
        batch.add_column(sa.Column("delegated_from", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("human_task") as batch:
        batch.drop_column("delegated_from")
    op.drop_index("ix_outbox_webhook_due", table_name="outbox_message")
    with op.batch_alter_table("outbox_message") as batch:
        for column in ("failed_at", "next_attempt_at", "kind", "channel"):
            batch.drop_column(column)
    op.drop_table("out_of_office")
    op.drop_table("group_webhook")
    op.drop_table("notice_preference")
