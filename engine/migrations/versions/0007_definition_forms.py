"""forms stored with each definition version

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "definition_form",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("definition_id", sa.Integer(), sa.ForeignKey("process_definition.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("filename", sa.String(length=300), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.UniqueConstraint("definition_id", "filename"),
    )
    with op.batch_alter_table("definition_form") as batch:
        batch.create_index(batch.f("ix_definition_form_definition_id"), ["definition_id"], unique=False)


def downgrade() -> None:
    op.drop_table("definition_form")
