"""The VTN and DIRECT elements: a program whose COMMODITY tariff is still being read from its
provider (prices 422 `pending_connect`) has no event yet, as when market data is missing."""

from __future__ import annotations

from tests.locations.direct_support import connect_direct
from tests.openadr.support import freeze, make_client, make_location, token
from tests.prices.test_pending_connect import ask
from tests.prices.test_prices_api import connect
from tests.tariffs.support import flat, tariff_body

BASE = "/openadr/3.0"


def test_a_pending_direct_element_is_a_gap_not_an_error(client, tenant, database, monkeypatch):
    freeze(monkeypatch)
    location = make_location(client, tenant)
    network = connect(
        client,
        tenant,
        tariff_body(location["id"], flat(0.05), tariff_type="NON_COMMODITY", display_name="Grid"),
    )
    connect_direct(database, tenant.account_id, location["id"], status="PENDING")
    bearer = token(client, make_client(database, location["id"]))
    prices = ask(client, tenant, location["id"])
    assert (prices.status_code, prices.json()["code"]) == (422, "pending_connect")
    programs = client.get(f"{BASE}/programs", headers=bearer)
    assert programs.status_code == 200, programs.text
    assert [(p["id"], p["programLongName"]) for p in programs.json()] == [
        (f"{location['id']}_import", network["display_name"])
    ]
    events = client.get(f"{BASE}/events", headers=bearer)
    assert (events.status_code, events.json()) == (200, [])
    one = client.get(f"{BASE}/events/{location['id']}_import_prices", headers=bearer)
    assert (one.status_code, one.json()["code"]) == (404, "event_not_found")
