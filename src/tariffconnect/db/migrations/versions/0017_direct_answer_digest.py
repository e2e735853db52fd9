"""direct connections: the digest of the answer that stored the connected tariff

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 05:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("direct_connections") as batch:
        batch.add_column(sa.Column("answer_digest", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("direct_connections") as batch:
        batch.drop_column("answer_digest")
