"""The vault and the stored credentials: sealing, checks, and account/mode scoping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tariffconnect.core.errors import ApiError
from tariffconnect.core.scoping import Scope
from tariffconnect.db import Database
from tariffconnect.integrations import credentials, vault
from tariffconnect.integrations.models import AuthMetadata
from tariffconnect.providers.sandbox import SANDBOX_PROVIDER_ID
from tests.conftest import Tenant
from tests.factories import make_location

SECRET = b"a secret of the test"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_seal_round_trips_and_hides_the_payload() -> None:
    blob = vault.seal(SECRET, {"login": "alice", "password": "hunter2"})
    assert b"hunter2" not in blob and b"alice" not in blob
    assert vault.unseal(SECRET, blob) == {"login": "alice", "password": "hunter2"}
    assert vault.seal(SECRET, {"a": "b"}) != vault.seal(SECRET, {"a": "b"})  # random nonce


def test_a_wrong_key_does_not_open() -> None:
    blob = vault.seal(SECRET, {"a": "b"})
    with pytest.raises(vault.VaultError):
        vault.unseal(b"another secret", blob)


@pytest.mark.parametrize("position", [0, 12, -1])
def test_a_tampered_blob_does_not_open(position: int) -> None:
    blob = bytearray(vault.seal(SECRET, {"a": "b"}))
    blob[position] ^= 1
    with pytest.raises(vault.VaultError):
        vault.unseal(SECRET, bytes(blob))


def test_a_short_blob_does_not_open() -> None:
    with pytest.raises(vault.VaultError):
        vault.unseal(SECRET, b"\x00" * 12)


def test_check_accepts_an_object_of_strings() -> None:
    assert credentials.check({"login": "a", "password": "ü"}) == {"login": "a", "password": "ü"}


@pytest.mark.parametrize(
    "data",
    [None, [], "x", {}, {"login": 1}, {"login": None}, {"a" * 65: "x"}, {"": "x"}, {"a": {}}],
)
def test_check_refuses_what_is_not_an_object_of_strings(data: object) -> None:
    with pytest.raises(ApiError) as caught:
        credentials.check(data)
    assert caught.value.code == "auth_metadata_invalid"
    assert "secret-value" not in caught.value.message


def test_check_refuses_more_than_4_kib_without_echoing() -> None:
    with pytest.raises(ApiError) as caught:
        credentials.check({"password": "s" * 4090})
    assert caught.value.code == "auth_metadata_too_large"
    assert "sss" not in caught.value.message
    # 4096 bytes exactly is allowed: {"p":"…"} is 8 bytes around the value.
    assert credentials.check({"p": "s" * 4088}) == {"p": "s" * 4088}


def test_a_wrong_value_is_not_echoed() -> None:
    with pytest.raises(ApiError) as caught:
        credentials.check({"password": ["secret-value"]})
    assert caught.value.message == "data.password must be a string."


def _store(database: Database, scope: Scope, **extra: object) -> str:
    with database.transaction() as session:
        return credentials.store(
            session,
            secret=SECRET,
            scope=scope,
            connect_session_id=None,
            location_id=extra.pop("location_id", None),  # type: ignore[arg-type]
            provider_id=SANDBOX_PROVIDER_ID,
            direction="IMPORT",
            tariff_type="COMMODITY",
            credentials={"login": "user_good", "password": "pass_good"},
            now=extra.pop("now", NOW),  # type: ignore[arg-type]
        )


def test_store_load_replace_consent_and_delete(database: Database, tenant: Tenant) -> None:
    scope = Scope(tenant.account_id, False)
    location_id = make_location(database, tenant.account_id)
    amd_id = _store(database, scope)
    assert amd_id.startswith("amd_")
    with database.transaction() as session:
        row = session.get(AuthMetadata, amd_id)
        assert row is not None and b"pass_good" not in row.sealed
        loaded = credentials.load(session, secret=SECRET, scope=scope, auth_metadata_id=amd_id)
    assert loaded == credentials.Sealed(
        id=amd_id,
        provider_id=SANDBOX_PROVIDER_ID,
        connect_session_id=None,
        location_id=None,
        credentials={"login": "user_good", "password": "pass_good"},
        reference=None,
        consent_given_at=None,
    )
    with database.transaction() as session:
        assert credentials.replace(
            session,
            secret=SECRET,
            scope=scope,
            auth_metadata_id=amd_id,
            credentials={"login": "user_mfa", "password": "pass_good", "otpCode": "123456"},
            reference={"user": "user_mfa"},
        )
        assert credentials.record_consent(session, scope=scope, auth_metadata_id=amd_id, now=NOW)
        assert credentials.set_location(
            session, scope=scope, auth_metadata_id=amd_id, location_id=location_id
        )
    with database.transaction() as session:
        loaded = credentials.load(session, secret=SECRET, scope=scope, auth_metadata_id=amd_id)
        assert loaded is not None
        assert loaded.credentials == {
            "login": "user_mfa",
            "password": "pass_good",
            "otpCode": "123456",
        }
        assert loaded.reference == {"user": "user_mfa"}
        assert loaded.location_id == location_id
        assert loaded.consent_given_at is not None
        assert loaded.consent_given_at.replace(tzinfo=UTC) == NOW
        with pytest.raises(vault.VaultError):
            credentials.load(session, secret=b"other", scope=scope, auth_metadata_id=amd_id)
    with database.transaction() as session:
        assert credentials.delete(session, scope=scope, auth_metadata_id=amd_id)
        assert not credentials.delete(session, scope=scope, auth_metadata_id=amd_id)
        assert (
            credentials.load(session, secret=SECRET, scope=scope, auth_metadata_id=amd_id) is None
        )


def test_another_account_or_mode_finds_nothing(
    database: Database, tenant: Tenant, other_tenant: Tenant
) -> None:
    amd_id = _store(database, Scope(tenant.account_id, False))
    for scope in (Scope(other_tenant.account_id, False), Scope(tenant.account_id, True)):
        with database.transaction() as session:
            found = credentials.load(session, secret=SECRET, scope=scope, auth_metadata_id=amd_id)
            assert found is None
            assert not credentials.record_consent(
                session, scope=scope, auth_metadata_id=amd_id, now=NOW
            )
            assert not credentials.replace(
                session,
                secret=SECRET,
                scope=scope,
                auth_metadata_id=amd_id,
                credentials={"a": "b"},
                reference=None,
            )
            assert not credentials.delete(session, scope=scope, auth_metadata_id=amd_id)
    with database.transaction() as session:
        assert (
            credentials.load(
                session,
                secret=SECRET,
                scope=Scope(tenant.account_id, False),
                auth_metadata_id=amd_id,
            )
            is not None
        )
        assert (
            credentials.load(
                session, secret=SECRET, scope=Scope(tenant.account_id, False), auth_metadata_id="x"
            )
            is None
        )


def test_purge_deletes_only_old_unconsented(database: Database, tenant: Tenant) -> None:
    scope = Scope(tenant.account_id, False)
    old = _store(database, scope, now=NOW - timedelta(days=31))
    old_consented = _store(database, scope, now=NOW - timedelta(days=31))
    recent = _store(database, scope, now=NOW - timedelta(days=29))
    with database.transaction() as session:
        credentials.record_consent(session, scope=scope, auth_metadata_id=old_consented, now=NOW)
    with database.transaction() as session:
        purged = credentials.purge_unconsented(session, now=NOW, older_than=timedelta(days=30))
    assert purged >= 1
    with database.transaction() as session:
        left = set(
            session.scalars(
                select(AuthMetadata.id).where(AuthMetadata.account_id == tenant.account_id)
            )
        )
    assert left == {old_consented, recent}
    assert old not in left
