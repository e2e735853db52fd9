"""tariff provider name: the provider a customer typed in Connect when theirs is not listed

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tariffs") as batch:
        batch.add_column(sa.Column("provider_name", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tariffs") as batch:
        batch.drop_column("provider_name")
