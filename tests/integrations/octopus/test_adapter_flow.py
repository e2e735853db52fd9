"""An Octopus customer through the Connect flow's JSON protocol (as an auth module's page
speaks it) and the hosted auth page, against the fixture server: the login, the consent, the
first pull's summary and the tariffs it stored; a failed login's reason, in English and
German."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tariffconnect.app import create_app
from tariffconnect.config import Settings
from tariffconnect.db import Database
from tariffconnect.integrations.adapters.registry import OCTOPUS_GB_PROVIDER_ID
from tariffconnect.integrations.octopus import errors
from tests.conftest import Tenant, make_tenant
from tests.connect.flow.flow import make_session, start, submit
from tests.connect.flow.test_direct_routes import module
from tests.connect.web import Page, press, text_of
from tests.integrations.octopus import adapter_support as octo
from tests.integrations.octopus.fixture_server import API_KEY, octopus_api


@pytest.fixture
def octo_client(settings: Settings, database: Database) -> Iterator[TestClient]:
    with octopus_api(octo.customers()) as (server, _api):
        local = settings.model_copy(
            update={"octopus_api_url": server.url, "webhook_allowed_networks": "127.0.0.0/8"}
        )
        with TestClient(create_app(local, database=database)) as client:
            yield client


@pytest.fixture
def octo_tenant(octo_client: TestClient, database: Database) -> Tenant:
    return make_tenant(octo_client, database)


def at_login(client: TestClient, tenant: Tenant) -> str:
    token = make_session(client, tenant.test)  # 10 Downing Street, SW1A 2AA
    start(client, token)
    submit(client, token, "provider_select", data={"provider": {"id": OCTOPUS_GB_PROVIDER_ID}})
    assert module(client, token, "start_tariff_integration")["route"] == "auth_metadata_capture"
    return token


def log_in(client: TestClient, token: str, number: str, key: str = API_KEY) -> dict[str, Any]:
    data = {"account_number": number, "api_key": key}
    return module(client, token, "auth_metadata_capture", data=data)


def tariffs(client: TestClient, tenant: Tenant, token: str) -> dict[str, dict[str, Any]]:
    session = client.get(f"/connect/{token}", headers=tenant.test).json()
    found = client.get(
        "/tariffs", params={"location_id": session["location_id"]}, headers=tenant.test
    )
    return {t["tariff_direction"]: t for t in found.json()["data"]}


@pytest.mark.parametrize(
    ("number", "name", "directions"),
    [
        (octo.GO_NUMBER, "Octopus Go", {"IMPORT", "EXPORT"}),
        (octo.E7_NUMBER, "Flexible Octopus", {"IMPORT"}),
        (octo.AGILE_NUMBER, "Agile Octopus", {"IMPORT"}),
    ],
)
def test_a_customer_connects_through_the_json_protocol(
    octo_client: TestClient, octo_tenant: Tenant, number: str, name: str, directions: set[str]
) -> None:
    token = at_login(octo_client, octo_tenant)
    consent_page = log_in(octo_client, token, number)
    assert consent_page["route"] == "consent_capture"
    amd = consent_page["data"]["auth_metadata_id"]
    answer = module(
        octo_client,
        token,
        "consent_capture",
        data={"auth_metadata_id": amd, "consent_given": True},
    )
    assert answer["route"] == "session_redirect"
    summary = start(octo_client, token)
    assert summary["route"] == "tariff_summary"
    assert summary["data"]["connection_type"] == "DIRECT"
    assert summary["data"]["tariff"]["name"] == name
    stored = tariffs(octo_client, octo_tenant, token)
    assert set(stored) == directions
    assert stored["IMPORT"]["display_name"] == name
    assert stored["IMPORT"]["market_rates"] is (number == octo.AGILE_NUMBER)
    assert stored["IMPORT"]["standing_charge"] == {"value": 0.5335, "unit": "per_day"}


def test_a_wrong_key_is_the_failed_login_page_with_its_reason(
    octo_client: TestClient, octo_tenant: Tenant
) -> None:
    token = at_login(octo_client, octo_tenant)
    failed = log_in(octo_client, token, octo.GO_NUMBER, "sk_live_WrongKey0123456789abcdef")
    assert failed["route"] == "failed_login"
    assert failed["data"]["message"] == errors.KEY_REJECTED.message
    again = at_login(octo_client, octo_tenant)
    malformed = log_in(octo_client, again, "A-12")
    assert (malformed["route"], malformed["data"]["message"]) == (
        "failed_login",
        errors.ACCOUNT_NUMBER_MALFORMED.message,
    )


AUTH_PATH = f"/connect/auth/{OCTOPUS_GB_PROVIDER_ID}"


@pytest.mark.parametrize(
    ("language", "button", "key", "expected"),
    [
        (
            "en",
            "Connect",
            "sk_live_WrongKey0123456789abcdef",
            "Octopus did not accept this API key. Check it on your Octopus dashboard.",
        ),
        (
            "de",
            "Verbinden",
            "sk_live_WrongKey0123456789abcdef",
            "Octopus hat diesen API-Schlüssel nicht akzeptiert. Prüfen Sie ihn in Ihrem "
            "Octopus-Dashboard.",
        ),
        (
            "de",
            "Verbinden",
            "not-a-key",
            "Der API-Schlüssel beginnt mit sk_live_: Kopieren Sie ihn aus Ihrem Octopus-Dashboard.",
        ),
    ],
)
def test_the_failed_login_page_says_why(octo_client, octo_tenant, language, button, key, expected):
    token = make_session(octo_client, octo_tenant.test)
    start(octo_client, token)
    submit(octo_client, token, "provider_select", data={"provider": {"id": OCTOPUS_GB_PROVIDER_ID}})
    headers = {"Accept-Language": language}
    response = octo_client.get(AUTH_PATH, params={"fp_cot": token}, headers=headers)
    page = Page.of(response)
    assert page.route == "auth_metadata_capture"
    fill = {"Account number": octo.GO_NUMBER, "API key": key}
    failed = Page.of(press(octo_client, page, button, fill=fill, headers=headers))
    assert failed.route == "failed_login"
    assert expected in text_of(failed.html)
    assert key not in failed.html
