"""Operators' module bindings and the DIRECT route of a provider."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete

from tariffconnect.core.errors import ApiError
from tariffconnect.db import Database
from tariffconnect.integrations import bindings
from tariffconnect.integrations.models import AuthModule
from tariffconnect.providers.sandbox import SANDBOX_PROVIDER_ID
from tariffconnect.webhooks.urls import parse_allowed_networks
from tests.integrations.support import MODULE_PROVIDER_ID

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LOOPBACK = parse_allowed_networks("127.0.0.0/8,::1/128")


@pytest.fixture
def provider_id(database: Database) -> Iterator[str]:
    """A DIRECT provider of the catalogue with no built-in adapter, unbound before and after."""
    chosen = MODULE_PROVIDER_ID
    with database.transaction() as session:
        session.execute(delete(AuthModule).where(AuthModule.provider_id == chosen))
    yield chosen
    with database.transaction() as session:
        session.execute(delete(AuthModule).where(AuthModule.provider_id == chosen))


def test_bind_rebind_list_and_clear(database: Database, provider_id: str) -> None:
    with database.transaction() as session:
        assert bindings.module_url(session, provider_id) is None
        assert bindings.direct_route(session, provider_id, live_mode=True) is None
        bindings.bind(session, provider_id=provider_id, url="https://m.example.com/", now=NOW)
    with database.transaction() as session:
        assert bindings.module_url(session, provider_id) == "https://m.example.com"
        assert bindings.direct_route(session, provider_id, live_mode=True) == "module"
        bindings.bind(session, provider_id=provider_id, url="https://n.example.com/a", now=NOW)
    with database.transaction() as session:
        assert bindings.module_url(session, provider_id) == "https://n.example.com/a"
        listed = [(b.provider_id, b.url) for b in bindings.list_bindings(session)]
        assert (provider_id, "https://n.example.com/a") in listed
        assert bindings.clear(session, provider_id=provider_id)
        assert not bindings.clear(session, provider_id=provider_id)
        assert bindings.module_url(session, provider_id) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://m.example.com",
        "https://127.0.0.1:8000",
        "https://10.0.0.1",
        "https://169.254.169.254/latest",
        "https://localhost:8000",
        "ftp://m.example.com",
        "https://user:pw@m.example.com",
    ],
)
def test_bind_refuses_what_a_live_webhook_may_not_be(
    database: Database, provider_id: str, url: str
) -> None:
    with database.transaction() as session, pytest.raises(ApiError) as caught:
        bindings.bind(session, provider_id=provider_id, url=url, now=NOW)
    assert caught.value.code == "url_invalid"


def test_allowed_networks_admit_http_to_them(database: Database, provider_id: str) -> None:
    with database.transaction() as session:
        bindings.bind(
            session, provider_id=provider_id, url="http://127.0.0.1:8123", now=NOW, allow=LOOPBACK
        )
        assert bindings.module_url(session, provider_id) == "http://127.0.0.1:8123"
        with pytest.raises(ApiError):
            bindings.bind(
                session, provider_id=provider_id, url="http://10.0.0.1", now=NOW, allow=LOOPBACK
            )


def test_bind_refuses_an_unknown_provider(database: Database) -> None:
    with database.transaction() as session, pytest.raises(ApiError) as caught:
        bindings.bind(
            session, provider_id="prv_000000000000000000000000", url="https://a.b", now=NOW
        )
    assert caught.value.code == "provider_not_found"


def test_the_sandbox_route_is_its_adapter_in_test_mode(database: Database) -> None:
    with database.transaction() as session:
        assert bindings.direct_route(session, SANDBOX_PROVIDER_ID, live_mode=False) == "adapter"
        assert bindings.direct_route(session, SANDBOX_PROVIDER_ID, live_mode=True) is None


def test_a_binding_wins_over_the_adapter(database: Database) -> None:
    with database.transaction() as session:
        bindings.bind(
            session, provider_id=SANDBOX_PROVIDER_ID, url="https://m.example.com", now=NOW
        )
        assert bindings.direct_route(session, SANDBOX_PROVIDER_ID, live_mode=False) == "module"
        bindings.clear(session, provider_id=SANDBOX_PROVIDER_ID)


def test_an_http_binding_routes_test_mode_only(database: Database) -> None:
    with database.transaction() as session:
        bindings.bind(
            session,
            provider_id=SANDBOX_PROVIDER_ID,
            url="http://127.0.0.1:8123",
            now=NOW,
            allow=LOOPBACK,
        )
        assert bindings.direct_route(session, SANDBOX_PROVIDER_ID, live_mode=False) == "module"
        assert bindings.direct_route(session, SANDBOX_PROVIDER_ID, live_mode=True) is None
        bindings.clear(session, provider_id=SANDBOX_PROVIDER_ID)


def test_an_https_binding_routes_both_modes(database: Database, provider_id: str) -> None:
    with database.transaction() as session:
        bindings.bind(session, provider_id=provider_id, url="https://m.example.com", now=NOW)
        assert bindings.direct_route(session, provider_id, live_mode=False) == "module"
        assert bindings.direct_route(session, provider_id, live_mode=True) == "module"
