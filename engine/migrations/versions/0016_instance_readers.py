"""people and groups a request was copied to (抄送) or who were mentioned in it: they may read it

Revision ID: 0016
Revises: 0015
"""
from alembic import op
import sqlalchemy as sa

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "instance_reader",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("instance_id", sa.Integer, sa.ForeignKey("process_instance.id", ondelete="CASCADE"), nullable=False),
        sa.Column("username", sa.String(80), nullable=True),
        sa.Column("group_id", sa.String(80), nullable=True),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("added_by", sa.String(80), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_instance_reader_instance_id", "instance_reader", ["instance_id"])
    op.create_index("ix_reader_user", "instance_reader", ["username", "instance_id"])
    op.create_index("ix_reader_group", "instance_reader", ["group_id", "instance_id"])


def downgrade() -> None:
    op.drop_table("instance_reader")
