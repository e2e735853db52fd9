"""library entries synced from published products (Octopus)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 11:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "library_synced_tariffs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("product_code", sa.String(96), nullable=False),
        sa.Column("region", sa.String(8), nullable=False),
        sa.Column("tariff_code", sa.String(128), nullable=False),
        sa.Column("read_on", sa.Date(), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("entry", sa.JSON(), nullable=False),
    )
    op.create_index(
        "ix_library_synced_source_offered", "library_synced_tariffs", ["source", "withdrawn_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_library_synced_source_offered", table_name="library_synced_tariffs")
    op.drop_table("library_synced_tariffs")
