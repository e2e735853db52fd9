"""The Octopus DIRECT adapter against the fixture server (a real socket): authorise's outcomes,
and the pull end to end (Go with an Outgoing export, Economy 7, Agile as MARKET, a changed
agreement on refresh, an expired key)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tariffconnect.config import Settings
from tariffconnect.core.scoping import Scope
from tariffconnect.db import Database
from tariffconnect.integrations import pull
from tariffconnect.integrations.adapters.base import (
    Authorised,
    FailedLogin,
    NoTariffs,
    SeveralTariffs,
    TariffChoice,
    Where,
)
from tariffconnect.integrations.adapters.registry import OCTOPUS_GB_PROVIDER_ID, adapter_for
from tariffconnect.integrations.octopus import adapter as octopus
from tariffconnect.integrations.octopus import errors
from tariffconnect.market import sources
from tariffconnect.runtime import Runtime
from tests.conftest import Tenant
from tests.factories import make_location
from tests.integrations.octopus import adapter_support as octo
from tests.integrations.octopus.fixture_server import (
    API_KEY,
    OctopusData,
    account_property,
    agreement,
    change_agreements,
    meter_point,
    octopus_api,
)
from tests.integrations.support import connect, connection, event_data, events_of, tariffs_of

LONDON = Where("GB", "sw1a 2aa")


@pytest.fixture
def data() -> OctopusData:
    return octo.customers()


@pytest.fixture
def served(data: OctopusData) -> Iterator[tuple[object, Settings]]:
    with octopus_api(data) as (server, _api):
        yield server, server.url


@pytest.fixture
def runtime(settings: Settings, database: Database, served) -> Runtime:
    _server, url = served
    local = settings.model_copy(
        update={"octopus_api_url": url, "webhook_allowed_networks": "127.0.0.0/8"}
    )
    return Runtime(local, database)


def the_adapter(runtime: Runtime) -> octopus.OctopusAdapter:
    found = adapter_for(OCTOPUS_GB_PROVIDER_ID, live_mode=False, settings=runtime.settings)
    assert isinstance(found, octopus.OctopusAdapter)
    return found


def login(number: str, key: str = API_KEY, **more: str) -> dict[str, str]:
    return {"account_number": number, "api_key": key, **more}


# --- authorise ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (login("A-123"), errors.ACCOUNT_NUMBER_MALFORMED.message),
        (login("B-0000A001"), errors.ACCOUNT_NUMBER_MALFORMED.message),
        (login(octo.GO_NUMBER, "pk_live_x"), errors.API_KEY_MALFORMED.message),
        (login(octo.GO_NUMBER, ""), errors.API_KEY_MALFORMED.message),
    ],
)
def test_malformed_values_fail_before_any_call(runtime: Runtime, served, given, message) -> None:
    server, _ = served
    assert the_adapter(runtime).authorise(given, LONDON) == FailedLogin(message)
    assert server.asked == []


def test_a_wrong_key_and_anothers_account_are_failed_logins(runtime: Runtime) -> None:
    adapter = the_adapter(runtime)
    wrong = login(octo.GO_NUMBER, "sk_live_WrongKey0123456789abcdef")
    assert adapter.authorise(wrong, LONDON) == FailedLogin(errors.KEY_REJECTED.message)
    assert adapter.authorise(login("A-FFFF0000"), LONDON) == FailedLogin(
        errors.ACCOUNT_NOT_YOURS.message
    )


def test_the_property_at_the_post_code_is_authorised_with_its_meter_points(
    runtime: Runtime,
) -> None:
    outcome = the_adapter(runtime).authorise(login(octo.GO_NUMBER.lower()), LONDON)
    assert outcome == Authorised(
        {
            "account_number": octo.GO_NUMBER,
            "api_key": API_KEY,
            "property_id": 1,
            "mpan": octo.IMPORT_MPAN,
            "export_mpan": octo.EXPORT_MPAN,
        }
    )


def test_several_properties_or_none_at_the_post_code_are_offered(
    runtime: Runtime, data: OctopusData
) -> None:
    adapter = the_adapter(runtime)
    offered = SeveralTariffs(
        (TariffChoice("1", "10 Downing Street, LONDON, SW1A 2AA", "1 electricity supply point(s)"),)
    )
    assert adapter.authorise(login(octo.GO_NUMBER), Where("GB", "M1 1AE")) == offered
    assert adapter.authorise(login(octo.GO_NUMBER), Where()) == offered
    chosen = adapter.authorise(login(octo.GO_NUMBER, account="1"), Where("GB", "M1 1AE"))
    assert isinstance(chosen, Authorised) and chosen.reference["property_id"] == 1
    not_theirs = adapter.authorise(login(octo.GO_NUMBER, account="9"), LONDON)
    assert not_theirs == FailedLogin(errors.PROPERTY_NOT_ON_ACCOUNT.message)
    gas_only = account_property(8, "SW1A 2AA", [], line_1="12 Downing Street")
    data.accounts[octo.GO_NUMBER]["properties"].append(gas_only)
    only_electric = adapter.authorise(login(octo.GO_NUMBER), LONDON)
    assert isinstance(only_electric, Authorised)
    assert only_electric.reference["property_id"] == 1
    supplied = [meter_point("1200000000009", [agreement(octo.FLEX, octo.SINCE)])]
    second = account_property(7, "SW1A2AA", supplied, line_1="11 Downing Street")
    data.accounts[octo.GO_NUMBER]["properties"].append(second)
    both = adapter.authorise(login(octo.GO_NUMBER), LONDON)
    assert isinstance(both, SeveralTariffs)
    assert [c.id for c in both.accounts] == ["1", "7"]  # never the property without electricity


def test_a_property_without_electricity_has_no_tariff(runtime: Runtime, data: OctopusData) -> None:
    data.accounts[octo.GO_NUMBER]["properties"] = [account_property(1, octo.POST_CODE, [])]
    assert the_adapter(runtime).authorise(login(octo.GO_NUMBER), LONDON) == NoTariffs()
    export_only = [
        meter_point(octo.EXPORT_MPAN, [agreement(octo.OUTGOING, octo.SINCE)], is_export=True)
    ]
    data.accounts[octo.GO_NUMBER]["properties"] = [account_property(1, octo.POST_CODE, export_only)]
    assert the_adapter(runtime).authorise(login(octo.GO_NUMBER), LONDON) == NoTariffs()


# --- the pull -------------------------------------------------------------------------------


def _connected(runtime: Runtime, tenant: Tenant, number: str) -> tuple[str, str]:
    location_id = make_location(runtime.db, tenant.account_id)
    outcome = the_adapter(runtime).authorise(login(number), LONDON)
    assert isinstance(outcome, Authorised)
    connection_id = connect(
        runtime.db,
        Scope(tenant.account_id, False),
        location_id,
        secret=runtime.settings.signing_secret,
        provider_id=OCTOPUS_GB_PROVIDER_ID,
        login=login(number),
        reference=outcome.reference,
        now=datetime.now(UTC),
    )
    return location_id, connection_id


def _created(runtime: Runtime, tenant: Tenant) -> dict[str, dict]:
    """The tariff.create events' tariffs by direction."""
    return {
        t["tariff_direction"]: t for t in event_data(runtime.db, tenant.account_id, "tariff.create")
    }


