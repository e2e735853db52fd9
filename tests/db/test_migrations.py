"""Migrations and models agree, and migrating is safe to repeat."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tariffconnect.db.base import Base
from tariffconnect.db.migrate import upgrade
from tariffconnect.models import import_all_models


def test_models_match_the_migrated_schema(database):
    import_all_models()
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_upgrade_twice_is_a_no_op(database):
    upgrade(database.engine)
    upgrade(database.engine)
    with database.engine.connect() as connection:
        heads = MigrationContext.configure(connection).get_current_heads()
    assert len(heads) == 1
