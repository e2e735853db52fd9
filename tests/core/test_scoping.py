"""`get_owned`: the caller's row by id, scoped inside the query, optionally locked."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError

from tariffconnect.core.scoping import Scope, get_owned
from tariffconnect.devices.models import Device
from tests.factories import make_device


@pytest.fixture
def device(database, tenant):
    return make_device(database, tenant.account_id)


@pytest.mark.parametrize("lock", [False, True])
def test_finds_only_the_callers_row_in_its_mode(database, tenant, other_tenant, device, lock):
    with database.transaction() as session:
        mine = get_owned(
            session, Device, Scope(tenant.account_id, False), device, prefix="dev", lock=lock
        )
        assert mine is not None and mine.id == device
        for scope in (Scope(tenant.account_id, True), Scope(other_tenant.account_id, False)):
            assert get_owned(session, Device, scope, device, prefix="dev", lock=lock) is None


@pytest.mark.parametrize("object_id", ["dev_nope", "dev_" + "0" * 23 + "\x00", "loc_" + "0" * 24])
def test_an_id_of_the_wrong_shape_is_none_without_a_query(database, tenant, object_id):
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(database.engine, "before_cursor_execute", seen)
    try:
        with database.transaction() as session:
            scope = Scope(tenant.account_id, False)
            assert get_owned(session, Device, scope, object_id, prefix="dev", lock=True) is None
    finally:
        event.remove(database.engine, "before_cursor_execute", seen)
    assert not [s for s in statements if "devices" in s]


def _try_lock(database, device_id):
    """Lock the row from another connection without waiting: raises while someone holds it."""
    with database.engine.connect() as connection, connection.begin():
        query = select(Device.id).where(Device.id == device_id).with_for_update(nowait=True)
        return connection.scalars(query).one()


@pytest.mark.parametrize("lock", [False, True])
def test_lock_holds_the_row_until_the_transaction_ends(database, tenant, device, lock):
    if database.is_sqlite:
        pytest.skip("SQLite has no row locks: its writers take turns for the whole database")
    with database.transaction() as session:
        scope = Scope(tenant.account_id, False)
        assert get_owned(session, Device, scope, device, prefix="dev", lock=lock) is not None
        if lock:
            with pytest.raises(OperationalError):
                _try_lock(database, device)
        else:
            assert _try_lock(database, device) == device
    assert _try_lock(database, device) == device  # released at commit
