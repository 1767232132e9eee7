"""what a request can be found by: its title and its procedure's identifiers (record numbers)

Revision ID: 0014
Revises: 0013
"""
from alembic import op
import sqlalchemy as sa

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # filled by each save from now on; `approvals db upgrade` indexes the requests that existed before
    with op.batch_alter_table("process_instance") as batch:
        batch.add_column(sa.Column("search_text", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("process_instance") as batch:
        batch.drop_column("search_text")
