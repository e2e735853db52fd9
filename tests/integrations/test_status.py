"""How DIRECT connections stand: the reader locations and prices see, and the operator's
listing, which never holds credentials."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update

from tariffconnect.integrations import status
from tariffconnect.integrations.models import DirectConnection
from tariffconnect.locations.direct_status import ElementState
from tests.locations.direct_support import PROVIDER_ID, connect_direct

LONDON = {"postal_address": {"city": "London", "country_code": "GB"}}
CONSENTED = datetime(2026, 11, 30, 9, 15, tzinfo=UTC)
NEXT = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def test_element_states_of_a_page_of_locations(client, database, tenant):
    first = client.post("/locations", json=LONDON, headers=tenant.test).json()["id"]
    second = client.post("/locations", json=LONDON, headers=tenant.test).json()["id"]
    bare = client.post("/locations", json=LONDON, headers=tenant.test).json()["id"]
    connect_direct(database, tenant.account_id, first, status="PENDING")
    connect_direct(
        database,
        tenant.account_id,
        second,
        status="ERROR",
        direction="EXPORT",
        consent_given_at=CONSENTED,
    )
    with database.transaction(write=False) as session:
        found = status.element_states(session, [first, second, bare])
    found = [s if s.consent_given_at is None else _utc(s) for s in found]
    assert found == [
        ElementState(first, "IMPORT", "COMMODITY", "PENDING", PROVIDER_ID, None),
        ElementState(second, "EXPORT", "COMMODITY", "ERROR", PROVIDER_ID, CONSENTED),
    ]


def _utc(state: ElementState) -> ElementState:
    assert state.consent_given_at is not None
    moment = state.consent_given_at
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return ElementState(
        state.location_id,
        state.tariff_direction,
        state.tariff_type,
        state.status,
        state.provider_id,
        moment,
    )


def test_the_listing_of_one_location(client, database, tenant):
    location = client.post("/locations", json=LONDON, headers=tenant.test).json()["id"]
    connection_id, _ = connect_direct(database, tenant.account_id, location, status="ERROR")
    with database.transaction() as session:
        session.execute(
            update(DirectConnection)
            .where(DirectConnection.id == connection_id)
            .values(last_error="module answered 503: down for maintenance", next_refresh_at=NEXT)
        )
    with database.transaction(write=False) as session:
        lines = status.connections(session, location_id=location)
    assert [(line.id, line.location_id, line.element, line.provider_id) for line in lines] == [
        (connection_id, location, "COMMODITY IMPORT", PROVIDER_ID)
    ]
    (line,) = lines
    assert (line.status, line.last_success_at, line.last_error) == (
        "ERROR",
        None,
        "module answered 503: down for maintenance",
    )
    assert line.next_refresh_at.replace(tzinfo=UTC) == NEXT
