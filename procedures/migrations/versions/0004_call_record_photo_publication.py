"""客户来电记录单 (call_record) and the consent to publish a tour's photographs

Revision ID: p0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

revision = "p0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _at(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "call_record",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("complaint_id", sa.Integer(), sa.ForeignKey("complaint.id", ondelete="CASCADE"), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("departments", sa.JSON(), nullable=False),
        sa.Column("studies", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        _at("created_at"),
        sa.Column("answered_by", sa.String(length=80), nullable=True),
        _at("answered_at", nullable=True),
        sa.UniqueConstraint("number", name="uq_call_record_number"),
    )
    op.create_index("ix_call_record_complaint_id", "call_record", ["complaint_id"])
    with op.batch_alter_table("tour") as batch:
        batch.add_column(sa.Column("publication_status", sa.String(length=20), nullable=False,
                                   server_default="none"))
        batch.add_column(sa.Column("publication", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tour") as batch:
        batch.drop_column("publication")
        batch.drop_column("publication_status")
    op.drop_index("ix_call_record_complaint_id", table_name="call_record")
    op.drop_table("call_record")
