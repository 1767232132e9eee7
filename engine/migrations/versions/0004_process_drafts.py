"""process drafts

Revision ID: 0004
Revises: 0001 (0002 and 0003 moved to the procedures package's own branch)
"""
from alembic import op
import sqlalchemy as sa

revision = "0004"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "process_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("process_id", sa.String(length=200), nullable=False),
        sa.Column("filename", sa.String(length=300), nullable=False),
        sa.Column("xml", sa.Text(), nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=True),
        sa.Column("saved_by", sa.String(length=80), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("process_draft") as batch:
        batch.create_index(batch.f("ix_process_draft_process_id"), ["process_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("process_draft") as batch:
        batch.drop_index(batch.f("ix_process_draft_process_id"))
    op.drop_table("process_draft")
