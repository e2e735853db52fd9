"""openadr clients: OAuth 2 client credentials for one location's OpenADR 3 VTN

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 21:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "openadr_clients",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("location_id", sa.String(length=40), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("time_revoked", sa.DateTime(timezone=True), nullable=True),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("live_mode", sa.Boolean(), nullable=False),
        sa.Column("time_created", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_openadr_clients_location_id_locations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_openadr_clients")),
    )
    op.create_index(
        "ix_openadr_clients_scope_id",
        "openadr_clients",
        ["account_id", "live_mode", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_openadr_clients_location_id"), "openadr_clients", ["location_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_openadr_clients_location_id"), table_name="openadr_clients")
    op.drop_index("ix_openadr_clients_scope_id", table_name="openadr_clients")
    op.drop_table("openadr_clients")
