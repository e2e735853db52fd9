"""direct connections: the claim of a pull in progress, and the count of pulls

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 06:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("direct_connections") as batch:
        batch.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("pulls", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("direct_connections") as batch:
        batch.drop_column("pulls")
        batch.drop_column("claimed_until")
