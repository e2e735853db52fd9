"""Rate limits: login by address and account (failures cost more), the API by token, the
Connect flow and hosted pages by Connect token; counters shared through Redis."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import redis
from starlette.testclient import TestClient

from tariffconnect.app import create_app
from tariffconnect.core.ratelimit import token_key
from tests.conftest import basic, make_tenant
from tests.helpers import assert_error

GENEROUS = "1000000/second"
REDIS_URL = "redis://127.0.0.1:6379/0"


@contextmanager
def service(settings, database, **limits: object) -> Iterator[TestClient]:
    """The app with these limits (the others as generous as the suite's)."""
    chosen = {
        "rate_limit_login_address": GENEROUS,
        "rate_limit_login_account": GENEROUS,
        "rate_limit_api": GENEROUS,
        "rate_limit_connect": GENEROUS,
        **limits,
    }
    app = create_app(settings.model_copy(update=chosen), database=database)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def wrong_login(client: TestClient, account_id: str):
    return client.get("/login", headers=basic(account_id, "sk_test_" + "0" * 32))


def test_wrong_keys_run_out_after_six_tries_and_lock_the_account(settings, database, client):
    tenant = make_tenant(client, database)
    limits = {"rate_limit_login_account": "60/minute", "rate_limit_login_failure_cost": 10}
    with service(settings, database, **limits) as limited:
        # Each failure costs 10 of the 60: six are answered, the seventh is refused.
        for _ in range(6):
            assert_error(wrong_login(limited, tenant.account_id), 401, "credentials_invalid")
        refused = wrong_login(limited, tenant.account_id)
        assert_error(refused, 429, "rate_limited", context="api.request")
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert (refused.headers["ratelimit-limit"], refused.headers["ratelimit-remaining"]) == (
            "60",
            "0",
        )
        # The right key too, for this account, for the rest of the window; others go on.
        good = limited.get("/login", headers=basic(tenant.account_id, tenant.test_key))
        assert_error(good, 429, "rate_limited")
        other = make_tenant(client, database)
        assert (
            limited.get("/login", headers=basic(other.account_id, other.test_key)).status_code
            == 200
        )


def test_one_address_is_limited_across_accounts(settings, database, client):
    tenants = [make_tenant(client, database) for _ in range(3)]
    limits = {"rate_limit_login_address": "3/minute"}
    with service(settings, database, **limits) as limited:
        answers = [
            limited.get("/login", headers=basic(t.account_id, t.test_key)).status_code
            for t in tenants
        ]
        assert answers == [200, 200, 200]
        assert_error(wrong_login(limited, tenants[0].account_id), 429, "rate_limited")


def test_a_token_is_limited_and_told_what_is_left(settings, database, client):
    tenant, other = make_tenant(client, database), make_tenant(client, database)
    headers, others = tenant.test, other.test
    with service(settings, database, rate_limit_api="5/minute") as limited:
        remaining = []
        for _ in range(5):
            answer = limited.get("/account", headers=headers)
            assert answer.status_code == 200
            remaining.append(answer.headers["ratelimit-remaining"])
        assert remaining == ["4", "3", "2", "1", "0"]
        assert_error(limited.get("/account", headers=headers), 429, "rate_limited")
        assert limited.get("/account", headers=others).status_code == 200


def connect_token(client: TestClient, tenant) -> str:
    location = client.post(
        "/locations",
        json={"postal_address": {"city": "London", "country_code": "GB"}},
        headers=tenant.test,
    ).json()
    body = {"location_id": location["id"], "connect_url": "a://c", "callback_url": "a://d"}
    return str(client.post("/connect", json=body, headers=tenant.test).json()["id"])


def test_a_connect_token_is_limited_in_the_flow_and_the_hosted_pages(settings, database, client):
    token = connect_token(client, make_tenant(client, database))
    flow = {"route": "session_start", "connect_token": token}
    with service(settings, database, rate_limit_connect="3/minute") as limited:
        assert limited.post("/connect/flow", json=flow).status_code == 200
        assert limited.get(f"/connect/web?fp_cot={token}").status_code == 200
        assert limited.post("/connect/flow", json=flow).status_code == 200
        refused = limited.post("/connect/flow", json=flow)
        assert refused.status_code == 429
        body = refused.json()
        assert (body["code"], body["connect_token"], body["context"]) == (
            "rate_limited",
            token,
            "connect.session_start",
        )
        assert int(refused.headers["retry-after"]) >= 1
        assert limited.get(f"/connect/web?fp_cot={token}").status_code == 429


def test_the_limit_holds_across_processes_sharing_redis(settings, database, client):
    tenant = make_tenant(client, database)
    # Two services (as two processes of a cluster) counting in one Redis; a fresh account.
    limits = {
        "redis_url": REDIS_URL,
        "rate_limit_login_account": "4/minute",
        "rate_limit_login_failure_cost": 1,
    }
    with (
        service(settings, database, **limits) as first,
        service(settings, database, **limits) as second,
    ):
        answers = [
            wrong_login(first if n % 2 else second, tenant.account_id).status_code for n in range(5)
        ]
    assert answers == [401, 401, 401, 401, 429]


def test_unreachable_counters_limit_nothing(settings, database, client):
    tenant = make_tenant(client, database)
    limits = {"redis_url": "redis://127.0.0.1:9/0", "rate_limit_api": "1/minute"}
    with service(settings, database, **limits) as unlimited:
        headers = tenant.test
        answers = [unlimited.get("/account", headers=headers) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert all("ratelimit-limit" not in a.headers for a in answers)


def test_redis_holds_a_hash_of_the_token_never_the_token(settings, database, client):
    tenant = make_tenant(client, database)
    headers = tenant.test
    token = headers["Authorization"].removeprefix("Bearer ")
    with service(settings, database, redis_url=REDIS_URL, rate_limit_api="100/minute") as limited:
        assert limited.get("/account", headers=headers).status_code == 200
    keys = [key.decode() for key in redis.Redis.from_url(REDIS_URL).keys("tariffconnect*")]
    assert any(token_key(token) in key for key in keys)
    assert not any(token in key for key in keys)


def test_memory_counters_start_no_threads_and_are_swept(monkeypatch):
    """The in-memory storage sweeps inline: many counts start no timer thread, and a counter
    whose window has passed is gone after the next due sweep."""
    import threading
    import time

    from limits import parse
    from limits.strategies import SlidingWindowCounterRateLimiter

    from tariffconnect.core import ratelimit

    storage = ratelimit.SweptMemoryStorage()
    limiter = SlidingWindowCounterRateLimiter(storage)
    item = parse("1000/second")
    started = []
    real_start = threading.Thread.start
    monkeypatch.setattr(
        threading.Thread, "start", lambda thread: (started.append(thread), real_start(thread))
    )
    for index in range(2000):
        assert limiter.hit(item, "api", f"key{index % 3}")
        if index % 100 == 0:
            time.sleep(0.011)  # past the library's 10 ms timer, which would now start again
    assert started == []
    assert len(storage.storage) >= 3

    clock = [time.time() + 10]  # every window over
    monkeypatch.setattr(ratelimit.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr("limits.storage.memory.time.time", lambda: clock[0])
    storage._swept = clock[0] - ratelimit.SWEEP_EVERY
    assert limiter.hit(item, "api", "fresh")
    (only,) = storage.storage
    assert "fresh" in only
