"""New market prices for a source: one location.update per location following it, in the
transaction that stored them; the same prices again announce nothing."""

import secrets
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from tariffconnect.events.models import Event
from tariffconnect.locations import market_updates
from tariffconnect.market import store
from tariffconnect.market.models import MarketPrice
from tariffconnect.webhooks.models import WebhookDelivery
from tests.tariffs.support import flat, tariff_body, window

START = datetime(2033, 1, 10, tzinfo=UTC)


def make_location(client, tenant, city="Köln"):
    body = {"postal_address": {"city": city, "country_code": "DE"}}
    response = client.post("/locations", json=body, headers=tenant.test)
    assert response.status_code == 201, response.text
    return response.json()


def follow(client, tenant, location_id, source_id):
    surcharge = window("00:00:00", "00:00:00", None, surcharge_fixed=0.0, surcharge_percentage=0)
    schedule = [{"months": ["All"], "days_and_hours": [{"days": ["All"], "hours": [surcharge]}]}]
    body = tariff_body(location_id, schedule, market_rates=True, market_source_id=source_id)
    response = client.post("/tariffs", json=body, headers=tenant.test)
    assert response.status_code == 201, response.text


def updates(database, location_id):
    with database.transaction(write=False) as session:
        return (
            session.execute(
                select(Event.data)
                .where(Event.object_id == location_id, Event.type == "location.update")
                .order_by(Event.id)
            )
            .scalars()
            .all()
        )


def store_prices(database, source_id, *values):
    rows = [store.Row(START + timedelta(hours=n), 60, Decimal(v)) for n, v in enumerate(values)]
    with database.transaction() as session:
        return store.upsert(session, source_id=source_id, rows=rows, feed="ENTSOE", now=START)


def test_each_following_location_hears_once_per_change(client, database, tenant, other_tenant):
    source = f"mrs_{secrets.token_hex(12)}"
    mine, theirs, fixed = (
        make_location(client, tenant),
        make_location(client, other_tenant),
        make_location(client, tenant, "Bonn"),
    )
    follow(client, tenant, mine["id"], source)
    follow(client, other_tenant, theirs["id"], source)
    client.post("/tariffs", json=tariff_body(fixed["id"], flat(0.3)), headers=tenant.test)
    before = {loc["id"]: len(updates(database, loc["id"])) for loc in (mine, theirs, fixed)}

    store_prices(database, source, "0.1", "0.2")
    after = {loc["id"]: len(updates(database, loc["id"])) for loc in (mine, theirs, fixed)}
    assert after == {
        mine["id"]: before[mine["id"]] + 1,
        theirs["id"]: before[theirs["id"]] + 1,
        fixed["id"]: before[fixed["id"]],
    }
    latest = updates(database, mine["id"])[-1]
    shown = client.get(f"/locations/{mine['id']}", headers=tenant.test).json()
    assert latest == shown  # the location as the API shows it

    assert store_prices(database, source, "0.1", "0.2") == store.Stored(unchanged=2)
    assert len(updates(database, mine["id"])) == after[mine["id"]]  # nothing new: no event
    store_prices(database, source, "0.1", "0.25")  # a correction
    assert len(updates(database, mine["id"])) == after[mine["id"]] + 1


def test_prices_nobody_follows_announce_nothing(database):
    source = f"mrs_{secrets.token_hex(12)}"
    with database.transaction(write=False) as session:
        count = session.execute(select(Event.id).where(Event.type == "location.update")).all()
    store_prices(database, source, "0.1")
    with database.transaction(write=False) as session:
        again = session.execute(select(Event.id).where(Event.type == "location.update")).all()
    assert len(again) == len(count)


def register(client, tenant, *events):
    body = {"url": "http://localhost:9/hook", "enabled_events": list(events)}
    response = client.post("/webhook_endpoints", json=body, headers=tenant.test)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def deliveries(database, endpoint_id):
    """(event type, object id) of each delivery queued for the endpoint."""
    with database.transaction(write=False) as session:
        rows = session.execute(
            select(Event.type, Event.object_id)
            .join(WebhookDelivery, WebhookDelivery.event_id == Event.id)
            .where(WebhookDelivery.endpoint_id == endpoint_id)
        )
        return sorted((kind, object_id) for kind, object_id in rows)


def test_many_followers_in_several_batches_each_get_one_update_and_its_deliveries(
    client, database, tenant, other_tenant, monkeypatch
):
    monkeypatch.setattr(market_updates, "BATCH", 2)  # 5 locations: batches of 2, 2 and 1
    source = f"mrs_{secrets.token_hex(12)}"
    mine = [make_location(client, tenant)["id"] for _ in range(4)]
    theirs = make_location(client, other_tenant)["id"]
    for location_id in mine:
        follow(client, tenant, location_id, source)
    follow(client, other_tenant, theirs, source)
    everything = register(client, tenant, "*")
    updates_only = register(client, tenant, "location.update")
    sessions_only = register(client, tenant, "connect_session.complete")
    other = register(client, other_tenant, "location.update")
    before = {e: deliveries(database, e) for e in (everything, updates_only, sessions_only, other)}
    heard = {location_id: len(updates(database, location_id)) for location_id in mine}

    store_prices(database, source, "0.1")

    announced = [("location.update", location_id) for location_id in mine]
    assert deliveries(database, everything) == sorted(before[everything] + announced)
    assert deliveries(database, updates_only) == sorted(before[updates_only] + announced)
    assert deliveries(database, sessions_only) == before[sessions_only] == []
    assert deliveries(database, other) == [("location.update", theirs)]
    for location_id in mine:
        shown = client.get(f"/locations/{location_id}", headers=tenant.test).json()
        assert updates(database, location_id)[heard[location_id] :] == [shown]


def test_a_rolled_back_store_leaves_no_update_and_no_delivery(client, database, tenant):
    source = f"mrs_{secrets.token_hex(12)}"
    location_id = make_location(client, tenant)["id"]
    follow(client, tenant, location_id, source)
    endpoint = register(client, tenant, "*")
    before = deliveries(database, endpoint), updates(database, location_id)
    rows = [store.Row(START, 60, Decimal("0.1"))]
    with pytest.raises(RuntimeError), database.transaction() as session:
        store.upsert(session, source_id=source, rows=rows, feed="ENTSOE", now=START)
        raise RuntimeError("the process fails before the commit")
    assert (deliveries(database, endpoint), updates(database, location_id)) == before
    with database.transaction(write=False) as session:
        assert (
            session.scalars(select(MarketPrice).where(MarketPrice.source_id == source)).all() == []
        )
