"""market source versions: a change token and the published horizon per source

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 12:30:00
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    versions = op.create_table(
        "market_source_versions",
        sa.Column("source_id", sa.String(length=40), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("published_until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source_id", name=op.f("pk_market_source_versions")),
    )
    # Sources stored before this revision get their first version now.
    prices = sa.table("market_prices", sa.column("source_id"), sa.column("end"))
    found = op.get_bind().execute(
        sa.select(prices.c.source_id, sa.func.max(prices.c.end)).group_by(prices.c.source_id)
    )
    rows = [
        {"source_id": source_id, "token": uuid.uuid4().hex, "published_until": until}
        for source_id, until in found
    ]
    if rows:
        op.bulk_insert(versions, rows)


def downgrade() -> None:
    op.drop_table("market_source_versions")
