"""customer visits and admission reviews

Revision ID: p0005 (0005 of the procedures branch; the id is set apart from the engine's 0005)
Revises: p0004
"""
from alembic import op
import sqlalchemy as sa

revision = "p0005"
down_revision = "p0004"
branch_labels = None
depends_on = None


def _at(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("customer") as batch:
        batch.add_column(sa.Column("region", sa.String(length=50), nullable=True))
    op.create_table(
        "customer_admission",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("customer_name", sa.String(length=200), nullable=False),
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customer.id", ondelete="SET NULL"), nullable=True),
        sa.Column("region", sa.String(length=50), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("grade", sa.String(length=1), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("profile", sa.JSON(), nullable=False),
        sa.Column("approvers", sa.JSON(), nullable=False),
        _at("decided_at"),
        sa.Column("instance_id", sa.Integer(), nullable=True),
    )
    op.create_index("ix_customer_admission_customer_name", "customer_admission", ["customer_name"])
    op.create_index("ix_customer_admission_instance_id", "customer_admission", ["instance_id"])
    op.create_table(
        "visit_plan",
        sa.Column("id", sa.Integer(), primary_key=True),
        _at("made_at"),
        sa.Column("horizon", sa.Date(), nullable=False),
        sa.Column("listed", sa.JSON(), nullable=False),
        sa.Column("planned_by", sa.String(length=80), nullable=True),
        _at("planned_at", nullable=True),
        sa.Column("instance_id", sa.Integer(), nullable=True),
    )
    op.create_index("ix_visit_plan_instance_id", "visit_plan", ["instance_id"])
    op.create_table(
        "customer_visit",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("plan_id", sa.Integer(), sa.ForeignKey("visit_plan.id", ondelete="CASCADE"), nullable=True),
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customer.id", ondelete="CASCADE"), nullable=False),
        sa.Column("region", sa.String(length=50), nullable=False),
        sa.Column("visitor", sa.String(length=80), nullable=False),
        sa.Column("planned_on", sa.Date(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("due_by", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("preparation", sa.JSON(), nullable=False),
        sa.Column("visited_on", sa.Date(), nullable=True),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("follow_up", sa.Text(), nullable=False),
        sa.Column("follow_up_result", sa.Text(), nullable=False),
        _at("reported_at", nullable=True),
        _at("closed_at", nullable=True),
        sa.Column("instance_id", sa.Integer(), nullable=True),
    )
    for column in ("plan_id", "customer_id", "status", "instance_id"):
        op.create_index(f"ix_customer_visit_{column}", "customer_visit", [column])


def downgrade() -> None:
    for column in ("plan_id", "customer_id", "status", "instance_id"):
        op.drop_index(f"ix_customer_visit_{column}", table_name="customer_visit")
    op.drop_table("customer_visit")
    op.drop_index("ix_visit_plan_instance_id", table_name="visit_plan")
    op.drop_table("visit_plan")
    op.drop_index("ix_customer_admission_instance_id", table_name="customer_admission")
    op.drop_index("ix_customer_admission_customer_name", table_name="customer_admission")
    op.drop_table("customer_admission")
    with op.batch_alter_table("customer") as batch:
        batch.drop_column("region")
