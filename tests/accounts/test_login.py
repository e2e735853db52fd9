"""GET /login: HTTP Basic account id and API key in, a bearer token out."""

import base64

import jwt
import pytest

from tariffconnect.accounts import service as accounts
from tests import helpers
from tests.conftest import basic

CONTEXT = "api.login"


def assert_error(response, status, code, *, context=CONTEXT):
    return helpers.assert_error(response, status, code, context=context)


@pytest.mark.parametrize("live", [False, True])
def test_login_returns_a_jwt_for_the_key_mode(client, tenant, settings, live):
    key = tenant.live_key if live else tenant.test_key
    response = client.get("/login", headers=basic(tenant.account_id, key))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"bearer_token", "expires_in", "live_mode"}
    assert body["expires_in"] == 3600
    assert body["live_mode"] is live
    header = jwt.get_unverified_header(body["bearer_token"])
    assert header["alg"] == "HS256"
    claims = jwt.decode(
        body["bearer_token"], settings.signing_secret, algorithms=["HS256"], issuer="tariffconnect"
    )
    assert claims["sub"] == claims["account_id"] == tenant.account_id
    assert claims["live_mode"] is live
    assert claims["key_id"] == (tenant.live_key_id if live else tenant.test_key_id)
    assert claims["exp"] - claims["iat"] == 3600
    assert claims["nbf"] == claims["iat"]


def test_the_token_opens_authenticated_endpoints(client, tenant):
    response = client.get("/account", headers=tenant.test)
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == tenant.account_id
    assert body["object"] == "account"
    assert body["live_mode"] is False
    assert client.get("/account", headers=tenant.live).json()["live_mode"] is True


def test_missing_credentials(client):
    body = assert_error(client.get("/login"), 401, "authentication_required")
    assert body["live_mode"] is False


def test_bearer_instead_of_basic_is_refused(client):
    assert_error(
        client.get("/login", headers={"Authorization": "Bearer x"}), 401, "authentication_required"
    )


def test_malformed_base64(client):
    response = client.get("/login", headers={"Authorization": "Basic %%%not-base64"})
    assert_error(response, 401, "credentials_invalid")


def test_credentials_without_colon(client):
    encoded = base64.b64encode(b"acc_only").decode()
    response = client.get("/login", headers={"Authorization": f"Basic {encoded}"})
    assert_error(response, 401, "credentials_invalid")


def test_wrong_key(client, tenant):
    response = client.get("/login", headers=basic(tenant.account_id, "sk_test_" + "0" * 32))
    assert_error(response, 401, "credentials_invalid")


def test_key_of_another_account(client, tenant, other_tenant):
    response = client.get("/login", headers=basic(other_tenant.account_id, tenant.test_key))
    assert_error(response, 401, "credentials_invalid")


def test_live_key_failure_reports_live_mode(client, tenant):
    response = client.get("/login", headers=basic(tenant.account_id, "sk_live_" + "0" * 32))
    assert assert_error(response, 401, "credentials_invalid")["live_mode"] is True


def test_revoked_key_cannot_log_in(client, database, tenant):
    with database.transaction() as session:
        accounts.revoke_key(session, key_id_or_secret=tenant.test_key)
    response = client.get("/login", headers=basic(tenant.account_id, tenant.test_key))
    assert_error(response, 401, "credentials_invalid")
    # The live key of the same account is unaffected.
    assert (
        client.get("/login", headers=basic(tenant.account_id, tenant.live_key)).status_code == 200
    )


def test_login_changes_nothing(client, database, tenant):
    with database.transaction() as session:
        before = [
            (k.id, k.time_revoked)
            for k in accounts.list_keys(session, account_id=tenant.account_id)
        ]
    client.get("/login", headers=basic(tenant.account_id, "sk_test_wrong"))
    client.get("/login", headers=basic(tenant.account_id, tenant.test_key))
    with database.transaction() as session:
        after = [
            (k.id, k.time_revoked)
            for k in accounts.list_keys(session, account_id=tenant.account_id)
        ]
    assert before == after
