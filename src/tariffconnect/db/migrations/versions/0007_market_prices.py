"""market prices as published: feed, fx rate, publication time, revision; source states

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 10:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("market_prices") as batch:
        batch.add_column(sa.Column("feed", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("fx_rate", sa.Numeric(precision=18, scale=8), nullable=True))
        batch.add_column(sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("revision", sa.Integer(), server_default="0", nullable=False))
    op.create_table(
        "market_source_states",
        sa.Column("source_id", sa.String(length=40), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("feed", sa.String(length=16), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("source_id", name=op.f("pk_market_source_states")),
    )


def downgrade() -> None:
    op.drop_table("market_source_states")
    with op.batch_alter_table("market_prices") as batch:
        for column in ("revision", "published_at", "fx_rate", "feed"):
            batch.drop_column(column)
