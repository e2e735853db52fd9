"""connect tokens: sessions without a location, and what zero's and anode's tokens carry

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 15:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

BUSBAR = "2026-01-01.busbar"


def upgrade() -> None:
    with op.batch_alter_table("connect_sessions") as batch:
        batch.alter_column("location_id", existing_type=sa.String(length=40), nullable=True)
        batch.add_column(
            sa.Column("release", sa.String(length=32), nullable=False, server_default=BUSBAR)
        )
        batch.add_column(
            sa.Column(
                "tariff_direction", sa.String(length=16), nullable=False, server_default="IMPORT"
            )
        )
        batch.add_column(
            sa.Column(
                "tariff_type", sa.String(length=16), nullable=False, server_default="COMMODITY"
            )
        )
        batch.add_column(sa.Column("customer_id", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("customer_reference_id", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("location_reference_id", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("options", sa.JSON(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_connect_sessions_customer_id_customers"),
            "customers",
            ["customer_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("connect_sessions") as batch:
        batch.drop_constraint(
            batch.f("fk_connect_sessions_customer_id_customers"), type_="foreignkey"
        )
        for column in (
            "options",
            "location_reference_id",
            "customer_reference_id",
            "customer_id",
            "tariff_type",
            "tariff_direction",
            "release",
        ):
            batch.drop_column(column)
        batch.alter_column("location_id", existing_type=sa.String(length=40), nullable=False)
