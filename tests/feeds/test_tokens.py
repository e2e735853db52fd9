"""Feed tokens in the service: stored only as hashes, opening one location in its account and
mode, revoked for good; and the feeds' rate limit, counted per token."""

from __future__ import annotations

import hashlib

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tariffconnect.app import create_app
from tariffconnect.core.errors import ApiError
from tariffconnect.core.scoping import Scope
from tariffconnect.core.timeutil import as_utc
from tariffconnect.feeds import tokens
from tariffconnect.feeds.models import FeedToken
from tests.helpers import statements
from tests.tariffs.support import flat, tariff_body

LONDON = {"postal_address": {"city": "London", "country_code": "GB"}}


def location_with_tariff(client, headers, rate: float) -> str:
    location = client.post("/locations", json=LONDON, headers=headers)
    assert location.status_code == 201, location.text
    tariff = client.post(
        "/tariffs", json=tariff_body(location.json()["id"], flat(rate)), headers=headers
    )
    assert tariff.status_code == 201, tariff.text
    return str(location.json()["id"])


def test_only_the_hash_is_stored_and_the_token_opens_its_location_in_its_mode(
    client, tenant, database
):
    location_id = location_with_tariff(client, tenant.live, 0.2)
    with database.transaction() as session:
        issued = tokens.create(session, location_id=location_id)
    with database.transaction(write=False) as session:
        row = session.scalars(select(FeedToken).where(FeedToken.id == issued.id)).one()
        stored = [getattr(row, column.key) for column in FeedToken.__table__.columns]
        feed = tokens.resolve(session, token=issued.token)
    assert row.token_hash == hashlib.sha256(issued.token.encode()).hexdigest()
    assert issued.token not in [str(value) for value in stored]
    assert (row.account_id, row.live_mode, row.location_id) == (
        tenant.account_id,
        True,
        location_id,
    )
    assert (feed.token_id, feed.location_id, feed.scope) == (
        issued.id,
        location_id,
        Scope(tenant.account_id, True),
    )
    # The live location's prices, though the feed request carries no credentials.
    rates = client.get(f"/feeds/{issued.token}/evcc.json").json()
    assert {rate["value"] for rate in rates} == {0.2}


def test_a_revoked_token_stays_revoked_and_lists_keep_to_their_location(client, tenant, database):
    first_location = location_with_tariff(client, tenant.test, 0.2)
    second_location = location_with_tariff(client, tenant.test, 0.3)
    with database.transaction() as session:
        issued = tokens.create(session, location_id=first_location)
        other = tokens.create(session, location_id=second_location)
    with database.transaction() as session:
        when = tokens.revoke(session, token_id_or_token=issued.token).time_revoked
    with database.transaction() as session:
        again = tokens.revoke(session, token_id_or_token=issued.id).time_revoked
        assert again is not None and when is not None and as_utc(again) == as_utc(when)
        with pytest.raises(ApiError) as refused:
            tokens.resolve(session, token=issued.token)
        assert (refused.value.status, refused.value.code) == (404, "feed_not_found")
        assert [row.id for row in tokens.list_(session, location_id=first_location)] == [issued.id]
        assert [row.id for row in tokens.list_(session, location_id=second_location)] == [other.id]
    assert client.get(f"/feeds/{other.token}/evcc.json").json()[0]["value"] == 0.3


def test_the_feeds_are_rate_limited_per_token(settings, database, tenant, client):
    location_id = location_with_tariff(client, tenant.test, 0.2)
    with database.transaction() as session:
        first = tokens.create(session, location_id=location_id).token
        second = tokens.create(session, location_id=location_id).token
    limited = create_app(
        settings.model_copy(update={"rate_limit_feed": "2/minute"}), database=database
    )
    with TestClient(limited) as feeds:
        answers = [feeds.get(f"/feeds/{first}/evcc.json") for _ in range(3)]
        assert [answer.status_code for answer in answers] == [200, 200, 429]
        assert answers[0].headers["RateLimit-Limit"] == "2"
        assert answers[1].headers["RateLimit-Remaining"] == "0"
        assert answers[2].json()["code"] == "rate_limited"
        assert int(answers[2].headers["Retry-After"]) >= 1
        # Another token of the same location has a count of its own.
        assert feeds.get(f"/feeds/{second}/homeassistant.json").status_code == 200


def test_a_deleted_location_takes_its_tokens_with_it(client, tenant, database):
    location_id = location_with_tariff(client, tenant.test, 0.2)
    with database.transaction() as session:
        issued = tokens.create(session, location_id=location_id)
    assert client.get(f"/feeds/{issued.token}/evcc.json").status_code == 200
    deleted = client.delete(f"/locations/{location_id}", headers=tenant.test)
    assert deleted.status_code in (200, 202), deleted.text
    gone = client.get(f"/feeds/{issued.token}/evcc.json")
    assert (gone.status_code, gone.json()["code"]) == (404, "feed_not_found")
    with database.transaction(write=False) as session:
        assert session.scalars(select(FeedToken).where(FeedToken.id == issued.id)).all() == []


def test_a_poll_answered_from_memory_reads_the_database_once(client, tenant, database):
    location_id = location_with_tariff(client, tenant.test, 0.2)
    for feed in ("evcc.json", "homeassistant.json", "cheapest.ics?hours=4"):
        with database.transaction() as session:  # a token each: 5 requests a second at most
            token = tokens.create(session, location_id=location_id).token
        first = client.get(f"/feeds/{token}/{feed}")
        assert first.status_code == 200, first.text
        with statements(database.engine) as sent:
            again = client.get(f"/feeds/{token}/{feed}")
        assert again.content == first.content
        assert len([sql for sql in sent if sql != "BEGIN"]) == 1, sent
        assert "feed_tokens" in sent[-1] and "tariffs" in sent[-1]
