"""the groups a group oversees (a manager's department), for the team view and read access

Revision ID: 0015
Revises: 0014
"""
from alembic import op
import sqlalchemy as sa

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("app_group") as batch:
        batch.add_column(sa.Column("oversees", sa.JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("app_group") as batch:
        batch.drop_column("oversees")
