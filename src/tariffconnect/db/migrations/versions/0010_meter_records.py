"""meter records (partitioned by month on PostgreSQL) and batches; tariff history and tiers

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 15:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meter_records",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("start_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("location_id", sa.String(length=40), nullable=False),
        sa.Column("device_id", sa.String(length=40), nullable=True),
        sa.Column("batch_id", sa.String(length=40), nullable=True),
        sa.Column("session_reference_id", sa.String(length=255), nullable=True),
        sa.Column("record_reference_id", sa.String(length=255), nullable=True),
        sa.Column("energy_flow_direction", sa.String(length=8), nullable=False),
        sa.Column("tariff_direction", sa.String(length=8), nullable=False),
        sa.Column("energy_wh", sa.Numeric(precision=24, scale=6), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("live_mode", sa.Boolean(), nullable=False),
        sa.Column("time_created", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_meter_records_location_id_locations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", "start_time", name=op.f("pk_meter_records")),
        # PostgreSQL: partitions by month are made by the `meters.partitions` task (and on
        # demand for older months); SQLite ignores this.
        postgresql_partition_by="RANGE (start_time)",
    )
    for name, columns in (
        ("location", ["location_id", "start_time"]),
        ("device", ["device_id", "start_time"]),
        ("session", ["session_reference_id"]),
    ):
        op.create_index(
            f"ix_meter_records_{name}", "meter_records", ["account_id", "live_mode", *columns]
        )
    op.create_table(
        "meter_record_references",
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("live_mode", sa.Boolean(), nullable=False),
        sa.Column("record_reference_id", sa.String(length=255), nullable=False),
        sa.Column("record_id", sa.String(length=40), nullable=False),
        sa.Column("start_time", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "account_id",
            "live_mode",
            "record_reference_id",
            name=op.f("pk_meter_record_references"),
        ),
    )
    op.create_table(
        "meter_batches",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("records_submitted", sa.Integer(), nullable=False),
        sa.Column("records_accepted", sa.Integer(), nullable=False),
        sa.Column("records_processed", sa.Integer(), nullable=False),
        sa.Column("failed_records", sa.JSON(), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("live_mode", sa.Boolean(), nullable=False),
        sa.Column("time_created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meter_batches")),
    )
    op.create_index("ix_meter_batches_scope_id", "meter_batches", ["account_id", "live_mode", "id"])
    with op.batch_alter_table("tariffs") as batch:
        # A replaced tariff still prices the energy that flowed while it was connected.
        batch.add_column(sa.Column("time_replaced", sa.DateTime(timezone=True), nullable=True))
        # Consumption tiers (rate[].to_kwh) count the energy of a local DAY or MONTH.
        batch.add_column(
            sa.Column("tier_period", sa.String(length=8), server_default="MONTH", nullable=False)
        )
    # Tariffs replaced before this revision: their last update was (at latest) the replacement.
    tariffs = sa.table(
        "tariffs", sa.column("status"), sa.column("time_updated"), sa.column("time_replaced")
    )
    op.execute(
        tariffs.update()
        .where(tariffs.c.status == "REPLACED")
        .values(time_replaced=tariffs.c.time_updated)
    )


def downgrade() -> None:
    with op.batch_alter_table("tariffs") as batch:
        batch.drop_column("tier_period")
        batch.drop_column("time_replaced")
    op.drop_table("meter_batches")
    op.drop_table("meter_record_references")
    op.drop_table("meter_records")
