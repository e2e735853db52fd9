"""account releases: the Flatpeak-Version an account's requests answer in by default

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 15:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

BUSBAR = "2026-01-01.busbar"


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(
            sa.Column(
                "flatpeak_version", sa.String(length=32), nullable=False, server_default=BUSBAR
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("flatpeak_version")
