"""direct connections: auth-module bindings, sealed credentials, DIRECT connections and the
connection upgrades announced

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 05:00:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

ID = sa.String(length=40)
WHEN = sa.DateTime(timezone=True)


def _owned() -> list[sa.Column[Any]]:
    return [
        sa.Column("account_id", ID, nullable=False),
        sa.Column("live_mode", sa.Boolean(), nullable=False),
        sa.Column("time_created", WHEN, nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "auth_modules",
        sa.Column("provider_id", ID, nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("time_created", WHEN, nullable=False),
        sa.Column("time_updated", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("provider_id", name=op.f("pk_auth_modules")),
    )
    op.create_table(
        "auth_metadata",
        sa.Column("id", ID, nullable=False),
        sa.Column("connect_session_id", ID, nullable=True),
        sa.Column("location_id", ID, nullable=True),
        sa.Column("provider_id", ID, nullable=False),
        sa.Column("tariff_direction", sa.String(length=8), nullable=False),
        sa.Column("tariff_type", sa.String(length=16), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("consent_given_at", WHEN, nullable=True),
        *_owned(),
        sa.ForeignKeyConstraint(
            ["connect_session_id"],
            ["connect_sessions.id"],
            name=op.f("fk_auth_metadata_connect_session_id_connect_sessions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_auth_metadata_location_id_locations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_metadata")),
    )
    with op.batch_alter_table("auth_metadata") as batch:
        batch.create_index("ix_auth_metadata_scope_id", ["account_id", "live_mode", "id"])
        batch.create_index("ix_auth_metadata_connect_session_id", ["connect_session_id"])
        batch.create_index("ix_auth_metadata_location_id", ["location_id"])
    op.create_table(
        "direct_connections",
        sa.Column("id", ID, nullable=False),
        sa.Column("location_id", ID, nullable=False),
        sa.Column("tariff_direction", sa.String(length=8), nullable=False),
        sa.Column("tariff_type", sa.String(length=16), nullable=False),
        sa.Column("provider_id", ID, nullable=False),
        sa.Column("auth_metadata_id", ID, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("tariff_id", ID, nullable=True),
        sa.Column("next_refresh_at", WHEN, nullable=False),
        sa.Column("last_attempt_at", WHEN, nullable=True),
        sa.Column("last_success_at", WHEN, nullable=True),
        sa.Column("failing_since", WHEN, nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("fetch_failed_at", WHEN, nullable=True),
        *_owned(),
        sa.ForeignKeyConstraint(
            ["auth_metadata_id"],
            ["auth_metadata.id"],
            name=op.f("fk_direct_connections_auth_metadata_id_auth_metadata"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_direct_connections_location_id_locations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_direct_connections")),
        sa.UniqueConstraint(
            "location_id",
            "tariff_direction",
            "tariff_type",
            name=op.f("uq_direct_connections_location_id_tariff_direction_tariff_type"),
        ),
    )
    with op.batch_alter_table("direct_connections") as batch:
        batch.create_index("ix_direct_connections_scope_id", ["account_id", "live_mode", "id"])
        batch.create_index("ix_direct_connections_next_refresh_at", ["next_refresh_at"])
        batch.create_index("ix_direct_connections_auth_metadata_id", ["auth_metadata_id"])
    op.create_table(
        "connection_upgrades",
        sa.Column("location_id", ID, nullable=False),
        sa.Column("provider_id", ID, nullable=False),
        sa.Column("time_created", WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_connection_upgrades_location_id_locations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("location_id", "provider_id", name=op.f("pk_connection_upgrades")),
    )


def downgrade() -> None:
    op.drop_table("connection_upgrades")
    op.drop_table("direct_connections")
    op.drop_table("auth_metadata")
    op.drop_table("auth_modules")
