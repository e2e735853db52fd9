"""Zero's resource paths: /tariffs/elements, GET /tariffs/rates/{location_id} and
GET /locations/{id}/status; and the fields tariffs and locations gained."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tariffconnect.core import versions
from tariffconnect.core.scoping import Scope
from tariffconnect.tariffs import service as tariffs
from tariffconnect.tariffs.schemas import TariffCreate
from tests.connect.flow.flow import LONDON, make_location, plain_provider
from tests.helpers import assert_error, assert_scoped
from tests.tariffs.support import flat, tariff_body

ZERO = {"Flatpeak-Version": versions.ZERO}
ANODE = {"Flatpeak-Version": versions.ANODE}


def element_body(location_id, rate=0.2, **extra):
    return tariff_body(location_id, flat(rate), direction="IMPORT", type="COMMODITY", **extra)


def create_element(client, tenant, location_id, **extra):
    response = client.post(
        "/tariffs/elements", json=element_body(location_id, **extra), headers=tenant.test
    )
    assert response.status_code == 200, response.text
    assert response.headers["flatpeak-version"] == versions.ZERO
    return response.json()


def test_tariff_elements_answer_in_zeros_names(client, tenant):
    location_id = make_location(client, tenant.test, LONDON)
    created = create_element(client, tenant, location_id, display_name="Flat")
    assert (created["direction"], created["type"], created["object"]) == (
        "IMPORT",
        "COMMODITY",
        "tariff",
    )
    assert "tariff_direction" not in created and "tariff_type" not in created
    assert (created["connection_type"], created["is_linked"]) == ("MANUAL", False)
    path = f"/tariffs/elements/{created['id']}"
    assert client.get(path, headers=tenant.test).json() == created
    listed = client.get(
        "/tariffs/elements",
        params={"location_id": location_id, "direction": "IMPORT", "type": "COMMODITY"},
        headers=tenant.test,
    ).json()
    assert listed == {
        "object": "list",
        "url": "/tariffs/elements",
        "has_more": False,
        "data": [created],
    }
    none = client.get(
        "/tariffs/elements",
        params={"location_id": location_id, "type": "NON_COMMODITY"},
        headers=tenant.test,
    ).json()
    assert none["data"] == []
    # The same tariff at /tariffs, in busbar's names.
    same = client.get(f"/tariffs/{created['id']}", headers=tenant.test).json()
    assert (same["tariff_direction"], same["tariff_type"]) == ("IMPORT", "COMMODITY")
    deleted = client.delete(path, headers=tenant.test)
    assert deleted.status_code == 202
    assert deleted.json() == {
        "id": created["id"],
        "object": "tariff",
        "deleted": True,
        "message": "Accepted",
    }
    location = client.get(f"/locations/{location_id}", headers=tenant.test | ZERO).json()
    assert location["tariff_elements"] == []


def test_tariff_element_matrix(client, tenant, other_tenant):
    location_id = make_location(client, tenant.test, LONDON)
    created = create_element(client, tenant, location_id)
    path = f"/tariffs/elements/{created['id']}"
    for method, context in (("GET", "retrieve"), ("DELETE", "delete")):
        assert_scoped(
            client,
            tenant,
            other_tenant,
            method,
            path,
            not_found_code="tariff_not_found",
            context=f"api.tariff_element_{context}",
        )
    assert_scoped(
        client,
        tenant,
        other_tenant,
        "POST",
        "/tariffs/elements",
        json=element_body(location_id),
        not_found_code="location_not_found",
        context="api.tariff_element_create",
    )
    assert_scoped(
        client,
        tenant,
        other_tenant,
        "GET",
        f"/tariffs/elements?location_id={location_id}",
        not_found_code="location_not_found",
        context="api.tariff_element_list",
    )
    invalid = client.post(
        "/tariffs/elements", json=element_body(location_id, colour="red"), headers=tenant.test
    )
    assert_error(invalid, 400, "colour_unknown", context="api.tariff_element_create")
    missing = client.get("/tariffs/elements", headers=tenant.test)
    assert_error(missing, 400, "location_id_missing", context="api.tariff_element_list")
    later = client.get(path, headers=tenant.test | ANODE)
    body = assert_error(later, 404, "route_not_found", context="api.tariff_element_retrieve")
    assert "is not part of release 2025-09-14.anode" in body["message"]
    wrong = client.patch(path, json={}, headers=tenant.test)
    assert_error(wrong, 405, "method_not_allowed", context="api.tariff_element_retrieve")


def test_is_linked_follows_the_connection_type(database, tenant, client):
    location_id = make_location(client, tenant.test, LONDON)
    body = TariffCreate.model_validate(tariff_body(location_id, flat(0.3)))
    with database.transaction() as session:
        scope = Scope(tenant.account_id, False)
        linked = tariffs.create(session, scope=scope, data=body, connection_type="LIBRARY")
    assert linked.is_linked is True


def rates(client, headers, location_id, **params):
    return client.get(f"/tariffs/rates/{location_id}", params=params, headers=headers)


def test_tariff_rates_in_zeros_shape(client, tenant):
    location_id = make_location(client, tenant.test, LONDON)
    create_element(client, tenant, location_id)
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date()
    start, end = f"{tomorrow}T00:00:00Z", f"{tomorrow}T06:00:00Z"
    response = rates(client, tenant.test, location_id, start_time=start, end_time=end)
    assert response.status_code == 200, response.text
    assert response.headers["flatpeak-version"] == versions.ZERO
    body = response.json()
    assert body["id"].startswith("rts_")
    assert body == {
        "id": body["id"],
        "object": "tariff_rate",
        "live_mode": False,
        "location_id": location_id,
        "location_timezone": "Europe/London",
        "currency_code": "GBP",
        "direction": "IMPORT",
        "last_updated": body["last_updated"],
        "next_update": body["next_update"],
        "request": {
            "include_tariff": True,
            "include_carbon": False,
            "direction": "IMPORT",
            "start_time": start,
            "end_time": end,
        },
        "data": [
            {"valid_from": start, "valid_to": end, "tariff": {"rate": 0.2, "confidence": 1.0}}
        ],
        "time_created": body["time_created"],
        "account_id": tenant.account_id,
    }
    # An offset sent unencoded in the URL (`+` read as a space) is still understood.
    plus = client.get(
        f"/tariffs/rates/{location_id}?start_time={tomorrow}T01:00:00+01:00"
        f"&end_time={tomorrow}T07:00:00+01:00",
        headers=tenant.test,
    )
    assert plus.status_code == 200, plus.text
    assert plus.json()["data"][0]["valid_from"] == f"{tomorrow}T01:00:00+01:00"
    only_carbon = rates(
        client,
        tenant.test,
        location_id,
        start_time=start,
        end_time=end,
        include_tariff="false",
        include_carbon="true",
    ).json()
    assert only_carbon["data"] == [{"valid_from": start, "valid_to": end, "carbon": None}]


def test_tariff_rates_matrix(client, tenant, other_tenant):
    location_id = make_location(client, tenant.test, LONDON)
    create_element(client, tenant, location_id)
    context = "api.tariff_rate_retrieve"
    end = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert_scoped(
        client,
        tenant,
        other_tenant,
        "GET",
        f"/tariffs/rates/{location_id}?end_time={end}",
        not_found_code="location_not_found",
        context=context,
    )
    for params, status, code in (
        ({}, 400, "end_time_missing"),
        ({"end_time": "tomorrow"}, 400, "end_time_invalid"),
        ({"end_time": "2030-01-01T00:00:00"}, 400, "end_time_invalid"),
        ({"end_time": end, "start_time": "2020-01-01T00:00:00Z"}, 400, "time_window_too_long"),
        ({"end_time": end, "direction": "SIDEWAYS"}, 400, "direction_invalid"),
        ({"end_time": end, "direction": "EXPORT"}, 422, "no_tariff_connected"),
    ):
        response = rates(client, tenant.test, location_id, **params)
        assert_error(response, status, code, context=context)
    later = rates(client, tenant.test | ANODE, location_id, end_time=end)
    assert_error(later, 404, "route_not_found", context=context)


def test_location_status(client, tenant, other_tenant):
    location_id = make_location(client, tenant.test, LONDON)
    provider = plain_provider()
    tariff = create_element(client, tenant, location_id, provider_id=provider, display_name="Flat")
    response = client.get(f"/locations/{location_id}/status", headers=tenant.test)
    assert response.status_code == 200, response.text
    assert response.headers["flatpeak-version"] == versions.ZERO
    body = response.json()
    location = client.get(f"/locations/{location_id}", headers=tenant.test).json()
    same = {"object", "tariff_status", "tariff_elements", "rates"}
    assert {k: v for k, v in body.items() if k not in same} == {
        k: v for k, v in location.items() if k not in same
    }
    assert body["object"] == "location_status"
    assert body["tariff_elements"] == [tariff["id"]]
    not_connected = {
        "status": "NOT_CONNECTED",
        "connection_type": None,
        "provider": None,
        "tariff": None,
    }
    imported = body["tariff_status"]["commodity_import"]
    assert imported["status"] == "CONNECTED"
    assert imported["connection_type"] == "MANUAL"
    assert imported["provider"]["id"] == provider
    assert imported["provider"]["logo_url"].endswith(f"/providers/{provider}/logo.svg")
    assert imported["tariff"] == {
        "id": tariff["id"],
        "display_name": "Flat",
        "structure_type": "FIXED",
        "contract_end_date": None,
    }
    for other in ("commodity_export", "non_commodity_import", "non_commodity_export"):
        assert body["tariff_status"][other] == not_connected
    assert body["rates"]["export"] is None
    days = body["rates"]["import"]
    assert set(days) == {"yesterday", "today", "tomorrow"}
    for entries in days.values():
        assert [e["tariff"] for e in entries] == [{"rate": 0.2, "confidence": 1.0}]
    assert_scoped(
        client,
        tenant,
        other_tenant,
        "GET",
        f"/locations/{location_id}/status",
        not_found_code="location_not_found",
        context="api.location_status_retrieve",
    )
    empty = make_location(client, tenant.test, LONDON)
    bare = client.get(f"/locations/{empty}/status", headers=tenant.test).json()
    assert bare["rates"] == {"import": None, "export": None}
    assert bare["tariff_status"]["commodity_import"] == not_connected


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/tariffs/elements", "post"),
        ("/tariffs/elements", "get"),
        ("/tariffs/elements/{tariff_id}", "get"),
        ("/tariffs/elements/{tariff_id}", "delete"),
        ("/tariffs/rates/{location_id}", "get"),
        ("/locations/{location_id}/status", "get"),
        ("/tariffs/audit/{location_id}", "get"),
    ],
)
def test_zero_paths_are_in_the_schema_deprecated(client, path, method):
    spec = client.get("/openapi.json").json()["paths"]
    assert spec[path][method]["deprecated"] is True


def test_zeros_audit_is_the_audit_in_zeros_names(client, tenant, other_tenant):
    location_id = make_location(client, tenant.test, LONDON)
    create_element(client, tenant, location_id)
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date()
    start, end = f"{tomorrow}T00:00:00Z", f"{tomorrow}T06:00:00Z"
    window = {"start_time": start, "end_time": end}
    anode = client.post(f"/audits/{location_id}", json=window, headers=tenant.test).json()
    path = f"/tariffs/audit/{location_id}"
    response = client.get(path, params=window | {"direction": "IMPORT"}, headers=tenant.test)
    assert response.status_code == 200, response.text
    assert response.headers["flatpeak-version"] == versions.ZERO
    zero = response.json()
    expected = {k: v for k, v in anode.items() if k not in {"id", "time_created"}} | {
        "object": "tariff_rate_audit",
        "request": {"start_time": start, "end_time": end, "direction": "IMPORT"},
        "carbon_sources": [],
    }
    expected["direction"] = expected.pop("tariff_direction")
    assert {k: v for k, v in zero.items() if k not in {"id", "time_created"}} == expected
    assert zero["id"].startswith("tra_")
    context = "api.tariff_rate_audit"
    assert_scoped(
        client,
        tenant,
        other_tenant,
        "GET",
        f"{path}?end_time={end}",
        not_found_code="location_not_found",
        context=context,
    )
    assert_error(client.get(path, headers=tenant.test), 400, "end_time_missing", context=context)
    later = client.get(path, params=window, headers=tenant.test | ANODE)
    assert_error(later, 404, "route_not_found", context=context)
