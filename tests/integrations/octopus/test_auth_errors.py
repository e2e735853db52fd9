"""What an Octopus customer is told when their login does not lead to a tariff, against the
fixture server (a real socket): the adapter's outcome for each reason, the JSON protocol's page,
and the hosted auth page in English and German. Octopus unreachable (503s, a refused
connection, a time-out) is a failed login whose page offers the manual path."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from tariffconnect.app import create_app
from tariffconnect.config import Settings
from tariffconnect.db import Database
from tariffconnect.integrations.adapters.base import FailedLogin, NoTariffs, Unavailable, Where
from tariffconnect.integrations.adapters.registry import OCTOPUS_GB_PROVIDER_ID, adapter_for
from tariffconnect.integrations.octopus import client as octopus_client
from tariffconnect.integrations.octopus import errors
from tariffconnect.integrations.octopus.adapter import OctopusAdapter
from tests.conftest import Tenant, make_tenant
from tests.connect.flow.flow import make_session, start, submit
from tests.connect.flow.test_direct_routes import module
from tests.connect.web import Page, press, text_of
from tests.integrations.octopus import adapter_support as octo
from tests.integrations.octopus.fixture_server import (
    API_KEY,
    OctopusData,
    account,
    account_property,
    fail_with_503,
    meter_point,
    octopus_api,
)
from tests.market.feeds.fixture_server import Answer

LONDON = Where("GB", "SW1A 2AA")
WRONG_KEY = "sk_live_WrongKey0123456789abcdef"
OTHER_ACCOUNT = "A-FFFF0000"  # well formed, not on the fixture server
NO_ELECTRICITY = "A-0000A0E0"  # an account whose property has gas only
AUTH_PATH = f"/connect/auth/{OCTOPUS_GB_PROVIDER_ID}"
TRIES = octopus_client.RETRIES + 1
FORBIDDEN = Answer(
    status=403,
    body=json.dumps({"detail": "You do not have permission to perform this action."}).encode(),
)


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """The client's retries without their waits (the retries themselves still happen)."""
    monkeypatch.setattr(octopus_client, "BACKOFF_SECONDS", 0.0)


@pytest.fixture
def data() -> OctopusData:
    found = octo.customers()
    gas_only = account_property(4, octo.POST_CODE, [])
    found.accounts[NO_ELECTRICITY] = account(NO_ELECTRICITY, [gas_only])
    return found


@dataclass
class Octopus:
    """Where the adapter finds Octopus: the fixture server (its data), or a dead address."""

    url: str
    data: OctopusData
    timeout: float = 10.0


@pytest.fixture
def octopus(data: OctopusData) -> Iterator[Octopus]:
    with octopus_api(data) as (server, _api):
        yield Octopus(server.url, data)


def local(settings: Settings, octopus: Octopus) -> Settings:
    return settings.model_copy(
        update={
            "octopus_api_url": octopus.url,
            "octopus_api_timeout_seconds": octopus.timeout,
            "webhook_allowed_networks": "127.0.0.0/8",
        }
    )


def the_adapter(settings: Settings, octopus: Octopus) -> OctopusAdapter:
    found = adapter_for(OCTOPUS_GB_PROVIDER_ID, live_mode=False, settings=local(settings, octopus))
    assert isinstance(found, OctopusAdapter)
    return found


def login(number: str, key: str = API_KEY) -> dict[str, str]:
    return {"account_number": number, "api_key": key}


@contextmanager
def closed_port() -> Iterator[str]:
    """A URL on 127.0.0.1 nothing listens on: the connection is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    yield f"http://127.0.0.1:{port}"


@contextmanager
def silent_server() -> Iterator[str]:
    """A URL on 127.0.0.1 that takes the connection and never answers: every try times out."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(TRIES)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


def unreachable(kind: str, octopus: Octopus) -> Iterator[Octopus]:
    if kind == "503":
        fail_with_503(octopus.data, times=TRIES)  # the first try and every retry
        yield octopus
    elif kind == "refused":
        with closed_port() as url:
            yield Octopus(url, octopus.data)
    else:
        with silent_server() as url:
            yield Octopus(url, octopus.data, timeout=0.2)


UNREACHABLE_KINDS = ["503", "refused", "time-out"]


