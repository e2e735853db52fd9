"""A London location with a flat 0.25 GBP/kWh import tariff (modules with other needs
define their own `location`)."""

import pytest

from tests.costs.support import connect_flat
from tests.schedules.support import make_location


@pytest.fixture
def location(client, tenant):
    location = make_location(client, tenant)["id"]
    connect_flat(client, tenant, location, 0.25)
    return location
