"""POST /openadr/3.0/auth/token (OAuth 2 client credentials) and the access tokens it mints:
what a VEN is let in with, and the Problem answers for everything else."""

from __future__ import annotations

import base64

import pytest

from tariffconnect.openadr import clients, tokens
from tests.openadr.support import (
    TOKEN_PATH,
    assert_problem,
    connect_two_rate,
    credentials,
    make_client,
    make_location,
    token,
)

PROGRAMS = "/openadr/3.0/programs"


@pytest.fixture
def issued(client, tenant, database):
    location = make_location(client, tenant)
    connect_two_rate(client, tenant, location)
    return make_client(database, location["id"])


def basic(client_id: str, secret: str) -> dict[str, str]:
    encoded = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {encoded}"}


def test_client_credentials_in_the_form_body_get_a_bearer_token(client, issued, settings):
    response = client.post(TOKEN_PATH, data=credentials(issued))
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 3600)
    named = tokens.client_of(
        body["access_token"], secret=settings.signing_secret, issuer=settings.token_issuer
    )
    assert named == issued.client_id


def test_client_credentials_as_http_basic_get_a_token_that_reads(client, issued):
    form = {"grant_type": "client_credentials"}
    response = client.post(
        TOKEN_PATH, data=form, headers=basic(issued.client_id, issued.client_secret)
    )
    assert response.status_code == 200, response.text
    bearer = {"Authorization": f"Bearer {response.json()['access_token']}"}
    programs = client.get(PROGRAMS, headers=bearer)
    assert programs.status_code == 200
    assert [p["id"] for p in programs.json()] == [f"{issued.location_id}_import"]


@pytest.mark.parametrize(
    "credentials",
    ["wrong secret", "unknown client", "junk client id", "no secret", "no credentials"],
)
def test_unknown_client_or_wrong_secret_is_401_invalid_client(client, issued, credentials):
    form = {"grant_type": "client_credentials"}
    form |= {
        "wrong secret": {"client_id": issued.client_id, "client_secret": "oacs_" + "0" * 48},
        "unknown client": {
            "client_id": "oac_" + "0" * 24,
            "client_secret": issued.client_secret,
        },
        "junk client id": {"client_id": "oac_\x00'--", "client_secret": issued.client_secret},
        "no secret": {"client_id": issued.client_id},
        "no credentials": {},
    }[credentials]
    response = client.post(TOKEN_PATH, data=form)
    body = assert_problem(response, 401, "invalid_client")
    assert body["title"] == "Unauthorized"
    assert body["detail"] == "Unknown client or wrong secret."
    assert (body["error"], body["error_description"]) == ("invalid_client", body["detail"])
    assert response.headers["www-authenticate"] == 'Basic realm="openadr"'


def test_wrong_basic_secret_and_broken_basic_credentials_are_401(client, issued):
    form = {"grant_type": "client_credentials"}
    wrong = client.post(TOKEN_PATH, data=form, headers=basic(issued.client_id, "nope"))
    assert_problem(wrong, 401, "invalid_client")
    broken = client.post(TOKEN_PATH, data=form, headers={"Authorization": "Basic %%%"})
    assert_problem(broken, 401, "invalid_client")


@pytest.mark.parametrize("grant_type", [None, "password", "authorization_code"])
def test_another_grant_type_is_400_unsupported_grant_type(client, issued, grant_type):
    form = {"client_id": issued.client_id, "client_secret": issued.client_secret}
    if grant_type is not None:
        form["grant_type"] = grant_type
    body = assert_problem(client.post(TOKEN_PATH, data=form), 400, "unsupported_grant_type")
    assert body["error"] == "unsupported_grant_type"


def test_a_revoked_client_gets_no_token_and_its_tokens_stop_at_once(client, issued, database):
    bearer = token(client, issued)
    assert client.get(PROGRAMS, headers=bearer).status_code == 200
    with database.transaction() as session:
        clients.revoke(session, client_id=issued.client_id)
    assert_problem(client.get(PROGRAMS, headers=bearer), 401, "access_token_invalid")
    assert_problem(client.post(TOKEN_PATH, data=credentials(issued)), 401, "invalid_client")


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer ", "Basic abc", "Token abc"],
)
def test_a_read_without_an_access_token_is_401_access_token_missing(client, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    response = client.get(PROGRAMS, headers=headers)
    assert_problem(response, 401, "access_token_missing")
    assert response.headers["www-authenticate"] == 'Bearer realm="openadr"'


def test_forged_foreign_and_expired_tokens_are_401(client, tenant, issued, settings):
    def read(access_token: str):
        return client.get(PROGRAMS, headers={"Authorization": f"Bearer {access_token}"})

    forged = tokens.mint(
        secret=b"another key, not the service's, 32+ bytes long",
        issuer=settings.token_issuer,
        ttl_seconds=60,
        client_id="x",
    )
    assert_problem(read(forged), 401, "access_token_invalid")
    # The REST API's bearer token is signed with the same key, for another audience.
    rest = tenant.test["Authorization"].removeprefix("Bearer ")
    assert_problem(read(rest), 401, "access_token_invalid")
    expired = tokens.mint(
        secret=settings.signing_secret,
        issuer=settings.token_issuer,
        ttl_seconds=-5,
        client_id=issued.client_id,
    )
    assert_problem(read(expired), 401, "access_token_expired")


def test_the_token_url_is_discoverable(client):
    response = client.get("/openadr/3.0/auth/server")
    assert response.status_code == 200
    assert response.json() == {"tokenURL": "http://testserver/openadr/3.0/auth/token"}


def test_an_openadr_token_is_not_a_rest_api_bearer_token(client, issued):
    response = client.get("/account", headers=token(client, issued))
    assert response.status_code == 401
    assert response.json()["code"] == "bearer_token_invalid"
