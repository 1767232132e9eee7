"""files attached to requests and tasks, or staged for a start form

Revision ID: 0018
Revises: 0017
"""
from alembic import op
import sqlalchemy as sa

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attachment",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("instance_id", sa.Integer, sa.ForeignKey("process_instance.id", ondelete="CASCADE"), nullable=True),
        sa.Column("task_id", sa.Integer, sa.ForeignKey("human_task.id", ondelete="SET NULL"), nullable=True),
        sa.Column("field", sa.String(80), nullable=True),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("media_type", sa.String(120), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("uploaded_by", sa.String(80), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_by", sa.String(80), nullable=True),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_attachment_instance", "attachment", ["instance_id", "id"])
    op.create_index("ix_attachment_staged", "attachment", ["uploaded_by", "instance_id"])


def downgrade() -> None:
    op.drop_table("attachment")
