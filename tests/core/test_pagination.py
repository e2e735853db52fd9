"""The shared cursor pagination, exercised through a probe list of API keys."""

import pytest
from starlette.testclient import TestClient

from tariffconnect.accounts import service as accounts
from tests.core.probe_app import probe_app
from tests.helpers import assert_error

CONTEXT = "api.probe_key_list"


@pytest.fixture(scope="module")
def probe(settings, database):
    with TestClient(probe_app(settings, database), raise_server_exceptions=False) as client:
        yield client


def add_keys(database, account_id, count):
    with database.transaction() as session:
        return [
            accounts.create_key(session, account_id=account_id, live_mode=False).id
            for _ in range(count)
        ]


@pytest.fixture
def keyed(database, tenant):
    """A tenant with 75 keys in all (2 from the fixture plus 73), newest first."""
    add_keys(database, tenant.account_id, 73)
    with database.transaction() as session:
        ids = [k.id for k in accounts.list_keys(session, account_id=tenant.account_id)]
    assert len(ids) == 75
    return tenant, ids


def test_default_page_is_30_newest_first(probe, keyed):
    tenant, ids = keyed
    body = probe.get("/_probe/keys", headers=tenant.test).json()
    assert body == {"object": "list", "url": "/_probe/keys", "has_more": True, "data": ids[:30]}


def test_walk_forward_then_back(probe, keyed):
    tenant, ids = keyed
    headers = tenant.test
    seen, cursor, pages = [], None, []
    while True:
        params = {"limit": 20} | ({"starting_after": cursor} if cursor else {})
        body = probe.get("/_probe/keys", params=params, headers=headers).json()
        pages.append(body["data"])
        seen += body["data"]
        if not body["has_more"]:
            break
        cursor = body["data"][-1]
    assert seen == ids
    assert [len(p) for p in pages] == [20, 20, 20, 15]
    back = probe.get(
        "/_probe/keys", params={"limit": 20, "ending_before": pages[2][0]}, headers=headers
    ).json()
    assert back["data"] == pages[1]
    assert back["has_more"] is True
    first = probe.get(
        "/_probe/keys", params={"limit": 20, "ending_before": pages[1][0]}, headers=headers
    ).json()
    assert first == {"object": "list", "url": "/_probe/keys", "has_more": False, "data": pages[0]}


def test_inserts_during_a_walk_neither_repeat_nor_skip(probe, database, keyed):
    tenant, ids = keyed
    headers = tenant.test
    seen, cursor = [], None
    while True:
        params = {"limit": 10} | ({"starting_after": cursor} if cursor else {})
        body = probe.get("/_probe/keys", params=params, headers=headers).json()
        seen += body["data"]
        add_keys(database, tenant.account_id, 3)  # newer rows appear while we walk
        if not body["has_more"]:
            break
        cursor = body["data"][-1]
    assert seen == ids


@pytest.mark.parametrize("limit", [1, 100])
def test_limit_bounds_are_accepted(probe, keyed, limit):
    tenant, ids = keyed
    body = probe.get("/_probe/keys", params={"limit": limit}, headers=tenant.test).json()
    assert body["data"] == ids[:limit]
    assert body["has_more"] is (limit < 75)


@pytest.mark.parametrize("limit", ["0", "101", "-1", "ten"])
def test_limit_out_of_range(probe, tenant, limit):
    response = probe.get("/_probe/keys", params={"limit": limit}, headers=tenant.test)
    assert_error(response, 400, "limit_invalid", context=CONTEXT)


def test_both_cursors_conflict(probe, keyed):
    tenant, ids = keyed
    params = {"starting_after": ids[3], "ending_before": ids[1]}
    response = probe.get("/_probe/keys", params=params, headers=tenant.test)
    assert_error(response, 400, "pagination_cursor_conflict", context=CONTEXT)


@pytest.mark.parametrize("name", ["starting_after", "ending_before"])
def test_malformed_cursor(probe, tenant, name):
    response = probe.get("/_probe/keys", params={name: "x' OR 1=1 --"}, headers=tenant.test)
    assert_error(response, 400, f"{name}_invalid", context=CONTEXT)


def test_lists_only_show_the_callers_rows(probe, keyed, other_tenant):
    body = probe.get("/_probe/keys", headers=other_tenant.test).json()
    assert body["data"] == [other_tenant.live_key_id, other_tenant.test_key_id]
    assert body["has_more"] is False
