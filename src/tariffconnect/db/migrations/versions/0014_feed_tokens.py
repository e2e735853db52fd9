"""feed tokens: per-location read-only tokens for the evcc, Home Assistant and calendar feeds

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feed_tokens",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("location_id", sa.String(length=40), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("token_hint", sa.String(length=16), nullable=False),
        sa.Column("time_revoked", sa.DateTime(timezone=True), nullable=True),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("live_mode", sa.Boolean(), nullable=False),
        sa.Column("time_created", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_feed_tokens_location_id_locations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_feed_tokens_token_hash")),
    )
    with op.batch_alter_table("feed_tokens") as batch:
        batch.create_index("ix_feed_tokens_scope_id", ["account_id", "live_mode", "id"])
        batch.create_index("ix_feed_tokens_location_id", ["location_id"])


def downgrade() -> None:
    op.drop_table("feed_tokens")
