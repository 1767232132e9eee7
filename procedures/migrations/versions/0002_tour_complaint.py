"""tour permits and complaints (the first revision of the company's procedures' own branch)

Revision ID: 0002
Revises: (branch procedures; needs the engine's 0001)
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = "0002"
down_revision = None
branch_labels = ("procedures",)
depends_on = "0001"


def _at(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "tour",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("customer", sa.String(length=200), nullable=False),
        sa.Column("contact_person", sa.String(length=100), nullable=False),
        sa.Column("contact_phone", sa.String(length=40), nullable=False),
        sa.Column("tour_type", sa.String(length=20), nullable=False),
        _at("tour_start"),
        sa.Column("visitors", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=500), nullable=False),
        sa.Column("areas", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_reason", sa.String(length=500), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("special_case", sa.Boolean(), nullable=False),
        sa.Column("special_reason", sa.String(length=500), nullable=False),
        sa.Column("photo_status", sa.String(length=20), nullable=False),
        sa.Column("photo_reason", sa.String(length=500), nullable=False),
        sa.Column("photographer", sa.String(length=100), nullable=False),
        sa.Column("permit_no", sa.String(length=20), nullable=True),
        sa.Column("approvers", sa.JSON(), nullable=False),
        sa.Column("arrangement", sa.JSON(), nullable=False),
        sa.Column("badges_issued", sa.Integer(), nullable=True),
        sa.Column("took_place", sa.Boolean(), nullable=True),
        sa.Column("badges_returned", sa.Boolean(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        _at("created_at"),
        _at("updated_at"),
        _at("approved_at", True),
        _at("arrived_at", True),
        _at("closed_at", True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("permit_no", name="uq_tour_permit_no"),
    )
    op.create_index("ix_tour_instance_id", "tour", ["instance_id"])
    op.create_index("ix_tour_tour_type", "tour", ["tour_type"])
    op.create_index("ix_tour_status", "tour", ["status"])
    op.create_table(
        "record_counter",
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "year"),
    )

    op.create_table(
        "complaint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("customer", sa.String(length=200), nullable=False),
        sa.Column("contact", sa.String(length=100), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        _at("received_at"),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("product", sa.String(length=200), nullable=False),
        sa.Column("demand", sa.String(length=1000), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("rounds", sa.Integer(), nullable=False),
        sa.Column("responsible_dept", sa.String(length=40), nullable=True),
        sa.Column("answer", sa.Text(), nullable=False),
        _at("first_response_due", True),
        _at("resolution_due", True),
        _at("first_responded_at", True),
        sa.Column("escalations", sa.Integer(), nullable=False),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("last_escalation", sa.String(length=300), nullable=False),
        _at("last_escalated_at", True),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        _at("created_at"),
        _at("updated_at"),
        _at("closed_at", True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number", name="uq_complaint_number"),
    )
    op.create_index("ix_complaint_instance_id", "complaint", ["instance_id"])
    op.create_index("ix_complaint_kind", "complaint", ["kind"])
    op.create_index("ix_complaint_status", "complaint", ["status"])
    op.create_table(
        "complaint_round",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("investigation", sa.Text(), nullable=False),
        sa.Column("cause", sa.Text(), nullable=False),
        sa.Column("responsible_dept", sa.String(length=40), nullable=True),
        sa.Column("corrective_action", sa.Text(), nullable=False),
        sa.Column("verification", sa.Text(), nullable=False),
        sa.Column("gm_decision", sa.String(length=20), nullable=True),
        sa.Column("gm_comment", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("satisfied", sa.Boolean(), nullable=True),
        sa.Column("feedback", sa.Text(), nullable=False),
        sa.Column("first_response_escalated", sa.Boolean(), nullable=False),
        sa.Column("resolution_escalated", sa.Boolean(), nullable=False),
        _at("started_at"),
        _at("ended_at", True),
        sa.ForeignKeyConstraint(["complaint_id"], ["complaint.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("complaint_id", "round", name="uq_complaint_round"),
    )
    op.create_index("ix_complaint_round_complaint_id", "complaint_round", ["complaint_id"])


def downgrade() -> None:
    op.drop_index("ix_complaint_round_complaint_id", table_name="complaint_round")
    op.drop_table("complaint_round")
    op.drop_index("ix_complaint_status", table_name="complaint")
    op.drop_index("ix_complaint_kind", table_name="complaint")
    op.drop_index("ix_complaint_instance_id", table_name="complaint")
    op.drop_table("complaint")
    op.drop_table("record_counter")
    op.drop_index("ix_tour_status", table_name="tour")
    op.drop_index("ix_tour_tour_type", table_name="tour")
    op.drop_index("ix_tour_instance_id", table_name="tour")
    op.drop_table("tour")