def _hours(tariff: dict) -> list[tuple[str, str, float]]:
    hours = tariff["schedule"][0]["days_and_hours"][0]["hours"]
    return [(h["valid_from"], h["valid_to"], h["rate"][0].get("fixed")) for h in hours]


def test_go_and_its_outgoing_export_are_pulled_as_two_tariffs(
    runtime: Runtime, tenant: Tenant
) -> None:
    location_id, connection_id = _connected(runtime, tenant, octo.GO_NUMBER)
    result = pull.pull(runtime, connection_id)
    assert (result.status, result.changed, result.reason) == ("CONNECTED", True, None)
    made = _created(runtime, tenant)
    assert set(made) == {"IMPORT", "EXPORT"}
    go, out = made["IMPORT"], made["EXPORT"]
    assert (go["display_name"], go["connection_type"], go["market_rates"]) == (
        "Octopus Go",
        "DIRECT",
        False,
    )
    assert _hours(go) == [
        ("00:00:00", "00:30:00", 0.277),
        ("00:30:00", "05:30:00", 0.085),
        ("05:30:00", "00:00:00", 0.277),
    ]
    assert go["standing_charge"] == {"value": 0.5335, "unit": "per_day"}
    assert go["contract_end_date"] is None
    assert (out["display_name"], _hours(out), out["standing_charge"]) == (
        "Outgoing Octopus",
        [("00:00:00", "00:00:00", 0.15)],
        None,
    )
    assert result.tariff_id == go["id"]
    assert sorted(status for _, status, _, _ in tariffs_of(runtime.db, location_id)) == [
        "CONNECTED",
        "CONNECTED",
    ]


