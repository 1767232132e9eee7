"""failed sign-ins kept in the database (every web process sees the same lockouts)

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in_failure",
        sa.Column("key", sa.String(length=300), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("sign_in_failure") as batch:
        batch.create_index(batch.f("ix_sign_in_failure_last_seen"), ["last_seen"], unique=False)


def downgrade() -> None:
    op.drop_table("sign_in_failure")
