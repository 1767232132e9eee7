"""customer register and contracts

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _at(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "customer",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("grade", sa.String(length=1), nullable=True),
        sa.Column("blacklisted", sa.Boolean(), nullable=False),
        _at("created_at"),
        _at("updated_at"),
        sa.UniqueConstraint("name", name="uq_customer_name"),
    )
    op.create_table(
        "customer_grade_history",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customer.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("from_grade", sa.String(length=1), nullable=True),
        sa.Column("to_grade", sa.String(length=1), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("approvers", sa.JSON(), nullable=False),
        _at("changed_at"),
        sa.Column("instance_id", sa.Integer(), nullable=True),
    )
    op.create_index("ix_customer_grade_history_customer_id", "customer_grade_history", ["customer_id"])
    op.create_index("ix_customer_grade_history_instance_id", "customer_grade_history", ["instance_id"])
    op.create_table(
        "customer_blacklist",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customer.id", ondelete="CASCADE"), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        _at("listed_at"),
        _at("expires_at"),
        _at("lifted_at", nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("instance_id", sa.Integer(), nullable=True),
    )
    op.create_index("ix_customer_blacklist_customer_id", "customer_blacklist", ["customer_id"])
    op.create_table(
        "contract",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("customer", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("review_outcome", sa.String(length=20), nullable=True),
        _at("reviewed_at", nullable=True),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=True),
        _at("effective_at", nullable=True),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        _at("created_at"),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.UniqueConstraint("number", name="uq_contract_number"),
    )
    op.create_index("ix_contract_customer", "contract", ["customer"])
    op.create_index("ix_contract_status", "contract", ["status"])
    op.create_table(
        "contract_amendment",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("contract_id", sa.Integer(), sa.ForeignKey("contract.id", ondelete="CASCADE"), nullable=False),
        sa.Column("requested_by", sa.String(length=10), nullable=False),
        sa.Column("change", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("company_signed_on", sa.Date(), nullable=True),
        sa.Column("company_signer", sa.String(length=80), nullable=True),
        sa.Column("customer_signed_on", sa.Date(), nullable=True),
        sa.Column("customer_signatory", sa.String(length=100), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        _at("created_at"),
        _at("decided_at", nullable=True),
        sa.Column("instance_id", sa.Integer(), nullable=True),
    )
    op.create_index("ix_contract_amendment_contract_id", "contract_amendment", ["contract_id"])
    op.create_table(
        "production_order",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("contract_id", sa.Integer(), sa.ForeignKey("contract.id", ondelete="CASCADE"), nullable=False),
        sa.Column("departments", sa.JSON(), nullable=False),
        sa.Column("issued_by", sa.String(length=80), nullable=False),
        _at("issued_at"),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.UniqueConstraint("number", name="uq_production_order_number"),
    )
    op.create_index("ix_production_order_contract_id", "production_order", ["contract_id"])


def downgrade() -> None:
    op.drop_index("ix_production_order_contract_id", table_name="production_order")
    op.drop_table("production_order")
    op.drop_index("ix_contract_amendment_contract_id", table_name="contract_amendment")
    op.drop_table("contract_amendment")
    op.drop_index("ix_contract_status", table_name="contract")
    op.drop_index("ix_contract_customer", table_name="contract")
    op.drop_table("contract")
    op.drop_index("ix_customer_blacklist_customer_id", table_name="customer_blacklist")
    op.drop_table("customer_blacklist")
    op.drop_index("ix_customer_grade_history_instance_id", table_name="customer_grade_history")
    op.drop_index("ix_customer_grade_history_customer_id", table_name="customer_grade_history")
    op.drop_table("customer_grade_history")
    op.drop_table("customer")
