"""Alembic environment: always driven by tariffconnect.db.migrate with an open connection."""

from __future__ import annotations

from alembic import context

from tariffconnect.db.base import Base
from tariffconnect.models import import_all_models

import_all_models()
connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `tariffconnect migrate`")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
