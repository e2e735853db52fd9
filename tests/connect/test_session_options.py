"""Issue 14 item 1: a session's tariff element (`tariff_type`, `tariff_direction`) and
`route_options` on POST /connect and PATCH /connect/{id}: stored, echoed after the seed's
fields, used by the flow, and refused with a clear code when wrong."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tariffconnect.connect.models import ConnectSession
from tests.connect.flow.flow import make_session, plain_provider, start, submit
from tests.connect.test_sessions import ELEMENT_KEYS, SEED_KEYS, body_for, create
from tests.factories import make_location
from tests.helpers import assert_error

EXPORT_OPTIONS = {
    "tariff_type": "COMMODITY",
    "tariff_direction": "EXPORT",
    "route_options": {
        "tariff_name_capture": False,
        "contract_term_capture": True,
        "advanced_tariff_capture": False,
    },
}
# Each bad input, its code; the same on create and on PATCH.
BAD = [
    ({"tariff_type": "GAS"}, "tariff_type_invalid"),
    ({"tariff_type": "commodity"}, "tariff_type_invalid"),
    ({"tariff_direction": "SIDEWAYS"}, "tariff_direction_invalid"),
    ({"tariff_direction": "LOCAL"}, "tariff_direction_invalid"),
    ({"tariff_direction": 1}, "tariff_direction_invalid"),
    ({"route_options": {"colour": True}}, "route_options_invalid"),
    ({"route_options": {"tariff_name_capture": "false"}}, "route_options_invalid"),
    ({"route_options": {"contract_term_capture": 0}}, "route_options_invalid"),
    ({"route_options": ["tariff_name_capture"]}, "route_options_invalid"),
    (
        {"tariff_type": "NON_COMMODITY", "tariff_direction": "EXPORT"},
        "tariff_direction_not_supported",
    ),
]


@pytest.fixture
def location_id(database, tenant):
    return make_location(database, tenant.account_id)


def sessions_stored(database):
    with database.transaction(write=False) as session:
        return session.scalar(select(func.count()).select_from(ConnectSession))


def test_options_are_stored_and_echoed_after_the_seed_fields(client, tenant, location_id):
    created = create(client, tenant, body_for(location_id, **EXPORT_OPTIONS))
    assert list(created) == SEED_KEYS + ELEMENT_KEYS
    assert {k: created[k] for k in ELEMENT_KEYS} == EXPORT_OPTIONS
    read = client.get(f"/connect/{created['id']}", headers=tenant.test).json()
    assert list(read) == SEED_KEYS + ELEMENT_KEYS
    assert read == created


def test_omitted_route_options_take_their_defaults(client, tenant, location_id):
    created = create(
        client,
        tenant,
        body_for(location_id, tariff_type="NON_COMMODITY", route_options={}),
    )
    assert {k: created[k] for k in ELEMENT_KEYS} == {
        "tariff_type": "NON_COMMODITY",
        "tariff_direction": "IMPORT",
        "route_options": {
            "tariff_name_capture": True,
            "contract_term_capture": True,
            "advanced_tariff_capture": False,
        },
    }


def test_an_option_sent_as_null_takes_its_default(client, tenant, location_id):
    # As the token endpoints always took it: their clients send options they leave as null.
    options = {"tariff_name_capture": False, "advanced_tariff_capture": None}
    created = create(client, tenant, body_for(location_id, route_options=options))
    assert created["route_options"] == {
        "tariff_name_capture": False,
        "contract_term_capture": True,
        "advanced_tariff_capture": False,
    }


def test_the_openapi_schema_lists_the_options_after_the_seed_fields(client):
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert list(schemas["ConnectSessionOut"]["properties"]) == SEED_KEYS + ELEMENT_KEYS
    create_fields = schemas["ConnectSessionCreate"]["properties"]
    assert create_fields["tariff_type"]["enum"] == ["COMMODITY", "NON_COMMODITY"]
    assert create_fields["tariff_direction"]["enum"] == ["IMPORT", "EXPORT"]
    assert list(schemas["RouteOptions"]["properties"]) == [
        "tariff_name_capture",
        "contract_term_capture",
        "advanced_tariff_capture",
    ]


@pytest.mark.parametrize(("given", "code"), BAD)
def test_bad_options_on_create_are_refused_and_store_nothing(
    client, database, tenant, location_id, given, code
):
    before = sessions_stored(database)
    response = client.post("/connect", json=body_for(location_id, **given), headers=tenant.test)
    assert_error(response, 400, code, context="api.connect_session_create")
    assert sessions_stored(database) == before


@pytest.mark.parametrize(
    ("given", "code"),
    [
        *BAD,
        ({"tariff_type": None}, "tariff_type_invalid"),
        ({"tariff_direction": None}, "tariff_direction_invalid"),
        ({"route_options": None}, "route_options_invalid"),
    ],
)
def test_bad_options_on_patch_are_refused_and_change_nothing(
    client, tenant, location_id, given, code
):
    created = create(client, tenant, body_for(location_id))
    response = client.patch(f"/connect/{created['id']}", json=given, headers=tenant.test)
    assert_error(response, 400, code, context="api.connect_session_update")
    assert client.get(f"/connect/{created['id']}", headers=tenant.test).json() == created


def test_patch_to_export_on_a_grid_fee_session_is_not_supported(client, tenant, location_id):
    created = create(client, tenant, body_for(location_id, tariff_type="NON_COMMODITY"))
    response = client.patch(
        f"/connect/{created['id']}", json={"tariff_direction": "EXPORT"}, headers=tenant.test
    )
    assert_error(response, 400, "tariff_direction_not_supported")
    assert client.get(f"/connect/{created['id']}", headers=tenant.test).json() == created


def test_patch_changes_the_element_and_merges_route_options(client, tenant, location_id):
    created = create(client, tenant, body_for(location_id))
    response = client.patch(
        f"/connect/{created['id']}",
        json={"tariff_direction": "EXPORT", "route_options": {"contract_term_capture": False}},
        headers=tenant.test,
    )
    assert response.status_code == 200, response.text
    changed = response.json()
    assert list(changed) == SEED_KEYS + ELEMENT_KEYS
    assert changed == created | {
        "tariff_direction": "EXPORT",
        "route_options": {
            "tariff_name_capture": True,
            "contract_term_capture": False,
            "advanced_tariff_capture": False,
        },
    }
    again = client.patch(
        f"/connect/{created['id']}",
        json={"route_options": {"tariff_name_capture": False}},
        headers=tenant.test,
    ).json()
    assert again["route_options"] == {
        "tariff_name_capture": False,
        "contract_term_capture": False,
        "advanced_tariff_capture": False,
    }
    assert client.get(f"/connect/{created['id']}", headers=tenant.test).json() == again
    # The flow now captures an export tariff.
    assert start(client, created["id"])["direction"] == "EXPORT"


def test_the_element_cannot_change_once_the_customer_started(client, tenant, location_id):
    created = create(client, tenant, body_for(location_id))
    page = start(client, created["id"])
    assert (page["tariff_type"], page["direction"]) == ("COMMODITY", "IMPORT")
    in_progress = client.get(f"/connect/{created['id']}", headers=tenant.test).json()
    assert in_progress["status"] == "IN_PROGRESS"
    for change in ({"tariff_direction": "EXPORT"}, {"tariff_type": "NON_COMMODITY"}):
        response = client.patch(f"/connect/{created['id']}", json=change, headers=tenant.test)
        assert_error(response, 422, "connect_session_in_progress")
        assert client.get(f"/connect/{created['id']}", headers=tenant.test).json() == in_progress
    # Naming the element it already has, or changing the route options, is allowed.
    same = client.patch(
        f"/connect/{created['id']}",
        json={"tariff_direction": "IMPORT", "route_options": {"tariff_name_capture": False}},
        headers=tenant.test,
    )
    assert same.status_code == 200, same.text
    assert same.json()["route_options"]["tariff_name_capture"] is False


def test_route_options_of_a_session_skip_the_name_and_contract_pages(client, tenant):
    options = {"route_options": {"tariff_name_capture": False, "contract_term_capture": False}}
    token = make_session(client, tenant.test, options=options)
    assert start(client, token)["route"] == "provider_select"
    provider = plain_provider()
    submit(client, token, "provider_select", data={"provider": {"id": provider}})
    submit(client, token, "tariff_structure_select", data={"options": ["FIXED"]})
    page = submit(client, token, "rate_fixed_capture", data={"cost": 0.25})
    assert page["route"] == "tariff_summary"
    assert page["data"]["tariff"]["contract_end_date"] is None
