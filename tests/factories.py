"""Rows made directly in the database, for tests of other packages."""

from __future__ import annotations

from tariffconnect.core.ids import new_id
from tariffconnect.core.timeutil import utcnow
from tariffconnect.db import Database
from tariffconnect.devices.models import Device
from tariffconnect.locations.models import Location


def make_location(database: Database, account_id: str, *, live: bool = False) -> str:
    with database.transaction() as session:
        location = Location(
            id=new_id("loc"),
            account_id=account_id,
            live_mode=live,
            time_created=utcnow(),
            city="London",
            country_code="GB",
            timezone="Europe/London",
            currency_code="GBP",
        )
        session.add(location)
    return location.id


def make_device(database: Database, account_id: str, *, live: bool = False) -> str:
    with database.transaction() as session:
        device = Device(
            id=new_id("dev"),
            account_id=account_id,
            live_mode=live,
            time_created=utcnow(),
            reference_id="charger-1",
            type="EV_CHARGER",
            properties={},
        )
        session.add(device)
    return device.id
