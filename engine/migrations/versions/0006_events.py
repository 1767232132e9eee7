"""messages, signals and timer starts between instances

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "event_wait",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("instance_id", sa.Integer(), sa.ForeignKey("process_instance.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
    )
    with op.batch_alter_table("event_wait") as batch:
        batch.create_index("ix_event_wait_name", ["kind", "name", "instance_id"], unique=False)
        batch.create_index(batch.f("ix_event_wait_instance_id"), ["instance_id"], unique=False)
    op.create_table(
        "start_trigger",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("definition_id", sa.Integer(), sa.ForeignKey("process_definition.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("process_id", sa.String(length=200), nullable=False),
        sa.Column("bpmn_id", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
    )
    with op.batch_alter_table("start_trigger") as batch:
        batch.create_index("ix_start_trigger_name", ["kind", "name"], unique=False)
        batch.create_index(batch.f("ix_start_trigger_definition_id"), ["definition_id"], unique=False)
    op.create_table(
        "scheduled_start",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("process_id", sa.String(length=200), nullable=False, unique=True),
        sa.Column("definition_id", sa.Integer(), sa.ForeignKey("process_definition.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("bpmn_id", sa.String(length=200), nullable=False),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("remaining", sa.Integer(), nullable=False),
        sa.Column("every_seconds", sa.Float(), nullable=True),
        sa.Column("fired", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    )
    with op.batch_alter_table("scheduled_start") as batch:
        batch.create_index(batch.f("ix_scheduled_start_next_at"), ["next_at"], unique=False)


def downgrade() -> None:
    op.drop_table("scheduled_start")
    op.drop_table("start_trigger")
    op.drop_table("event_wait")
