"""the yearly customer satisfaction survey: its rounds and scores

Revision ID: p0006 (0006 of the procedures branch; the id is set apart from the engine's 0006)
Revises: p0005
"""
from alembic import op
import sqlalchemy as sa

revision = "p0006"
down_revision = "p0005"
branch_labels = None
depends_on = None


def _at(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "satisfaction_survey",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("period", sa.String(length=40), nullable=False),
        sa.Column("grades", sa.String(length=8), nullable=False),
        sa.Column("method", sa.String(length=40), nullable=False),
        _at("opened_at"),
        _at("closed_at", nullable=True),
        sa.Column("average", sa.Float(), nullable=True),
        sa.Column("analysis", sa.Text(), nullable=True),
        sa.Column("instance_id", sa.Integer(), nullable=True),
    )
    op.create_index("ix_satisfaction_survey_period", "satisfaction_survey", ["period"])
    op.create_index("ix_satisfaction_survey_instance_id", "satisfaction_survey", ["instance_id"])
    op.create_table(
        "satisfaction_score",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("survey_id", sa.Integer(), sa.ForeignKey("satisfaction_survey.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customer.id", ondelete="CASCADE"), nullable=False),
        sa.Column("grade", sa.String(length=1), nullable=True),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("corrective_action", sa.Text(), nullable=True),
        _at("recorded_at"),
    )
    op.create_index("ix_satisfaction_score_survey_id", "satisfaction_score", ["survey_id"])
    op.create_index("ix_satisfaction_score_customer_id", "satisfaction_score", ["customer_id"])


def downgrade() -> None:
    op.drop_table("satisfaction_score")
    op.drop_table("satisfaction_survey")
