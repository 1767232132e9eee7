"""drafts that behave: a name, and a revision so one owner's save never overwrites another's

Revision ID: 0023
Revises: 0021
"""
from alembic import op
import sqlalchemy as sa

revision = "0023"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("process_draft") as batch:
        batch.add_column(sa.Column("name", sa.String(100), nullable=False, server_default=""))
        batch.add_column(sa.Column("revision", sa.Integer, nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("process_draft") as batch:
        batch.drop_column("revision")
        batch.drop_column("name")
