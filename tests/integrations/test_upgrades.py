"""`tariff.connection.upgrade`: once per location, when its MANUAL or LIBRARY tariff's provider
gains a module binding (any mode) or a built-in adapter (the sandbox: test mode only)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import event, select

from tariffconnect.core.scoping import Scope
from tariffconnect.events.models import Event
from tariffconnect.integrations import bindings, upgrades
from tariffconnect.integrations.adapters.registry import OCTOPUS_GB_PROVIDER_ID
from tariffconnect.integrations.models import ConnectionUpgrade
from tariffconnect.providers.sandbox import SANDBOX_PROVIDER_ID
from tariffconnect.tariffs import service as tariffs
from tariffconnect.tariffs.models import Tariff
from tariffconnect.tariffs.schemas import TariffCreate
from tests.tariffs.support import flat

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
TIBBER_NL = "prv_302fee4f665894e0338ad5ee"  # DIRECT in the catalogue, no built-in adapter
LONDON = {"postal_address": {"city": "London", "country_code": "GB"}}


@pytest.fixture
def bound(database):
    """Tibber NL bound to a module for the test only (bindings are the whole service's)."""
    yield lambda: _bind(database)
    with database.transaction() as session:
        bindings.clear(session, provider_id=TIBBER_NL)


def _bind(database):
    with database.transaction() as session:
        bindings.bind(
            session, provider_id=TIBBER_NL, url="https://tibber-module.example.com", now=NOW
        )


def tariff(database, account_id, location_id, provider_id, *, live=False, connection="MANUAL"):
    scope = Scope(account_id=account_id, live_mode=live)
    data = TariffCreate.model_validate(
        {"location_id": location_id, "provider_id": provider_id, "schedule": flat(0.3)}
    )
    with database.transaction() as session:
        return tariffs.create(session, scope=scope, data=data, connection_type=connection).id


def scan(database, provider_id=None):
    with database.transaction() as session:
        return upgrades.scan(session, now=NOW, provider_id=provider_id)


def upgrade_events(database, account_id):
    with database.transaction(write=False) as session:
        rows = session.execute(
            select(Event.type, Event.object_id, Event.live_mode, Event.data)
            .where(Event.account_id == account_id, Event.type == "tariff.connection.upgrade")
            .order_by(Event.id)
        )
        return [(t, o, live, d["connection_type"], d["location_id"]) for t, o, live, d in rows]


def test_a_bound_module_upgrades_once(client, database, tenant, bound):
    location = client.post("/locations", json=LONDON, headers=tenant.test).json()["id"]
    manual = tariff(database, tenant.account_id, location, TIBBER_NL)
    scan(database)
    assert upgrade_events(database, tenant.account_id) == []
    bound()
    assert scan(database, TIBBER_NL) == 1
    assert scan(database) == 0  # told once
    assert upgrade_events(database, tenant.account_id) == [
        ("tariff.connection.upgrade", manual, False, "MANUAL", location)
    ]
    with database.transaction(write=False) as session:
        told = session.execute(
            select(ConnectionUpgrade.provider_id, ConnectionUpgrade.time_created).where(
                ConnectionUpgrade.location_id == location
            )
        ).all()
    assert [(p, t.replace(tzinfo=UTC)) for p, t in told] == [(TIBBER_NL, NOW)]


def test_once_per_location_across_its_elements(client, database, tenant, bound):
    location = client.post("/locations", json=LONDON, headers=tenant.test).json()["id"]
    first = tariff(database, tenant.account_id, location, TIBBER_NL, connection="LIBRARY")
    scope = Scope(account_id=tenant.account_id, live_mode=False)
    data = TariffCreate.model_validate(
        {
            "location_id": location,
            "provider_id": TIBBER_NL,
            "tariff_direction": "EXPORT",
            "schedule": flat(0.1),
        }
    )
    with database.transaction() as session:
        tariffs.create(session, scope=scope, data=data)
    bound()
    assert scan(database, TIBBER_NL) == 1
    assert upgrade_events(database, tenant.account_id) == [
        ("tariff.connection.upgrade", first, False, "LIBRARY", location)
    ]


def test_the_sandbox_upgrades_test_mode_only(client, database, tenant):
    test_location = client.post("/locations", json=LONDON, headers=tenant.test).json()["id"]
    live_location = client.post("/locations", json=LONDON, headers=tenant.live).json()["id"]
    in_test = tariff(database, tenant.account_id, test_location, SANDBOX_PROVIDER_ID)
    tariff(database, tenant.account_id, live_location, SANDBOX_PROVIDER_ID, live=True)
    assert scan(database, SANDBOX_PROVIDER_ID) >= 1  # other tests' sandbox tariffs count too
    assert upgrade_events(database, tenant.account_id) == [
        ("tariff.connection.upgrade", in_test, False, "MANUAL", test_location)
    ]


def test_direct_and_replaced_tariffs_are_not_upgraded(client, database, tenant, bound):
    location = client.post("/locations", json=LONDON, headers=tenant.test).json()["id"]
    tariff(database, tenant.account_id, location, TIBBER_NL)  # replaced by the next one
    tariff(database, tenant.account_id, location, TIBBER_NL, connection="DIRECT")
    bound()
    scan(database, TIBBER_NL)
    assert upgrade_events(database, tenant.account_id) == []


def test_tariffs_of_providers_without_a_route_are_never_loaded(client, database, tenant):
    """The scan filters in SQL: a MANUAL tariff of an unbound provider is not even read."""
    location = client.post("/locations", json=LONDON, headers=tenant.test).json()["id"]
    unbound = tariff(database, tenant.account_id, location, TIBBER_NL)
    loaded: list[str] = []
    with database.transaction() as session:

        @event.listens_for(session, "loaded_as_persistent")
        def _loaded(_session, instance):
            if isinstance(instance, Tariff):
                loaded.append(instance.id)

        upgrades.scan(session, now=NOW, provider_id=TIBBER_NL)
        upgrades.scan(session, now=NOW)
    assert unbound not in loaded
    assert all(_provider(database, tariff_id) == SANDBOX_PROVIDER_ID for tariff_id in loaded)


def test_the_adapter_providers_are_octopus_and_the_sandbox_in_test_mode_only():
    assert upgrades.adapter_providers(live_mode=False) == tuple(
        sorted((OCTOPUS_GB_PROVIDER_ID, SANDBOX_PROVIDER_ID))
    )
    assert upgrades.adapter_providers(live_mode=True) == (OCTOPUS_GB_PROVIDER_ID,)


def _provider(database, tariff_id):
    with database.transaction(write=False) as session:
        return session.get(Tariff, tariff_id).provider_id
