"""side tasks: 加签 (opinions asked before deciding, approvals required after) and rework sent back
straight to the returning approver, as inbox rows waiting on a diagram task, with their details

Revision ID: 0021
Revises: 0020
"""
from alembic import op
import sqlalchemy as sa

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("human_task") as batch:
        batch.add_column(sa.Column("kind", sa.String(20), nullable=True))
        batch.add_column(sa.Column("side_of", sa.Integer, nullable=True))
        batch.add_column(sa.Column("held", sa.String(20), nullable=True))
    op.create_index("ix_human_task_side_of", "human_task", ["side_of"],
                    sqlite_where=sa.text("side_of IS NOT NULL"), postgresql_where=sa.text("side_of IS NOT NULL"))
    op.create_table(
        "side_task",
        sa.Column("id", sa.Integer, sa.ForeignKey("human_task.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("instance_id", sa.Integer, sa.ForeignKey("process_instance.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("asked_by", sa.String(80), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("opinion", sa.Text, nullable=True),
        sa.Column("decision", sa.String(20), nullable=True),
        sa.Column("data", sa.JSON, nullable=False),
    )
    op.create_index("ix_side_task_instance_id", "side_task", ["instance_id"])


def downgrade() -> None:
    op.drop_table("side_task")
    op.drop_index("ix_human_task_side_of", table_name="human_task")
    with op.batch_alter_table("human_task") as batch:
        batch.drop_column("held")
        batch.drop_column("side_of")
        batch.drop_column("kind")