# --- the adapter's outcomes -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "refusal"),
    [
        (login("A-12"), errors.ACCOUNT_NUMBER_MALFORMED),
        (login(octo.GO_NUMBER, "not-a-key"), errors.API_KEY_MALFORMED),
        (login(octo.GO_NUMBER, WRONG_KEY), errors.KEY_REJECTED),
        (login(OTHER_ACCOUNT), errors.ACCOUNT_NOT_YOURS),
    ],
)
def test_each_refusal_is_a_failed_login_logged_by_its_code(
    settings, octopus, caplog, given, refusal
) -> None:
    caplog.set_level(logging.INFO, logger="tariffconnect.integrations.octopus")
    outcome = the_adapter(settings, octopus).authorise(given, LONDON)
    assert outcome == FailedLogin(refusal.message)
    assert f"octopus login refused: {refusal.code}" in caplog.messages
    assert given["api_key"] not in caplog.text


def test_an_account_the_key_may_not_read_is_not_theirs(settings, octopus) -> None:
    """Octopus answers 403 (not 404) for an account that exists but is another customer's."""
    octopus.data.failures.append(FORBIDDEN)
    outcome = the_adapter(settings, octopus).authorise(login(octo.E7_NUMBER), LONDON)
    assert outcome == FailedLogin(errors.ACCOUNT_NOT_YOURS.message)


def test_an_account_without_electricity_has_no_tariff_and_offers_no_property(
    settings, octopus
) -> None:
    adapter = the_adapter(settings, octopus)
    assert adapter.authorise(login(NO_ELECTRICITY), LONDON) == NoTariffs()
    # Elsewhere than the location's post code, none is offered either: none has a supply.
    assert adapter.authorise(login(NO_ELECTRICITY), Where("GB", "M1 1AE")) == NoTariffs()
    export_only = meter_point(octo.EXPORT_MPAN, [], is_export=True)
    octopus.data.accounts[NO_ELECTRICITY]["properties"][0]["electricity_meter_points"] = [
        export_only
    ]
    assert adapter.authorise(login(NO_ELECTRICITY), LONDON) == NoTariffs()


@pytest.mark.parametrize("kind", UNREACHABLE_KINDS)
def test_octopus_unreachable_is_a_failed_login_saying_so(settings, octopus, caplog, kind) -> None:
    caplog.set_level(logging.INFO, logger="tariffconnect.integrations.octopus")
    for where in unreachable(kind, octopus):
        outcome = the_adapter(settings, where).authorise(login(octo.GO_NUMBER), LONDON)
        assert outcome == FailedLogin(errors.UNREACHABLE.message)
    refused = [m for m in caplog.messages if m.startswith("octopus login refused: ")]
    assert len(refused) == 1
    assert refused[0].startswith("octopus login refused: octopus_unreachable (")
    assert refused[0].endswith(f", {TRIES} tries)")
    assert API_KEY not in caplog.text


def test_an_answer_we_cannot_use_is_unavailable_not_the_customers_fault(settings, octopus) -> None:
    octopus.data.failures.append(Answer(status=400, body=b'{"detail": "Bad request."}'))
    outcome = the_adapter(settings, octopus).authorise(login(octo.GO_NUMBER), LONDON)
    assert outcome == Unavailable("octopus: Octopus answered HTTP 400")


# --- the JSON protocol and the hosted auth page ---------------------------------------------


@contextmanager
def app_client(settings: Settings, database: Database, octopus: Octopus) -> Iterator[TestClient]:
    with TestClient(create_app(local(settings, octopus), database=database)) as client:
        yield client


def at_login(client: TestClient, tenant: Tenant) -> str:
    token = make_session(client, tenant.test)  # 10 Downing Street, SW1A 2AA
    start(client, token)
    submit(client, token, "provider_select", data={"provider": {"id": OCTOPUS_GB_PROVIDER_ID}})
    return token


def test_unreachable_on_the_protocol_is_failed_login_and_dismiss_leaves_direct(
    settings, database, octopus
) -> None:
    fail_with_503(octopus.data, times=TRIES)
    with app_client(settings, database, octopus) as client:
        tenant = make_tenant(client, database)
        token = at_login(client, tenant)
        module(client, token, "start_tariff_integration")
        data = {"account_number": octo.GO_NUMBER, "api_key": API_KEY}
        failed = module(client, token, "auth_metadata_capture", data=data)
        assert failed["route"] == "failed_login"
        assert failed["actions"] == ["DISMISS_DIRECT", "PROVIDER_CHANGE"]
        assert failed["data"]["message"] == errors.UNREACHABLE.message
        assert API_KEY not in json.dumps(failed)
        left = module(client, token, "failed_login", action="DISMISS_DIRECT")
        assert left["route"] == "session_redirect"
        assert start(client, token)["route"] == MANUAL_ROUTE


