"""a request's business outcome (approved, rejected, expired, ...) and the words of the end event it reached

Revision ID: 0013
Revises: 0012
"""
from alembic import op
import sqlalchemy as sa

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("process_instance") as batch:
        batch.add_column(sa.Column("outcome", sa.String(40), nullable=True))
        batch.add_column(sa.Column("outcome_label", sa.String(200), nullable=True))
    op.execute("UPDATE process_instance SET outcome = 'cancelled' WHERE status = 'cancelled'")
    op.execute("UPDATE process_instance SET outcome = 'completed' WHERE status = 'completed'")


def downgrade() -> None:
    with op.batch_alter_table("process_instance") as batch:
        batch.drop_column("outcome_label")
        batch.drop_column("outcome")