def test_economy_7_is_pulled_with_the_smart_meter_night(runtime: Runtime, tenant: Tenant) -> None:
    _location_id, connection_id = _connected(runtime, tenant, octo.E7_NUMBER)
    assert pull.pull(runtime, connection_id).status == "CONNECTED"
    e7 = _created(runtime, tenant)["IMPORT"]
    summer = datetime.now(octo.LONDON).utcoffset() != timedelta(0)
    night = ("01:30:00", "08:30:00") if summer else ("00:30:00", "07:30:00")
    assert _hours(e7) == [(night[1], night[0], 0.301), (night[0], night[1], 0.126)]
    assert e7["standing_charge"] == {"value": 0.5335, "unit": "per_day"}
    row = connection(runtime.db, connection_id)
    # Pulled again by the next clock change at the latest, when the local night moves.
    assert row.next_refresh_at.replace(tzinfo=UTC) <= datetime.now(UTC) + timedelta(days=215)


def test_agile_is_a_market_tariff_on_the_london_source(runtime: Runtime, tenant: Tenant) -> None:
    _location_id, connection_id = _connected(runtime, tenant, octo.AGILE_NUMBER)
    assert pull.pull(runtime, connection_id).status == "CONNECTED"
    agile = _created(runtime, tenant)["IMPORT"]
    london = sources.find("gb-london")
    assert london is not None
    assert (agile["market_rates"], agile["market_source_id"]) == (True, london.id)
    rate = agile["schedule"][0]["days_and_hours"][0]["hours"][0]["rate"][0]
    assert rate == {
        "fixed": None,
        "to_kwh": None,
        "surcharge_fixed": 0.0,
        "surcharge_percentage": 0.0,
    }


def test_a_changed_agreement_is_picked_up_by_the_next_refresh(
    runtime: Runtime, tenant: Tenant, data: OctopusData
) -> None:
    location_id, connection_id = _connected(runtime, tenant, octo.GO_NUMBER)
    first = pull.pull(runtime, connection_id)
    again = pull.pull(runtime, connection_id)
    assert (again.changed, again.tariff_id) == (False, first.tariff_id)
    ended = datetime.now(UTC) - timedelta(hours=1)
    change_agreements(
        data,
        octo.GO_NUMBER,
        octo.IMPORT_MPAN,
        [
            agreement(octo.GO, octo.SINCE, ended.strftime("%Y-%m-%dT%H:%M:%SZ")),
            agreement(octo.FLEX, ended.strftime("%Y-%m-%dT%H:%M:%SZ")),
        ],
    )
    changed = pull.pull(runtime, connection_id)
    assert changed.changed and changed.tariff_id != first.tariff_id
    updates = [
        oid for kind, oid in events_of(runtime.db, tenant.account_id) if kind == "tariff.update"
    ]
    assert first.tariff_id in updates
    [(_, status, _, name)] = [
        t for t in tariffs_of(runtime.db, location_id) if t[0] == changed.tariff_id
    ]
    assert (status, name) == ("CONNECTED", "Flexible Octopus")


def test_an_expired_key_on_refresh_is_a_failed_pull_with_its_reason(
    runtime: Runtime, tenant: Tenant, data: OctopusData
) -> None:
    _location_id, connection_id = _connected(runtime, tenant, octo.GO_NUMBER)
    assert pull.pull(runtime, connection_id).status == "CONNECTED"
    data.api_key = "sk_live_ReplacedKey0123456789abcd"  # the customer made a new key
    failed = pull.pull(runtime, connection_id)
    assert failed.reason == "octopus: the stored API key was refused (401)"
    row = connection(runtime.db, connection_id)
    assert row.last_error == failed.reason
    everything = json.dumps(event_data(runtime.db, tenant.account_id, "tariff.create"))
    assert API_KEY not in everything and API_KEY not in (row.last_error or "")


def test_an_unknown_product_fails_the_pull(
    runtime: Runtime, tenant: Tenant, data: OctopusData
) -> None:
    _location_id, connection_id = _connected(runtime, tenant, octo.GO_NUMBER)
    del data.details["GO-VAR-22-10-14"]
    failed = pull.pull(runtime, connection_id)
    assert failed.reason == "octopus: the agreement's product GO-VAR-22-10-14 is unknown"
    assert _created(runtime, tenant) == {}