MANUAL_ROUTE = "tariff_structure_select"  # manual entry: no Octopus library synced here


def hosted_login(client: TestClient, token: str, language: str, number: str, key: str) -> Page:
    headers = {"Accept-Language": language}
    page = Page.of(client.get(AUTH_PATH, params={"fp_cot": token}, headers=headers))
    assert page.route == "auth_metadata_capture"
    button = {"en": "Connect", "de": "Verbinden"}[language]
    fill = {"Account number": number, "API key": key}
    return Page.of(press(client, page, button, fill=fill, headers=headers))


@pytest.mark.parametrize(
    ("language", "number", "key", "expected"),
    [
        (
            "en",
            "A-12",
            API_KEY,
            "The account number is A- and 8 characters, as on your Octopus bill.",
        ),
        (
            "de",
            "A-12",
            API_KEY,
            "Die Kundennummer besteht aus A- und 8 Zeichen, wie auf Ihrer Octopus-Rechnung.",
        ),
        (
            "en",
            octo.GO_NUMBER,
            WRONG_KEY,
            "Octopus did not accept this API key. Check it on your Octopus dashboard.",
        ),
        (
            "en",
            OTHER_ACCOUNT,
            API_KEY,
            "This account number is not right, or not the API key's account.",
        ),
        (
            "de",
            OTHER_ACCOUNT,
            API_KEY,
            "Diese Kundennummer stimmt nicht oder gehört nicht zu diesem API-Schlüssel.",
        ),
    ],
)
def test_the_hosted_page_says_why_the_login_failed(
    settings, database, octopus, language, number, key, expected
) -> None:
    with app_client(settings, database, octopus) as client:
        token = at_login(client, make_tenant(client, database))
        failed = hosted_login(client, token, language, number, key)
        assert failed.route == "failed_login"
        assert text_of(failed.html).count(expected) == 1
        assert key not in failed.html


@pytest.mark.parametrize(
    ("language", "expected", "manual"),
    [
        (
            "en",
            "We could not find an electricity tariff in your account with Octopus Energy.",
            "Set my tariff manually",
        ),
        (
            "de",
            "Wir haben in Ihrem Konto bei Octopus Energy keinen Stromtarif gefunden.",
            "Tarif selbst eingeben",
        ),
    ],
)
def test_the_hosted_page_says_the_account_has_no_electricity(
    settings, database, octopus, language, expected, manual
) -> None:
    with app_client(settings, database, octopus) as client:
        token = at_login(client, make_tenant(client, database))
        page = hosted_login(client, token, language, NO_ELECTRICITY, API_KEY)
        assert page.route == "no_available_tariffs"
        assert expected in text_of(page.html)
        assert page.button_labels()[0] == manual


@pytest.mark.parametrize(
    ("language", "kind", "expected", "manual"),
    [
        (
            "en",
            "503",
            "Octopus cannot be reached just now. Try again in a few minutes, or set your "
            "tariff manually.",
            "Set my tariff manually",
        ),
        (
            "de",
            "refused",
            "Octopus ist gerade nicht erreichbar. Versuchen Sie es in ein paar Minuten noch "
            "einmal, oder geben Sie Ihren Tarif von Hand ein.",
            "Tarif selbst eingeben",
        ),
    ],
)
def test_the_hosted_page_offers_the_manual_path_when_octopus_is_unreachable(
    settings, database, octopus, language, kind, expected, manual
) -> None:
    for where in unreachable(kind, octopus):
        with app_client(settings, database, where) as client:
            token = at_login(client, make_tenant(client, database))
            failed = hosted_login(client, token, language, octo.GO_NUMBER, API_KEY)
            assert failed.route == "failed_login"
            assert expected in text_of(failed.html)
            assert failed.button_labels() == [manual]
            assert f'href="{AUTH_PATH}?fp_cot={token}"' in failed.html  # try again
            left = press(client, failed, manual, headers={"Accept-Language": language})
            assert left.status_code == 303
            assert start(client, token)["route"] == MANUAL_ROUTE
