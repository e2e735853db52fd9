"""Bearer tokens on authenticated endpoints: every way a token can be wrong gets 401."""

import time

import jwt
import pytest

from tariffconnect.accounts import service as accounts
from tariffconnect.accounts import tokens
from tests.helpers import assert_error

CONTEXT = "api.account_retrieve"


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def forged(settings, tenant, **overrides):
    now = int(time.time())
    claims = {
        "sub": tenant.account_id,
        "account_id": tenant.account_id,
        "live_mode": False,
        "key_id": tenant.test_key_id,
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "iss": settings.token_issuer,
    }
    claims.update(overrides)
    secret = overrides.pop("secret", settings.signing_secret)
    claims.pop("secret", None)
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, secret, algorithm="HS256")


def test_no_authorization_header(client):
    assert_error(client.get("/account"), 401, "authentication_required", context=CONTEXT)


def test_empty_bearer(client):
    response = client.get("/account", headers={"Authorization": "Bearer "})
    assert_error(response, 401, "authentication_required", context=CONTEXT)


def test_basic_credentials_are_not_a_token(client, tenant):
    from tests.conftest import basic

    response = client.get("/account", headers=basic(tenant.account_id, tenant.test_key))
    assert_error(response, 401, "authentication_required", context=CONTEXT)


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "eyJhbGciOiJIUzI1NiJ9.e30."])
def test_malformed_token(client, token):
    assert_error(
        client.get("/account", headers=bearer(token)), 401, "bearer_token_invalid", context=CONTEXT
    )


def test_wrong_signature(client, settings, tenant):
    token = forged(settings, tenant, secret=b"not-the-secret-key-at-all-000000")
    assert_error(
        client.get("/account", headers=bearer(token)), 401, "bearer_token_invalid", context=CONTEXT
    )


def test_expired_token(client, settings, tenant):
    past = int(time.time()) - 7200
    token = forged(settings, tenant, iat=past, nbf=past, exp=past + 3600)
    assert_error(
        client.get("/account", headers=bearer(token)), 401, "bearer_token_expired", context=CONTEXT
    )


def test_token_not_yet_valid(client, settings, tenant):
    future = int(time.time()) + 3600
    token = forged(settings, tenant, nbf=future)
    assert_error(
        client.get("/account", headers=bearer(token)), 401, "bearer_token_invalid", context=CONTEXT
    )


def test_wrong_issuer(client, settings, tenant):
    token = forged(settings, tenant, iss="someone-else")
    assert_error(
        client.get("/account", headers=bearer(token)), 401, "bearer_token_invalid", context=CONTEXT
    )


@pytest.mark.parametrize("claim", ["sub", "account_id", "live_mode", "key_id", "exp", "iss"])
def test_missing_claim(client, settings, tenant, claim):
    token = forged(settings, tenant, **{claim: None})
    assert_error(
        client.get("/account", headers=bearer(token)), 401, "bearer_token_invalid", context=CONTEXT
    )


def test_alg_none_is_refused(client, tenant):
    token = jwt.encode({"sub": tenant.account_id}, key=None, algorithm="none")
    assert_error(
        client.get("/account", headers=bearer(token)), 401, "bearer_token_invalid", context=CONTEXT
    )


def test_token_claiming_another_account_with_own_key_is_refused(
    client, settings, tenant, other_tenant
):
    token = forged(
        settings, tenant, sub=other_tenant.account_id, account_id=other_tenant.account_id
    )
    assert_error(
        client.get("/account", headers=bearer(token)), 401, "bearer_token_invalid", context=CONTEXT
    )


def test_token_claiming_live_mode_from_a_test_key_is_refused(client, settings, tenant):
    token = forged(settings, tenant, live_mode=True)
    response = client.get("/account", headers=bearer(token))
    assert_error(response, 401, "bearer_token_invalid", context=CONTEXT)


def test_token_from_a_revoked_key_stops_working_at_once(client, database, tenant):
    headers = tenant.test
    assert client.get("/account", headers=headers).status_code == 200
    with database.transaction() as session:
        accounts.revoke_key(session, key_id_or_secret=tenant.test_key_id)
    assert_error(client.get("/account", headers=headers), 401, "api_key_revoked", context=CONTEXT)


def test_tokens_module_round_trip(settings, tenant):
    token = tokens.mint(
        secret=settings.signing_secret,
        issuer=settings.token_issuer,
        ttl_seconds=60,
        account_id=tenant.account_id,
        live_mode=True,
        key_id=tenant.live_key_id,
    )
    claims = tokens.decode(
        token,
        secret=settings.signing_secret,
        issuer=settings.token_issuer,
        max_ttl_seconds=settings.token_ttl_seconds,
    )
    assert (claims.account_id, claims.live_mode, claims.key_id) == (
        tenant.account_id,
        True,
        tenant.live_key_id,
    )


def test_a_token_made_to_outlive_the_configured_lifetime_is_refused(client, settings, tenant):
    now = int(time.time())
    ttl = settings.token_ttl_seconds
    longer = forged(settings, tenant, iat=now, nbf=now, exp=now + ttl + 1)
    response = client.get("/account", headers=bearer(longer))
    assert_error(response, 401, "bearer_token_invalid", context=CONTEXT)
    exact = forged(settings, tenant, iat=now, nbf=now, exp=now + ttl)
    assert client.get("/account", headers=bearer(exact)).status_code == 200
