"""the inbox reads only the user's own candidates: an open flag on task_candidate with partial indexes
by group and by user, (assignee, status) on human_task; the audit chain index that repeated the unique
(chain, seq), and single-column indexes that other indexes start with, go

Revision ID: 0012
Revises: 0011
"""
from alembic import op
import sqlalchemy as sa

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_OPEN = sa.text("is_open = true")


def upgrade() -> None:
    with op.batch_alter_table("task_candidate") as batch:
        batch.add_column(sa.Column("is_open", sa.Boolean(), nullable=False, server_default=sa.true()))
    op.execute("UPDATE task_candidate SET is_open = false WHERE human_task_id IN "
               "(SELECT id FROM human_task WHERE status <> 'open')")
    for name, column in (("ix_candidate_open_group", "group_id"), ("ix_candidate_open_user", "username")):
        op.create_index(name, "task_candidate", [column, "human_task_id"],
                        sqlite_where=sa.text("is_open = 1"), postgresql_where=_OPEN)
    op.create_index("ix_human_task_assignee_status", "human_task", ["assignee", "status"])
    # each of these repeats the start of another index
    op.drop_index("ix_human_task_assignee", table_name="human_task")
    op.drop_index("ix_task_candidate_group_id", table_name="task_candidate")
    op.drop_index("ix_task_candidate_username", table_name="task_candidate")
    op.drop_index("ix_audit_event_chain", table_name="audit_event")


def downgrade() -> None:
    op.create_index("ix_audit_event_chain", "audit_event", ["chain"])
    op.create_index("ix_task_candidate_username", "task_candidate", ["username"])
    op.create_index("ix_task_candidate_group_id", "task_candidate", ["group_id"])
    op.create_index("ix_human_task_assignee", "human_task", ["assignee"])
    op.drop_index("ix_human_task_assignee_status", table_name="human_task")
    op.drop_index("ix_candidate_open_user", table_name="task_candidate")
    op.drop_index("ix_candidate_open_group", table_name="task_candidate")
    with op.batch_alter_table("task_candidate") as batch:
        batch.drop_column("is_open")
